"""The command line: run | validate | compare | sweep | schema. Thin: parse, call, print.

Bad input exits with status 2 and ``file:line: key.path: message`` lines on stderr.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from emrsim.cli_options import force_option, json_option, out_option, quiet_option, set_option
from emrsim.exits import check_seed, fail
from emrsim.scenario import ScenarioError, load_scenario
from emrsim.scenario.models import Scenario
from emrsim.sweep.target import DEFAULT_MAX_REPLICATIONS, TargetCI, check_metric

if TYPE_CHECKING:
    from emrsim.sweep.replications import Monitor

INDEPENDENT_SEED_OFFSET = 1
"""``compare --independent`` runs B with A's seed plus this: other, independent streams."""


def _load(path: str, overrides: Sequence[str] = (), seed: int | None = None) -> Scenario:
    try:
        scenario = load_scenario(path, overrides)
    except ScenarioError as exc:
        fail(exc.lines())
    if seed is not None:
        check_seed(seed)
        scenario = scenario.model_copy(update={"seed": seed})
    return scenario


def _prepare_out(out: str | None, force: bool) -> Path | None:
    if out is None:
        return None
    path = Path(out)
    if path.exists() and not path.is_dir():
        fail([f"--out {out}: exists and is not a directory"])
    if path.is_dir() and any(path.iterdir()) and not force:
        fail([f"--out {out}: directory is not empty (use --force to overwrite its files)"])
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail([f"--out {out}: cannot create the directory: {exc.strerror or exc}"])
    return path


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="emrsim")
def main() -> None:
    """emrsim: simulate Amazon EMR clusters (YARN, HDFS, EC2 markets) for cost and makespan."""


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--seed", type=int, help="Override the scenario's seed.")
@click.option(
    "--replications", "-r", type=click.IntRange(min=1), help="Number of Monte Carlo replications."
)
@click.option(
    "--target-ci",
    metavar="METRIC=HALF_WIDTH[%]",
    help="Add replications until the 95% interval of METRIC is this narrow: absolute "
    "(cost_usd.total=0.5) or relative to the mean (makespan_s=5%). Starts from -r (at least 2).",
)
@click.option(
    "--max-replications",
    type=click.IntRange(min=2),
    help=f"With --target-ci: stop at this many replications (default {DEFAULT_MAX_REPLICATIONS}).",
)
@out_option
@force_option
@json_option
@quiet_option()
@set_option()
def run(
    file: str,
    seed: int | None,
    replications: int | None,
    target_ci: str | None,
    max_replications: int | None,
    out: str | None,
    force: bool,
    as_json: bool,
    quiet: bool,
    overrides: tuple[str, ...],
) -> None:
    """Simulate FILE and print a summary (or JSON)."""
    from emrsim.report.files import dumps
    from emrsim.sweep.replications import simulate

    scenario = _load(file, overrides, seed)
    target = _target(scenario, target_ci, replications, max_replications)
    out_dir = _prepare_out(out, force)
    try:
        with _progress(quiet, as_json) as monitor:
            document, _ = simulate(
                scenario,
                replications,
                out_dir,
                target_ci=target,
                max_replications=max_replications or DEFAULT_MAX_REPLICATIONS,
                monitor=monitor,
                keep_partial=True,
            )
    except KeyboardInterrupt:
        _interrupted(out_dir)
    if as_json:
        sys.stdout.write(dumps(document))
    else:
        from emrsim.report.terminal import print_summary

        print_summary(document)
        for warning in document["warnings"]:
            click.echo(f"warning: {warning}", err=True)
    if document.get("interrupted"):
        click.echo(
            f"interrupted: the summary covers the {document['replications']} replication(s) "
            "that finished",
            err=True,
        )
        sys.exit(130)


def _target(
    scenario: Scenario,
    text: str | None,
    replications: int | None,
    max_replications: int | None,
) -> TargetCI | None:
    """The parsed ``--target-ci``, checked against the scenario's metrics (exit 2 if bad)."""
    if text is None:
        if max_replications is not None:
            fail(["--max-replications: only with --target-ci"])
        return None
    try:
        target = TargetCI.parse(text)
        check_metric(scenario, target.metric)
    except ValueError as exc:
        fail([f"--target-ci: {exc}"])
    start = max(2, replications if replications is not None else scenario.replications)
    cap = max_replications or DEFAULT_MAX_REPLICATIONS
    if cap < start:
        fail([f"--max-replications {cap}: below the {start} replications to start from"])
    return target


def _progress(quiet: bool, as_json: bool) -> AbstractContextManager[Monitor | None]:
    """A progress bar on stderr when it is a terminal, unless --quiet or --json."""
    from emrsim.report.terminal import ProgressDisplay, progress_wanted

    if progress_wanted(quiet, as_json):
        return ProgressDisplay()
    return nullcontext(None)


