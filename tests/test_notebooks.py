"""Every teaching notebook in notebooks/ runs top to bottom without an error, in under a minute.

The notebooks are stored without outputs; this executes each one in a fresh ``python3`` kernel
(ipykernel, from the ``test`` extra) with ``notebooks/`` as the working directory, as a student
would run it. Their ``assert`` cells check the lessons' claims, so a model change that breaks a
lesson fails here.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

NOTEBOOKS_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
KERNEL = "python3"
CELL_TIMEOUT_S = 120
BUDGET_S = 60.0

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")


def _kernel_name() -> str:
    """The ``python3`` kernel spec, registered for this interpreter if Jupyter cannot find one."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(KERNEL)
    except NoSuchKernel:
        from ipykernel.kernelspec import install

        install(user=True, kernel_name=KERNEL)
    return KERNEL


def test_notebooks_exist() -> None:
    assert [p.name for p in NOTEBOOKS] == [
        "01-first-cluster.ipynb",
        "02-yarn-schedulers.ipynb",
        "03-hdfs.ipynb",
        "04-spot-monte-carlo.ipynb",
        "05-autoscaling.ipynb",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_stored_without_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, (
                f"{path.name}: clear the outputs before committing"
            )


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        kernel_name=_kernel_name(),
        timeout=CELL_TIMEOUT_S,
        resources={"metadata": {"path": str(NOTEBOOKS_DIR)}},
    )
    start = time.monotonic()
    client.execute()  # raises CellExecutionError, naming the cell, on the first error
    elapsed = time.monotonic() - start
    errors = [
        output
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "error"
    ]
    assert not errors, f"{path.name}: {errors[0]['ename']}: {errors[0]['evalue']}"
    assert elapsed < BUDGET_S, f"{path.name} took {elapsed:.1f} s (budget {BUDGET_S:.0f} s)"
