"""`emrsim sweep --dask`: a real Dask scheduler and two workers, as separate processes on
localhost, give the same JSON as a serial sweep, byte for byte."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from tests.cli_support import ROOT, run_cli

pytest.importorskip("distributed")
pytestmark = pytest.mark.slow  # starting a scheduler and two workers takes seconds

QUICKSTART = str(ROOT / "scenarios" / "quickstart.yaml")
GRID = ("--grid", "cluster.instance_groups.1.count=2,4", "--grid", "seed=1,2", "-r", "2")
HOST = "127.0.0.1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _dask(*args: str) -> list[str]:
    """The ``dask`` command line, through this interpreter (no PATH lookup)."""
    return [sys.executable, "-m", "dask", *args]


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """``dask scheduler`` and two ``dask worker`` processes; the scheduler's address."""
    from distributed import Client

    port = _free_port()
    address = f"tcp://{HOST}:{port}"
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    processes: list[subprocess.Popen[bytes]] = []
    try:
        processes.append(
            subprocess.Popen(
                _dask("scheduler", "--host", HOST, "--port", str(port), "--no-dashboard"),
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        for _ in range(2):
            processes.append(
                subprocess.Popen(
                    _dask(
                        "worker",
                        address,
                        "--nworkers",
                        "1",
                        "--nthreads",
                        "1",
                        "--host",
                        HOST,
                        "--no-dashboard",
                        "--no-nanny",
                    ),
                    env=env,
                    cwd="/",  # not the repository: workers get everything from the tasks
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        deadline = time.monotonic() + 60
        while True:
            try:
                with Client(address, timeout="5s") as client:
                    client.wait_for_workers(2, timeout=max(1.0, deadline - time.monotonic()))
                    assert len(client.scheduler_info()["workers"]) == 2
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        yield address
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_dask_cluster_gives_the_serial_json_byte_for_byte(scheduler: str) -> None:
    serial = run_cli("sweep", QUICKSTART, *GRID, "--workers", "1", "--json")
    assert serial.returncode == 0, serial.stderr
    on_dask = run_cli("sweep", QUICKSTART, *GRID, "--dask", scheduler, "--json")
    assert on_dask.returncode == 0, on_dask.stderr
    assert on_dask.stdout == serial.stdout
    assert '"seed": 2' in on_dask.stdout


def test_unreachable_scheduler_exits_2() -> None:
    port = _free_port()  # nothing listens there
    result = run_cli(
        "sweep", QUICKSTART, "--grid", "seed=1,2", "-r", "1", "--dask", f"tcp://{HOST}:{port}"
    )
    assert result.returncode == 2, result.stderr
    assert "cannot reach the scheduler" in result.stderr and "Traceback" not in result.stderr
