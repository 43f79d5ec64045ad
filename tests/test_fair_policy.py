"""The Fair scheduler's pure policy functions (emrsim.yarn.fair) against their definitions.

water_fill is Hadoop's ComputeFairShares: a share is ``min(max(R x weight, min), max)`` for the
one ratio R that makes the shares add up to the total (FairScheduler.md; the javadoc of
ComputeFairShares.computeSharesInternal). fair_order is FairSharePolicy's comparator: queues
below ``min(min share, demand)`` first, furthest below (usage / min share) first, then by
usage / weight; ties in configuration order. dominant_share is DRF's (Ghodsi et al., NSDI 2011).
"""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emrsim.yarn.fair import (
    UNLIMITED,
    FairSnapshot,
    dominant_share,
    fair_key,
    fair_order,
    water_fill,
)

REL = 1e-6


def close(a: float, b: float, scale: float) -> bool:
    return abs(a - b) <= REL * max(scale, 1.0)


# ---------------------------------------------------------------------------- water_fill
def test_water_fill_by_weight_alone() -> None:
    assert water_fill([1, 2, 3], [0, 0, 0], [UNLIMITED] * 3, 60) == pytest.approx([10, 20, 30])


def test_water_fill_min_share_first() -> None:
    # x: weight 1, min 24; y: weight 3 -> R = 12: x max(12, 24) = 24, y 36.
    assert water_fill([1, 3], [24, 0], [UNLIMITED, UNLIMITED], 60) == pytest.approx([24, 36])


def test_water_fill_max_share_caps_and_the_rest_is_shared() -> None:
    # y capped at 10; x and z share the other 50 by weight 1 : 4.
    shares = water_fill([1, 3, 4], [0, 0, 0], [UNLIMITED, 10, UNLIMITED], 60)
    assert shares == pytest.approx([10, 10, 40])


def test_water_fill_caps_below_total_give_every_queue_its_max() -> None:
    assert water_fill([1, 1], [0, 0], [10, 20], 100) == pytest.approx([10, 20])


def test_water_fill_min_above_max_is_the_max() -> None:
    # Hadoop's computeShare applies the max after the min.
    assert water_fill([1, 1], [50, 0], [20, UNLIMITED], 100) == pytest.approx([20, 80])


def test_water_fill_mins_above_total_are_scaled_to_fit() -> None:
    """emrsim's documented choice; Hadoop's ComputeFairShares gives each its min (their sum may
    then exceed the total)."""
    shares = water_fill([1, 1, 1], [60, 30, 30], [UNLIMITED] * 3, 60)
    assert shares == pytest.approx([30, 15, 15])


def test_water_fill_empty_and_zero_total() -> None:
    assert water_fill([], [], [], 100) == []
    assert water_fill([1, 2], [5, 0], [UNLIMITED, UNLIMITED], 0) == [0, 0]


@st.composite
def fill_problems(draw: st.DrawFn) -> tuple[list[float], list[float], list[float], float]:
    n = draw(st.integers(1, 6))
    total = draw(st.floats(1.0, 1e6))
    weights = draw(st.lists(st.floats(0.05, 20.0), min_size=n, max_size=n))
    mins: list[float] = []
    maxes: list[float] = []
    for _ in range(n):
        mn = draw(st.one_of(st.just(0.0), st.floats(0.0, total / 2)))
        mx = draw(st.one_of(st.just(UNLIMITED), st.floats(0.0, 1.5 * total)))
        mins.append(mn)
        maxes.append(mx)
    return weights, mins, maxes, total


@given(fill_problems())
def test_water_fill_properties(
    problem: tuple[list[float], list[float], list[float], float],
) -> None:
    weights, mins, maxes, total = problem
    shares = water_fill(weights, mins, maxes, total)
    n = len(weights)
    assert len(shares) == n
    assert all(math.isfinite(s) and s >= 0 for s in shares)
    caps = [min(mx, total) for mx in maxes]
    floors = [min(mn, cap) for mn, cap in zip(mins, caps, strict=True)]
    # Never above a max share.
    assert all(s <= c + REL * max(total, 1) for s, c in zip(shares, caps, strict=True))
    if sum(floors) > total:
        # Mins scaled down to fit (emrsim's choice), proportionally.
        assert close(sum(shares), total, total)
        for s, f in zip(shares, floors, strict=True):
            assert close(s, f * total / sum(floors), total)
        return
    # Min shares honoured.
    assert all(s >= f - REL * max(total, 1) for s, f in zip(shares, floors, strict=True))
    if sum(caps) <= total:
        assert shares == pytest.approx(caps)
        return
    # The whole total is handed out.
    assert close(sum(shares), total, total)
    # One ratio R: free queues get R x weight; queues at their min have min >= R x weight;
    # queues at their max have max <= R x weight.
    eps = 1e-6 * max(total, 1)
    free = [i for i in range(n) if floors[i] + eps < shares[i] < caps[i] - eps]
    if free:
        r = shares[free[0]] / weights[free[0]]
        for i in free:
            assert close(shares[i] / weights[i], r, r * max(weights)), (i, shares, r)
        for i in range(n):
            if i in free:
                continue
            at_floor = abs(shares[i] - floors[i]) <= eps
            at_cap = abs(shares[i] - caps[i]) <= eps
            assert at_floor or at_cap
            if at_floor and not at_cap:
                assert r * weights[i] <= floors[i] + 10 * eps
            if at_cap and not at_floor:
                assert r * weights[i] >= caps[i] - 10 * eps


