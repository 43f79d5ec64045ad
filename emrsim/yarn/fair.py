"""Fair scheduler policy as plain functions: fair shares and the order queues are served.

Following Hadoop's FairScheduler (FairScheduler.md, ComputeFairShares, FairSharePolicy,
DominantResourceFairnessPolicy):
- fair shares are computed by water-filling: each active queue gets ``min(max(R x weight,
  min_share), max_share)`` for the largest R that fits in the parent's share;
- queues below their min share ("needy") are served first, the furthest below first; the others
  by usage / weight, lowest first. Usage is memory for the ``fair`` policy and the dominant
  share (the larger of memory and vcores as fractions of the cluster) for ``drf``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

UNLIMITED = float("inf")


def water_fill(
    weights: Sequence[float], mins: Sequence[float], maxes: Sequence[float], total: float
) -> list[float]:
    """Shares of ``total`` by weight, each at least its min and at most its max.

    When the mins alone exceed ``total`` they are scaled down to fit it (emrsim's choice: Hadoop's
    ComputeFairShares keeps every min, so its shares may add up to more than the total).
    """
    n = len(weights)
    if n == 0:
        return []
    caps = [min(mx, total) for mx in maxes]
    floors = [min(mn, cap) for mn, cap in zip(mins, caps, strict=True)]
    if sum(floors) >= total:
        scale = total / sum(floors) if sum(floors) > 0 else 0.0
        return [f * scale for f in floors]
    if sum(caps) <= total:
        return caps

    def shares(r: float) -> list[float]:
        return [min(max(r * w, f), c) for w, f, c in zip(weights, floors, caps, strict=True)]

    # The total is piecewise linear and non-decreasing in R, with breakpoints where a queue
    # leaves its floor or reaches its cap: find the segment where it crosses ``total``.
    points = sorted(
        {v / w for w, f, c in zip(weights, floors, caps, strict=True) if w > 0 for v in (f, c)}
    )
    lo = 0.0
    for hi in points:
        if sum(shares(hi)) >= total:
            low_sum, high_sum = sum(shares(lo)), sum(shares(hi))
            if high_sum == low_sum:
                return shares(hi)
            r = lo + (hi - lo) * (total - low_sum) / (high_sum - low_sum)
            return shares(r)
        lo = hi
    return shares(lo)


@dataclass(frozen=True, slots=True)
class FairSnapshot:
    """What the comparator needs of one queue (or application), in one unit."""

    usage: float
    min_share: float
    demand: float
    weight: float


def fair_key(snap: FairSnapshot, index: int) -> tuple[int, float, int]:
    """Sort key of FairSharePolicy: needy queues first (by usage / min share), then by
    usage / weight; ties by configuration order."""
    floor = min(snap.min_share, snap.demand)
    if snap.usage < floor:
        return 0, snap.usage / floor, index
    return 1, snap.usage / snap.weight if snap.weight > 0 else UNLIMITED, index


def fair_order(snaps: Sequence[FairSnapshot]) -> list[int]:
    """Indices in the order the fair policy serves them."""
    return sorted(range(len(snaps)), key=lambda i: fair_key(snaps[i], i))


def dominant_share(
    memory_mb: float, vcores: float, cluster_mb: float, cluster_vcores: float
) -> float:
    """The larger of the two resources as a fraction of the cluster (DRF's dominant share)."""
    mem = memory_mb / cluster_mb if cluster_mb > 0 else 0.0
    cpu = vcores / cluster_vcores if cluster_vcores > 0 else 0.0
    return max(mem, cpu)


def starved_mb(
    usage_mb: float,
    min_share_mb: float,
    fair_share_mb: float,
    below_min_for_s: float | None,
    below_fair_for_s: float | None,
    min_share_timeout_s: float,
    fair_share_timeout_s: float,
) -> float:
    """Memory a starved queue should get back (FairScheduler's resourceDeficit).

    Below its min share for ``min_share_timeout_s``: up to the min share; below the fair-share
    threshold for ``fair_share_timeout_s``: up to the fair share; the larger of the two. Shares
    are already capped by the queue's demand.
    """
    need = 0.0
    if below_min_for_s is not None and below_min_for_s >= min_share_timeout_s:
        need = max(need, min_share_mb - usage_mb)
    if below_fair_for_s is not None and below_fair_for_s >= fair_share_timeout_s:
        need = max(need, fair_share_mb - usage_mb)
    return max(need, 0.0)