def _interrupted(out_dir: Path | None) -> NoReturn:
    """Ctrl-C before anything finished: remove half-written files (finished files stay), say
    so, exit 130."""
    if out_dir is not None:
        for tmp in out_dir.rglob(".*.tmp"):
            tmp.unlink(missing_ok=True)
    click.echo(
        "interrupted: no summary written"
        + (f"; files of finished runs stay in {out_dir}" if out_dir is not None else ""),
        err=True,
    )
    sys.exit(130)


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--set", "overrides", multiple=True, metavar="KEY.PATH=VALUE")
def validate(file: str, overrides: tuple[str, ...]) -> None:
    """Check FILE: print ``ok``, or the problems and exit 2."""
    _load(file, overrides)
    click.echo("ok")


@main.command()
def schema() -> None:
    """Print the JSON Schema of the scenario file."""
    click.echo(json.dumps(Scenario.model_json_schema(), indent=2))


@main.command()
@click.argument("a", type=click.Path(dir_okay=False))
@click.argument("b", type=click.Path(dir_okay=False))
@click.option("--seed", type=int, help="Seed for both (default: A's).")
@click.option("--replications", "-r", type=click.IntRange(min=2), default=10, show_default=True)
@click.option(
    "--independent",
    is_flag=True,
    help=f"Run B with seed + {INDEPENDENT_SEED_OFFSET} instead of A's seeds: unpaired runs, "
    "Welch intervals (to see what common random numbers save).",
)
@json_option
@quiet_option()
def compare(
    a: str,
    b: str,
    seed: int | None,
    replications: int,
    independent: bool,
    as_json: bool,
    quiet: bool,
) -> None:
    """Run A and B with the same seeds (common random numbers); paired differences B - A."""
    from emrsim.report.compare import independent_comparison, paired_comparison
    from emrsim.report.files import dumps
    from emrsim.sweep.replications import simulate

    first = _load(a, (), seed)
    second = _load(b, (), first.seed + (INDEPENDENT_SEED_OFFSET if independent else 0))
    try:
        with _progress(quiet, as_json) as monitor:
            doc_a, _ = simulate(first, replications, monitor=monitor)
            doc_b, _ = simulate(second, replications, monitor=monitor)
    except KeyboardInterrupt:
        _interrupted(None)
    differences = (independent_comparison if independent else paired_comparison)(
        doc_a["runs"], doc_b["runs"]
    )
    document: dict[str, Any] = {
        "a": first.name,
        "b": second.name,
        "seed": first.seed,
        "seed_a": first.seed,
        "seed_b": second.seed,
        "pairing": "independent" if independent else "common_random_numbers",
        "replications": replications,
        "differences": differences,
        "warnings": sorted({*doc_a["warnings"], *doc_b["warnings"]}),
        "emrsim_version": doc_a["emrsim_version"],
        "config": {"a": doc_a["config"], "b": doc_b["config"]},
    }
    if as_json:
        sys.stdout.write(dumps(document))
        return
    from emrsim.report.terminal import print_comparison

    print_comparison(document)
    for metric, d in document["differences"].items():
        click.echo(f"{metric}: {d['verdict']}")
    for warning in document["warnings"]:
        click.echo(f"warning: {warning}", err=True)


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--grid",
    "grids",
    multiple=True,
    metavar="KEY.PATH=V1,V2,...",
    help="Sweep one key over these values (each read as YAML; commas inside [..], {..} or "
    "quotes do not split); repeatable: the points are the cartesian product.",
)
@click.option(
    "--zip",
    "zips",
    multiple=True,
    metavar="KEY.PATH=V1,V2,...",
    help="Paired lists: every --zip key takes its i-th value together (same lengths); the pairs "
    "form one more axis of the product.",
)
@click.option(
    "--replications", "-r", type=click.IntRange(min=1), help="Runs per point (default: the file's)."
)
@click.option("--seed", type=int, help="Override the scenario's seed (a swept seed wins).")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="Local worker processes (default: all cores; 1 runs in this process).",
)
@click.option(
    "--dask",
    "dask_address",
    metavar="ADDRESS",
    help="Send the runs to a running Dask scheduler, e.g. tcp://10.0.0.5:8786.",
)
@out_option
@click.option(
    "--resume",
    type=click.Path(file_okay=False),
    help="Continue the sweep started in this directory (runs only what is missing).",
)
@force_option
@json_option
@quiet_option()
@set_option("of the file for every point")
def sweep(
    file: str,
    grids: tuple[str, ...],
    zips: tuple[str, ...],
    replications: int | None,
    seed: int | None,
    workers: int | None,
    dask_address: str | None,
    out: str | None,
    resume: str | None,
    force: bool,
    as_json: bool,
    quiet: bool,
    overrides: tuple[str, ...],
) -> None:
    """Run FILE at every point of a grid of overrides, R replications each.

    Run (point p, replication i) uses replication i's seed of the scenario's seed, as
    `emrsim run --set ... -r R` would: common random numbers across points. Serial, local
    processes and Dask give byte-identical JSON.
    """
    from emrsim.report.files import dumps
    from emrsim.sweep.grid import Grid, GridError, SweepSpec
    from emrsim.sweep.outputs import SweepError, run_sweep
    from emrsim.sweep.runner import RunFailed

    if dask_address is not None and workers is not None:
        fail(["--workers: not with --dask (the Dask cluster has its own workers)"])
    if out is not None and resume is not None:
        fail(["--resume DIR: writes to DIR; do not give --out too"])
    try:
        grid = Grid.parse(grids, zips)
    except GridError as exc:
        fail([str(exc)])
    check_seed(seed)
    pre = (f"seed={seed}",) if seed is not None else ()
    base = _load(file, (*pre, *overrides))
    try:
        spec = SweepSpec.from_file(
            file,
            grid,
            replications if replications is not None else base.replications,
            (*pre, *overrides),
        )
    except (OSError, UnicodeDecodeError) as exc:
        fail([f"{file}: cannot read the file: {exc}"])
    out_dir: Path | None = None
    if resume is not None:
        out_dir = Path(resume)
        if not out_dir.is_dir():
            fail([f"--resume {resume}: no such directory"])
    elif out is not None:
        path = Path(out)
        if path.exists() and not path.is_dir():
            fail([f"--out {out}: exists and is not a directory"])
        if path.is_dir() and any(path.iterdir()) and not force:
            fail(
                [
                    f"--out {out}: directory is not empty (use --force to overwrite its files, "
                    "or --resume to continue a sweep)"
                ]
            )
        out_dir = path
    display = _sweep_progress(quiet, as_json, base.name)
    try:
        with display:
            document = run_sweep(
                spec,
                out=out_dir,
                resume=resume is not None,
                workers=workers,
                dask_address=dask_address,
                progress=display.update,
            )
    except SweepError as exc:
        fail(exc.lines)
    except RunFailed as exc:
        click.echo(f"error: a run failed: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        if out_dir is not None:
            for tmp in out_dir.glob(".*.tmp*"):
                tmp.unlink(missing_ok=True)
        click.echo(
            f"interrupted: {display.done} of {display.total} runs done"
            + (
                f"; continue with --resume {out_dir} (finished runs are in {out_dir}/runs.jsonl)"
                if out_dir is not None
                else ""
            ),
            err=True,
        )
        sys.exit(130)
    except OSError as exc:
        if dask_address is None:
            raise
        fail([f"--dask {dask_address}: cannot reach the scheduler: {exc}"])
    if as_json:
        sys.stdout.write(dumps(document))
        return
    _print_sweep(document, out_dir)


class _SweepProgress:
    """Runs done out of all runs: a rich bar on stderr when wanted, else only counts."""

    def __init__(self, wanted: bool, name: str) -> None:
        self.done = 0
        self.total = 0
        self._progress: Any = None
        self._task: Any = None
        self._name = name
        if wanted:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("runs"),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
            )

    def __enter__(self) -> _SweepProgress:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def update(self, done: int, total: int) -> None:
        self.done, self.total = done, total
        if self._progress is None:
            return
        if self._task is None:
            self._task = self._progress.add_task(f"sweep {self._name}", total=total)
        self._progress.update(self._task, completed=done, total=total)


