"""Library use, for notebooks: ``emrsim.run(scenario)`` and its tables as pandas DataFrames.

::

    import emrsim
    run = emrsim.run("scenarios/quickstart.yaml")
    run.summary["cost_usd"]["total"]
    run.jobs.head()          # the rows of jobs.csv
    run.events.query("event == 'container_started'")

The frames are built on first access (pandas is imported then, never while simulating). The
event trace is streamed to a temporary file while the run goes, as ``--out`` does, so memory
stays bounded however long the run; it is read into a frame only when ``.events`` is asked for,
and the file is deleted by :meth:`RunFrames.close`, at the end of a ``with`` block, or when the
object is garbage-collected.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import weakref
from os import PathLike
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from emrsim.report.files import JOB_COLUMNS, METRIC_COLUMNS, NODE_COLUMNS, QUEUE_COLUMNS
from emrsim.result import RunResult
from emrsim.scenario import Scenario, load_scenario

if TYPE_CHECKING:
    import pandas as pd

EVENT_COLUMNS = ("time_s", "event")
"""The first columns of the events frame; each event type adds its own fields after them."""


class RunFrames:
    """One simulated run: ``summary`` (the JSON run object), ``warnings``, the plain
    :class:`~emrsim.result.RunResult` as ``result``, and DataFrames ``jobs``, ``nodes``,
    ``metrics``, ``queues`` (the columns of the CSV files of ``--out``) and ``events``."""

    def __init__(
        self, scenario: Scenario, result: RunResult, events_path: Path | None = None
    ) -> None:
        self.scenario = scenario
        self.result = result
        self.events_path = events_path
        self._frames: dict[str, pd.DataFrame] = {}
        self._cleanup = (
            weakref.finalize(self, shutil.rmtree, events_path.parent, ignore_errors=True)
            if events_path is not None
            else None
        )

    @property
    def summary(self) -> dict[str, Any]:
        """The run's summary: the contract's JSON run object."""
        return self.result.summary

    @property
    def warnings(self) -> list[str]:
        """What the run warned about (stalls, settings dropped from imported XML...)."""
        return self.result.warnings

    @property
    def jobs(self) -> pd.DataFrame:
        """One row per job, the columns of jobs.csv."""
        return self._frame(
            "jobs", JOB_COLUMNS, ([getattr(j, c) for c in JOB_COLUMNS] for j in self.result.jobs)
        )

    @property
    def nodes(self) -> pd.DataFrame:
        """One row per instance, the columns of nodes.csv."""
        return self._frame(
            "nodes",
            NODE_COLUMNS,
            ([getattr(n, c) for c in NODE_COLUMNS] for n in self.result.nodes),
        )

    @property
    def metrics(self) -> pd.DataFrame:
        """One row per simulated minute, the columns of metrics.csv."""
        return self._frame(
            "metrics",
            METRIC_COLUMNS,
            ([row.get(c) for c in METRIC_COLUMNS] for row in self.result.metrics),
        )

    @property
    def queues(self) -> pd.DataFrame:
        """One row per leaf queue and simulated minute, the columns of queues.csv."""
        return self._frame(
            "queues",
            QUEUE_COLUMNS,
            ([row.get(c) for c in QUEUE_COLUMNS] for row in self.result.queue_metrics),
        )

    @property
    def events(self) -> pd.DataFrame:
        """The event trace (events.jsonl), one row per event: ``time_s``, ``event``, then the
        fields of every event type (missing where a type has no such field)."""
        if "events" in self._frames:
            return self._frames["events"]
        if self.events_path is None or not self.events_path.exists():
            raise ValueError(
                "no event trace: this run was made with events=False, or closed; "
                "use emrsim.run(..., events=True)"
            )
        import pandas as pd

        with self.events_path.open(encoding="utf-8") as fh:
            records = [json.loads(line) for line in fh if line.strip()]
        columns = list(EVENT_COLUMNS)
        seen = set(columns)
        for record in records:
            for key in record:
                if key not in seen:
                    seen.add(key)
                    columns.append(key)
        frame = pd.DataFrame.from_records(records, columns=columns)
        self._frames["events"] = frame
        return frame

    def _frame(self, name: str, columns: tuple[str, ...], rows: Any) -> pd.DataFrame:
        if name not in self._frames:
            import pandas as pd

            self._frames[name] = pd.DataFrame(list(rows), columns=list(columns))
        return self._frames[name]

    def close(self) -> None:
        """Delete the event trace's temporary file (frames already built stay)."""
        if self._cleanup is not None:
            self._cleanup()

    def __enter__(self) -> RunFrames:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        s = self.summary
        return (
            f"<RunFrames {self.scenario.name!r} seed {s['seed']} replication "
            f"{s['replication']}: {s['cluster_state']}, makespan {s['makespan_s']:.1f} s, "
            f"{s['cost_usd']['total']:.4f} USD, {len(self.result.jobs)} jobs>"
        )


def run(
    scenario: Scenario | str | PathLike[str],
    replication: int = 0,
    *,
    events: bool = True,
) -> RunFrames:
    """Simulate replication ``replication`` of ``scenario`` (a :class:`Scenario`, or the path
    of a YAML file) and return its :class:`RunFrames`.

    Replication ``i`` uses the ``i``-th child seed of the scenario's seed, as ``emrsim run -r``
    does. With ``events=False`` no trace is written (a little faster) and ``.events`` raises.
    A bad file raises :class:`~emrsim.ScenarioError`.
    """
    from emrsim.sweep.replications import run_one

    if not isinstance(scenario, Scenario):
        scenario = load_scenario(str(scenario))
    if replication < 0:
        raise ValueError(f"replication must be >= 0 (got {replication})")
    events_path: Path | None = None
    if events:
        events_path = Path(tempfile.mkdtemp(prefix="emrsim-")) / "events.jsonl"
    try:
        result = run_one(scenario, replication, events_path)
    except BaseException:
        if events_path is not None:
            shutil.rmtree(events_path.parent, ignore_errors=True)
        raise
    return RunFrames(scenario, result, events_path)
