"""Capacity scheduler preemption (ProportionalCapacityPreemptionPolicy) as plain functions.

Every ``monitoring_interval`` the policy computes each leaf queue's ideal assignment: its demand
(used + pending) up to its guarantee first, then what is left shared among queues that still
want more, in proportion to their guarantees and never above their ceilings. A queue holding
more than its ideal (beyond a dead zone of ``max_ignored_over_capacity``) gives back part of the
excess: ``natural_termination_factor`` of it per round, and no more than
``total_preemption_per_round`` of the cluster in all. Containers marked in one round are killed
``max_wait_before_kill`` later if their queue is still over its ideal. Defaults are Hadoop's
(CapacityScheduler.md; emr-facts 5).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class QueueDemand:
    """A leaf queue as the preemption policy sees it (memory, MB)."""

    guaranteed_mb: float
    maximum_mb: float
    used_mb: float
    pending_mb: float


def ideal_assignment(queues: Sequence[QueueDemand], total_mb: float) -> list[float]:
    """How much each queue should hold given everyone's demand."""
    demand = [q.used_mb + q.pending_mb for q in queues]
    ideal = [min(d, q.guaranteed_mb, q.maximum_mb) for d, q in zip(demand, queues, strict=True)]
    left = total_mb - sum(ideal)
    wanting = [i for i, q in enumerate(queues) if demand[i] > ideal[i] and q.maximum_mb > ideal[i]]
    while left > 1e-9 and wanting:
        weights = [max(queues[i].guaranteed_mb, 1e-9) for i in wanting]
        total_weight = sum(weights)
        given = 0.0
        still = []
        for i, w in zip(wanting, weights, strict=True):
            room = min(demand[i], queues[i].maximum_mb) - ideal[i]
            grant = min(room, left * w / total_weight)
            ideal[i] += grant
            given += grant
            if room - grant > 1e-9:
                still.append(i)
        left -= given
        if given <= 1e-9:
            break
        wanting = still
    return ideal


def to_preempt(
    queues: Sequence[QueueDemand],
    total_mb: float,
    *,
    max_ignored_over_capacity: float = 0.1,
    natural_termination_factor: float = 0.2,
    total_preemption_per_round: float = 0.1,
) -> list[float]:
    """Memory (MB) each queue should give back this round (zero for most)."""
    ideal = ideal_assignment(queues, total_mb)
    starving = any(
        q.pending_mb > 0 and q.used_mb < ideal_i for q, ideal_i in zip(queues, ideal, strict=True)
    )
    if not starving:
        return [0.0] * len(queues)
    out = []
    for q, ideal_i in zip(queues, ideal, strict=True):
        excess = q.used_mb - ideal_i
        if q.used_mb > ideal_i * (1 + max_ignored_over_capacity) and excess > 0:
            out.append(excess * natural_termination_factor)
        else:
            out.append(0.0)
    budget = total_preemption_per_round * total_mb
    asked = sum(out)
    if asked > budget > 0:
        out = [x * budget / asked for x in out]
    return out
