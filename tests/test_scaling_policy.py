"""Autoscaling policy as pure functions: managed scaling's target and placement
(:mod:`emrsim.scaling.managed`) and custom rules' alarms and actions (:mod:`emrsim.scaling.rules`).

No simulation runs here. Figures: an m5.xlarge offers YARN 12288 MB and 4 vcores.
"""

from __future__ import annotations

import math
import sys
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from emrsim.scaling.managed import (
    Demand,
    Limits,
    Slot,
    resize,
    scale_in_floor,
    target_units,
)
from emrsim.scaling.rules import adjusted_count, breaches, in_alarm, period_values
from emrsim.scenario.models import ScalingAction, ScalingConstraints, ScalingTrigger
from emrsim.scenario.values import Market, Role

MB = 12288
VC = 4
OD, SPOT = Market.ON_DEMAND, Market.SPOT
CORE, TASK = Role.CORE, Role.TASK


# ------------------------------------------------------------------------- target_units
def _demand(
    running: int,
    need_mb: float = 0.0,
    need_vc: float = 0.0,
    *,
    pending_share: float = 0.5,
    unit_mb: float = MB,
    unit_vc: float = VC,
) -> Demand:
    """``running`` m5.xlarge units, demand split between allocated and pending."""
    return Demand(
        allocated_mb=need_mb * (1 - pending_share),
        pending_mb=need_mb * pending_share,
        allocated_vcores=need_vc * (1 - pending_share),
        pending_vcores=need_vc * pending_share,
        capacity_mb=running * MB,
        capacity_vcores=running * VC,
        running_units=running,
        unit_mb=unit_mb,
        unit_vcores=unit_vc,
    )


def _limits(
    minimum: int = 0,
    maximum: int = 100,
    od: int | None = None,
    core: int | None = None,
    util: float = 1.0,
) -> Limits:
    return Limits(
        minimum=minimum,
        maximum=maximum,
        maximum_on_demand=maximum if od is None else od,
        maximum_core=maximum if core is None else core,
        target_utilization=util,
    )


def test_target_is_proportional_to_demand_over_capacity() -> None:
    # 4 units running, demand twice their memory: 8 units; exactly 2x, no float overshoot to 9.
    assert target_units(_demand(4, 8 * MB, 8), _limits())[0] == 8
    assert target_units(_demand(3, 6 * MB, 0), _limits())[0] == 6
    # Allocated and pending count alike.
    for share in (0.0, 1.0):
        assert target_units(_demand(4, 8 * MB, 8, pending_share=share), _limits())[0] == 8
    # A sliver over a whole number of units rounds up.
    assert target_units(_demand(4, 8 * MB + 1, 8), _limits())[0] == 9
    # Half the target utilisation doubles the units.
    assert target_units(_demand(4, 8 * MB, 8), _limits(util=0.5))[0] == 16


def test_vcores_dominate_when_their_share_is_larger() -> None:
    # Memory asks for 2 of 4 units, vcores for 6 of 4: 6.
    target, why = target_units(_demand(4, 2 * MB, 6 * VC), _limits())
    assert target == 6
    assert "-> 6 units" in why
    # And the other way round.
    assert target_units(_demand(4, 6 * MB, 2 * VC), _limits())[0] == 6


def test_target_is_clamped_to_the_limits() -> None:
    target, why = target_units(_demand(4, 40 * MB, 40 * VC), _limits(minimum=2, maximum=10))
    assert (target, why.endswith("-> 40 units, clamped to 10")) == (10, True)
    target, why = target_units(_demand(4, 0, 0), _limits(minimum=2, maximum=10))
    assert (target, why.endswith("-> 0 units, clamped to 2")) == (2, True)
    target, why = target_units(_demand(4, 5 * MB, 5), _limits(minimum=2, maximum=10))
    assert target == 5 and "clamped" not in why


def test_nothing_running_sizes_by_one_unit_of_the_first_slot() -> None:
    # 30000 MB on 12288 MB units: 3 units; 13 vcores on 4-vcore units: 4 units.
    assert target_units(_demand(0, 30000, 1), _limits())[0] == 3
    assert target_units(_demand(0, 30000, 13), _limits())[0] == 4
    # A unit of 6144 MB (e.g. a weight-2 type counted in instances of half its size).
    assert target_units(_demand(0, 30000, 1, unit_mb=6144), _limits())[0] == 5
    # No demand, nothing running: the minimum.
    assert target_units(_demand(0, 0, 0), _limits(minimum=1))[0] == 1


