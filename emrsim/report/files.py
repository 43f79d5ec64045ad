"""Writing a run's files (``--out DIR``): summary.json, jobs.csv, nodes.csv, metrics.csv and
queues.csv (per leaf queue and simulated minute: allocation, pending containers, applications).

Every file is written to a temporary name and renamed into place, so an interrupted run never
leaves a half-written file behind.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from emrsim.recorder import METRIC_NAMES
from emrsim.result import RunResult

JOB_COLUMNS = (
    "job_id",
    "name",
    "queue",
    "submit_s",
    "start_s",
    "end_s",
    "state",
    "containers",
    "source",
    "reason",
)
"""jobs.csv: the contract's columns, then where the job came from (``steps.0``, ``streams.1``,
``traces.0``) and why it ended as it did (empty when it completed)."""
NODE_COLUMNS = (
    "instance_id",
    "instance_type",
    "role",
    "market",
    "group",
    "start_s",
    "end_s",
    "end_reason",
    "cost_usd",
)
QUEUE_COLUMNS = (
    "time_s",
    "queue",
    "allocated_mb",
    "allocated_vcores",
    "running_containers",
    "pending_containers",
    "running_apps",
    "pending_apps",
)
METRIC_COLUMNS = ("time_s", *METRIC_NAMES)
"""metrics.csv: the time, then every metric the sampler publishes."""


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file and an atomic rename."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def dumps(document: Any) -> str:
    """The JSON text emrsim writes: indented, keys in a fixed order, floats as Python prints."""
    return json.dumps(document, indent=2, allow_nan=False) + "\n"


def _csv(path: Path, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if v is None else v for v in row])
    os.replace(tmp, path)


def write_run_files(result: RunResult, directory: Path) -> None:
    """jobs.csv, nodes.csv, metrics.csv and queues.csv of one run (events.jsonl is streamed)."""
    directory.mkdir(parents=True, exist_ok=True)
    _csv(
        directory / "jobs.csv",
        JOB_COLUMNS,
        (tuple(getattr(j, c) for c in JOB_COLUMNS) for j in result.jobs),
    )
    _csv(
        directory / "nodes.csv",
        NODE_COLUMNS,
        (
            (
                n.instance_id,
                n.instance_type,
                n.role,
                n.market,
                n.group,
                n.start_s,
                n.end_s,
                n.end_reason,
                n.cost_usd,
            )
            for n in result.nodes
        ),
    )
    _csv(
        directory / "metrics.csv",
        METRIC_COLUMNS,
        ([row.get(c, "") for c in METRIC_COLUMNS] for row in result.metrics),
    )
    _csv(
        directory / "queues.csv",
        QUEUE_COLUMNS,
        ([row[c] for c in QUEUE_COLUMNS] for row in result.queue_metrics),
    )
