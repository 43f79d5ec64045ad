"""Allocation strategies: which capacity pool an instance fleet launches its next instance from.

A pure policy module: no simulation, no randomness. The caller describes each pool (one instance
type in the cluster's Availability Zone, in one market) as a :class:`PoolQuote`;
:func:`pool_order` ranks the pools for the next instance and :func:`plan` lists the instances a
strategy launches to reach a target when every request is fulfilled (emr-facts 2).

Strategies. EMR passes the fleet's strategy to EC2 Fleet; AWS documents each one only in words
("Allocation strategies for Spot Instances", EC2 User Guide). Below, *AWS* marks what AWS
states and *model* marks this module's reading of it, which is what the code does.

Spot (:data:`SPOT_STRATEGIES`):

``lowest-price``
    AWS: launch from the lowest-priced pool that has capacity; with instance weighting, price
    means price per unit. Model: lowest :attr:`PoolQuote.unit_price` first, ties by ``order``.
``diversified``
    AWS: distribute the instances across all the pools. Model: spread evenly in weighted units:
    the pool with the fewest units already launched in this market first, ties by ``order``
    (so a plan from nothing goes round-robin in list order).
``capacity-optimized``
    AWS: launch from the pools with the highest capacity availability, i.e. the lowest chance
    of interruption; price is not considered. Model: highest ``capacity_score`` first, ties by
    ``order``.
``capacity-optimized-prioritized``
    AWS: as ``capacity-optimized``, but priorities are honoured "on a best-effort basis" while
    optimising for capacity first. Model: the pools *in the band* (see below) first, by
    ``priority`` (None last) then ``order``; then the others by ``capacity_score`` descending,
    ``priority``, ``order``.
``price-capacity-optimized``
    AWS: identify the pools with the highest capacity availability, then request from the
    lowest priced of these pools. Model: the pools in the band first, by ``unit_price`` then
    ``order``; then the others by ``capacity_score`` descending, ``unit_price``, ``order``.

On-Demand (:data:`ON_DEMAND_STRATEGIES`):

``lowest-price``
    AWS: launch the lowest price first (the default). Model: as Spot ``lowest-price``.
``prioritized``
    AWS: launch the highest priority first (0 highest; EMR's ``Priority``). Model: ``priority``
    (None after every number), then ``unit_price``, then ``order``.

The band (model). AWS does not say how close two pools' capacity must be for both to count as
"highest capacity". This model counts every pool whose ``capacity_score`` is within
:data:`CAPACITY_BAND` of the best pool's (inclusive, tolerant of float rounding). The band is
0.05, one Spot Advisor interruption-frequency bucket wide (<5%, 5-10%, 10-15%, 15-20%, >20%):
pools that a score derived from the Advisor cannot tell apart by more than one bucket are
treated as equally available.

Strategy names are shared across markets (``lowest-price`` means the same in both), so
:func:`pool_order` accepts any name from either tuple; the caller applies the right one per
market.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

__all__ = [
    "CAPACITY_BAND",
    "ON_DEMAND_STRATEGIES",
    "SPOT_STRATEGIES",
    "PoolQuote",
    "plan",
    "pool_order",
]

SPOT_STRATEGIES: tuple[str, ...] = (
    "lowest-price",
    "diversified",
    "capacity-optimized",
    "capacity-optimized-prioritized",
    "price-capacity-optimized",
)
"""EMR's Spot allocation strategies (``SpotProvisioningAllocationStrategy``)."""

ON_DEMAND_STRATEGIES: tuple[str, ...] = ("lowest-price", "prioritized")
"""EMR's On-Demand allocation strategies (``OnDemandProvisioningAllocationStrategy``)."""

CAPACITY_BAND: float = 0.05
"""Pools whose ``capacity_score`` is within this of the best count as "highest capacity".

A model choice, not an AWS figure: one Spot Advisor interruption bucket (5 percentage points).
"""

_EPSILON = 1e-9
"""Float slack for the band edge (0.90 - 0.85 is 0.05000000000000004 in binary floats)."""


@dataclass(frozen=True, slots=True)
class PoolQuote:
    """One capacity pool (an instance type in the cluster's AZ) as an allocation strategy sees it.

    ``instance_type`` identifies the pool (it keys ``launched_units``), so a fleet's quotes
    should name distinct types.
    """

    instance_type: str
    weight: int
    """Weighted capacity units one instance counts for (>= 1)."""
    price_usd_per_hr: float
    """EC2 price of one instance in this market (spot or on-demand)."""
    capacity_score: float
    """0..1, higher = more spare capacity (1.0 for on-demand pools)."""
    priority: int | None
    """0 = highest priority; None = lowest (after every number)."""
    order: int
    """Position in the fleet's ``instance_types`` list (the final tie-break)."""

    def __post_init__(self) -> None:
        """Reject quotes no strategy can use (a weight below 1 would never reach a target)."""
        if self.weight < 1:
            raise ValueError(f"{self.instance_type}: weight must be >= 1, got {self.weight}")
        if not self.price_usd_per_hr >= 0:
            raise ValueError(
                f"{self.instance_type}: price must be >= 0, got {self.price_usd_per_hr}"
            )
        if not 0.0 <= self.capacity_score <= 1.0:
            raise ValueError(
                f"{self.instance_type}: capacity_score must be in [0, 1], got {self.capacity_score}"
            )

    @property
    def unit_price(self) -> float:
        """Price per weighted unit: ``price_usd_per_hr / weight``."""
        return self.price_usd_per_hr / self.weight