@given(
    running=st.integers(1, 50),
    need_mb=st.integers(0, 2_000_000),
    need_vc=st.integers(0, 500),
    pct=st.integers(1, 100),
    bounds=st.tuples(st.integers(0, 400), st.integers(1, 400)).map(sorted),
)
def test_target_is_the_smallest_unit_count_that_fits_the_demand(
    running: int, need_mb: int, need_vc: int, pct: int, bounds: list[int]
) -> None:
    """Exact arithmetic: ceil(running x max(mb share, vcore share) x 100 / pct), clamped."""
    minimum, maximum = bounds
    assume(maximum >= 1)
    demand = _demand(running, need_mb, need_vc)
    target, _ = target_units(demand, _limits(minimum, maximum, util=pct / 100))
    share = max(Fraction(need_mb, running * MB), Fraction(need_vc, running * VC))
    raw = running * share * 100 / pct
    wanted = math.ceil(raw)
    assert target == min(max(wanted, minimum), maximum)
    # Monotone: more pending demand never lowers the target.
    more = _demand(running, need_mb + MB, need_vc + 1)
    assert target_units(more, _limits(minimum, maximum, util=pct / 100))[0] >= target


# ------------------------------------------------------------------------------ resize
def _slots(**units: int) -> list[Slot]:
    """Slots named ``<role>_<market>`` (core_od, core_spot, task_od, task_spot)."""
    out = []
    for name, n in units.items():
        role, market = name.split("_")
        out.append(Slot(name, Role(role), OD if market == "od" else SPOT, n))
    return out


def _units(slots: list[Slot]) -> dict[str, int]:
    return {s.name: s.units for s in slots}


def test_scale_up_fills_core_to_its_limit_then_task() -> None:
    new = resize(_slots(core_od=1, task_od=0), 6, _limits(maximum=10, core=3))
    assert _units(new) == {"core_od": 3, "task_od": 3}
    # No core limit: everything goes to core.
    assert _units(resize(_slots(core_od=1, task_od=0), 6, _limits(maximum=10))) == {
        "core_od": 6,
        "task_od": 0,
    }


def test_scale_up_fills_on_demand_to_its_limit_then_spot() -> None:
    new = resize(_slots(core_od=1, task_od=0, task_spot=0), 8, _limits(maximum=10, od=4, core=1))
    assert _units(new) == {"core_od": 1, "task_od": 3, "task_spot": 4}
    # Within core (a fleet with both markets): on-demand to its limit, then spot.
    new = resize(_slots(core_od=1, core_spot=0), 5, _limits(maximum=10, od=3, core=5))
    assert _units(new) == {"core_od": 3, "core_spot": 2}


def test_scale_up_stops_at_the_limits_without_a_spot_slot() -> None:
    # Core capped at 2, on-demand at 4: no slot may take the 7th and 8th units.
    new = resize(_slots(core_od=1, task_od=1), 8, _limits(maximum=10, od=4, core=2))
    assert _units(new) == {"core_od": 2, "task_od": 2}


def test_scale_down_takes_task_before_core_and_spot_before_on_demand() -> None:
    slots = _slots(core_od=3, core_spot=2, task_od=2, task_spot=2)  # 9 units
    assert _units(resize(slots, 6, _limits())) == {
        "core_od": 3,
        "core_spot": 2,
        "task_od": 1,
        "task_spot": 0,
    }
    assert _units(resize(slots, 3, _limits())) == {
        "core_od": 3,
        "core_spot": 0,
        "task_od": 0,
        "task_spot": 0,
    }
    assert _units(resize(slots, 2, _limits())) == {
        "core_od": 2,
        "core_spot": 0,
        "task_od": 0,
        "task_spot": 0,
    }


def test_scale_down_keeps_one_core_unit() -> None:
    assert _units(resize(_slots(core_od=3, task_spot=2), 0, _limits())) == {
        "core_od": 1,
        "task_spot": 0,
    }
    # The one kept may be spot when no on-demand core is left.
    assert _units(resize(_slots(core_od=0, core_spot=2), 0, _limits())) == {
        "core_od": 0,
        "core_spot": 1,
    }


def test_slots_over_a_limit_come_back_under_it() -> None:
    # Core over its limit: the excess moves to task spot at the same total.
    new = resize(_slots(core_od=5, task_spot=0), 5, _limits(maximum=10, core=3))
    assert _units(new) == {"core_od": 3, "task_spot": 2}
    # On-demand over its limit: task on-demand gives way to task spot.
    new = resize(_slots(core_od=1, task_od=4, task_spot=0), 5, _limits(maximum=10, od=2))
    assert _units(new) == {"core_od": 1, "task_od": 1, "task_spot": 3}


