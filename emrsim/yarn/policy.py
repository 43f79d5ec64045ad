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
from emrsim.yarn.queues import UNLIMITED, QueueConfig, build_queues

__all__ = [
    "UNLIMITED",
    "QueueConfig",
    "QueueSnapshot",
    "am_limit_mb",
    "may_activate",
    "may_allocate",
    "queue_configs",
    "queue_limit_mb",
    "service_order",
    "user_limit_mb",
]


def queue_configs(scenario: Scenario) -> list[QueueConfig]:
    """The leaf queues of the scenario's scheduler, with defaults filled in as Hadoop does."""
    return [c for c in build_queues(scenario) if c.leaf]


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


def user_limit_mb(
    config: QueueConfig,
    cluster_mb: float,
    queue_used_mb: float = 0.0,
    active_users: int = 1,
    request_mb: float = 0.0,
) -> float:
    """The most memory one user may hold in the queue (LeafQueue.computeUserLimit).

    The queue's current capacity is its guarantee, or what it uses plus the request when it is
    beyond it (up to its ceiling); each of ``active_users`` gets an equal part of that but at
    least ``minimum_user_limit_percent`` of it, and never more than capacity x
    user_limit_factor.
    """
    if config.user_limit_factor == UNLIMITED:
        return UNLIMITED
    guaranteed = config.capacity_frac * cluster_mb
    ceiling = config.max_frac * cluster_mb
    current = guaranteed
    if queue_used_mb >= guaranteed:
        current = min(queue_used_mb + request_mb, ceiling)
    users = max(active_users, 1)
    limit = max(current / users, current * config.min_user_limit_frac)
    return min(limit, config.capacity_frac * config.user_limit_factor * cluster_mb, ceiling)


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
    active_users: int = 1,
) -> bool:
    """Whether a container of ``request_mb`` may go to this queue and user: the queue stays
    within its ceiling, and the user is not above its limit yet (Hadoop checks the user's usage
    before the request)."""
    limit = user_limit_mb(config, cluster_mb, queue_used_mb, active_users, request_mb)
    return (
        queue_used_mb + request_mb <= queue_limit_mb(config, cluster_mb) + 1e-9
        and user_used_mb <= limit + 1e-9
    )


def may_activate(
    config: QueueConfig, cluster_mb: float, am_used_mb: float, am_mb: float, active_apps: int
) -> bool:
    """Whether a new application's AM may start in the queue (the first one always may)."""
    return active_apps == 0 or am_used_mb + am_mb <= am_limit_mb(config, cluster_mb) + 1e-9
