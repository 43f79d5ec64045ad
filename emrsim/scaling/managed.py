"""EMR managed scaling as a plain policy over a snapshot (no simulation clock here).

AWS does not publish how managed scaling turns YARN demand into a target (emr-facts 6,
UNCONFIRMED). This model's rule, with its knobs under ``scaling.managed``:

1. Demand is what YARN holds and wants: allocated plus pending containers, in memory and in
   vcores (EMR's own input, emr-facts 6).
2. The cluster's running core and task nodes offer ``capacity`` of each. The target is
   ``ceil(running_units x max(demand_mb / capacity_mb, demand_vcores / capacity_vcores)
   / target_utilization)``: as many units as it takes for the demand to fill
   ``target_utilization_pct`` of them, assuming new units look like the running ones. With
   nothing running, one unit's resources come from the first slot's instance type.
3. The target is clamped to ``[minimum_capacity_units, maximum_capacity_units]``.
4. Above the requested units: scale up at once. Below them for ``scale_in_delay`` without a
   break: scale down to the target, but never below what the demand needs on the cluster the
   shrink would leave (:func:`scale_in_floor`). With node types of different sizes the ratio
   estimate of step 2 can undershoot (removing a large task node loses more than the average
   unit); without this floor such a cluster flaps, shrinking and growing again every window.

Where the change goes follows EMR (emr-facts 6): scale up core first, up to
``maximum_core_capacity_units``, then task; on-demand first, up to
``maximum_on_demand_capacity_units``, then spot. Scale down task before core and spot before
on-demand. Limits cover core and task units only; the primary is never touched.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from emrsim.scenario.values import Market, Role


@dataclass(frozen=True, slots=True)
class Slot:
    """One place capacity can go: a core or task group or fleet, in one market."""

    name: str
    role: Role
    market: Market
    units: int
    """Units requested now (running, starting or awaiting fulfilment)."""
    fixed: bool = False
    """A slot managed scaling may not resize (e.g. one with no launchable type)."""
    unit_mb: float = 0.0
    """YARN memory one of its scaling units brings (0: unknown, counted as nothing)."""
    unit_vcores: float = 0.0
    """YARN vcores one of its scaling units brings."""


@dataclass(frozen=True, slots=True)
class Demand:
    """What YARN holds and wants, and what the running core and task nodes offer."""

    allocated_mb: float
    pending_mb: float
    allocated_vcores: float
    pending_vcores: float
    capacity_mb: float
    capacity_vcores: float
    running_units: int
    unit_mb: float
    """YARN memory of one unit when nothing runs (the first slot's type)."""
    unit_vcores: float


@dataclass(frozen=True, slots=True)
class Limits:
    """ComputeLimits plus the rule's utilisation knob."""

    minimum: int
    maximum: int
    maximum_on_demand: int
    maximum_core: int
    target_utilization: float = 1.0


def target_units(demand: Demand, limits: Limits) -> tuple[int, str]:
    """The units the demand calls for, clamped to the limits, and why."""
    need_mb = demand.allocated_mb + demand.pending_mb
    need_vc = demand.allocated_vcores + demand.pending_vcores
    if demand.running_units > 0 and demand.capacity_mb > 0:
        ratio = max(need_mb / demand.capacity_mb, need_vc / max(demand.capacity_vcores, 1e-9))
        raw = demand.running_units * ratio / limits.target_utilization
    else:
        per_unit = max(need_mb / demand.unit_mb, need_vc / max(demand.unit_vcores, 1e-9))
        raw = per_unit / limits.target_utilization
    wanted = math.ceil(raw - 1e-9)
    target = min(max(wanted, limits.minimum), limits.maximum)
    why = (
        f"demand {need_mb:.0f} MB / {need_vc:.0f} vcores on {demand.capacity_mb:.0f} MB / "
        f"{demand.capacity_vcores:.0f} vcores running ({demand.running_units} units) -> "
        f"{wanted} units"
    )
    if target != wanted:
        why += f", clamped to {target}"
    return target, why


_UP_ORDER = (
    (Role.CORE, Market.ON_DEMAND),
    (Role.CORE, Market.SPOT),
    (Role.TASK, Market.ON_DEMAND),
    (Role.TASK, Market.SPOT),
)
_DOWN_ORDER = tuple(reversed(_UP_ORDER))


def resize(slots: list[Slot], target: int, limits: Limits) -> list[Slot]:
    """New units per slot for a total of ``target`` units, in EMR's order and limits.

    Growing: core first (until the core limit), on-demand first (until the on-demand limit),
    then spot. Shrinking: task before core, spot before on-demand. Slots over a limit are
    brought back under it first. Returns the slots in the order given, with new units.
    """
    units = {s.name + "/" + s.market.value: s.units for s in slots}
    key = {id(s): s.name + "/" + s.market.value for s in slots}

    def total(role: Role | None = None, market: Market | None = None) -> int:
        return sum(
            units[key[id(s)]]
            for s in slots
            if (role is None or s.role is role) and (market is None or s.market is market)
        )

    def ordered(order: tuple[tuple[Role, Market], ...]) -> list[Slot]:
        return [s for role, market in order for s in slots if (s.role, s.market) == (role, market)]

    def cuttable(s: Slot) -> int:
        """Units that may go: all, but managed scaling keeps one core node (HDFS needs it)."""
        if s.role is not Role.CORE:
            return units[key[id(s)]]
        return max(0, min(units[key[id(s)]], total(Role.CORE) - 1))

    # Shrink what is over a limit: on-demand, core.
    for cap, role, market in (
        (limits.maximum_on_demand, None, Market.ON_DEMAND),
        (limits.maximum_core, Role.CORE, None),
    ):
        excess = total(role, market) - cap
        for s in ordered(_DOWN_ORDER):
            if excess <= 0:
                break
            if s.fixed or (role and s.role is not role) or (market and s.market is not market):
                continue
            cut = min(excess, cuttable(s))
            units[key[id(s)]] -= cut
            excess -= cut
    change = target - total()
    if change > 0:
        for s in ordered(_UP_ORDER):
            if change <= 0:
                break
            if s.fixed:
                continue
            room = change
            if s.market is Market.ON_DEMAND:
                room = min(room, limits.maximum_on_demand - total(market=Market.ON_DEMAND))
            if s.role is Role.CORE:
                room = min(room, limits.maximum_core - total(role=Role.CORE))
            room = max(room, 0)
            units[key[id(s)]] += room
            change -= room
    elif change < 0:
        for s in ordered(_DOWN_ORDER):
            if change >= 0:
                break
            if s.fixed:
                continue
            cut = min(-change, cuttable(s))
            units[key[id(s)]] -= cut
            change += cut
    return [replace(s, units=units[key[id(s)]]) for s in slots]


def holds(slots: list[Slot], need_mb: float, need_vcores: float, limits: Limits) -> bool:
    """Whether the slots' units offer room for the demand at the target utilisation."""
    mb = sum(s.units * s.unit_mb for s in slots) * limits.target_utilization
    vcores = sum(s.units * s.unit_vcores for s in slots) * limits.target_utilization
    return need_mb <= mb * (1 + 1e-9) + 1e-6 and need_vcores <= vcores * (1 + 1e-9) + 1e-6


def scale_in_floor(
    slots: list[Slot], target: int, need_mb: float, need_vcores: float, limits: Limits
) -> int:
    """The fewest units, from ``target`` up to those requested now, whose shrunk cluster
    (:func:`resize` takes task and spot units first) still holds the demand at the target
    utilisation; the units requested now when none does.

    For nodes of one size this is the target itself; it only differs when the units removed
    first bring more than the average unit.
    """
    requested = sum(s.units for s in slots)
    low, high = target, requested  # resize() is monotone: fewer units never hold more
    while low < high:
        middle = (low + high) // 2
        if holds(resize(slots, middle, limits), need_mb, need_vcores, limits):
            high = middle
        else:
            low = middle + 1
    return low