def test_fixed_slots_are_left_alone_and_order_is_kept() -> None:
    slots = [
        Slot("task", TASK, SPOT, 4, fixed=True),
        Slot("core", CORE, OD, 2),
        Slot("task2", TASK, OD, 0),
    ]
    new = resize(slots, 3, _limits())
    assert [s.name for s in new] == ["task", "core", "task2"]
    # Shrinking from 6 to 3: the fixed spot slot keeps its 4; core goes to its last unit.
    assert [s.units for s in new] == [4, 1, 0]
    assert [s.units for s in resize(slots, 9, _limits())] == [4, 5, 0]


# ------------------------------------------------------------------------ scale_in_floor
def test_scale_in_stops_where_the_shrunk_cluster_still_holds_the_demand() -> None:
    # 4 core c5.xlarge (6144 MB) and 2 task m5.xlarge (12288 MB): 49152 MB. 31000 MB of demand
    # at 80 % is 4.7 average units -> a target of 5, but 5 units (one task node fewer) offer
    # 36864 MB x 0.8 = 29491 MB < 31000: the floor stays at 6 and the cluster does not flap.
    slots = [
        Slot("core", CORE, OD, 4, unit_mb=6144, unit_vcores=4),
        Slot("task", TASK, OD, 2, unit_mb=MB, unit_vcores=VC),
    ]
    limits = _limits(util=0.8)
    running = Demand(31000, 0, 10, 0, 49152, 24, 6, 6144, 4)
    assert target_units(running, limits)[0] == 5
    assert scale_in_floor(slots, 5, 31000, 10, limits) == 6
    # Less demand: one task node can go (36864 x 0.8 holds 29000), not two (24576 x 0.8).
    assert scale_in_floor(slots, 4, 29000, 10, limits) == 5
    assert scale_in_floor(slots, 4, 19000, 10, limits) == 4


@given(
    st.integers(1, 12),
    st.integers(0, 12),
    st.floats(0, 30 * MB),
    st.sampled_from([0.5, 0.8, 1.0]),
)
def test_scale_in_floor_is_the_target_for_nodes_of_one_size(
    core: int, task: int, need_mb: float, util: float
) -> None:
    """With one node size the ratio target is exact: the floor adds nothing to it."""
    slots = [
        Slot("core", CORE, OD, core, unit_mb=MB, unit_vcores=VC),
        Slot("task", TASK, SPOT, task, unit_mb=MB, unit_vcores=VC),
    ]
    limits = _limits(util=util)
    target, _ = target_units(_demand(core + task, need_mb), limits)
    assume(target < core + task)
    floor = scale_in_floor(slots, target, need_mb, 0.0, limits)
    assert floor == target


_KINDS = [(CORE, OD), (CORE, SPOT), (TASK, OD), (TASK, SPOT)]


@st.composite
def _resize_inputs(draw: Any) -> tuple[list[Slot], int, Limits]:
    kinds = draw(st.lists(st.sampled_from(_KINDS), min_size=1, max_size=4, unique=True))
    if not any(role is CORE for role, _ in kinds):
        kinds.insert(0, (CORE, draw(st.sampled_from([OD, SPOT]))))
    slots = [
        Slot(f"{role.value}-{market.value}", role, market, draw(st.integers(0, 12)))
        for role, market in kinds
    ]
    maximum = draw(st.integers(1, 20))
    minimum = draw(st.integers(0, maximum))
    limits = Limits(
        minimum=minimum,
        maximum=maximum,
        maximum_on_demand=draw(st.integers(0, maximum)),
        maximum_core=draw(st.integers(0, maximum)),
    )
    target = draw(st.integers(minimum, maximum))  # target_units clamps to [min, max]
    return slots, target, limits


def _sum(slots: list[Slot], role: Role | None = None, market: Market | None = None) -> int:
    return sum(
        s.units
        for s in slots
        if (role is None or s.role is role) and (market is None or s.market is market)
    )


