"""The outcome of one simulated run: plain records, no pandas (see :mod:`emrsim.report`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class JobRecord:
    """One row of jobs.csv (not frozen: a run builds one per job, and a frozen dataclass's
    constructor costs five times as much)."""

    job_id: int
    name: str
    queue: str
    source: str
    submit_s: float
    start_s: float | None
    end_s: float | None
    state: str
    containers: int
    reason: str = ""


@dataclass(frozen=True, slots=True)
class NodeRecord:
    """One row of nodes.csv."""

    instance_id: str
    instance_type: str
    role: str
    market: str
    group: str
    start_s: float | None
    end_s: float | None
    end_reason: str
    cost_usd: float
    ec2_usd: float
    emr_usd: float
    ebs_usd: float


@dataclass(frozen=True, slots=True)
class StepRecord:
    """One EMR step's outcome."""

    name: str
    state: str
    start_s: float | None
    end_s: float | None


@dataclass(slots=True)
class RunResult:
    """Everything one run produced: the summary numbers and the per-job and per-node rows."""

    summary: dict[str, Any]
    jobs: list[JobRecord] = field(default_factory=list)
    nodes: list[NodeRecord] = field(default_factory=list)
    steps: list[StepRecord] = field(default_factory=list)
    metrics: list[dict[str, float]] = field(default_factory=list)
    queue_metrics: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