def _cell(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _sweep_progress(quiet: bool, as_json: bool, name: str) -> _SweepProgress:
    from emrsim.report.terminal import progress_wanted

    return _SweepProgress(progress_wanted(quiet, as_json), name)


def _print_sweep(document: dict[str, Any], out_dir: Path | None) -> None:
    """One table row per point: the overrides, mean cost and p95 makespan, Pareto mark."""
    from rich.console import Console
    from rich.table import Table

    keys = list(document["grid"])
    table = Table(
        title=f"{document['scenario']}: {len(document['points'])} points x "
        f"{document['replications']} replications (seed {document['seed']})"
    )
    for key in keys:
        table.add_column(key.rsplit(".", 2)[-1] if key.count(".") > 1 else key)
    for column in ("cost mean (USD)", "makespan mean (s)", "makespan p95 (s)", "jobs failed", ""):
        table.add_column(column, justify="right")
    front = set(document["pareto"])

    def stat(point: dict[str, Any], metric: str, what: str, digits: int) -> str:
        entry = point["aggregate"].get(metric)
        return "-" if entry is None else f"{entry[what]:.{digits}f}"

    for i, point in enumerate(document["points"]):
        table.add_row(
            *(_cell(point["overrides"][k]) for k in keys),
            stat(point, "cost_usd.total", "mean", 4),
            stat(point, "makespan_s", "mean", 1),
            stat(point, "makespan_s", "p95", 1),
            stat(point, "jobs.failed", "mean", 2),
            "pareto" if i in front else "",
        )
    Console().print(table)
    if out_dir is not None:
        click.echo(f"wrote {out_dir}/summary.json, sweep.csv and plots")
    for warning in document["warnings"]:
        click.echo(f"warning: {warning}", err=True)


from emrsim.plan_cli import plan  # noqa: E402

main.add_command(plan)

from emrsim.import_cli import import_command  # noqa: E402

main.add_command(import_command, name="import")