@given(_resize_inputs())
def test_resize_keeps_the_limits(inputs: tuple[list[Slot], int, Limits]) -> None:
    """The invariants of :func:`resize` for any slots, target in [min, max] and limits.

    Always (whatever the starting units):

    - the total is at most ``maximum``;
    - core is at most ``max(maximum_core, 1)`` and on-demand at most
      ``max(maximum_on_demand, 1)``: a limit of 0 is met except for the one core unit managed
      scaling always keeps. When that unit is on-demand and the on-demand limit is 0, it stays
      even if the same call then grows a spot core slot (e.g. core 1 on-demand + 0 spot,
      on-demand limit 0, target 2 -> 1 + 1; the next call gives 0 + 2): one call is not
      always idempotent on inputs above the on-demand limit;
    - a cluster with core units keeps at least one;
    - the total is ``max(target, kept core unit)`` or, growing, short of the target only when
      no slot has room under the limits.

    Starting within the limits (on-demand, core and total at or under theirs), the result is
    within every limit exactly, and a growing resize never shrinks a slot, nor a shrinking one
    grows a slot. With a task spot slot (which no limit caps) there is always room: the total
    is exactly the target, so never below the minimum.
    """
    slots, target, limits = inputs
    new = resize(slots, target, limits)
    assert [(s.name, s.role, s.market) for s in new] == [(s.name, s.role, s.market) for s in slots]
    assert all(s.units >= 0 for s in new)
    total, core, od = _sum(new), _sum(new, CORE), _sum(new, market=OD)
    keep = min(_sum(slots, CORE), 1)
    assert total <= limits.maximum
    assert core <= max(limits.maximum_core, 1)
    assert od <= max(limits.maximum_on_demand, 1)
    if od > limits.maximum_on_demand:
        # Only the one on-demand core unit the limit could not take (it was the last core
        # unit when the limits were applied; a spot core unit added afterwards does not
        # release it: the next evaluation does).
        assert limits.maximum_on_demand == 0 and od == _sum(new, CORE, OD) == 1
    if core > limits.maximum_core:
        assert core == 1 and limits.maximum_core == 0
    assert core >= keep
    if total < max(target, keep):
        # Short of the target: every slot is capped by a limit.
        assert not any(s.role is TASK and s.market is SPOT for s in new)
        assert all(
            (s.market is OD and od >= limits.maximum_on_demand)
            or (s.role is CORE and core >= limits.maximum_core)
            for s in new
        )
    else:
        assert total == max(target, keep)

    within = (
        _sum(slots, market=OD) <= limits.maximum_on_demand
        and _sum(slots, CORE) <= limits.maximum_core
        and _sum(slots) <= limits.maximum
    )
    if within:
        assert od <= limits.maximum_on_demand and core <= limits.maximum_core
        before = {s.name: s.units for s in slots}
        if target >= _sum(slots):
            assert all(s.units >= before[s.name] for s in new)
        if target <= _sum(slots):
            assert all(s.units <= before[s.name] for s in new)
        if any(s.role is TASK and s.market is SPOT for s in slots):
            assert total >= limits.minimum
            assert total == max(target, keep)


@given(_resize_inputs())
def test_resize_follows_emr_order(inputs: tuple[list[Slot], int, Limits]) -> None:
    """Growing, task gains only once core cannot (at its limit, or on-demand core at the
    on-demand limit with no spot core slot); spot gains only where on-demand could not.
    Shrinking, core loses only once task is empty, on-demand only once spot (of that role)
    is empty."""
    slots, target, limits = inputs
    within = (
        _sum(slots, market=OD) <= limits.maximum_on_demand
        and _sum(slots, CORE) <= limits.maximum_core
    )
    assume(within)
    new = resize(slots, target, limits)
    before = {s.name: s.units for s in slots}
    grew = {s.name for s in new if s.units > before[s.name]}
    shrank = {s.name for s in new if s.units < before[s.name]}
    by_kind = {(s.role, s.market): s for s in new}
    core_room = limits.maximum_core - _sum(new, CORE)
    od_room = limits.maximum_on_demand - _sum(new, market=OD)
    for s in new:
        if s.name in grew and s.role is TASK:
            core_can = core_room > 0 and (
                (CORE, SPOT) in by_kind or ((CORE, OD) in by_kind and od_room > 0)
            )
            assert not core_can, f"task grew while core could: {new}"
        if s.name in grew and s.market is SPOT:
            assert (
                (s.role, OD) not in by_kind or od_room <= 0 or (s.role is CORE and core_room <= 0)
            ), f"spot grew while on-demand could: {new}"
        if s.name in shrank and s.role is CORE:
            assert _sum(new, TASK) == 0, f"core shrank while task had units: {new}"
        if s.name in shrank and s.market is OD:
            spot = by_kind.get((s.role, SPOT))
            assert spot is None or spot.units == 0, f"on-demand shrank before spot: {new}"


