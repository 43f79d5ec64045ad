"""The command line: run | validate | compare | sweep | schema. Thin: parse, call, print.

Bad input exits with status 2 and ``file:line: key.path: message`` lines on stderr.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import click

from emrsim.scenario import ScenarioError, load_scenario
from emrsim.scenario.models import Scenario

EXIT_BAD_INPUT = 2


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
@click.option("--out", type=click.Path(file_okay=False), help="Write result files here.")
@click.option("--force", is_flag=True, help="Allow --out to write into a non-empty directory.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
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
    out: str | None,
    force: bool,
    as_json: bool,
    overrides: tuple[str, ...],
) -> None:
    """Simulate FILE and print a summary (or JSON)."""
    from emrsim.report.files import dumps
    from emrsim.sweep.replications import simulate

    scenario = _load(file, overrides, seed)
    out_dir = _prepare_out(out, force)
    try:
        document, _ = simulate(scenario, replications, out_dir)
    except KeyboardInterrupt:
        _interrupted(out_dir)
    if as_json:
        sys.stdout.write(dumps(document))
        return
    from emrsim.report.terminal import print_summary

    print_summary(document)
    for warning in document["warnings"]:
        click.echo(f"warning: {warning}", err=True)


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
@click.option("--json", "as_json", is_flag=True)
def compare(a: str, b: str, seed: int | None, replications: int, as_json: bool) -> None:
    """Run A and B with the same seeds (common random numbers); paired differences B - A."""
    from emrsim.report.compare import paired_comparison
    from emrsim.report.files import dumps
    from emrsim.sweep.replications import simulate

    first = _load(a, (), seed)
    second = _load(b, (), first.seed)
    doc_a, _ = simulate(first, replications)
    doc_b, _ = simulate(second, replications)
    document: dict[str, Any] = {
        "a": first.name,
        "b": second.name,
        "seed": first.seed,
        "replications": replications,
        "differences": paired_comparison(doc_a["runs"], doc_b["runs"]),
    }
    if as_json:
        sys.stdout.write(dumps(document))
        return
    for metric, d in document["differences"].items():
        click.echo(f"{metric}: {d['verdict']}")


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
