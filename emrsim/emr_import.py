"""Import a real EMR cluster: AWS CLI JSON -> emrsim scenario data (pure conversion).

Inputs are the JSON documents the AWS CLI prints (the EMR API's response shapes):

* ``aws emr describe-cluster`` -> ``{"Cluster": {...}}`` (the CLI also merges the cluster's
  ``InstanceGroups`` or ``InstanceFleets`` into it);
* ``aws emr list-instance-groups`` -> ``{"InstanceGroups": [...]}`` or
  ``aws emr list-instance-fleets`` -> ``{"InstanceFleets": [...]}``;
* ``aws emr get-managed-scaling-policy`` -> ``{"ManagedScalingPolicy": {"ComputeLimits": ...}}``;
* ``aws emr get-auto-termination-policy`` -> ``{"AutoTerminationPolicy": {"IdleTimeout": s}}``.

The result is plain scenario data (``cluster``, ``scaling``, ``release_label``, ``region``...)
with no workload, and the warnings of everything that could not be carried over. Nothing here
prints or exits: bad input raises :class:`EmrImportError` (``file: key.path: message``).
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import yaml

from emrsim.recorder import METRIC_NAMES
from emrsim.scenario.source import dotted

__all__ = [
    "EmrImportError",
    "ImportResult",
    "import_cluster",
    "read_json",
    "scenario_yaml",
]

ROLES = {"MASTER": "primary", "CORE": "core", "TASK": "task"}
MARKETS = {"ON_DEMAND": "on_demand", "SPOT": "spot"}
UNIT_TYPES = {
    "Instances": "instances",
    "VCPU": "vcpu",
    "InstanceFleetUnits": "instance_fleet_units",
}
SPOT_STRATEGIES = (
    "capacity-optimized",
    "price-capacity-optimized",
    "lowest-price",
    "diversified",
    "capacity-optimized-prioritized",
)
ON_DEMAND_STRATEGIES = ("lowest-price", "prioritized")
EMR_NAMESPACE = "AWS/ElasticMapReduce"
DEFAULT_IDLE_TIMEOUT_S = 3600
"""EMR's default IdleTimeout of an auto-termination policy (emr-facts 7)."""
_REGION = re.compile(r"^([a-z]{2}(?:-[a-z]+)+-\d+)")
_ARN_REGION = re.compile(r"^arn:[^:]+:elasticmapreduce:([^:]+):")


class EmrImportError(Exception):
    """Input that cannot be imported: which file, where in it, and why."""

    def __init__(self, file: str, path: tuple[str | int, ...], message: str) -> None:
        self.file, self.path, self.message = file, path, message
        where = f"{file}: {dotted(path)}" if path else file
        super().__init__(f"{where}: {message}")


# ----------------------------------------------------------------------------- JSON access
@dataclass(frozen=True)
class Node:
    """A JSON value with the file and key path it came from (for error messages)."""

    file: str
    path: tuple[str | int, ...]
    value: Any

    def fail(self, message: str) -> NoReturn:
        raise EmrImportError(self.file, self.path, message)

    def _mapping(self) -> Mapping[str, Any]:
        if not isinstance(self.value, dict):
            self.fail(f"expected a JSON object, got {_kind(self.value)}")
        return self.value

    def has(self, key: str) -> bool:
        return self._mapping().get(key) is not None

    def get(self, key: str) -> Node:
        """The value at ``key``; a missing (or null) key is an error."""
        mapping = self._mapping()
        if mapping.get(key) is None:
            Node(self.file, (*self.path, key), None).fail("missing key")
        return Node(self.file, (*self.path, key), mapping[key])

    def opt(self, key: str) -> Node | None:
        return self.get(key) if self.has(key) else None

    def items(self) -> list[Node]:
        if not isinstance(self.value, list):
            self.fail(f"expected a JSON list, got {_kind(self.value)}")
        return [Node(self.file, (*self.path, i), v) for i, v in enumerate(self.value)]

    def text(self) -> str:
        if not isinstance(self.value, str) or not self.value:
            self.fail(f"expected a non-empty string, got {_kind(self.value)}")
        return self.value

    def number(self) -> float:
        if isinstance(self.value, bool) or not isinstance(self.value, (int, float)):
            self.fail(f"expected a number, got {_kind(self.value)}")
        return float(self.value)

    def integer(self, minimum: int = 0) -> int:
        number = self.number()
        if not number.is_integer() or number < minimum:
            self.fail(f"expected a whole number >= {minimum}, got {self.value!r}")
        return int(number)

    def boolean(self) -> bool:
        if not isinstance(self.value, bool):
            self.fail(f"expected true or false, got {_kind(self.value)}")
        return self.value

    def choice(self, allowed: Mapping[str, str]) -> str:
        text = self.text()
        if text not in allowed:
            self.fail(f"unknown value {text!r}; expected one of {', '.join(allowed)}")
        return allowed[text]


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    for kind, name in names.items():
        if isinstance(value, kind):
            return f"{name} ({value!r})" if kind in (str, bool) else name
    return f"a number ({value!r})" if isinstance(value, (int, float)) else type(value).__name__


