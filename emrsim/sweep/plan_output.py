"""What ``emrsim plan`` prints of its answer: each evaluated point for the JSON document, the
chosen point as a scenario snippet to paste, and its cluster as ``aws emr create-cluster``
``--instance-groups`` or ``--instance-fleets`` JSON."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import yaml

from emrsim.sweep.plan import PointState
from emrsim.sweep.sla import SLA


def point_json(
    state: PointState, point: Mapping[str, Any], slas: Sequence[SLA], objective: str
) -> dict[str, Any]:
    """One evaluated point for the JSON document."""
    from emrsim.report.aggregate import t_interval

    obj = state.values(objective)
    ci = t_interval(obj)
    sla_rows = []
    for s in slas:
        values = state.values(s.metric)
        fig = s.figure(values)
        interval = s.interval(values)
        sla_rows.append(
            {
                "sla": s.text,
                "metric": s.metric,
                "statistic": s.stat,
                "value": None if math.isnan(fig) else fig,
                "ci95": list(interval) if interval is not None else None,
                "pass": s.holds(fig),
            }
        )
    return {
        "index": state.index,
        "overrides": dict(point),
        "replications": len(state.runs),
        "status": "pruned" if state.pruned else "evaluated",
        "objective": {
            "metric": objective,
            "mean": float(np.mean(obj)) if obj else None,
            "ci95": list(ci) if ci is not None else None,
        },
        "sla": sla_rows,
        "meets_sla": all(r["pass"] for r in sla_rows),
    }


def yaml_values(point: Mapping[str, str]) -> dict[str, Any]:
    """A point's overrides with their values read as YAML."""
    return {k: yaml.safe_load(v) for k, v in point.items()}


_ROLE_API = {"primary": "MASTER", "core": "CORE", "task": "TASK"}
_MARKET_API = {"on_demand": "ON_DEMAND", "spot": "SPOT"}


def scenario_snippet(config: Mapping[str, Any], keys: Sequence[str]) -> dict[str, Any]:
    """The part of a resolved scenario (``Scenario.model_dump(mode="json")``) to paste:
    ``cluster.instance_groups`` or ``cluster.instance_fleets`` in full, plus the values of
    varied keys elsewhere in ``cluster`` and whole top-level sections varied outside it."""
    cluster = config.get("cluster") or {}
    nodes = "instance_groups" if cluster.get("instance_groups") is not None else "instance_fleets"
    out_cluster: dict[str, Any] = {nodes: _drop_none(cluster.get(nodes))}
    snippet: dict[str, Any] = {}
    for key in keys:
        parts = key.split(".")
        if parts[0] == "cluster" and len(parts) > 1:
            if parts[1] not in ("instance_groups", "instance_fleets") and parts[1] in cluster:
                out_cluster[parts[1]] = _drop_none(cluster[parts[1]])
        elif parts[0] in config:
            snippet[parts[0]] = _drop_none(config[parts[0]])
    return {"cluster": out_cluster, **snippet}


def _drop_none(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value


def snippet_yaml(snippet: Mapping[str, Any]) -> str:
    """The snippet as block YAML with one flow mapping per instance group."""

    class Dumper(yaml.SafeDumper):
        pass

    def represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> Any:
        return dumper.represent_sequence("tag:yaml.org,2002:seq", data)

    Dumper.add_representer(list, represent_list)
    return yaml.dump(dict(snippet), Dumper=Dumper, sort_keys=False, default_flow_style=None)


def _ebs(size_gb: float | None) -> dict[str, Any] | None:
    if size_gb is None or size_gb <= 0:
        return None
    return {
        "EbsBlockDeviceConfigs": [
            {
                "VolumeSpecification": {"VolumeType": "gp3", "SizeInGB": math.ceil(size_gb)},
                "VolumesPerInstance": 1,
            }
        ]
    }


def create_cluster_instances(cluster: Mapping[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """The ``aws emr create-cluster`` option and its JSON for the cluster section of a
    resolved scenario: ``--instance-groups`` (InstanceGroupConfig objects; groups with count 0
    other than the primary are left out) or ``--instance-fleets`` (InstanceFleetConfig)."""
    if cluster.get("instance_groups") is not None:
        groups = []
        for g in cluster["instance_groups"]:
            role = str(g["role"])
            if g["count"] == 0 and role != "primary":
                continue
            item: dict[str, Any] = {
                "Name": g.get("name") or f"{role.capitalize()}",
                "InstanceRole": _ROLE_API[role],
                "InstanceType": g["instance_type"],
                "InstanceCount": g["count"],
                "Market": _MARKET_API[str(g.get("market") or "on_demand")],
            }
            ebs = _ebs(g.get("ebs_gb"))
            if ebs is not None:
                item["EbsConfiguration"] = ebs
            groups.append(item)
        return "--instance-groups", groups
    fleets = []
    for f in cluster.get("instance_fleets") or []:
        role = str(f["role"])
        types = []
        for t in f["instance_types"]:
            tc: dict[str, Any] = {
                "InstanceType": t["instance_type"],
                "WeightedCapacity": t.get("weighted_capacity", 1),
            }
            if t.get("priority") is not None:
                tc["Priority"] = float(t["priority"])
            ebs = _ebs(t.get("ebs_gb"))
            if ebs is not None:
                tc["EbsConfiguration"] = ebs
            types.append(tc)
        fleet: dict[str, Any] = {
            "Name": f.get("name") or f"{role.capitalize()}",
            "InstanceFleetType": _ROLE_API[role],
            "TargetOnDemandCapacity": f.get("target_on_demand_capacity", 0),
            "TargetSpotCapacity": f.get("target_spot_capacity", 0),
            "InstanceTypeConfigs": types,
        }
        launch = _launch_specifications(f)
        if launch:
            fleet["LaunchSpecifications"] = launch
        fleets.append(fleet)
    return "--instance-fleets", fleets


def _launch_specifications(fleet: Mapping[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    if fleet.get("target_spot_capacity", 0) > 0:
        spot: dict[str, Any] = {"AllocationStrategy": fleet.get("spot_allocation_strategy")}
        timeout = fleet.get("spot_timeout")
        if timeout:
            spot["TimeoutDurationMinutes"] = round(float(timeout["duration"]) / 60)
            spot["TimeoutAction"] = str(timeout["action"]).upper()
        spec["SpotSpecification"] = spot
    if fleet.get("target_on_demand_capacity", 0) > 0:
        strategy = fleet.get("on_demand_allocation_strategy") or "lowest-price"
        spec["OnDemandSpecification"] = {"AllocationStrategy": strategy}
    return spec
