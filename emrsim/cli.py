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

from emrsim.scenario import ScenarioError, load_scenario
from emrsim.scenario.models import Scenario
from emrsim.sweep.target import DEFAULT_MAX_REPLICATIONS, TargetCI, check_metric

if TYPE_CHECKING:
    from emrsim.sweep.replications import Monitor

EXIT_BAD_INPUT = 2
INDEPENDENT_SEED_OFFSET = 1
"""``compare --independent`` runs B with A's seed plus this: other, independent streams."""


def _fail(lines: Sequence[str]) -> NoReturn:
    for line in lines:
        click.echo(line, err=True)
    sys.exit(EXIT_BAD_INPUT)


def _load(path: str, overrides: Sequence[str] = (), seed: int | None = None) -> Scenario:
    try:
        scenario = load_scenario(path, overrides)
    except ScenarioError as exc:
        _fail(exc.lines())
    if seed is not None:
        if seed < 0:
            _fail([f"--seed: must be >= 0 (got {seed})"])
        scenario = scenario.model_copy(update={"seed": seed})
    return scenario


def _prepare_out(out: str | None, force: bool) -> Path | None:
    if out is None:
        return None
    path = Path(out)
    if path.exists() and not path.is_dir():
        _fail([f"--out {out}: exists and is not a directory"])
    if path.is_dir() and any(path.iterdir()) and not force:
        _fail([f"--out {out}: directory is not empty (use --force to overwrite its files)"])
    path.mkdir(parents=True, exist_ok=True)
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
@click.option("--out", type=click.Path(file_okay=False), help="Write result files here.")
@click.option("--force", is_flag=True, help="Allow --out to write into a non-empty directory.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="KEY.PATH=VALUE",
    help="Override one key of the file (value read as YAML); repeatable.",
)
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
            )
    except KeyboardInterrupt:
        _interrupted(out_dir)
    if as_json:
        sys.stdout.write(dumps(document))
        return
    from emrsim.report.terminal import print_summary

    print_summary(document)
    for warning in document["warnings"]:
        click.echo(f"warning: {warning}", err=True)


def _target(
    scenario: Scenario,
    text: str | None,
    replications: int | None,
    max_replications: int | None,
) -> TargetCI | None:
    """The parsed ``--target-ci``, checked against the scenario's metrics (exit 2 if bad)."""
    if text is None:
        if max_replications is not None:
            _fail(["--max-replications: only with --target-ci"])
        return None
    try:
        target = TargetCI.parse(text)
        check_metric(scenario, target.metric)
    except ValueError as exc:
        _fail([f"--target-ci: {exc}"])
    start = max(2, replications if replications is not None else scenario.replications)
    cap = max_replications or DEFAULT_MAX_REPLICATIONS
    if cap < start:
        _fail([f"--max-replications {cap}: below the {start} replications to start from"])
    return target


def _progress(quiet: bool, as_json: bool) -> AbstractContextManager[Monitor | None]:
    """A progress bar on stderr when it is a terminal, unless --quiet or --json."""
    from emrsim.report.terminal import ProgressDisplay, progress_wanted

    if progress_wanted(quiet, as_json):
        return ProgressDisplay()
    return nullcontext(None)


def _interrupted(out_dir: Path | None) -> NoReturn:
    """Ctrl-C: remove half-written files (finished files stay), say so, exit 130."""
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
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
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
@click.option("--grid", multiple=True)
@click.option("--replications", "-r", type=int)
@click.option("--workers", type=int)
@click.option("--dask")
@click.option("--out")
@click.option("--json", "as_json", is_flag=True)
def sweep(file: str, **_: Any) -> None:
    """A grid of variants of FILE (not supported yet in this version)."""
    _fail(
        [
            f"{file}: sweep is not supported yet in this version of emrsim; run the variants "
            "with `emrsim run --set key.path=value`"
        ]
    )


from emrsim.plan_cli import plan  # noqa: E402

main.add_command(plan)

from emrsim.import_cli import import_command  # noqa: E402

main.add_command(import_command, name="import")
