"""YARN: queues (Capacity and Fair scheduler keys), preemption, scheduler settings."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator

from emrsim.scenario.models.common import NAME as _NAME
from emrsim.scenario.values import (
    Frozen,
    PositiveSeconds,
    Seconds,
)


# ------------------------------------------------------------------------------------ yarn
class Resources(Frozen):
    """An amount of YARN resources (fair scheduler minResources / maxResources).

    A resource left out is unconstrained: 0 in min_resources, unlimited in max_resources (as
    Hadoop parses a maxResources value without it).
    """

    memory_mb: int = Field(ge=0)
    vcores: int | None = Field(default=None, ge=0)


class Queue(Frozen):
    """A scheduler queue: capacity scheduler keys or fair scheduler keys, and child queues.

    Hierarchy: nested ``queues:``, or dotted names (``etl.nightly``) whose parent (``etl``) is
    listed too. Capacities are percentages of the parent; siblings' capacities sum to 100.
    """

    name: Annotated[str, Field(pattern=_NAME)]
    queues: list[Queue] | None = None
    # Capacity scheduler keys.
    capacity: float | None = Field(default=None, ge=0, le=100)
    max_capacity: float | None = Field(default=None, ge=0, le=100)
    user_limit_factor: float = Field(default=1.0, gt=0)
    minimum_user_limit_percent: float = Field(default=100, gt=0, le=100)
    maximum_am_resource_percent: float | None = Field(default=None, gt=0, le=100)
    ordering_policy: Literal["fifo", "fair"] = "fifo"
    # Fair scheduler keys.
    weight: float | None = Field(default=None, gt=0)
    min_resources: Resources | None = None
    max_resources: Resources | None = None
    max_running_apps: int | None = Field(default=None, ge=0)
    max_am_share: float | None = Field(default=None, ge=-1, le=1)
    min_share_preemption_timeout: Seconds | None = None
    fair_share_preemption_timeout: Seconds | None = None
    fair_share_preemption_threshold: float | None = Field(default=None, ge=0, le=1)
    scheduling_policy: Literal["fair", "drf", "fifo"] | None = None

    @model_validator(mode="after")
    def _max_above_capacity(self) -> Queue:
        if (
            self.capacity is not None
            and self.max_capacity is not None
            and self.max_capacity < self.capacity
        ):
            raise ValueError(
                f"max_capacity ({self.max_capacity:g}) must be >= capacity ({self.capacity:g})"
            )
        return self


class Preemption(Frozen):
    """Preemption settings, with Hadoop's defaults.

    Capacity scheduler (ProportionalCapacityPreemptionPolicy): a round every
    ``monitoring_interval`` (3 s), ``max_wait_before_kill``, ``total_preemption_per_round``,
    ``max_ignored_over_capacity``, ``natural_termination_factor``. Fair scheduler: starvation is
    checked every ``monitoring_interval`` (default the update interval, 0.5 s) against each
    queue's min-share and fair-share timeouts (per queue, or the ``default_*`` here; by default
    never, as Hadoop's Long.MAX_VALUE), only while the cluster is at least
    ``cluster_utilization_threshold`` allocated; containers are killed ``max_wait_before_kill``
    after they are chosen.
    """

    enabled: bool = True
    monitoring_interval: PositiveSeconds | None = None
    max_wait_before_kill: Seconds = 15.0
    total_preemption_per_round: float = Field(default=0.1, gt=0, le=1)
    max_ignored_over_capacity: float = Field(default=0.1, ge=0)
    natural_termination_factor: float = Field(default=0.2, gt=0, le=1)
    cluster_utilization_threshold: float = Field(default=0.8, ge=0, le=1)
    default_min_share_preemption_timeout: Seconds | None = None
    default_fair_share_preemption_timeout: Seconds | None = None
    default_fair_share_preemption_threshold: float = Field(default=0.5, ge=0, le=1)

    def interval_s(self, scheduler: str) -> float:
        """The monitoring interval in force for ``scheduler``."""
        if self.monitoring_interval is not None:
            return self.monitoring_interval
        return 0.5 if scheduler == "fair" else 3.0


def _preemption(value: Any) -> Any:
    if isinstance(value, bool):
        return {"enabled": value}
    return value


class Yarn(Frozen):
    """The YARN ResourceManager: scheduler, queues, allocation limits, AM policy."""

    scheduler: Literal["capacity", "fair", "fifo"] = "capacity"
    resource_calculator: Literal["memory", "drf"] = "memory"
    queues: list[Queue] | None = None
    preemption: Annotated[Preemption, BeforeValidator(_preemption)] = Field(
        default_factory=lambda: Preemption(enabled=False)
    )
    am_placement: Literal["auto", "core", "any", "on_demand"] = "auto"
    graceful_decommission_timeout: Seconds = 3600.0
    max_am_attempts: int = Field(default=2, ge=1)
    minimum_allocation_mb: int = Field(default=32, ge=1)
    minimum_allocation_vcores: int = Field(default=1, ge=1)
    maximum_am_resource_percent: float = Field(default=10.0, gt=0, le=100)
    default_scheduling_policy: Literal["fair", "drf", "fifo"] = "fair"
    from_xml: str | None = None
    import_notes: list[str] = Field(
        default=[], description="What the XML import dropped, and why; filled by the loader."
    )

    @field_validator("queues")
    @classmethod
    def _unique_names(cls, queues: list[Queue] | None) -> list[Queue] | None:
        if queues is not None:
            if not queues:
                raise ValueError("give at least one queue, or leave queues out")
            names = [q.name for q in queues]
            dupes = sorted({n for n in names if names.count(n) > 1})
            if dupes:
                raise ValueError(f"duplicate queue names: {', '.join(dupes)}")
        return queues