def read_json(path: str | Path) -> Node:
    """Read one JSON document; unreadable or malformed files raise :class:`EmrImportError`."""
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise EmrImportError(file, (), "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise EmrImportError(file, (), f"cannot read the file: {exc}") from None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise EmrImportError(
            f"{file}:{exc.lineno}", (), f"not valid JSON: {exc.msg} (column {exc.colno})"
        ) from None
    node = Node(file, (), value)
    node._mapping()
    return node


# ------------------------------------------------------------------------------ the result
@dataclass
class ImportResult:
    """Scenario data (plain dicts, as read from YAML) and what the import could not carry."""

    data: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """Facts of the source cluster kept for the reader (header comments), not problems."""
    sources: list[str] = field(default_factory=list)
    unknown_types: list[str] = field(default_factory=list)
    dropped_rules: list[str] = field(default_factory=list)
    """Scaling rules left out, as JSON, so that the reader can see them."""
    cluster_id: str = ""


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
        instances: dict[str, Any] = {"instance_fleets": _fleets(source, out, catalogue)}
    else:
        source = groups.get("InstanceGroups") if groups else _merged(cluster, "InstanceGroups")
        instances = {"instance_groups": _groups(source, out, catalogue)}

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
        data["scaling"] = {"managed": _managed(managed, out)}
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
            f"cluster Configurations ({_classifications(configurations)}) are not imported: "
            "set the yarn section (or yarn.from_xml) by hand"
        )
    root = cluster.opt("EbsRootVolumeSize")
    if root is not None:
        out.notes.append(f"EBS root volume {root.value} GB per instance (not modelled)")


def _classifications(configurations: Node) -> str:
    return ", ".join(
        str(c.value.get("Classification", "?")) if isinstance(c.value, dict) else "?"
        for c in configurations.items()
    )


# ---------------------------------------------------------------------------------- groups
def _ebs_gb(holder: Node) -> float | None:
    devices = holder.opt("EbsBlockDevices")
    if devices is None or not devices.value:
        return None
    total = 0.0
    for device in devices.items():
        total += device.get("VolumeSpecification").get("SizeInGB").number()
    return int(total) if total.is_integer() else total


