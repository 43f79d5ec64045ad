"""What ``emrsim run`` and ``emrsim compare`` print for people: rich tables, and a progress bar
on stderr while replications run."""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import IO, Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from emrsim.report.html import SUMMARY_ROWS
from emrsim.report.html import fmt as _fmt
from emrsim.sweep.replications import Monitor
from emrsim.sweep.target import TargetStatus, describe


def print_summary(document: dict[str, Any], console: Console | None = None) -> None:
    """Print the scenario's headline numbers; with replications, mean and 95% interval."""
    console = console or Console()
    runs = document["runs"]
    agg = document["aggregate"]
    title = (
        f"{document['scenario']}  (seed {document['seed']}, "
        f"{document['replications']} replication(s), emrsim {document['emrsim_version']})"
    )
    table = Table(title=title, show_header=True)
    table.add_column("metric")
    table.add_column("value" if len(runs) == 1 else "mean", justify="right")
    if len(runs) > 1:
        table.add_column("95% interval", justify="right")
        table.add_column("p95", justify="right")
    for path, label, unit in SUMMARY_ROWS:
        stats = agg.get(path)
        if stats is None:
            continue
        if len(runs) == 1:
            table.add_row(label, _fmt(stats["mean"], unit))
        else:
            ci = stats["ci95"]
            interval = f"[{_fmt(ci[0], unit)}, {_fmt(ci[1], unit)}]" if ci else "-"
            table.add_row(label, _fmt(stats["mean"], unit), interval, _fmt(stats["p95"], unit))
    console.print(table)
    if "target_ci" in document:
        console.print(describe(document["target_ci"]), highlight=False, soft_wrap=True)
    if len(runs) == 1:
        run = runs[0]
        console.print(f"cluster {run['cluster_state']} ({run['state_change_reason']})")
        for step in run["steps"]:
            console.print(
                f"  step {step['name']}: {step['state']} "
                f"{_fmt(step['start_s'], ' s')} -> {_fmt(step['end_s'], ' s')}"
            )


_UNITS = {path: (label, unit) for path, label, unit in SUMMARY_ROWS}


def print_comparison(document: dict[str, Any], console: Console | None = None) -> None:
    """The comparison table: the means of A and B, and B - A with its 95% interval (the
    one-line verdicts follow it, from the command)."""
    console = console or Console()
    paired = document["pairing"] == "common_random_numbers"
    how = (
        f"same seeds (common random numbers), seed {document['seed']}"
        if paired
        else f"independent seeds: A {document['seed_a']}, B {document['seed_b']}"
    )
    table = Table(
        title=f"B = {document['b']}  vs  A = {document['a']}",
        caption=f"{document['replications']} replications each; {how}",
        show_header=True,
    )
    for name in ("metric", "A", "B", "B - A", "95% interval"):
        table.add_column(name, justify="left" if name == "metric" else "right")
    for metric, d in document["differences"].items():
        label, unit = _UNITS.get(metric, (metric, ""))
        ci = d["ci95"]
        table.add_row(
            f"{label} ({unit.strip()})" if unit else label,
            _bare(d["mean_a"], unit),
            _bare(d["mean_b"], unit),
            _bare(d["mean_difference"], unit),
            f"[{_bare(ci[0], unit)}, {_bare(ci[1], unit)}]" if ci else "-",
        )
    console.print(table)


def _bare(value: Any, unit: str) -> str:
    """A number formatted for ``unit`` (USD to 4 decimals), without the unit."""
    text = _fmt(value, unit)
    return text.removesuffix(unit) if unit else text


def progress_wanted(quiet: bool, as_json: bool, stream: IO[str] | None = None) -> bool:
    """A progress bar only for people: not with ``--quiet`` or ``--json``, and only when
    stderr is a terminal."""
    stream = stream if stream is not None else sys.stderr
    if quiet or as_json:
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty is not None and isatty())


def _clock(seconds: float) -> str:
    """Simulated time as ``1d 02:03:04`` or ``02:03:04``."""
    whole = int(seconds)
    days, rest = divmod(whole, 86400)
    text = f"{rest // 3600:02d}:{rest % 3600 // 60:02d}:{rest % 60:02d}"
    return f"{days}d {text}" if days else text


def _target_now(status: TargetStatus) -> str:
    """The target's half-width so far against what was asked, e.g. ``makespan_s ±7.1% (≤5%)``."""
    target = status.target
    asked = f"{target.half_width * 100:g}%" if target.relative else f"{target.half_width:g}"
    if status.half_width is None:
        now = "?"
    elif target.relative and status.relative_half_width is not None:
        now = f"{status.relative_half_width * 100:.3g}%"
    else:
        now = f"{status.half_width:.4g}"
    return f"{target.metric} ±{now} (≤{asked})"


class ProgressDisplay(Monitor):
    """A rich progress bar on stderr: replications done (and the target interval so far), and
    the current run's simulated time and jobs done. Use it as a context manager."""

    clock_period_s: float | None = 60.0

    def __init__(self, console: Console | None = None, min_interval_s: float = 0.1) -> None:
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[detail]}"),
            TimeElapsedColumn(),
            console=console or Console(stderr=True),
            transient=True,
        )
        self.min_interval_s = min_interval_s
        self._task: TaskID | None = None
        self._index = 0
        self._done = 0
        self._status = ""
        self._last = 0.0

    def __enter__(self) -> ProgressDisplay:
        self.progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.progress.stop()

    def begin(self, name: str, planned: int, cap: int) -> None:
        """A row for scenario ``name``; with a target, the bar runs to the cap."""
        self._status = "" if cap == planned else f"until the target, at most {cap}"
        self._task = self.progress.add_task(name, total=cap, detail=self._status)
        self._done = 0

    def run_started(self, index: int) -> None:
        """Say which replication is running."""
        self._index = index
        self._detail(f"run {index}")

    def clock(self, time_s: float, jobs_done: int, jobs_submitted: int) -> None:
        """Show the simulated time, at most every ``min_interval_s`` of wall time."""
        now = time.monotonic()
        if now - self._last < self.min_interval_s:
            return
        self._last = now
        jobs = f"{jobs_done}/{jobs_submitted} jobs"
        self._detail(f"run {self._index} at {_clock(time_s)}, {jobs}", refresh=True)

    def run_finished(self, index: int, status: TargetStatus | None) -> None:
        """Advance the bar; with a target, show its half-width so far."""
        self._done += 1
        if status is not None:
            self._status = _target_now(status)
        if self._task is not None:
            self.progress.update(self._task, completed=self._done, detail=self._status)

    def end(self) -> None:
        """Fill the bar: a target may stop it before the cap."""
        if self._task is not None:
            self.progress.update(self._task, total=self._done, completed=self._done)
            self._task = None

    def _detail(self, text: str, refresh: bool = False) -> None:
        """The text after the bar (rich redraws it 10 times a second, or now with refresh)."""
        if self._task is not None:
            detail = f"{self._status} | {text}" if self._status else text
            self.progress.update(self._task, detail=detail, refresh=refresh)
