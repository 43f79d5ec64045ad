"""Whole-scenario checks of autoscaling: managed scaling limits and custom rules (emr-facts 6)."""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from emrsim.recorder import METRIC_NAMES
from emrsim.scenario.models import Scenario
from emrsim.scenario.source import Problem
from emrsim.scenario.values import Role

MANAGED_SINCE = (5, 30, 0)
"""Managed scaling needs EMR 5.30.0 or later, and not 6.0.0 (emr-facts 6)."""


def scaling_problems(s: Scenario) -> Iterator[Problem]:
    """Problems of ``scaling.managed`` and of the groups' ``auto_scaling`` policies."""
    managed = s.scaling.managed
    where = ("scaling", "managed")
    if managed is not None:
        if s.release < MANAGED_SINCE or s.release[:2] == (6, 0):
            yield Problem(
                ("release_label",),
                f"managed scaling needs emr-5.30.0 or later, and not 6.0.x (got {s.release_label})",
            )
        fleets = s.cluster.instance_fleets is not None
        if managed.unit_type == "instance_fleet_units" and not fleets:
            yield Problem(
                (*where, "unit_type"),
                "instance_fleet_units is for instance fleets; with instance groups use "
                "instances or vcpu",
            )
        for key in ("maximum_on_demand_capacity_units", "maximum_core_capacity_units"):
            value = getattr(managed, key)
            if value is not None and value > managed.maximum_capacity_units:
                yield Problem(
                    (*where, key),
                    f"must be <= maximum_capacity_units ({managed.maximum_capacity_units}), "
                    f"got {value}",
                )
        roles = [g.role for g in s.cluster.instance_groups or []]
        roles += [f.role for f in s.cluster.instance_fleets or []]
        scalable = [r for r in roles if r is not Role.PRIMARY]
        if not scalable:
            yield Problem(where, "needs a core or task instance group or fleet to resize")
    for i, group in enumerate(s.cluster.instance_groups or []):
        policy = group.auto_scaling
        if policy is None:
            continue
        path = ("cluster", "instance_groups", i, "auto_scaling")
        if group.role is Role.PRIMARY:
            yield Problem(path, "the primary group cannot scale; give core or task groups a policy")
        if managed is not None:
            yield Problem(
                path,
                "EMR does not combine custom automatic scaling with managed scaling: "
                "remove one of them",
            )
        for k, rule in enumerate(policy.rules):
            metric = rule.trigger.metric
            if metric not in METRIC_NAMES:
                close = difflib.get_close_matches(metric, METRIC_NAMES, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                yield Problem(
                    (*path, "rules", k, "trigger", "metric"),
                    f"unknown metric {metric!r}{hint} (the metrics emrsim publishes each minute: "
                    f"{', '.join(METRIC_NAMES[:6])}, ...)",
                )