_Key = Callable[[PoolQuote], tuple[float, ...]]


def _priority(q: PoolQuote) -> float:
    """A sortable priority: the number itself, None after every number."""
    return math.inf if q.priority is None else q.priority


def _banded(quotes: Sequence[PoolQuote], inside: _Key, outside: _Key) -> _Key:
    """A key putting the pools in the capacity band first (sorted by ``inside``), then the rest."""
    best = max(q.capacity_score for q in quotes)

    def key(q: PoolQuote) -> tuple[float, ...]:
        if best - q.capacity_score <= CAPACITY_BAND + _EPSILON:
            return (0, *inside(q))
        return (1, *outside(q))

    return key


def _key(strategy: str, quotes: Sequence[PoolQuote], launched: Mapping[str, int]) -> _Key:
    """The sort key (smallest first) of ``strategy`` for these quotes and launched units."""
    if strategy == "lowest-price":
        return lambda q: (q.unit_price, q.order)
    if strategy == "diversified":
        return lambda q: (launched.get(q.instance_type, 0), q.order)
    if strategy == "capacity-optimized":
        return lambda q: (-q.capacity_score, q.order)
    if strategy == "capacity-optimized-prioritized":
        return _banded(
            quotes,
            lambda q: (_priority(q), q.order),
            lambda q: (-q.capacity_score, _priority(q), q.order),
        )
    if strategy == "price-capacity-optimized":
        return _banded(
            quotes,
            lambda q: (q.unit_price, q.order),
            lambda q: (-q.capacity_score, q.unit_price, q.order),
        )
    if strategy == "prioritized":
        return lambda q: (_priority(q), q.unit_price, q.order)
    allowed = sorted(set(SPOT_STRATEGIES) | set(ON_DEMAND_STRATEGIES))
    raise ValueError(
        f"unknown allocation strategy {strategy!r}; allowed: {', '.join(allowed)} "
        f"(Spot: {', '.join(SPOT_STRATEGIES)}; On-Demand: {', '.join(ON_DEMAND_STRATEGIES)})"
    )


def pool_order(
    strategy: str, quotes: Sequence[PoolQuote], launched_units: Mapping[str, int]
) -> list[PoolQuote]:
    """Every pool, in the order the strategy tries them for the NEXT instance.

    The caller tries the first and falls back to the next when a spot request is not
    fulfilled. ``launched_units`` maps instance type -> units already running or requested in
    this market (missing types count 0); only ``diversified`` reads it. The result does not
    depend on the order of ``quotes`` when their ``order`` fields are distinct.

    Raises:
        ValueError: ``strategy`` is not one of :data:`SPOT_STRATEGIES` or
            :data:`ON_DEMAND_STRATEGIES`, or ``quotes`` is empty.
    """
    if not quotes:
        raise ValueError("no capacity pools to allocate from")
    return sorted(quotes, key=_key(strategy, quotes, launched_units))


def plan(
    strategy: str,
    quotes: Sequence[PoolQuote],
    target_units: int,
    launched_units: Mapping[str, int] | None = None,
) -> list[PoolQuote]:
    """The instances the strategy launches to reach ``target_units``, every request fulfilled.

    Repeatedly takes ``pool_order(...)[0]`` and adds its weight until the units launched by
    this plan reach ``target_units``. The last instance may overshoot (overage, as EMR does: 2
    units left and a weight-5 type adds 5), by less than its own weight. ``target_units`` is
    what is still to launch; ``launched_units`` (not modified) is what already runs in this
    market, which only ``diversified`` reads, to keep the spread even. Returns one entry per
    instance, in launch order; a target of 0 gives ``[]``.

    Raises:
        ValueError: as :func:`pool_order` (checked even for a zero target), or
            ``target_units`` < 0.
    """
    if target_units < 0:
        raise ValueError(f"target_units must be >= 0, got {target_units}")
    launched = dict(launched_units or {})
    first = pool_order(strategy, quotes, launched)[0]
    if strategy != "diversified":
        # No other strategy reads launched units: the first pool stays first.
        return [first] * -(-target_units // first.weight)  # ceil, in integers
    instances: list[PoolQuote] = []
    units = 0
    while units < target_units:
        pick = pool_order(strategy, quotes, launched)[0]
        instances.append(pick)
        units += pick.weight
        launched[pick.instance_type] = launched.get(pick.instance_type, 0) + pick.weight
    return instances
