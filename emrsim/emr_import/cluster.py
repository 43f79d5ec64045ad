"""describe-cluster (with the other documents) -> scenario data: :func:`import_cluster`, the
entry point, and the cluster-level fields (region, release, keep-alive, idle timeout, notes)."""

from __future__ import annotations

import re
from typing import Any

from emrsim.emr_import.common import classifications
from emrsim.emr_import.fleets import instance_fleets
from emrsim.emr_import.groups import instance_groups
from emrsim.emr_import.json_node import Node
from emrsim.emr_import.managed import managed_scaling
from emrsim.emr_import.result import ImportResult

DEFAULT_IDLE_TIMEOUT_S = 3600
"""EMR's default IdleTimeout of an auto-termination policy (emr-facts 7)."""
_REGION = re.compile(r"^([a-z]{2}(?:-[a-z]+)+-\d+)")
_ARN_REGION = re.compile(r"^arn:[^:]+:elasticmapreduce:([^:]+):")


def import_cluster(
    describe: Node,
    *,
    groups: Node | None = None,
    fleets: Node | None = None,
    managed: Node | None = None,
    auto_termination: Node | None = None,
    catalogue: set[str] | None = None,
) -> ImportResult:
    """Convert the documents into scenario data.

    ``groups``/``fleets`` default to the ``InstanceGroups``/``InstanceFleets`` the AWS CLI puts
    into describe-cluster's output. ``catalogue``: the known instance types (default: emrsim's
    shipped catalogue); others are kept and reported.
    """
    if catalogue is None:
        from emrsim.nodes.catalogue import load_catalogue

        catalogue = set(load_catalogue())
    if groups is not None and fleets is not None:
        groups.fail("give instance groups or instance fleets, not both")
    cluster = describe.get("Cluster")
    out = ImportResult(data={}, sources=[n.file for n in (describe, groups, fleets, managed) if n])
    if auto_termination is not None:
        out.sources.append(auto_termination.file)
    cluster_id = cluster.get("Id").text() if cluster.has("Id") else "(no Id)"
    out.cluster_id = cluster_id
    name = cluster.get("Name").text() if cluster.has("Name") else cluster_id
    release = cluster.get("ReleaseLabel")
    if not re.match(r"^emr-\d+\.\d+\.\d+$", release.text()):
        release.fail(f"expected a release label like emr-7.5.0, got {release.value!r}")
    data: dict[str, Any] = {
        "name": name,
        "description": f"Imported from EMR cluster {cluster_id} ({name}) by emrsim import",
        "release_label": release.text(),
        "region": _region(cluster, out),
    }

    kind = _collection_type(cluster, groups, fleets)
    if kind == "INSTANCE_FLEET":
        source = fleets.get("InstanceFleets") if fleets else _merged(cluster, "InstanceFleets")
        instances: dict[str, Any] = {"instance_fleets": instance_fleets(source, out, catalogue)}
    else:
        source = groups.get("InstanceGroups") if groups else _merged(cluster, "InstanceGroups")
        instances = {"instance_groups": instance_groups(source, out, catalogue)}

    keep_alive = not cluster.get("AutoTerminate").boolean()
    cluster_data: dict[str, Any] = {**instances, "keep_alive": keep_alive}
    idle = _idle_timeout(auto_termination, keep_alive, out)
    if idle is not None:
        cluster_data["idle_timeout"] = idle
    concurrency = cluster.opt("StepConcurrencyLevel")
    if concurrency is not None:
        cluster_data["step_concurrency"] = concurrency.integer(minimum=1)
    data["cluster"] = cluster_data

    if managed is not None:
        data["scaling"] = {"managed": managed_scaling(managed, out)}
        policies = [g for g in cluster_data.get("instance_groups", []) if "auto_scaling" in g]
        if policies:
            names = ", ".join(str(g.get("name", g["role"])) for g in policies)
            out.warnings.append(
                f"{managed.file}: EMR does not combine managed scaling with custom automatic "
                f"scaling policies; the managed scaling policy is kept and the AutoScalingPolicy "
                f"of {names} is left out"
            )
            for group in policies:
                del group["auto_scaling"]
    data["workload"] = {"steps": []}
    _cluster_notes(cluster, out)
    out.data = data
    return out


