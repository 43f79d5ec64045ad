"""Allocation strategies (emrsim.nodes.allocation): pool order, plans, overage, properties."""

from __future__ import annotations

import math
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emrsim.nodes.allocation import (
    CAPACITY_BAND,
    ON_DEMAND_STRATEGIES,
    SPOT_STRATEGIES,
    PoolQuote,
    plan,
    pool_order,
)

ALL_STRATEGIES = sorted(set(SPOT_STRATEGIES) | set(ON_DEMAND_STRATEGIES))


def quote(
    name: str,
    weight: int = 1,
    price: float = 0.1,
    score: float = 1.0,
    priority: int | None = None,
    order: int = 0,
) -> PoolQuote:
    return PoolQuote(name, weight, price, score, priority, order)


# A hand-built price/availability table. Unit prices: A .08, C .09, E .10, D .11, B .12.
# Capacity band (best .95, width .05): B .95, C .93, E .91; outside: D .80, A .60.
A = quote("m5.xlarge", weight=1, price=0.08, score=0.60, priority=0, order=0)
B = quote("m5.2xlarge", weight=2, price=0.24, score=0.95, priority=1, order=1)
C = quote("r5.2xlarge", weight=2, price=0.18, score=0.93, priority=1, order=2)
D = quote("m5.4xlarge", weight=4, price=0.44, score=0.80, priority=None, order=3)
E = quote("c5.4xlarge", weight=4, price=0.40, score=0.91, priority=0, order=4)
TABLE = (A, B, C, D, E)
NAMES = {A: "A", B: "B", C: "C", D: "D", E: "E"}


def names(quotes: list[PoolQuote]) -> str:
    return "".join(NAMES[q] for q in quotes)


def test_strategy_names_match_emr() -> None:
    assert SPOT_STRATEGIES == (
        "lowest-price",
        "diversified",
        "capacity-optimized",
        "capacity-optimized-prioritized",
        "price-capacity-optimized",
    )
    assert ON_DEMAND_STRATEGIES == ("lowest-price", "prioritized")
    assert CAPACITY_BAND == 0.05


def test_unit_price_is_price_per_weighted_unit() -> None:
    assert D.unit_price == pytest.approx(0.11)
    assert quote("x", weight=5, price=1.0).unit_price == pytest.approx(0.2)


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [
        # Unit price, not instance price (by instance price it would be A C B E D).
        ("lowest-price", "ACEDB"),
        # Capacity only; price ignored.
        ("capacity-optimized", "BCEDA"),
        # Band B C E by priority (E 0; B, C 1 -> order), then D A by score (not priority).
        ("capacity-optimized-prioritized", "EBCDA"),
        # Band by unit price C E B, then D A by score (not price).
        ("price-capacity-optimized", "CEBDA"),
        # Priority 0: A, E by unit price; 1: C (.09) before B (.12) though B is listed first;
        # None last.
        ("prioritized", "AECBD"),
        # Nothing launched: list order.
        ("diversified", "ABCDE"),
    ],
)
def test_full_order_per_strategy(strategy: str, expected: str) -> None:
    assert names(pool_order(strategy, TABLE, {})) == expected


def test_diversified_prefers_fewest_launched_units() -> None:
    launched = {B.instance_type: 4, C.instance_type: 2, E.instance_type: 4}
    # A, D have 0 (order 0, 3); C 2; B, E 4 (order 1, 4).
    assert names(pool_order("diversified", TABLE, launched)) == "ADCBE"


def test_pool_order_does_not_depend_on_input_order() -> None:
    shuffled = (E, C, A, D, B)
    for strategy in ALL_STRATEGIES:
        assert pool_order(strategy, shuffled, {}) == pool_order(strategy, TABLE, {})


def test_price_capacity_optimized_prefers_cheaper_high_capacity_pool() -> None:
    cheap_scarce = quote("t3.large", price=0.02, score=0.30, order=0)
    dear_plenty = quote("m5.large", price=0.20, score=0.90, order=1)
    cheaper_plenty = quote("m6i.large", price=0.15, score=0.88, order=2)
    pools = (cheap_scarce, dear_plenty, cheaper_plenty)
    assert pool_order("price-capacity-optimized", pools, {}) == [
        cheaper_plenty,
        dear_plenty,
        cheap_scarce,
    ]
    # The other two strategies pick differently on the same pools.
    assert pool_order("lowest-price", pools, {})[0] is cheap_scarce
    assert pool_order("capacity-optimized", pools, {})[0] is dear_plenty


@pytest.mark.parametrize("strategy", ALL_STRATEGIES)
def test_full_ties_break_by_list_order(strategy: str) -> None:
    pools = [
        quote(f"type{i}", weight=2, price=0.2, score=0.9, priority=1, order=i) for i in range(3)
    ]
    assert pool_order(strategy, pools[::-1], {}) == pools


