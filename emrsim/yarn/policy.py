"""Scheduler policy as plain code over snapshots: queue limits and the order queues are served.

CapacityScheduler semantics (Hadoop CapacityScheduler.md, emr-facts 5):
- a queue is guaranteed ``capacity`` % of the cluster and may grow elastically into idle
  resources up to ``max_capacity`` %;
- one user may hold at most ``capacity x user_limit_factor`` (never above ``max_capacity``); with
  minimum-user-limit-percent 100 (the default) that is Hadoop's whole user limit. As in
  LeafQueue.canAssignToUser, the check is on what the user holds before the new container, so a
  user may end one container over the limit (the queue's ceiling, in contrast, is never crossed);
- application masters of a queue may hold at most ``maximum_am_resource_percent`` of its
  guaranteed capacity, but one application is always allowed to start;
- the queue furthest below its guarantee (lowest used / guaranteed) is offered resources first.
FifoScheduler: one queue, ``default``, with the whole cluster and no user or AM limits.
Limits are checked on memory (the memory resource calculator, Hadoop's default).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from emrsim.scenario.models import Scenario

UNLIMITED = float("inf")


@dataclass(frozen=True, slots=True)
class QueueConfig:
    """Resolved limits of one leaf queue, as fractions of the cluster."""

    name: str
    capacity_frac: float
    max_frac: float
    user_limit_factor: float
    am_resource_frac: float | None  # None: no AM limit (FIFO scheduler)


def queue_configs(scenario: Scenario) -> list[QueueConfig]:
    """The leaf queues of the scenario's scheduler, with defaults filled in as Hadoop does."""
    yarn = scenario.yarn
    if yarn.scheduler == "fifo" or not yarn.queues:
        am = None if yarn.scheduler == "fifo" else yarn.maximum_am_resource_percent / 100
        limit = UNLIMITED if yarn.scheduler == "fifo" else 1.0
        return [QueueConfig("default", 1.0, 1.0, limit, am)]
    out = []
    for q in yarn.queues:
        capacity = 100.0 if q.capacity is None else q.capacity
        maximum = 100.0 if q.max_capacity is None else q.max_capacity
        am_pct = q.maximum_am_resource_percent or yarn.maximum_am_resource_percent
        out.append(
            QueueConfig(q.name, capacity / 100, maximum / 100, q.user_limit_factor, am_pct / 100)
        )
    return out


@dataclass(frozen=True, slots=True)
class QueueSnapshot:
    """What the policy needs to know of a queue at one instant."""

    used_mb: float
    guaranteed_mb: float


def service_order(queues: Sequence[QueueSnapshot]) -> list[int]:
    """Indices of queues in the order they are offered resources: most under-served first.

    Ties keep configuration order; a queue with no guarantee comes after every queue with one.
    """

    def key(i: int) -> tuple[float, int]:
        q = queues[i]
        ratio = q.used_mb / q.guaranteed_mb if q.guaranteed_mb > 0 else UNLIMITED
        return ratio, i

    return sorted(range(len(queues)), key=key)


def queue_limit_mb(config: QueueConfig, cluster_mb: float) -> float:
    """The most memory the queue may hold (its elastic ceiling)."""
    return config.max_frac * cluster_mb


def user_limit_mb(config: QueueConfig, cluster_mb: float) -> float:
    """The most memory one user may hold in the queue."""
    if config.user_limit_factor == UNLIMITED:
        return UNLIMITED
    return min(config.capacity_frac * config.user_limit_factor, config.max_frac) * cluster_mb


def am_limit_mb(config: QueueConfig, cluster_mb: float) -> float:
    """The most memory the queue's application masters may hold together."""
    if config.am_resource_frac is None:
        return UNLIMITED
    return config.am_resource_frac * config.capacity_frac * cluster_mb


def may_allocate(
    config: QueueConfig,
    cluster_mb: float,
    queue_used_mb: float,
    user_used_mb: float,
    request_mb: float,
) -> bool:
    """Whether a container of ``request_mb`` may go to this queue and user: the queue stays
    within its ceiling, and the user is not above its limit yet (Hadoop checks the user's usage
    before the request)."""
    return (
        queue_used_mb + request_mb <= queue_limit_mb(config, cluster_mb) + 1e-9
        and user_used_mb <= user_limit_mb(config, cluster_mb) + 1e-9
    )


def may_activate(
    config: QueueConfig, cluster_mb: float, am_used_mb: float, am_mb: float, active_apps: int
) -> bool:
    """Whether a new application's AM may start in the queue (the first one always may)."""
    return active_apps == 0 or am_used_mb + am_mb <= am_limit_mb(config, cluster_mb) + 1e-9
