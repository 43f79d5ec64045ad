"""Instance fleets (list-instance-fleets) -> ``cluster.instance_fleets``: targets, instance type
options with their weights and priorities, and the launch specifications."""

from __future__ import annotations

from typing import Any

from emrsim.emr_import.common import ROLES, ebs_gb, unknown_type
from emrsim.emr_import.json_node import Node
from emrsim.emr_import.result import ImportResult
from emrsim.scenario.source import dotted

SPOT_STRATEGIES = (
    "capacity-optimized",
    "price-capacity-optimized",
    "lowest-price",
    "diversified",
    "capacity-optimized-prioritized",
)
"""The spot allocation strategies EMR accepts, in emrsim's spelling."""
ON_DEMAND_STRATEGIES = ("lowest-price", "prioritized")
"""The on-demand allocation strategies EMR accepts, in emrsim's spelling."""


def _strategy(node: Node, allowed: tuple[str, ...]) -> str:
    text = node.text().strip().lower().replace("_", "-")
    if text not in allowed:
        node.fail(f"unknown allocation strategy {node.value!r}; expected one of {allowed}")
    return text


def instance_fleets(source: Node, out: ImportResult, catalogue: set[str]) -> list[dict[str, Any]]:
    """The ``instance_fleets`` of the scenario from EMR's InstanceFleets list ``source``."""
    fleets: list[dict[str, Any]] = []
    items = source.items()
    if not items:
        source.fail("no instance fleets")
    for node in items:
        label = f"{node.file}: {dotted(node.path)}"
        fleet: dict[str, Any] = {"role": node.get("InstanceFleetType").choice(ROLES)}
        if node.has("Name"):
            fleet["name"] = node.get("Name").text()
            label += f" ({fleet['name']})"
        on_demand = node.opt("TargetOnDemandCapacity")
        spot = node.opt("TargetSpotCapacity")
        fleet["target_on_demand_capacity"] = on_demand.integer() if on_demand else 0
        fleet["target_spot_capacity"] = spot.integer() if spot else 0
        fleet["instance_types"] = [
            _fleet_type(t, label, out, catalogue)
            for t in node.get("InstanceTypeSpecifications").items()
        ]
        _priorities(fleet["instance_types"], label, out)
        launch = node.opt("LaunchSpecifications")
        if launch is not None:
            _launch(launch, fleet, label, out)
        if node.has("ResizeSpecifications"):
            out.notes.append(f"{label}: ResizeSpecifications (resize timeouts) not modelled")
        fleets.append(fleet)
    return fleets


def _fleet_type(node: Node, label: str, out: ImportResult, catalogue: set[str]) -> dict[str, Any]:
    itype = node.get("InstanceType").text()
    option: dict[str, Any] = {"instance_type": itype}
    weight = node.opt("WeightedCapacity")
    option["weighted_capacity"] = weight.integer(minimum=1) if weight else 1
    if node.has("Priority"):
        option["priority"] = node.get("Priority").number()
    ebs = ebs_gb(node)
    if ebs is not None:
        option["ebs_gb"] = ebs
    bid = node.opt("BidPrice")
    percent = node.opt("BidPriceAsPercentageOfOnDemandPrice")
    if bid is not None or (percent is not None and percent.number() != 100):
        value = f"{bid.value} USD/h" if bid else f"{percent.value if percent else ''}% of OD"
        out.notes.append(f"{label}: {itype} spot max price {value} not modelled")
    unknown_type(itype, label, out, catalogue)
    return option


def _priorities(options: list[dict[str, Any]], label: str, out: ImportResult) -> None:
    """EMR's Priority is a double (0 = highest); emrsim takes whole numbers: keep the order."""
    given = [o["priority"] for o in options if "priority" in o]
    if all(float(p).is_integer() for p in given):
        for option in options:
            if "priority" in option:
                option["priority"] = int(option["priority"])
        return
    rank = {p: i for i, p in enumerate(sorted(set(given)))}
    for option in options:
        if "priority" in option:
            option["priority"] = rank[option["priority"]]
    out.notes.append(f"{label}: fractional priorities replaced by their rank (same order)")


def _launch(launch: Node, fleet: dict[str, Any], label: str, out: ImportResult) -> None:
    spot = launch.opt("SpotSpecification")
    if spot is not None:
        if spot.has("AllocationStrategy"):
            fleet["spot_allocation_strategy"] = _strategy(
                spot.get("AllocationStrategy"), SPOT_STRATEGIES
            )
        minutes = spot.opt("TimeoutDurationMinutes")
        if minutes is not None:
            duration = minutes.integer(minimum=1)
            action = spot.get("TimeoutAction").text().lower()
            if fleet["target_spot_capacity"] > 0:
                fleet["spot_timeout"] = {"duration": f"{duration}m", "action": action}
            else:
                out.notes.append(
                    f"{label}: spot timeout ({duration} min, {action}) dropped: no spot target"
                )
        if spot.has("BlockDurationMinutes"):
            out.notes.append(f"{label}: spot BlockDurationMinutes not modelled")
    on_demand = launch.opt("OnDemandSpecification")
    if on_demand is not None and on_demand.has("AllocationStrategy"):
        fleet["on_demand_allocation_strategy"] = _strategy(
            on_demand.get("AllocationStrategy"), ON_DEMAND_STRATEGIES
        )
    if on_demand is not None and on_demand.has("CapacityReservationOptions"):
        out.notes.append(f"{label}: on-demand CapacityReservationOptions not modelled")