def test_capacity_optimized_ignores_price_on_ties() -> None:
    dear = quote("m5.large", price=0.30, score=0.90, order=0)
    cheap = quote("m6i.large", price=0.10, score=0.90, order=1)
    assert pool_order("capacity-optimized", (cheap, dear), {}) == [dear, cheap]


def test_capacity_optimized_prioritized_honours_priority_within_band_only() -> None:
    best = quote("m5.large", score=0.95, priority=2, order=0)
    near = quote("m6i.large", score=0.92, priority=1, order=1)
    scarce = quote("t3.large", score=0.50, priority=0, order=2)
    pools = (best, near, scarce)
    # near is in the band and has the better priority; scarce's priority 0 does not lift it.
    assert pool_order("capacity-optimized-prioritized", pools, {}) == [near, best, scarce]
    assert pool_order("capacity-optimized", pools, {}) == [best, near, scarce]


def test_capacity_band_edge_is_inclusive_despite_float_rounding() -> None:
    best = quote("m5.large", price=0.20, score=0.90, order=0)
    edge = quote("m6i.large", price=0.10, score=0.85, order=1)  # 0.90 - 0.85 > 0.05 in floats
    below = quote("t3.large", price=0.05, score=0.849, order=2)
    order = pool_order("price-capacity-optimized", (best, edge, below), {})
    assert order == [edge, best, below]


def test_priority_none_sorts_after_every_number() -> None:
    unset = quote("m5.large", price=0.01, priority=None, order=0)
    low = quote("m6i.large", price=0.50, priority=99, order=1)
    assert pool_order("prioritized", (unset, low), {}) == [low, unset]


def test_plan_overage_multiple_instances() -> None:
    only = quote("m5.4xlarge", weight=4)
    instances = plan("lowest-price", [only], 7)
    assert instances == [only, only]
    assert sum(q.weight for q in instances) == 8


def test_plan_overage_single_heavy_instance() -> None:
    heavy = quote("m5.8xlarge", weight=5)
    assert plan("capacity-optimized", [heavy], 2) == [heavy]


def test_plan_zero_target_is_empty() -> None:
    for strategy in ALL_STRATEGIES:
        assert plan(strategy, TABLE, 0) == []


def test_plan_takes_first_pool_until_target() -> None:
    assert names(plan("lowest-price", TABLE, 3)) == "AAA"
    assert names(plan("price-capacity-optimized", TABLE, 5)) == "CCC"  # 6 units
    assert names(plan("capacity-optimized-prioritized", TABLE, 9)) == "EEE"  # 12 units
    assert names(plan("prioritized", TABLE, 2)) == "AA"


def test_diversified_spreads_evenly() -> None:
    pools = [quote(f"type{i}", order=i) for i in range(4)]
    instances = plan("diversified", pools, 8)
    assert instances == pools + pools  # round-robin in list order
    assert Counter(q.instance_type for q in instances) == {f"type{i}": 2 for i in range(4)}


def test_diversified_plan_tops_up_the_pools_behind() -> None:
    a = quote("a", order=0)
    b = quote("b", order=1)
    launched = {"a": 3}
    assert plan("diversified", [a, b], 5, launched) == [b, b, b, a, b]
    assert launched == {"a": 3}  # the caller's mapping is left alone


def test_diversified_spreads_weighted_units() -> None:
    small = quote("small", weight=1, order=0)
    big = quote("big", weight=4, order=1)
    units: Counter[str] = Counter()
    for q in plan("diversified", [small, big], 16):
        units[q.instance_type] += q.weight
    assert units == {"small": 8, "big": 8}


def test_unknown_strategy_names_the_allowed_ones() -> None:
    with pytest.raises(ValueError, match="cheapest") as err:
        pool_order("cheapest", TABLE, {})
    for name in ALL_STRATEGIES:
        assert name in str(err.value)
    with pytest.raises(ValueError, match="cheapest"):
        plan("cheapest", TABLE, 0)


def test_empty_quotes_rejected() -> None:
    with pytest.raises(ValueError, match="no capacity pools"):
        pool_order("lowest-price", [], {})
    with pytest.raises(ValueError, match="no capacity pools"):
        plan("lowest-price", [], 4)


def test_negative_target_rejected() -> None:
    with pytest.raises(ValueError, match="target_units"):
        plan("lowest-price", TABLE, -1)


@pytest.mark.parametrize(
    "kwargs",
    [{"weight": 0}, {"price": -0.01}, {"price": math.nan}, {"score": 1.5}, {"score": -0.1}],
)
def test_bad_quote_rejected(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=r"m5\.large"):
        quote("m5.large", **kwargs)  # type: ignore[arg-type]


# --- properties -------------------------------------------------------------------------------


