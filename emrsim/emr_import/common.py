"""What the cluster, instance group and instance fleet conversions share: roles, EBS sizes,
Configurations classifications and the report of instance types emrsim does not know."""

from __future__ import annotations

from emrsim.emr_import.json_node import Node
from emrsim.emr_import.result import ImportResult

ROLES = {"MASTER": "primary", "CORE": "core", "TASK": "task"}
"""EMR's InstanceGroupType / InstanceFleetType -> emrsim's role."""


def ebs_gb(holder: Node) -> float | None:
    """The total SizeInGB of ``holder``'s EbsBlockDevices, or None where it has none."""
    devices = holder.opt("EbsBlockDevices")
    if devices is None or not devices.value:
        return None
    total = 0.0
    for device in devices.items():
        total += device.get("VolumeSpecification").get("SizeInGB").number()
    return int(total) if total.is_integer() else total


def unknown_type(itype: str, label: str, out: ImportResult, catalogue: set[str]) -> None:
    """Report ``itype`` once if it is not in ``catalogue`` (it must be defined by hand)."""
    if itype in catalogue or itype in out.unknown_types:
        return
    out.unknown_types.append(itype)
    out.warnings.append(
        f"{label}: instance type {itype} is not in emrsim's catalogue: add instance_types."
        f"{itype} with vcpu, memory_gb and yarn_memory_mb (and pricing.instances.{itype} "
        "prices); the scenario will not validate until then"
    )


def classifications(configurations: Node) -> str:
    """The Classification of each of ``configurations``, comma-separated (``?`` if none)."""
    return ", ".join(
        str(c.value.get("Classification", "?")) if isinstance(c.value, dict) else "?"
        for c in configurations.items()
    )