def _groups(source: Node, out: ImportResult, catalogue: set[str]) -> list[dict[str, Any]]:
    groups: list[dict[str, Any]] = []
    seen: set[str] = set()
    items = source.items()
    if not items:
        source.fail("no instance groups")
    for node in items:
        itype = node.get("InstanceType").text()
        group: dict[str, Any] = {
            "role": node.get("InstanceGroupType").choice(ROLES),
            "instance_type": itype,
            "count": node.get("RequestedInstanceCount").integer(),
            "market": node.get("Market").choice(MARKETS),
        }
        label = f"{node.file}: {dotted(node.path)}"
        if node.has("Name"):
            name = node.get("Name").text()
            if name in seen:
                suffix = node.get("Id").text() if node.has("Id") else str(len(groups))
                out.warnings.append(
                    f"{label}: a second group named {name!r}; renamed {name} {suffix} "
                    "(emrsim needs unique group names)"
                )
                name = f"{name} {suffix}"
            seen.add(name)
            group = {"name": name, **group}
            label += f" ({name})"
        ebs = _ebs_gb(node)
        if ebs is not None:
            group["ebs_gb"] = ebs
        if node.has("BidPrice") and group["market"] == "spot":
            out.notes.append(
                f"{label}: spot max price {node.get('BidPrice').value} USD/h not modelled "
                "(emrsim's spot price: spot_market.price_fraction or the Spot Advisor)"
            )
        _unknown_type(itype, label, out, catalogue)
        configurations = node.opt("Configurations")
        if configurations is not None and configurations.value:
            out.warnings.append(
                f"{label}: group Configurations ({_classifications(configurations)}) are not "
                "imported: set the yarn section by hand"
            )
        if node.has("AutoScalingPolicy"):
            policy = _auto_scaling(node.get("AutoScalingPolicy"), label, out)
            if policy is not None:
                group["auto_scaling"] = policy
        groups.append(group)
    return groups


def _unknown_type(itype: str, label: str, out: ImportResult, catalogue: set[str]) -> None:
    if itype in catalogue or itype in out.unknown_types:
        return
    out.unknown_types.append(itype)
    out.warnings.append(
        f"{label}: instance type {itype} is not in emrsim's catalogue: add instance_types."
        f"{itype} with vcpu, memory_gb and yarn_memory_mb (and pricing.instances.{itype} "
        "prices); the scenario will not validate until then"
    )


def _auto_scaling(policy: Node, label: str, out: ImportResult) -> dict[str, Any] | None:
    """AutoScalingPolicy -> ``auto_scaling``; rules emrsim cannot run are reported and left out."""
    constraints = policy.get("Constraints")
    result: dict[str, Any] = {
        "constraints": {
            "min_capacity": constraints.get("MinCapacity").integer(),
            "max_capacity": constraints.get("MaxCapacity").integer(),
        },
        "rules": [],
    }
    rules = policy.get("Rules").items()
    for rule in rules:
        converted, problem = _rule(rule)
        if problem is not None:
            name = rule.value.get("Name", dotted(rule.path)) if isinstance(rule.value, dict) else ""
            out.warnings.append(f"{label}: scaling rule {name!r} left out: {problem}")
            out.dropped_rules.append(f"{label}: {json.dumps(rule.value, sort_keys=True)}")
        else:
            result["rules"].append(converted)
    if not result["rules"]:
        limits = result["constraints"]
        out.warnings.append(
            f"{label}: no scaling rule could be carried over, so the AutoScalingPolicy "
            f"(MinCapacity {limits['min_capacity']}, MaxCapacity {limits['max_capacity']}) "
            "is left out: the group keeps its count"
        )
        return None
    return result


def _rule(rule: Node) -> tuple[dict[str, Any], str | None]:
    name = rule.get("Name").text()
    simple = rule.get("Action").get("SimpleScalingPolicyConfiguration")
    action: dict[str, Any] = {"scaling_adjustment": int(simple.get("ScalingAdjustment").number())}
    if simple.has("AdjustmentType"):
        action = {"adjustment_type": simple.get("AdjustmentType").text(), **action}
    if simple.has("CoolDown"):
        action["cool_down"] = simple.get("CoolDown").integer()
    alarm = rule.get("Trigger").get("CloudWatchAlarmDefinition")
    metric = alarm.get("MetricName").text()
    trigger: dict[str, Any] = {
        "metric": metric,
        "comparison_operator": alarm.get("ComparisonOperator").text(),
        "threshold": _plain(alarm.get("Threshold").number()),
        "period": alarm.get("Period").integer(minimum=1),
    }
    if alarm.has("EvaluationPeriods"):
        trigger["evaluation_periods"] = alarm.get("EvaluationPeriods").integer(minimum=1)
    if alarm.has("Statistic"):
        trigger["statistic"] = alarm.get("Statistic").text()
    converted = {"name": name, "action": action, "trigger": trigger}
    namespace = alarm.opt("Namespace")
    if namespace is not None and namespace.value != EMR_NAMESPACE:
        return converted, (
            f"its metric {metric} is in namespace {namespace.value}, and emrsim publishes "
            f"only {EMR_NAMESPACE} metrics"
        )
    if metric not in METRIC_NAMES:
        return converted, (
            f"emrsim does not publish the metric {metric} (it publishes {', '.join(METRIC_NAMES)})"
        )
    if trigger["period"] % 60:
        return converted, f"Period {trigger['period']} s is not a whole number of minutes"
    return converted, None