# ------------------------------------------------------------------------------- rules
def _trigger(
    op: str = "GREATER_THAN_OR_EQUAL",
    threshold: float = 10.0,
    period: float = 300.0,
    periods: int = 1,
    statistic: str = "AVERAGE",
) -> ScalingTrigger:
    return ScalingTrigger(
        metric="ContainerPending",
        comparison_operator=op,
        threshold=threshold,
        period=period,
        evaluation_periods=periods,
        statistic=statistic,
    )


def _minutes(values: list[float], start: float = 60.0) -> list[tuple[float, float]]:
    """One sample per minute from ``start``."""
    return [(start + 60.0 * k, v) for k, v in enumerate(values)]


def test_period_values_cut_the_samples_into_periods_ending_now() -> None:
    samples = _minutes([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])  # at 60 .. 600 s
    # Two 300 s periods ending at 600: (0, 300] holds 1..5, (300, 600] holds 6..10.
    assert period_values(samples, 600.0, _trigger(periods=2)) == [3.0, 8.0]
    # A period is (a, b]: the sample at its start belongs to the period before.
    assert period_values(samples, 540.0, _trigger(period=120)) == [8.5]  # 480 and 540
    assert period_values(samples, 600.0, _trigger(period=60, periods=3)) == [8.0, 9.0, 10.0]
    # A period without samples is insufficient data.
    assert period_values(samples, 600.0, _trigger(periods=3)) is None
    assert period_values(samples, 900.0, _trigger(periods=1)) is None
    assert period_values([], 600.0, _trigger()) is None


@pytest.mark.parametrize(
    ("statistic", "expected"),
    [("AVERAGE", 3.0), ("MINIMUM", 1.0), ("MAXIMUM", 5.0), ("SUM", 9.0), ("SAMPLE_COUNT", 3.0)],
)
def test_statistics(statistic: str, expected: float) -> None:
    samples = _minutes([1.0, 5.0, 3.0], start=120.0)  # 120, 180, 240 in (0, 300]
    assert period_values(samples, 300.0, _trigger(statistic=statistic)) == [expected]


@pytest.mark.parametrize(
    ("op", "below", "equal", "above"),
    [
        ("GREATER_THAN_OR_EQUAL", False, True, True),
        ("GREATER_THAN", False, False, True),
        ("LESS_THAN", True, False, False),
        ("LESS_THAN_OR_EQUAL", True, True, False),
    ],
)
def test_breaches_each_operator(op: str, below: bool, equal: bool, above: bool) -> None:
    trigger = _trigger(op=op, threshold=15.0)
    assert [breaches(v, trigger) for v in (14.999, 15.0, 15.001)] == [below, equal, above]
    # The operator is case-insensitive in the scenario file.
    assert _trigger(op=op.lower()).comparison_operator == op


def test_alarm_needs_every_evaluated_period_to_breach() -> None:
    trigger = _trigger(op="GREATER_THAN", threshold=5.0, period=60, periods=3)
    assert in_alarm(_minutes([9, 9, 9, 9]), 240.0, trigger)  # 120, 180, 240 breach
    assert not in_alarm(_minutes([9, 9, 1, 9]), 240.0, trigger)  # 180 does not
    assert not in_alarm(_minutes([9, 9, 9, 5]), 240.0, trigger)  # 240: 5 is not > 5
    # Breaches older than the evaluated periods do not count.
    assert not in_alarm(_minutes([9, 9, 9, 1]), 240.0, trigger)
    assert in_alarm(_minutes([1, 9, 9, 9]), 240.0, trigger)


def test_insufficient_data_never_alarms() -> None:
    # A gap in the samples: the period (120, 180] is empty, the others breach by far.
    samples = [(60.0, 1e9), (120.0, 1e9), (240.0, 1e9)]
    trigger = _trigger(op="GREATER_THAN", threshold=0.0, period=60, periods=3)
    assert period_values(samples, 240.0, trigger) is None
    assert not in_alarm(samples, 240.0, trigger)
    # Even a trigger every value breaches (LESS_THAN the largest float; thresholds are finite)
    # does not fire on no data.
    always = _trigger(op="LESS_THAN", threshold=sys.float_info.max, period=60, periods=1)
    assert not in_alarm([], 60.0, always)
    assert in_alarm([(60.0, 0.0)], 60.0, always)


