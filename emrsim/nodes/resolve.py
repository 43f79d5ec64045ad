"""The instance types a scenario sees: the shipped catalogue plus the scenario's own entries."""

from __future__ import annotations

from dataclasses import replace

from emrsim.nodes.catalogue import InstanceType, load_catalogue
from emrsim.scenario.models import InstanceTypeSpec, Scenario

# Fields a brand-new (not catalogued) instance type must give.
REQUIRED_NEW_FIELDS = ("vcpu", "memory_gb", "yarn_memory_mb")


def resolve_instance_types(scenario: Scenario) -> dict[str, InstanceType]:
    """Catalogue entries for the scenario's region, with ``instance_types`` added or overridden.

    A new type needs at least vcpu, memory_gb and yarn_memory_mb; its other YARN figures default
    as EMR derives them (vcores = vCPUs, map = a quarter of the NodeManager memory, reduce and
    AM = half), and its prices must come from the entry or from ``pricing.instances``.
    """
    types = dict(load_catalogue(scenario.region))
    for name, spec in scenario.instance_types.items():
        base = types.get(name)
        types[name] = _merge(name, spec, base) if base else _new(name, spec)
    return types


def _merge(name: str, spec: InstanceTypeSpec, base: InstanceType) -> InstanceType:
    changes: dict[str, object] = {}
    for field, value in spec.model_dump(exclude_none=True).items():
        key = "memory_gib" if field == "memory_gb" else field
        changes[key] = value
    provenance = dict(base.provenance)
    provenance.update({k: "scenario instance_types" for k in changes})
    return replace(base, **changes, provenance=provenance)  # type: ignore[arg-type]


def _round_down_32(value: float) -> int:
    return max(32, int(value) // 32 * 32)


def _new(name: str, spec: InstanceTypeSpec) -> InstanceType:
    missing = [f for f in REQUIRED_NEW_FIELDS if getattr(spec, f) is None]
    if missing:
        raise KeyError(", ".join(missing))
    assert spec.vcpu is not None and spec.memory_gb is not None
    assert spec.yarn_memory_mb is not None
    yarn_mb = spec.yarn_memory_mb
    return InstanceType(
        name=name,
        vcpu=spec.vcpu,
        memory_gib=spec.memory_gb,
        yarn_memory_mb=yarn_mb,
        yarn_vcores=spec.yarn_vcores or spec.vcpu,
        map_memory_mb=spec.map_memory_mb or _round_down_32(yarn_mb / 4),
        reduce_memory_mb=spec.reduce_memory_mb or _round_down_32(yarn_mb / 2),
        am_memory_mb=spec.am_memory_mb or _round_down_32(yarn_mb / 2),
        instance_store_gb=spec.instance_store_gb or 0.0,
        ebs_default_gb=spec.ebs_default_gb or 0.0,
        on_demand_usd_per_hr=spec.on_demand_usd_per_hr,
        emr_usd_per_hr=spec.emr_usd_per_hr,
        provenance={"*": "scenario instance_types"},
    )
