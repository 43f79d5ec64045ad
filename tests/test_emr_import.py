"""``emrsim import``: AWS CLI JSON of a real EMR cluster -> a scenario that validates and runs.

The samples in tests/data/emr are written in the shapes the EMR API documents for
describe-cluster, list-instance-groups, list-instance-fleets and get-managed-scaling-policy
(with the Ids, Status and other fields the import ignores). Variants go to tmp_path.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

import emrsim
from emrsim.cli import main
from emrsim.emr_import import EmrImportError, import_cluster, read_json
from emrsim.scenario import scenario_from_text

DATA = Path(__file__).resolve().parent / "data" / "emr"
DESCRIBE_GROUPS = DATA / "describe-cluster-groups.json"
LIST_GROUPS = DATA / "list-instance-groups.json"
DESCRIBE_FLEETS = DATA / "describe-cluster-fleets.json"
LIST_FLEETS = DATA / "list-instance-fleets.json"
MANAGED = DATA / "get-managed-scaling-policy.json"
STEP = "workload.steps=[{name: etl, job: {stages: [{name: map, tasks: 16, duration: 60}]}}]"
ROLES = {"MASTER": "primary", "CORE": "core", "TASK": "task"}


def invoke(*args: str | Path) -> Any:
    return CliRunner().invoke(main, ["import", *map(str, args)])


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def write(tmp_path: Path, name: str, document: Any) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def imported(result: Any) -> Any:
    assert result.exit_code == 0, result.output
    return yaml.safe_load(result.stdout)


# ------------------------------------------------------------------------------ round trips
def test_groups_round_trip_validates_and_runs() -> None:
    result = invoke("--describe-cluster", DESCRIBE_GROUPS, "--instance-groups", LIST_GROUPS)
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert text.startswith("# Imported by `emrsim import` from EMR cluster j-2AXXXXXXGAPLF")
    assert "no workload" in text.splitlines()[3]
    # Without a workload the scenario already validates; with a step added it runs.
    scenario_from_text(text, "imported.yaml")
    scenario = scenario_from_text(text, "imported.yaml", [STEP])
    assert scenario.release_label == "emr-6.15.0"
    assert scenario.region == "us-east-1"
    assert scenario.cluster.keep_alive is True  # AutoTerminate: false
    assert scenario.cluster.idle_timeout == 3600  # assumed, with a warning
    assert "idle timeout" in result.stderr
    assert scenario.cluster.step_concurrency == 2

    groups = load(LIST_GROUPS)["InstanceGroups"]
    ours = scenario.cluster.instance_groups
    assert ours is not None and len(ours) == len(groups) == 4
    for group, emr in zip(ours, groups, strict=True):
        assert group.name == emr["Name"]
        assert group.role.value == ROLES[emr["InstanceGroupType"]]
        assert group.instance_type == emr["InstanceType"]
        assert group.count == emr["RequestedInstanceCount"]
        assert group.market.value == emr["Market"].lower()
        sizes = [d["VolumeSpecification"]["SizeInGB"] for d in emr["EbsBlockDevices"]]
        assert group.ebs_gb == (sum(sizes) if sizes else None)
    core = ours[1]
    assert (core.count, core.ebs_gb, core.market.value) == (4, 256, "on_demand")

    spot = ours[2]
    assert spot.market.value == "spot" and spot.auto_scaling is not None
    policy = groups[2]["AutoScalingPolicy"]
    assert spot.auto_scaling.constraints.min_capacity == policy["Constraints"]["MinCapacity"]
    assert spot.auto_scaling.constraints.max_capacity == policy["Constraints"]["MaxCapacity"]
    out_rule = spot.auto_scaling.rules[0]
    assert out_rule.name == "Default-scale-out"
    assert out_rule.trigger.metric == "YARNMemoryAvailablePercentage"
    assert out_rule.trigger.comparison_operator == "LESS_THAN"
    assert (out_rule.trigger.threshold, out_rule.trigger.period) == (15, 300)
    assert (out_rule.trigger.evaluation_periods, out_rule.trigger.statistic) == (1, "AVERAGE")
    assert out_rule.action.adjustment_type == "CHANGE_IN_CAPACITY"
    assert (out_rule.action.scaling_adjustment, out_rule.action.cool_down) == (1, 300)
    assert spot.auto_scaling.rules[1].action.scaling_adjustment == -1

    document, _ = emrsim.simulate(scenario.model_copy(update={"horizon": 6 * 3600.0}), 1)
    run = document["runs"][0]
    assert run["jobs"]["completed"] == 1
    assert run["steps"][0]["state"] == "COMPLETED"
    assert run["cost_usd"]["by_market"]["spot"] > 0


def test_describe_cluster_alone_uses_the_merged_groups() -> None:
    """The AWS CLI merges InstanceGroups into describe-cluster: the same scenario results."""
    alone = imported(invoke("--describe-cluster", DESCRIBE_GROUPS))
    both = imported(invoke("--describe-cluster", DESCRIBE_GROUPS, "--instance-groups", LIST_GROUPS))
    assert alone == both


def test_describe_cluster_alone_uses_the_merged_fleets() -> None:
    alone = imported(invoke("--describe-cluster", DESCRIBE_FLEETS))
    both = imported(invoke("--describe-cluster", DESCRIBE_FLEETS, "--instance-fleets", LIST_FLEETS))
    assert alone == both


def test_configurations_are_reported(tmp_path: Path) -> None:
    describe = load(DESCRIBE_GROUPS)
    describe["Cluster"]["Configurations"] = [
        {"Classification": "capacity-scheduler", "Properties": {"a": "b"}}
    ]
    describe["Cluster"]["InstanceGroups"][1]["Configurations"] = [
        {"Classification": "yarn-site", "Properties": {}}
    ]
    result = invoke("--describe-cluster", write(tmp_path, "describe.json", describe))
    imported(result)
    assert "cluster Configurations (capacity-scheduler) are not imported" in result.stderr
    assert "group Configurations (yarn-site) are not imported" in result.stderr


def test_fleets_round_trip_with_managed_scaling(tmp_path: Path) -> None:
    out = tmp_path / "fleets.yaml"
    result = invoke(
        "--describe-cluster",
        DESCRIBE_FLEETS,
        "--instance-fleets",
        LIST_FLEETS,
        "--managed-scaling",
        MANAGED,
        "-o",
        out,
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "warning" not in result.stderr
    scenario = emrsim.load_scenario(out, [STEP])
    assert scenario.release_label == "emr-7.1.0" and scenario.region == "us-east-1"
    assert scenario.cluster.keep_alive is False and scenario.cluster.idle_timeout is None

    fleets = load(LIST_FLEETS)["InstanceFleets"]
    ours = scenario.cluster.instance_fleets
    assert ours is not None and len(ours) == 3
    for fleet, emr in zip(ours, fleets, strict=True):
        assert fleet.name == emr["Name"]
        assert fleet.role.value == ROLES[emr["InstanceFleetType"]]
        assert fleet.target_on_demand_capacity == emr["TargetOnDemandCapacity"]
        assert fleet.target_spot_capacity == emr["TargetSpotCapacity"]
        specs = emr["InstanceTypeSpecifications"]
        assert [t.instance_type for t in fleet.instance_types] == [s["InstanceType"] for s in specs]
        assert [t.weighted_capacity for t in fleet.instance_types] == [
            s["WeightedCapacity"] for s in specs
        ]
    core = ours[1]
    assert [t.ebs_gb for t in core.instance_types] == [128, 256]
    assert core.spot_allocation_strategy == "price-capacity-optimized"
    assert core.spot_timeout is not None
    assert (core.spot_timeout.duration, core.spot_timeout.action) == (1200, "switch_to_on_demand")
    task = ours[2]
    assert task.spot_allocation_strategy == "capacity-optimized-prioritized"
    assert [t.priority for t in task.instance_types] == [0, 1]

    limits = load(MANAGED)["ManagedScalingPolicy"]["ComputeLimits"]
    managed = scenario.scaling.managed
    assert managed is not None
    assert managed.unit_type == "instance_fleet_units"
    assert managed.minimum_capacity_units == limits["MinimumCapacityUnits"]
    assert managed.maximum_capacity_units == limits["MaximumCapacityUnits"]
    assert managed.maximum_on_demand_capacity_units == limits["MaximumOnDemandCapacityUnits"]
    assert managed.maximum_core_capacity_units == limits["MaximumCoreCapacityUnits"]

    document, _ = emrsim.simulate(scenario, 1)
    assert document["runs"][0]["jobs"]["completed"] == 1


def test_auto_termination_policy_sets_idle_timeout(tmp_path: Path) -> None:
    policy = write(tmp_path, "auto.json", {"AutoTerminationPolicy": {"IdleTimeout": 1800}})
    result = invoke("--describe-cluster", DESCRIBE_GROUPS, "--auto-termination-policy", policy)
    data = imported(result)
    assert data["cluster"]["idle_timeout"] == 1800
    assert "idle timeout" not in result.stderr


# ---------------------------------------------------------------------- what is reported
def test_managed_scaling_with_group_policies_keeps_managed(tmp_path: Path) -> None:
    limits = {"UnitType": "Instances", "MinimumCapacityUnits": 5, "MaximumCapacityUnits": 20}
    policy = write(tmp_path, "managed.json", {"ManagedScalingPolicy": {"ComputeLimits": limits}})
    result = invoke("--describe-cluster", DESCRIBE_GROUPS, "--managed-scaling", policy)
    data = imported(result)
    assert data["scaling"]["managed"] == {
        "unit_type": "instances",
        "minimum_capacity_units": 5,
        "maximum_capacity_units": 20,
    }
    assert all("auto_scaling" not in g for g in data["cluster"]["instance_groups"])
    assert "does not combine managed scaling" in result.stderr
    scenario_from_text(result.stdout)


def test_unpublished_metric_rule_is_reported_and_left_out(tmp_path: Path) -> None:
    groups = load(LIST_GROUPS)
    rules = groups["InstanceGroups"][2]["AutoScalingPolicy"]["Rules"]
    rules[1]["Trigger"]["CloudWatchAlarmDefinition"]["MetricName"] = "HDFSBytesRead"
    path = write(tmp_path, "groups.json", groups)
    result = invoke("--describe-cluster", DESCRIBE_GROUPS, "--instance-groups", path)
    data = imported(result)
    kept = data["cluster"]["instance_groups"][2]["auto_scaling"]["rules"]
    assert [r["name"] for r in kept] == ["Default-scale-out"]
    assert "scaling rule 'Default-scale-in' left out" in result.stderr
    assert "does not publish the metric HDFSBytesRead" in result.stderr
    assert "# Scaling rules left out" in result.stdout and "HDFSBytesRead" in result.stdout
    scenario_from_text(result.stdout)

    # With no rule left, the whole policy goes (a policy needs a rule), and that is said too.
    for rule in rules:
        rule["Trigger"]["CloudWatchAlarmDefinition"]["MetricName"] = "S3BytesRead"
    path = write(tmp_path, "groups.json", groups)
    result = invoke("--describe-cluster", DESCRIBE_GROUPS, "--instance-groups", path)
    data = imported(result)
    assert "auto_scaling" not in data["cluster"]["instance_groups"][2]
    assert "AutoScalingPolicy (MinCapacity 2, MaxCapacity 10) is left out" in result.stderr


def test_unknown_instance_type_is_kept_with_a_warning(tmp_path: Path) -> None:
    groups = load(LIST_GROUPS)
    groups["InstanceGroups"][3]["InstanceType"] = "x2iedn.xlarge"
    path = write(tmp_path, "groups.json", groups)
    result = invoke("--describe-cluster", DESCRIBE_GROUPS, "--instance-groups", path)
    data = imported(result)
    assert data["cluster"]["instance_groups"][3]["instance_type"] == "x2iedn.xlarge"
    assert "x2iedn.xlarge is not in emrsim's catalogue" in result.stderr
    assert "add instance_types.x2iedn.xlarge" in result.stderr
    assert "will not validate" in result.stderr
    assert "#     x2iedn.xlarge: {vcpu: ?" in result.stdout
    with pytest.raises(emrsim.ScenarioError, match=r"unknown instance type 'x2iedn\.xlarge'"):
        scenario_from_text(result.stdout)
    # Defining the type (as the warning says) makes it valid.
    extra = (
        "instance_types={x2iedn.xlarge: {vcpu: 4, memory_gb: 128, yarn_memory_mb: 122880, "
        "on_demand_usd_per_hr: 1.0, emr_usd_per_hr: 0.25}}"
    )
    scenario_from_text(result.stdout, "imported.yaml", [extra])


def test_other_region_and_validation_problems_become_warnings(tmp_path: Path) -> None:
    describe = load(DESCRIBE_GROUPS)
    describe["Cluster"]["Ec2InstanceAttributes"]["Ec2AvailabilityZone"] = "eu-west-1b"
    path = write(tmp_path, "describe.json", describe)
    result = invoke("--describe-cluster", path)
    data = imported(result)
    assert data["region"] == "eu-west-1"
    assert "does not validate yet" in result.stderr and "emr_usd_per_hr" in result.stderr


def test_import_cluster_is_pure() -> None:
    result = import_cluster(read_json(DESCRIBE_FLEETS), catalogue={"m5.xlarge"})
    assert sorted(result.unknown_types) == ["m5.2xlarge", "m5.4xlarge", "r5.2xlarge", "r5.4xlarge"]
    assert result.data["cluster"]["instance_fleets"][0]["role"] == "primary"


# -------------------------------------------------------------------------------- bad input
def test_malformed_json_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "describe.json"
    bad.write_text('{"Cluster": {"Id": "j-1",\n  "Name": }', encoding="utf-8")
    result = invoke("--describe-cluster", bad)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{bad}:2: not valid JSON: Expecting value")
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["Cluster"].pop("ReleaseLabel"), "Cluster.ReleaseLabel: missing key"),
        (
            lambda d: d["Cluster"]["InstanceGroups"][1].pop("InstanceType"),
            "Cluster.InstanceGroups.1.InstanceType: missing key",
        ),
        (
            lambda d: d["Cluster"]["InstanceGroups"][1].update(RequestedInstanceCount="four"),
            "Cluster.InstanceGroups.1.RequestedInstanceCount: expected a number, got a string",
        ),
        (
            lambda d: d["Cluster"]["InstanceGroups"][2].update(Market="SPOTTY"),
            "Cluster.InstanceGroups.2.Market: unknown value 'SPOTTY'",
        ),
        (
            lambda d: d["Cluster"]["InstanceGroups"][2]["AutoScalingPolicy"]["Rules"][0]["Trigger"][
                "CloudWatchAlarmDefinition"
            ].pop("Threshold"),
            "Cluster.InstanceGroups.2.AutoScalingPolicy.Rules.0.Trigger."
            "CloudWatchAlarmDefinition.Threshold: missing key",
        ),
        (
            lambda d: d["Cluster"].pop("InstanceGroups"),
            "Cluster.InstanceGroups: missing key: pass --instance-groups FILE",
        ),
        (lambda d: d.update(Cluster=[]), "Cluster: expected a JSON object, got a list"),
    ],
)
def test_missing_or_bad_keys_exit_2(tmp_path: Path, edit: Any, message: str) -> None:
    describe = load(DESCRIBE_GROUPS)
    edit(describe)
    path = write(tmp_path, "describe.json", describe)
    result = invoke("--describe-cluster", path)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"{path}: {message}")
    assert "Traceback" not in result.output


def test_bad_managed_scaling_and_mismatched_documents_exit_2(tmp_path: Path) -> None:
    policy = write(tmp_path, "managed.json", {"ManagedScalingPolicy": {"ComputeLimits": {}}})
    result = invoke("--describe-cluster", DESCRIBE_FLEETS, "--managed-scaling", policy)
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"{policy}: ManagedScalingPolicy.ComputeLimits.UnitType: missing key"
    )
    result = invoke("--describe-cluster", DESCRIBE_GROUPS, "--instance-fleets", LIST_FLEETS)
    assert result.exit_code == 2
    assert "InstanceCollectionType: the cluster uses INSTANCE_GROUP" in result.stderr
    result = invoke("--describe-cluster", tmp_path / "nope.json")
    assert (result.exit_code, result.stderr.strip()) == (
        2,
        f"{tmp_path / 'nope.json'}: no such file",
    )


def test_error_type_formats_file_and_path() -> None:
    error = EmrImportError("x.json", ("InstanceGroups", 0, "Market"), "missing key")
    assert str(error) == "x.json: InstanceGroups.0.Market: missing key"