@given(
    values=st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=30),
    periods=st.integers(1, 5),
    threshold=st.floats(-1e6, 1e6),
    op=st.sampled_from(
        ["GREATER_THAN_OR_EQUAL", "GREATER_THAN", "LESS_THAN", "LESS_THAN_OR_EQUAL"]
    ),
)
def test_alarm_is_all_of_the_last_periods(
    values: list[float], periods: int, threshold: float, op: str
) -> None:
    """With one sample per minute and 60 s periods, the alarm is: the last ``periods``
    samples all exist and all breach."""
    trigger = _trigger(op=op, threshold=threshold, period=60, periods=periods)
    samples = _minutes(values)
    now = samples[-1][0]
    last = values[-periods:] if len(values) >= periods else None
    assert period_values(samples, now, trigger) == last
    expected = last is not None and all(breaches(v, trigger) for v in last)
    assert in_alarm(samples, now, trigger) == expected


def _action(kind: str, adjustment: int) -> ScalingAction:
    return ScalingAction(adjustment_type=kind, scaling_adjustment=adjustment)


WIDE = ScalingConstraints(min_capacity=0, max_capacity=1000)


@pytest.mark.parametrize(
    ("count", "adjustment", "expected"),
    [
        (3, 2, 5),
        (3, -2, 1),
        (3, 0, 3),
        (3, -5, 0),  # clamped at min_capacity 0
    ],
)
def test_change_in_capacity(count: int, adjustment: int, expected: int) -> None:
    assert adjusted_count(count, _action("CHANGE_IN_CAPACITY", adjustment), WIDE) == expected


def test_exact_capacity() -> None:
    assert adjusted_count(3, _action("EXACT_CAPACITY", 7), WIDE) == 7
    assert adjusted_count(9, _action("EXACT_CAPACITY", 2), WIDE) == 2
    assert adjusted_count(0, _action("exact_capacity", 4), WIDE) == 4


@pytest.mark.parametrize(
    ("count", "percent", "expected"),
    [
        (3, 50, 5),  # +1.5 -> +2 (away from zero)
        (3, -50, 1),  # -1.5 -> -2
        (4, 50, 6),  # +2 exactly
        (4, 100, 8),
        (3, 10, 4),  # +0.3 -> at least +1
        (3, -10, 2),  # -0.3 -> at least -1
        (0, 50, 1),  # nothing to take a share of: still +1
        (10, 33, 14),  # +3.3 -> +4
        (3, 0, 3),
        (3, -200, 0),  # -6 -> clamped at 0
    ],
)
def test_percent_change_rounds_away_from_zero_to_at_least_one(
    count: int, percent: int, expected: int
) -> None:
    action = _action("PERCENT_CHANGE_IN_CAPACITY", percent)
    assert adjusted_count(count, action, WIDE) == expected


def test_constraints_bound_every_adjustment_type() -> None:
    narrow = ScalingConstraints(min_capacity=2, max_capacity=6)
    assert adjusted_count(5, _action("CHANGE_IN_CAPACITY", 4), narrow) == 6
    assert adjusted_count(3, _action("CHANGE_IN_CAPACITY", -4), narrow) == 2
    assert adjusted_count(3, _action("EXACT_CAPACITY", 10), narrow) == 6
    assert adjusted_count(3, _action("EXACT_CAPACITY", 0), narrow) == 2
    assert adjusted_count(5, _action("PERCENT_CHANGE_IN_CAPACITY", 100), narrow) == 6
    assert adjusted_count(3, _action("PERCENT_CHANGE_IN_CAPACITY", -90), narrow) == 2
    # A count already outside the constraints comes back within them even with no change.
    assert adjusted_count(9, _action("CHANGE_IN_CAPACITY", 0), narrow) == 6
    assert adjusted_count(0, _action("PERCENT_CHANGE_IN_CAPACITY", 0), narrow) == 2


@given(
    count=st.integers(0, 500),
    percent=st.integers(-300, 300),
    bounds=st.tuples(st.integers(0, 600), st.integers(0, 600)).map(sorted),
)
def test_percent_change_matches_integer_arithmetic(
    count: int, percent: int, bounds: list[int]
) -> None:
    """ceil(|count x percent| / 100) instances, at least 1, in the sign of the percent."""
    low, high = bounds
    constraints = ScalingConstraints(min_capacity=low, max_capacity=high)
    new = adjusted_count(count, _action("PERCENT_CHANGE_IN_CAPACITY", percent), constraints)
    step = max(1, -(-abs(count * percent) // 100)) if percent else 0
    expected = count + (step if percent > 0 else -step)
    assert new == min(max(expected, low), high)