def _plain(number: float) -> float | int:
    return int(number) if number.is_integer() else number


# ---------------------------------------------------------------------------------- fleets
def _strategy(node: Node, allowed: tuple[str, ...]) -> str:
    text = node.text().strip().lower().replace("_", "-")
    if text not in allowed:
        node.fail(f"unknown allocation strategy {node.value!r}; expected one of {allowed}")
    return text


def _fleets(source: Node, out: ImportResult, catalogue: set[str]) -> list[dict[str, Any]]:
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
    ebs = _ebs_gb(node)
    if ebs is not None:
        option["ebs_gb"] = ebs
    bid = node.opt("BidPrice")
    percent = node.opt("BidPriceAsPercentageOfOnDemandPrice")
    if bid is not None or (percent is not None and percent.number() != 100):
        value = f"{bid.value} USD/h" if bid else f"{percent.value if percent else ''}% of OD"
        out.notes.append(f"{label}: {itype} spot max price {value} not modelled")
    _unknown_type(itype, label, out, catalogue)
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


# ----------------------------------------------------------------------------- managed
def _managed(document: Node, out: ImportResult) -> dict[str, Any]:
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


# ----------------------------------------------------------------------------------- YAML
class _Dumper(yaml.SafeDumper):
    """Block YAML with list items indented under their key."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def scenario_yaml(result: ImportResult) -> str:
    """The scenario as YAML text, with a comment header: where it came from, what to add, and
    every warning and note of the import."""
    header = [
        f"# Imported by `emrsim import` from EMR cluster {result.cluster_id}; files:",
        *(f"#   {source}" for source in result.sources),
        "# The import has no workload: add steps, streams or traces under `workload` before",
        "# `emrsim run` (without them the cluster starts, idles and terminates). For example:",
        "#   workload:",
        "#     steps:",
        "#       - name: etl",
        "#         job: {stages: [{name: map, tasks: 100, duration: 60}]}",
    ]
    if result.warnings:
        header.append("#")
        header.append("# Warnings (not carried over, or needing an edit):")
        header += _bullets(result.warnings)
    if result.dropped_rules:
        header.append("#")
        header.append("# Scaling rules left out, as EMR described them:")
        header += [f"#   {r}" for r in result.dropped_rules]
    if result.unknown_types:
        header.append("#")
        header.append("# Instance types to define (emrsim has no data for them), e.g.:")
        header.append("#   instance_types:")
        header += [
            f"#     {t}: {{vcpu: ?, memory_gb: ?, yarn_memory_mb: ?, "
            "on_demand_usd_per_hr: ?, emr_usd_per_hr: ?}"
            for t in result.unknown_types
        ]
    if result.notes:
        header.append("#")
        header.append("# Notes:")
        header += _bullets(result.notes)
    body = yaml.dump(
        result.data,
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=100,
    )
    return "\n".join(header) + "\n\n" + body


def _bullets(lines: list[str]) -> list[str]:
    out: list[str] = []
    for line in lines:
        out += textwrap.wrap(
            line,
            width=99,
            initial_indent="#   - ",
            subsequent_indent="#     ",
            break_on_hyphens=False,
            break_long_words=False,
        )
    return out
