"""``emrsim plan``: the cheapest configuration of a grid that meets every SLA.

Exit status: 0 when a point meets every SLA, 1 when none does (the closest point is shown),
2 for bad input (before anything runs), 130 when interrupted.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Mapping, Sequence
from typing import Any

import click

from emrsim.cli_options import json_option, quiet_option, set_option
from emrsim.exits import check_seed, fail
from emrsim.scenario import ScenarioError, load_scenario
from emrsim.scenario.models import Scenario
from emrsim.sweep.plan import DEFAULT_OBJECTIVE, SearchResult, Vary, grid, overrides_of, search
from emrsim.sweep.plan_output import (
    create_cluster_instances,
    point_json,
    scenario_snippet,
    snippet_yaml,
    yaml_values,
)
from emrsim.sweep.sla import SLA, iter_sla_metrics

EXIT_NO_POINT = 1


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--vary",
    "varies",
    multiple=True,
    metavar="KEY.PATH=V1,V2,...",
    help="A key and the values to try (each read as YAML, as --set); repeatable: the grid is "
    "the cartesian product.",
)
@click.option(
    "--sla",
    "slas",
    multiple=True,
    metavar="EXPR",
    help='A condition every chosen point must meet; repeatable. "p95(makespan_s) <= 4h" '
    "(mean, min, p50, p90, p95, p99, max over the replications) or "
    '"P(makespan_s <= 4h) >= 0.9" (share of replications).',
)
@click.option(
    "--minimize",
    "objective",
    default=DEFAULT_OBJECTIVE,
    show_default=True,
    metavar="METRIC",
    help="Run metric (dotted path) whose mean is minimised.",
)
@click.option(
    "--replications",
    "-r",
    type=click.IntRange(min=1),
    help="Replications per point (default: the scenario's; 10 or more are advised for "
    "percentile and probability SLAs).",
)
@click.option("--seed", type=int, help="Override the scenario's seed.")
@set_option("of the file for every point")
@click.option(
    "--exhaustive",
    is_flag=True,
    help="Run every point with every replication (the default racing search prunes points "
    "that are surely costlier than the best so far).",
)
@json_option
@quiet_option("No progress lines on stderr.")
def plan(
    file: str,
    varies: tuple[str, ...],
    slas: tuple[str, ...],
    objective: str,
    replications: int | None,
    seed: int | None,
    overrides: tuple[str, ...],
    exhaustive: bool,
    as_json: bool,
    quiet: bool,
) -> None:
    """Find the point of a --vary grid of FILE with the smallest mean --minimize metric that
    meets every --sla, and print it as a scenario snippet and `aws emr create-cluster` JSON.

    Every point runs the same replications of the same seed (common random numbers). By
    default a racing search first runs each point with a quarter of the replications (at
    least 3), then evaluates fully, cheapest estimate first, only points not surely costlier
    than the best point so far; --exhaustive runs everything. Exits 1 if no point meets the
    SLAs (the closest one is shown), 2 on bad input.
    """
    parsed_slas, vary_list = _parse(slas, varies)
    try:
        points = grid(vary_list)
    except ValueError as exc:
        fail([f"--vary: {exc}"])
    check_seed(seed)
    scenarios = [_load(file, [*overrides, *overrides_of(p)], p, seed) for p in points]
    _check_metrics(scenarios[0], parsed_slas, objective)
    count = replications if replications is not None else scenarios[0].replications

    runs_done = 0

    def run(point: int, replication: int) -> Mapping[str, Any]:
        nonlocal runs_done
        from emrsim.sweep.replications import run_one

        result = run_one(scenarios[point], replication)
        runs_done += 1
        if not quiet and not as_json and sys.stderr.isatty():
            click.echo(f"\rplan: {runs_done} runs", err=True, nl=False)
        return result.summary

    try:
        outcome = search(len(points), run, parsed_slas, objective, count, exhaustive=exhaustive)
    except KeyboardInterrupt:
        click.echo("interrupted: no plan", err=True)
        sys.exit(130)
    if not quiet and not as_json and sys.stderr.isatty():
        click.echo("", err=True)
    document = plan_document(scenarios, points, parsed_slas, objective, outcome)
    if as_json:
        from emrsim.report.files import dumps

        sys.stdout.write(dumps(document))
    else:
        click.echo(render_text(document))
    if document["chosen"] is None:
        sys.exit(EXIT_NO_POINT)


def _parse(slas: Sequence[str], varies: Sequence[str]) -> tuple[list[SLA], list[Vary]]:
    problems: list[str] = []
    parsed_slas: list[SLA] = []
    parsed_varies: list[Vary] = []
    for text in slas:
        try:
            parsed_slas.append(SLA.parse(text))
        except ValueError as exc:
            problems.append(f"--sla {exc}")
    for text in varies:
        try:
            parsed_varies.append(Vary.parse(text))
        except ValueError as exc:
            problems.append(f"--vary {exc}")
    if problems:
        fail(problems)
    return parsed_slas, parsed_varies


def _load(
    file: str, overrides: Sequence[str], point: Mapping[str, str], seed: int | None
) -> Scenario:
    try:
        scenario = load_scenario(file, overrides)
    except ScenarioError as exc:
        label = ", ".join(f"{k}={v}" for k, v in point.items())
        fail([f"grid point {label}:", *exc.lines()])
    if seed is not None:
        scenario = scenario.model_copy(update={"seed": seed})
    return scenario


def _check_metrics(scenario: Scenario, slas: Sequence[SLA], objective: str) -> None:
    from emrsim.sweep.target import check_metric

    problems = []
    for metric in iter_sla_metrics(slas, objective):
        try:
            check_metric(scenario, metric)
        except ValueError as exc:
            where = "--minimize" if metric == objective else "--sla"
            problems.append(f"{where}: {exc}")
    if problems:
        fail(problems)


def plan_document(
    scenarios: Sequence[Scenario],
    points: Sequence[Mapping[str, str]],
    slas: Sequence[SLA],
    objective: str,
    outcome: SearchResult,
) -> dict[str, Any]:
    """The JSON document of a plan: every point, the search's counts, the chosen point (or
    null and the closest point) with its snippet and create-cluster JSON."""
    from emrsim import __version__

    rows = [
        point_json(state, yaml_values(points[state.index]), slas, objective)
        for state in outcome.states
    ]
    keys = list(points[0])

    def pick(index: int | None) -> dict[str, Any] | None:
        if index is None:
            return None
        config = scenarios[index].model_dump(mode="json")
        option, instances = create_cluster_instances(config["cluster"])
        return {
            **rows[index],
            "snippet": scenario_snippet(config, keys),
            "create_cluster": {"option": option, "json": instances},
            "config": config,
        }

    first = scenarios[0]
    return {
        "scenario": first.name,
        "emrsim_version": __version__,
        "seed": first.seed,
        "objective": {"metric": objective, "statistic": "mean", "goal": "minimize"},
        "sla": [s.text for s in slas],
        "search": {
            "method": "exhaustive" if outcome.exhaustive else "racing",
            "replications": outcome.replications,
            "initial_replications": outcome.initial_replications,
            "points": len(outcome.states),
            "points_evaluated": sum(not s.pruned for s in outcome.states),
            "points_pruned": sum(s.pruned for s in outcome.states),
            "runs": outcome.runs,
            "runs_exhaustive": len(outcome.states) * outcome.replications,
        },
        "points": rows,
        "chosen": pick(outcome.chosen),
        "closest": pick(outcome.closest),
    }


def _fmt(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:.6g}"


def _interval(ci: Sequence[float | None] | None) -> str:
    if ci is None:
        return ""
    lo, hi = ci
    return f" (95% interval {_fmt(lo) if lo is not None else '-inf'} .. " + (
        f"{_fmt(hi) if hi is not None else 'inf'})"
    )


def render_text(document: Mapping[str, Any]) -> str:
    """The human report of a plan document."""
    s = document["search"]
    lines = [
        f"plan {document['scenario']}: minimize mean {document['objective']['metric']}"
        + (f" subject to {'; '.join(document['sla'])}" if document["sla"] else ""),
        f"search: {s['method']}, {s['points']} points, {s['points_evaluated']} fully evaluated, "
        f"{s['points_pruned']} pruned; {s['runs']} runs of {s['runs_exhaustive']} for an "
        f"exhaustive search ({s['replications']} replications per point, seed "
        f"{document['seed']})",
        "",
    ]
    chosen = document["chosen"]
    point = chosen if chosen is not None else document["closest"]
    if chosen is None:
        lines.append("NO point meets every SLA. The closest point:")
    else:
        lines.append("chosen point:")
    overrides = ", ".join(f"{k}={json.dumps(v)}" for k, v in point["overrides"].items())
    lines.append(f"  {overrides}")
    obj = point["objective"]
    lines.append(f"  mean {obj['metric']} = {_fmt(obj['mean'])}{_interval(obj['ci95'])}")
    for row in point["sla"]:
        verdict = "ok" if row["pass"] else "FAILS"
        lines.append(
            f"  {row['sla']}: {row['statistic']} = {_fmt(row['value'])}"
            f"{_interval(row['ci95'])}  {verdict}"
        )
    lines += ["", "scenario snippet:", snippet_yaml(point["snippet"]).rstrip(), ""]
    cc = point["create_cluster"]
    lines.append(f"aws emr create-cluster {cc['option']}:")
    lines.append(json.dumps(cc["json"], indent=2))
    return "\n".join(lines)