@st.composite
def pool_tables(draw: st.DrawFn) -> list[PoolQuote]:
    """1-6 pools with distinct types and orders; prices, scores and priorities often tie."""
    n = draw(st.integers(1, 6))
    orders = draw(st.permutations(range(n)))
    return [
        PoolQuote(
            instance_type=f"type{k}",
            weight=draw(st.sampled_from([1, 2, 4, 8]) | st.integers(1, 8)),
            # Binary-exact prices over weights 1, 2, 4, 8 make unit-price ties common.
            price_usd_per_hr=draw(st.sampled_from([0.0, 0.25, 0.5, 1.0, 2.0, 0.3])),
            capacity_score=draw(st.sampled_from([0.0, 0.3, 0.6, 0.85, 0.88, 0.9, 0.93, 1.0])),
            priority=draw(st.none() | st.integers(0, 3)),
            order=orders[k],
        )
        for k in range(n)
    ]


def launched_for(pools: list[PoolQuote]) -> st.SearchStrategy[dict[str, int]]:
    return st.fixed_dictionaries({}, optional={q.instance_type: st.integers(0, 20) for q in pools})


strategy_names = st.sampled_from(ALL_STRATEGIES)


@given(strategy=strategy_names, pools=pool_tables(), data=st.data())
def test_pool_order_is_a_permutation(
    strategy: str, pools: list[PoolQuote], data: st.DataObject
) -> None:
    launched = data.draw(launched_for(pools))
    order = pool_order(strategy, pools, launched)
    assert len(order) == len(pools)
    assert Counter(order) == Counter(pools)


@given(strategy=strategy_names, pools=pool_tables(), target=st.integers(0, 60), data=st.data())
def test_plan_reaches_target_with_bounded_overage(
    strategy: str, pools: list[PoolQuote], target: int, data: st.DataObject
) -> None:
    launched = data.draw(launched_for(pools))
    instances = plan(strategy, pools, target, launched)
    units = sum(q.weight for q in instances)
    assert units >= target
    if target == 0:
        assert instances == []
    else:
        assert units - target < max(q.weight for q in instances)
        # Stopping one instance earlier would have fallen short: the last one was needed.
        assert units - instances[-1].weight < target


@given(strategy=strategy_names, pools=pool_tables(), target=st.integers(0, 40), data=st.data())
def test_plan_is_repeated_first_choice(
    strategy: str, pools: list[PoolQuote], target: int, data: st.DataObject
) -> None:
    launched = data.draw(launched_for(pools))
    expected: list[PoolQuote] = []
    running = dict(launched)
    while sum(q.weight for q in expected) < target:
        pick = pool_order(strategy, pools, running)[0]
        expected.append(pick)
        running[pick.instance_type] = running.get(pick.instance_type, 0) + pick.weight
    assert plan(strategy, pools, target, launched) == expected


@given(pools=pool_tables(), data=st.data())
def test_first_pool_meets_each_strategys_primary_criterion(
    pools: list[PoolQuote], data: st.DataObject
) -> None:
    launched = data.draw(launched_for(pools))

    def first(strategy: str) -> PoolQuote:
        return pool_order(strategy, pools, launched)[0]

    assert first("lowest-price").unit_price == min(q.unit_price for q in pools)
    assert first("capacity-optimized").capacity_score == max(q.capacity_score for q in pools)
    used = {q.instance_type: launched.get(q.instance_type, 0) for q in pools}
    assert used[first("diversified").instance_type] == min(used.values())
    rank = [math.inf if q.priority is None else q.priority for q in pools]
    top = first("prioritized")
    assert (math.inf if top.priority is None else top.priority) == min(rank)
    best = max(q.capacity_score for q in pools)
    band = [q for q in pools if best - q.capacity_score <= CAPACITY_BAND + 1e-9]
    assert first("price-capacity-optimized").unit_price == min(q.unit_price for q in band)
    cop = first("capacity-optimized-prioritized")
    assert cop in band
    band_rank = [math.inf if q.priority is None else q.priority for q in band]
    assert (math.inf if cop.priority is None else cop.priority) == min(band_rank)


@given(strategy=strategy_names, pools=pool_tables(), target=st.integers(0, 40), data=st.data())
def test_results_are_deterministic(
    strategy: str, pools: list[PoolQuote], target: int, data: st.DataObject
) -> None:
    launched = data.draw(launched_for(pools))
    shuffled = data.draw(st.permutations(pools))
    order = pool_order(strategy, pools, launched)
    assert pool_order(strategy, pools, launched) == order
    assert pool_order(strategy, shuffled, launched) == order
    instances = plan(strategy, pools, target, launched)
    assert plan(strategy, pools, target, launched) == instances
    assert plan(strategy, shuffled, target, launched) == instances


@given(pools=pool_tables(), target=st.integers(0, 60))
def test_diversified_keeps_units_within_one_heaviest_weight(
    pools: list[PoolQuote], target: int
) -> None:
    units = {q.instance_type: 0 for q in pools}
    for q in plan("diversified", pools, target):
        units[q.instance_type] += q.weight
    assert max(units.values()) - min(units.values()) <= max(q.weight for q in pools)
