"""The managed scaling policy (get-managed-scaling-policy) -> ``scaling.managed``."""

from __future__ import annotations

from typing import Any

from emrsim.emr_import.json_node import Node
from emrsim.emr_import.result import ImportResult

UNIT_TYPES = {
    "Instances": "instances",
    "VCPU": "vcpu",
    "InstanceFleetUnits": "instance_fleet_units",
}
"""EMR's ComputeLimits.UnitType -> emrsim's unit type."""


def managed_scaling(document: Node, out: ImportResult) -> dict[str, Any]:
    """``scaling.managed`` from a ManagedScalingPolicy document; what it cannot carry is warned."""
    policy = document.get("ManagedScalingPolicy")
    limits = policy.get("ComputeLimits")
    managed: dict[str, Any] = {
        "unit_type": limits.get("UnitType").choice(UNIT_TYPES),
        "minimum_capacity_units": limits.get("MinimumCapacityUnits").integer(),
        "maximum_capacity_units": limits.get("MaximumCapacityUnits").integer(minimum=1),
    }
    for key, ours in (
        ("MaximumOnDemandCapacityUnits", "maximum_on_demand_capacity_units"),
        ("MaximumCoreCapacityUnits", "maximum_core_capacity_units"),
    ):
        if limits.has(key):
            managed[ours] = limits.get(key).integer()
    for key in ("ScalingStrategy", "UtilizationPerformanceIndex"):
        if policy.has(key):
            out.warnings.append(
                f"{document.file}: ManagedScalingPolicy.{key} = {policy.get(key).value} is not "
                "imported (AWS does not document its effect); tune "
                "scaling.managed.target_utilization_pct instead"
            )
    return managed
