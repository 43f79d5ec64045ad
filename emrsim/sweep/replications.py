"""Replications of one scenario, each with its own child SeedSequence, and their document.

Replication ``i`` always uses the ``i``-th child seed of the scenario's seed, so the first R
runs of any call are the runs of a plain ``-r R`` call, with or without a target interval
(:mod:`emrsim.sweep.target`) that adds replications one at a time.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from emrsim.engine import Simulation
from emrsim.events import SAMPLE
from emrsim.report.aggregate import aggregate
from emrsim.report.files import dumps, write_atomic, write_run_files
from emrsim.result import RunResult
from emrsim.scenario.models import Scenario
from emrsim.sweep.target import DEFAULT_MAX_REPLICATIONS, TargetCI, TargetStatus, check_metric


class Monitor:
    """What a progress display hears while replications run. Every method does nothing here;
    :class:`emrsim.report.terminal.ProgressDisplay` draws a progress bar from them.

    With ``clock_period_s`` set, :meth:`clock` is called every that many simulated seconds of
    each run, from a background timer on the run's clock: it reads the simulation and changes
    nothing, so the results are the same with or without it.
    """

    clock_period_s: float | None = None

    def begin(self, name: str, planned: int, cap: int) -> None:
        """Replications of scenario ``name`` start: ``planned`` runs, at most ``cap``."""

    def run_started(self, index: int) -> None:
        """Replication ``index`` starts."""

    def clock(self, time_s: float, jobs_done: int, jobs_submitted: int) -> None:
        """The current run reached ``time_s`` simulated seconds."""

    def run_finished(self, index: int, status: TargetStatus | None) -> None:
        """Replication ``index`` ended; ``status`` is the target's interval so far, if any."""

    def end(self) -> None:
        """The replications of this scenario are done."""


def run_dir(out: Path, replication: int, replications: int) -> Path:
    """Where run ``replication``'s files go: DIR itself, or DIR/run-i with several runs."""
    return out if replications == 1 else out / f"run-{replication}"


def run_one(
    scenario: Scenario,
    replication: int,
    events_path: Path | None = None,
    monitor: Monitor | None = None,
) -> RunResult:
    """One replication, with ``monitor``'s clock ticks if it asks for them."""
    sim = Simulation(scenario, replication, events_path)
    period = monitor.clock_period_s if monitor is not None else None
    if monitor is not None and period is not None:
        _tick(sim, monitor, period)
    return sim.run()


def _tick(sim: Simulation, monitor: Monitor, period: float) -> None:
    """Tell ``monitor`` the time every ``period`` simulated seconds, as a background timer:
    it never keeps a finished run alive and stops once nothing else is scheduled."""

    def tick() -> None:
        monitor.clock(sim.env.now, len(sim.apps) - len(sim.rm.apps), len(sim.apps))
        if sim.env.peek() != float("inf"):
            sim.background.call(period, tick, SAMPLE)

    sim.background.call(period, tick, SAMPLE)


def _run_and_write(
    scenario: Scenario,
    index: int,
    directory: Path | None,
    monitor: Monitor,
    run_plots: list[list[Path]],
) -> RunResult:
    """One replication; with a ``directory``, its files (the event trace streamed to a hidden
    temporary file, renamed when the run is done) and plots."""
    events = directory / ".events.jsonl.tmp" if directory is not None else None
    result = run_one(scenario, index, events, monitor)
    if directory is not None and events is not None:
        write_run_files(result, directory)
        os.replace(events, directory / "events.jsonl")
        from emrsim.report.plots import write_run_plots

        run_plots.append(write_run_plots(result, directory))
    return result


def simulate(
    scenario: Scenario,
    replications: int | None = None,
    out: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    *,
    target_ci: TargetCI | str | None = None,
    max_replications: int = DEFAULT_MAX_REPLICATIONS,
    monitor: Monitor | None = None,
    keep_partial: bool = False,
) -> tuple[dict[str, Any], list[RunResult]]:
    """Run every replication; return the contract's JSON document and the run results.

    ``replications`` defaults to the scenario's. With ``target_ci`` (a :class:`TargetCI` or its
    text, ``makespan_s=5%``), replications start from that number (at least 2) and are added
    one at a time until the metric's 95% half-width is at most the target, or
    ``max_replications`` have run; the document's ``target_ci`` block says which. A bad target
    raises ValueError. ``progress(done, total)`` is called after each replication.

    Ctrl-C (KeyboardInterrupt) propagates, unless ``keep_partial`` and at least one replication
    has finished: then the document covers the finished ones and says ``"interrupted": true``
    (the outputs under ``out`` too; the unfinished run's directory is removed).
    """
    from emrsim import __version__

    count = replications if replications is not None else scenario.replications
    target = TargetCI.parse(target_ci) if isinstance(target_ci, str) else target_ci
    cap = count
    if target is not None:
        check_metric(scenario, target.metric)
        count = max(count, 2)
        if max_replications < count:
            raise ValueError(
                f"max_replications ({max_replications}) is below the {count} replications "
                "to start from"
            )
        cap = max_replications
    monitor = monitor or Monitor()
    monitor.begin(scenario.name, count, cap)
    results: list[RunResult] = []
    run_plots: list[list[Path]] = []
    status: TargetStatus | None = None
    interrupted = False
    directory: Path | None = None
    try:
        while len(results) < count or (
            status is not None and not status.reached and len(results) < cap
        ):
            i = len(results)
            monitor.run_started(i)
            if out is not None:
                directory = run_dir(out, i, cap)
                directory.mkdir(parents=True, exist_ok=True)
            result = _run_and_write(scenario, i, directory, monitor, run_plots)
            directory = None
            results.append(result)
            if target is not None:
                status = target.status([r.summary for r in results], cap)
            monitor.run_finished(i, status)
            if progress is not None:
                progress(i + 1, count if target is None else cap)
    except KeyboardInterrupt:
        if directory is not None:
            shutil.rmtree(directory, ignore_errors=True)  # the unfinished run
        if not (keep_partial and results):
            raise
        interrupted = True
    finally:
        monitor.end()
    runs = [r.summary for r in results]
    document: dict[str, Any] = {
        "scenario": scenario.name,
        "emrsim_version": __version__,
        "seed": scenario.seed,
        "replications": len(results),
        **({"interrupted": True} if interrupted else {}),
        **({"target_ci": status.as_json()} if status is not None else {}),
        "runs": runs,
        "aggregate": aggregate(runs),
        "warnings": sorted({w for r in results for w in r.warnings}),
        "config": scenario.model_dump(mode="json"),
    }
    if out is not None:
        write_atomic(out / "summary.json", dumps(document))
        from emrsim.report.html import write_report
        from emrsim.report.plots import write_replication_plots

        aggregate_plots = write_replication_plots(runs, out) if len(results) > 1 else []
        write_report(document, results, out, run_plots, aggregate_plots)
    return document, results
