"""Instance groups (list-instance-groups) -> ``cluster.instance_groups``, with the custom
AutoScalingPolicy of each group; rules emrsim cannot run are reported and left out."""

from __future__ import annotations

import json
from typing import Any

from emrsim.emr_import.common import ROLES, classifications, ebs_gb, unknown_type
from emrsim.emr_import.json_node import Node
from emrsim.emr_import.result import ImportResult
from emrsim.recorder import METRIC_NAMES
from emrsim.scenario.source import dotted

MARKETS = {"ON_DEMAND": "on_demand", "SPOT": "spot"}
"""EMR's Market -> emrsim's market."""
EMR_NAMESPACE = "AWS/ElasticMapReduce"
"""The CloudWatch namespace of the metrics emrsim publishes."""


def instance_groups(source: Node, out: ImportResult, catalogue: set[str]) -> list[dict[str, Any]]:
    """The ``instance_groups`` of the scenario from EMR's InstanceGroups list ``source``."""
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
        ebs = ebs_gb(node)
        if ebs is not None:
            group["ebs_gb"] = ebs
        if node.has("BidPrice") and group["market"] == "spot":
            out.notes.append(
                f"{label}: spot max price {node.get('BidPrice').value} USD/h not modelled "
                "(emrsim's spot price: spot_market.price_fraction or the Spot Advisor)"
            )
        unknown_type(itype, label, out, catalogue)
        configurations = node.opt("Configurations")
        if configurations is not None and configurations.value:
            out.warnings.append(
                f"{label}: group Configurations ({classifications(configurations)}) are not "
                "imported: set the yarn section by hand"
            )
        if node.has("AutoScalingPolicy"):
            policy = _auto_scaling(node.get("AutoScalingPolicy"), label, out)
            if policy is not None:
                group["auto_scaling"] = policy
        groups.append(group)
    return groups


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
