"""HDFS replication and capacity rules (plain functions over the scenario)."""

from __future__ import annotations

import math
from typing import Literal

from emrsim.nodes.catalogue import InstanceType
from emrsim.nodes.plan import CapacityTarget, capacity_targets, core_target
from emrsim.nodes.resolve import resolve_instance_types
from emrsim.scenario.models import Scenario
from emrsim.scenario.values import Market

EXACT_UNITS = 20_000
"""Above this many units in a market, the lowest core storage is estimated, not searched."""


def replication_for(setting: Literal["auto"] | int, core_nodes: int) -> int:
    """dfs.replication: EMR's rule by core node count (1 below 4, 2 for 4-9, 3 from 10)."""
    if setting != "auto":
        return int(setting)
    if core_nodes < 4:
        return 1
    return 2 if core_nodes < 10 else 3


def instance_storage_gb(itype: InstanceType, ebs_gb: float | None) -> float:
    """Raw HDFS storage of one core node of ``itype``: instance store plus data EBS volumes."""
    ebs = itype.ebs_default_gb if ebs_gb is None else ebs_gb
    return itype.instance_store_gb + ebs


def node_storage_gb(scenario: Scenario, instance_type: str, ebs_gb: float | None) -> float:
    """Raw HDFS storage of one core node: instance store plus data EBS volumes."""
    return instance_storage_gb(resolve_instance_types(scenario)[instance_type], ebs_gb)


def lowest_core_storage(scenario: Scenario) -> tuple[float, int]:
    """The least raw storage (GB) the core group or fleet can start with, and its instances.

    A core group has exactly ``count`` instances. A core fleet meets each market's target with
    any mix of its types, the last instance possibly overshooting it (emr-facts 2): the least
    storage over every such mix is found per market (fewest instances on ties). Above
    ``EXACT_UNITS`` units the fill with the type of least storage per unit of weight is taken.
    (0.0, 0) when there is no core group or fleet.
    """
    try:
        core = core_target(capacity_targets(scenario, resolve_instance_types(scenario)))
    except LookupError:
        return 0.0, 0
    raw, instances = 0.0, 0
    for market in (Market.ON_DEMAND, Market.SPOT):
        gb, n = _lowest_fill(core, core.units(market))
        raw += gb
        instances += n
    return raw, instances


def _lowest_fill(core: CapacityTarget, units: int) -> tuple[float, int]:
    """(storage GB, instances) of the fill of ``units`` with the least storage."""
    if units <= 0:
        return 0.0, 0
    options = [(o.weight, instance_storage_gb(o.itype, o.ebs_gb)) for o in core.options]
    if units > EXACT_UNITS:
        weight, gb = min(options, key=lambda o: o[1] / o[0])
        n = math.ceil(units / weight)
        return n * gb, n
    # best[u]: the least (storage, instances) of instances whose weights total at least u.
    # A least-storage cover never holds an instance it could drop, so EMR can launch it.
    best: list[tuple[float, int]] = [(0.0, 0)]
    for u in range(1, units + 1):
        best.append(min(_add(best[max(0, u - w)], gb) for w, gb in options))
    return best[units]


def _add(fill: tuple[float, int], gb: float) -> tuple[float, int]:
    return fill[0] + gb, fill[1] + 1


def hdfs_capacity_gb(scenario: Scenario, replication: int) -> float:
    """Usable HDFS capacity: raw core storage / replication (emr-facts 4).

    For a core fleet, the raw storage is the least it may launch with
    (:func:`lowest_core_storage`).
    """
    return lowest_core_storage(scenario)[0] / replication
