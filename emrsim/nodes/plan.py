"""What a cluster asks EC2 for: each instance group or instance fleet as one capacity target.

An instance group is a target with a single instance type of weight 1 in one market; an instance
fleet has on-demand and spot targets in weighted units over up to 30 types (emr-facts 2). The
rest of the simulator (provisioning, validation, default container sizes, HDFS capacity) sees
only :class:`CapacityTarget`, so groups and fleets share one code path.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from emrsim.nodes.catalogue import InstanceType
from emrsim.scenario.models import InstanceFleet, InstanceGroup, Scenario
from emrsim.scenario.values import Market, Role

GROUP, FLEET = "group", "fleet"


@dataclass(frozen=True, slots=True)
class TypeOption:
    """One instance type a target may launch."""

    itype: InstanceType
    weight: int
    """Weighted capacity: units one instance counts for (1 for instance groups)."""
    priority: int | None
    """Launch priority, 0 highest (fleets' ``priority``; None = lowest)."""
    ebs_gb: float | None
    """Data EBS per instance; None = EMR's default for the type."""
    order: int
    """Position in the fleet's list (ties are broken by it)."""


@dataclass(frozen=True, slots=True)
class CapacityTarget:
    """An instance group or an instance fleet: what it wants running, in units per market."""

    name: str
    role: Role
    kind: str
    """``group`` or ``fleet``."""
    index: int
    """Position in ``cluster.instance_groups`` or ``cluster.instance_fleets``."""
    on_demand_units: int
    spot_units: int
    options: tuple[TypeOption, ...]
    spot_strategy: str = "lowest-price"
    on_demand_strategy: str = "lowest-price"
    spot_timeout_s: float | None = None
    spot_timeout_action: str | None = None
    market: Market | None = None
    """An instance group's market (None for fleets, which have both)."""

    def scalable_markets(self) -> list[Market]:
        """The markets scaling may resize: a group's own, or both of a fleet's."""
        return [self.market] if self.market is not None else [Market.ON_DEMAND, Market.SPOT]

    @property
    def where(self) -> tuple[str, str, int]:
        """The key path of the group or fleet in the scenario."""
        key = "instance_groups" if self.kind == GROUP else "instance_fleets"
        return ("cluster", key, self.index)

    def units(self, market: Market) -> int:
        """The target in ``market``."""
        return self.spot_units if market is Market.SPOT else self.on_demand_units

    def markets(self) -> list[Market]:
        """The markets with a non-zero target, on-demand first."""
        return [m for m in (Market.ON_DEMAND, Market.SPOT) if self.units(m) > 0]

    def min_instances(self) -> int:
        """The fewest instances that meet every target (largest weights, overage allowed)."""
        heaviest = max(o.weight for o in self.options)
        return sum(math.ceil(self.units(m) / heaviest) for m in (Market.ON_DEMAND, Market.SPOT))

    def max_instances(self) -> int:
        """The most instances the targets can take (all of weight-1-most types)."""
        lightest = min(o.weight for o in self.options)
        return sum(math.ceil(self.units(m) / lightest) for m in (Market.ON_DEMAND, Market.SPOT))


def _name(items: Sequence[InstanceGroup | InstanceFleet], index: int) -> str:
    """Its ``name``, else its role (numbered when a role has several unnamed ones)."""
    item = items[index]
    if item.name:
        return item.name
    same = [i for i, g in enumerate(items) if g.role is item.role and not g.name]
    return item.role.value if len(same) == 1 else f"{item.role.value}-{same.index(index) + 1}"


def group_name(scenario: Scenario, index: int) -> str:
    """An instance group's name: its ``name``, else its role (numbered if several)."""
    return _name(scenario.cluster.instance_groups or [], index)


def fleet_name(scenario: Scenario, index: int) -> str:
    """An instance fleet's name: its ``name``, else its role (numbered if several)."""
    return _name(scenario.cluster.instance_fleets or [], index)


def capacity_targets(scenario: Scenario, types: Mapping[str, InstanceType]) -> list[CapacityTarget]:
    """The scenario's groups or fleets as capacity targets, in file order.

    Instance types must be known (the scenario checks make sure of it before anything runs).
    """
    targets: list[CapacityTarget] = []
    for i, g in enumerate(scenario.cluster.instance_groups or []):
        spot = g.market is Market.SPOT
        targets.append(
            CapacityTarget(
                name=group_name(scenario, i),
                role=g.role,
                kind=GROUP,
                index=i,
                on_demand_units=0 if spot else g.count,
                spot_units=g.count if spot else 0,
                options=(TypeOption(types[g.instance_type], 1, None, g.ebs_gb, 0),),
                market=g.market,
            )
        )
    for i, f in enumerate(scenario.cluster.instance_fleets or []):
        options = tuple(
            TypeOption(types[t.instance_type], t.weighted_capacity, t.priority, t.ebs_gb, k)
            for k, t in enumerate(f.instance_types)
        )
        targets.append(
            CapacityTarget(
                name=fleet_name(scenario, i),
                role=f.role,
                kind=FLEET,
                index=i,
                on_demand_units=f.target_on_demand_capacity,
                spot_units=f.target_spot_capacity,
                options=options,
                spot_strategy=f.spot_allocation_strategy,
                on_demand_strategy=f.on_demand_allocation_strategy,
                spot_timeout_s=f.spot_timeout.duration if f.spot_timeout else None,
                spot_timeout_action=f.spot_timeout.action if f.spot_timeout else None,
            )
        )
    return targets


def core_target(targets: list[CapacityTarget]) -> CapacityTarget:
    """The core group or fleet (EMR has exactly one)."""
    for t in targets:
        if t.role is Role.CORE:
            return t
    raise LookupError("the scenario has no core instance group or fleet")


def smallest_type(target: CapacityTarget) -> InstanceType:
    """The option with the least YARN memory (first listed on ties)."""
    return min((o.itype for o in target.options), key=lambda t: t.yarn_memory_mb)
