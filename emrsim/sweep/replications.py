"""Replications of one scenario, each with its own child SeedSequence, and their document."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from emrsim.engine import Simulation
from emrsim.report.aggregate import aggregate
from emrsim.report.files import dumps, write_atomic, write_run_files
from emrsim.result import RunResult
from emrsim.scenario.models import Scenario


def run_dir(out: Path, replication: int, replications: int) -> Path:
    """Where run ``replication``'s files go: DIR itself, or DIR/run-i with several runs."""
    return out if replications == 1 else out / f"run-{replication}"


def simulate(
    scenario: Scenario,
    replications: int | None = None,
    out: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[dict[str, Any], list[RunResult]]:
    """Run every replication; return the contract's JSON document and the run results."""
    from emrsim import __version__

    count = replications if replications is not None else scenario.replications
    results: list[RunResult] = []
    run_plots: list[list[Path]] = []
    for i in range(count):
        events: Path | None = None
        if out is not None:
            directory = run_dir(out, i, count)
            directory.mkdir(parents=True, exist_ok=True)
            events = directory / ".events.jsonl.tmp"
        result = Simulation(scenario, i, events).run()
        if out is not None and events is not None:
            write_run_files(result, events.parent)
            os.replace(events, events.parent / "events.jsonl")
            from emrsim.report.plots import write_run_plots

            run_plots.append(write_run_plots(result, events.parent))
        results.append(result)
        if progress is not None:
            progress(i + 1, count)
    runs = [r.summary for r in results]
    document = {
        "scenario": scenario.name,
        "emrsim_version": __version__,
        "seed": scenario.seed,
        "replications": count,
        "runs": runs,
        "aggregate": aggregate(runs),
        "warnings": sorted({w for r in results for w in r.warnings}),
        "config": scenario.model_dump(mode="json"),
    }
    if out is not None:
        write_atomic(out / "summary.json", dumps(document))
        from emrsim.report.html import write_report
        from emrsim.report.plots import write_replication_plots

        aggregate_plots = write_replication_plots(runs, out) if count > 1 else []
        write_report(document, results, out, run_plots, aggregate_plots)
    return document, results