@given(fill_problems(), st.floats(1.0, 4.0))
def test_water_fill_is_monotone_in_the_total(
    problem: tuple[list[float], list[float], list[float], float], grow: float
) -> None:
    """More to share never takes anything away from a queue (while the mins fit)."""
    weights, mins, maxes, total = problem
    floors = [min(mn, mx, total) for mn, mx in zip(mins, maxes, strict=True)]
    if sum(floors) > total:
        return
    small = water_fill(weights, mins, maxes, total)
    large = water_fill(weights, mins, maxes, total * grow)
    for a, b in zip(small, large, strict=True):
        assert b >= a - 1e-6 * max(total * grow, 1)


@given(
    st.lists(st.floats(0.05, 20.0), min_size=1, max_size=6),
    st.floats(1.0, 1e6),
)
def test_water_fill_without_bounds_is_proportional(weights: list[float], total: float) -> None:
    shares = water_fill(weights, [0.0] * len(weights), [UNLIMITED] * len(weights), total)
    for s, w in zip(shares, weights, strict=True):
        assert close(s, total * w / sum(weights), total)


# ---------------------------------------------------------------------------- fair_order
def snap(usage: float, min_share: float = 0.0, demand: float = 1e9, weight: float = 1.0):
    return FairSnapshot(usage=usage, min_share=min_share, demand=demand, weight=weight)


def test_needy_queue_first_even_with_higher_usage() -> None:
    # Queue 1 holds more but is below its min share: it is served first.
    assert fair_order([snap(10), snap(20, min_share=50)]) == [1, 0]


def test_needy_furthest_below_min_first() -> None:
    # usage / min: 0.5 and 0.2.
    assert fair_order([snap(10, min_share=20), snap(10, min_share=50)]) == [1, 0]


def test_min_share_is_capped_by_demand() -> None:
    # Queue 1 has min 50 but wants only 20 and holds 20: not needy, ordered by usage / weight.
    assert fair_order([snap(10), snap(20, min_share=50, demand=20)]) == [0, 1]


def test_usage_over_weight_then_configuration_order() -> None:
    assert fair_order([snap(30, weight=3), snap(20, weight=1), snap(5)]) == [2, 0, 1]
    assert fair_order([snap(10), snap(10), snap(10)]) == [0, 1, 2]  # ties: config order
    assert fair_order([snap(20, weight=2), snap(10)]) == [0, 1]


def test_fair_order_empty() -> None:
    assert fair_order([]) == []


snapshots = st.builds(
    FairSnapshot,
    usage=st.floats(0, 1e5),
    min_share=st.one_of(st.just(0.0), st.floats(0, 1e5)),
    demand=st.floats(0, 2e5),
    weight=st.floats(0.01, 100),
)


@given(st.lists(snapshots, max_size=8))
def test_fair_order_properties(snaps: list[FairSnapshot]) -> None:
    order = fair_order(snaps)
    assert sorted(order) == list(range(len(snaps)))

    def needy(s: FairSnapshot) -> bool:
        return s.usage < min(s.min_share, s.demand)

    flags = [needy(snaps[i]) for i in order]
    assert flags == sorted(flags, reverse=True)  # every needy queue before every other
    for a, b in itertools.pairwise(order):
        sa, sb = snaps[a], snaps[b]
        if needy(sa) and needy(sb):
            ra = sa.usage / min(sa.min_share, sa.demand)
            rb = sb.usage / min(sb.min_share, sb.demand)
            assert ra < rb or (ra == rb and a < b)
        elif not needy(sa) and not needy(sb):
            ra, rb = sa.usage / sa.weight, sb.usage / sb.weight
            assert ra < rb or (ra == rb and a < b)
    assert [fair_key(snaps[i], i) for i in order] == sorted(
        fair_key(s, i) for i, s in enumerate(snaps)
    )


# ------------------------------------------------------------------------ dominant_share
def test_dominant_share_drf_paper_example() -> None:
    """Ghodsi et al.: on <9 CPUs, 18 GB>, A's task <1 CPU, 4 GB> is 2/9 (memory dominant),
    B's <3 CPUs, 1 GB> is 1/3 (CPU dominant); A with 3 tasks and B with 2 both hold 2/3."""
    assert dominant_share(4096, 1, 18432, 9) == pytest.approx(2 / 9)
    assert dominant_share(1024, 3, 18432, 9) == pytest.approx(1 / 3)
    assert dominant_share(3 * 4096, 3, 18432, 9) == pytest.approx(2 / 3)
    assert dominant_share(2 * 1024, 6, 18432, 9) == pytest.approx(2 / 3)


def test_dominant_share_of_an_empty_cluster_is_zero() -> None:
    assert dominant_share(1024, 1, 0, 0) == 0.0
    assert dominant_share(1024, 1, 0, 8) == pytest.approx(1 / 8)
    assert dominant_share(0, 0, 4096, 4) == 0.0


@given(st.floats(0, 1e6), st.floats(0, 1e3), st.floats(1, 1e7), st.floats(1, 1e4))
def test_dominant_share_is_the_larger_fraction(
    mb: float, vc: float, cluster_mb: float, cluster_vc: float
) -> None:
    share = dominant_share(mb, vc, cluster_mb, cluster_vc)
    assert share == max(mb / cluster_mb, vc / cluster_vc)
    assert share >= mb / cluster_mb and share >= vc / cluster_vc