def _collection_type(cluster: Node, groups: Node | None, fleets: Node | None) -> str:
    declared = cluster.opt("InstanceCollectionType")
    kind = declared.text() if declared is not None else None
    if kind is not None and kind not in ("INSTANCE_GROUP", "INSTANCE_FLEET"):
        assert declared is not None
        declared.fail(f"unknown value {kind!r}; expected INSTANCE_GROUP or INSTANCE_FLEET")
    given = (
        "INSTANCE_FLEET" if fleets is not None else "INSTANCE_GROUP" if groups is not None else None
    )
    if kind is not None and given is not None and kind != given:
        other = fleets if fleets is not None else groups
        assert declared is not None and other is not None
        declared.fail(
            f"the cluster uses {kind} but {other.file} lists "
            f"{'instance fleets' if given == 'INSTANCE_FLEET' else 'instance groups'}: "
            "were the documents taken from different clusters?"
        )
    if kind is None and given is None:
        kind = "INSTANCE_FLEET" if cluster.has("InstanceFleets") else "INSTANCE_GROUP"
    return kind or given or "INSTANCE_GROUP"


def _merged(cluster: Node, key: str) -> Node:
    """The list the AWS CLI merges into describe-cluster's output."""
    if not cluster.has(key):
        flag = "--instance-fleets" if key == "InstanceFleets" else "--instance-groups"
        command = "list-instance-fleets" if key == "InstanceFleets" else "list-instance-groups"
        Node(cluster.file, (*cluster.path, key), None).fail(
            f"missing key: pass {flag} FILE (the output of aws emr {command})"
        )
    return cluster.get(key)


def _region(cluster: Node, out: ImportResult) -> str:
    attributes = cluster.opt("Ec2InstanceAttributes")
    zones: list[str] = []
    if attributes is not None:
        if attributes.has("Ec2AvailabilityZone"):
            zones.append(attributes.get("Ec2AvailabilityZone").text())
        if attributes.has("RequestedEc2AvailabilityZones"):
            zones += [str(z.value) for z in attributes.get("RequestedEc2AvailabilityZones").items()]
    for zone in zones:
        match = _REGION.match(zone)
        if match:
            return match.group(1)
    arn = cluster.opt("ClusterArn")
    if arn is not None:
        match = _ARN_REGION.match(arn.text())
        if match:
            return match.group(1)
    out.warnings.append(
        f"{cluster.file}: no Ec2InstanceAttributes.Ec2AvailabilityZone or ClusterArn to take "
        "the region from; assumed us-east-1: set region"
    )
    return "us-east-1"


def _idle_timeout(policy: Node | None, keep_alive: bool, out: ImportResult) -> int | None:
    if policy is not None:
        seconds = policy.get("AutoTerminationPolicy").get("IdleTimeout")
        value = seconds.integer(minimum=1)
        if not 60 <= value <= 604800:
            seconds.fail(f"EMR accepts 60 to 604800 seconds, got {value}")
        return value
    if keep_alive:
        out.warnings.append(
            "AutoTerminate is false (the cluster waits when idle) and no auto-termination "
            "policy was given (aws emr get-auto-termination-policy, --auto-termination-policy): "
            f"assumed EMR's default idle timeout of {DEFAULT_IDLE_TIMEOUT_S} s so that a "
            "simulation ends; edit cluster.idle_timeout or set a horizon"
        )
        return DEFAULT_IDLE_TIMEOUT_S
    return None


def _cluster_notes(cluster: Node, out: ImportResult) -> None:
    status = cluster.opt("Status")
    if status is not None and status.has("State"):
        out.notes.append(f"state at export: {status.get('State').value}")
    apps = cluster.opt("Applications")
    if apps is not None:
        names = [
            f"{a.get('Name').value} {a.value.get('Version', '')}".strip() for a in apps.items()
        ]
        if names:
            out.notes.append("applications: " + ", ".join(names))
    configurations = cluster.opt("Configurations")
    if configurations is not None and configurations.value:
        out.warnings.append(
            f"cluster Configurations ({classifications(configurations)}) are not imported: "
            "set the yarn section (or yarn.from_xml) by hand"
        )
    root = cluster.opt("EbsRootVolumeSize")
    if root is not None:
        out.notes.append(f"EBS root volume {root.value} GB per instance (not modelled)")
