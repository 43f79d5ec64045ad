"""Scenario files that are right: value forms, EMR spellings, ``--set`` overrides, the schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from emrsim.scenario import Scenario, ScenarioError, load_scenario, scenario_from_text
from emrsim.scenario.values import ActionOnFailure, Constant, Exponential, Market, Role

GOOD = Path(__file__).resolve().parent / "reliability" / "bad_inputs" / "good" / "quick.yaml"

CLUSTER = """\
name: t
cluster:
  instance_groups:
    - {role: primary, instance_type: m5.xlarge, count: 1}
    - {role: core, instance_type: m5.xlarge, count: 2}
"""


def _with(extra: str) -> Scenario:
    return scenario_from_text(CLUSTER + extra, "t.yaml")


def _step(job: str, step_keys: str = "") -> str:
    return f"workload:\n  steps:\n    - {{name: etl, {step_keys}job: {job}}}\n"


# ------------------------------------------------------------------------------ durations
@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ('"90s"', 90.0),
        ("15m", 900.0),
        ("2h", 7200.0),
        ("1d", 86400.0),
        ("1.5h", 5400.0),
        ("90", 90.0),
        ("2.5", 2.5),
        ('"120"', 120.0),
    ],
)
def test_durations(text: str, seconds: float) -> None:
    scenario = _with(f"horizon: {text}\n")
    assert scenario.horizon == pytest.approx(seconds)


def test_durations_in_nested_keys() -> None:
    scenario = _with("yarn: {graceful_decommission_timeout: 15m}\nfaults: [{at: 2h, role: core}]\n")
    assert scenario.yarn.graceful_decommission_timeout == 900.0
    assert scenario.faults[0].at == 7200.0


# ------------------------------------------------------------------------- EMR spellings
def test_emr_enum_spellings() -> None:
    text = """\
name: emr-spelling
cluster:
  instance_groups:
    - {role: MASTER, instance_type: m5.xlarge, count: 1, market: ON_DEMAND}
    - {role: CORE, instance_type: m5.xlarge, count: 2, market: ON_DEMAND}
    - {role: TASK, instance_type: m5.xlarge, count: 3, market: SPOT}
workload:
  steps:
    - {name: a, action_on_failure: CONTINUE, job: {stages: [{name: m, tasks: 1, duration: 5}]}}
    - name: b
      action_on_failure: TERMINATE_JOB_FLOW
      job: {stages: [{name: m, tasks: 1, duration: 5}]}
    - name: c
      action_on_failure: CANCEL_AND_WAIT
      job: {stages: [{name: m, tasks: 1, duration: 5}]}
"""
    scenario = scenario_from_text(text, "emr.yaml")
    groups = scenario.cluster.instance_groups
    assert groups is not None
    assert [g.role for g in groups] == [Role.PRIMARY, Role.CORE, Role.TASK]
    assert [g.market for g in groups] == [Market.ON_DEMAND, Market.ON_DEMAND, Market.SPOT]
    assert [s.action_on_failure for s in scenario.workload.steps] == [
        ActionOnFailure.CONTINUE,
        ActionOnFailure.TERMINATE_CLUSTER,
        ActionOnFailure.CANCEL_AND_WAIT,
    ]


def test_our_own_spellings() -> None:
    scenario = _with(
        "workload:\n  steps:\n    - {name: a, action_on_failure: terminate_cluster, "
        "job: {stages: [{name: m, tasks: 1, duration: 5}]}}\n"
    )
    assert scenario.workload.steps[0].action_on_failure is ActionOnFailure.TERMINATE_CLUSTER
    groups = scenario.cluster.instance_groups
    assert groups is not None
    assert groups[0].market is Market.ON_DEMAND  # the default


# ------------------------------------------------------------------------- distributions
@pytest.mark.parametrize(("text", "value"), [("60", 60.0), ("2.5", 2.5), ("2m", 120.0)])
def test_bare_number_distribution_is_constant(text: str, value: float) -> None:
    scenario = _with(_step(f"{{stages: [{{name: m, tasks: 1, duration: {text}}}]}}"))
    duration = scenario.workload.steps[0].job.stages[0].duration
    assert isinstance(duration, Constant)
    assert duration.value == pytest.approx(value)


def test_distribution_mapping() -> None:
    scenario = _with(
        _step("{stages: [{name: m, tasks: 1, duration: {dist: exponential, mean: 1m}}]}")
    )
    duration = scenario.workload.steps[0].job.stages[0].duration
    assert isinstance(duration, Exponential)
    assert duration.mean == 60.0


# ------------------------------------------------------------------------------------ am
@pytest.mark.parametrize("spelling", ["none", "None", "NONE"])
def test_am_none(spelling: str) -> None:
    scenario = _with(_step(f"{{am: {spelling}, stages: [{{name: m, tasks: 1, duration: 5}}]}}"))
    assert scenario.workload.steps[0].job.am == "none"


def test_am_size_and_default() -> None:
    scenario = _with(
        "workload:\n  steps:\n"
        "    - {name: a, job: {am: {memory_mb: 1024},\n"
        "                      stages: [{name: m, tasks: 1, duration: 5}]}}\n"
        "    - {name: b, job: {stages: [{name: m, tasks: 1, duration: 5}]}}\n"
    )
    am = scenario.workload.steps[0].job.am
    assert am is not None and am != "none"
    assert (am.memory_mb, am.vcores) == (1024, 1)
    assert scenario.workload.steps[1].job.am is None


# ----------------------------------------------------------------------------- overrides
def test_good_file_loads() -> None:
    scenario = load_scenario(GOOD)
    groups = scenario.cluster.instance_groups
    assert groups is not None and groups[1].count == 2
    assert groups[1].market is Market.SPOT


def test_set_overrides() -> None:
    scenario = load_scenario(
        GOOD, ["cluster.instance_groups.1.count=5", "yarn.preemption=false", "faults=[]"]
    )
    groups = scenario.cluster.instance_groups
    assert groups is not None and groups[1].count == 5
    assert scenario.yarn.preemption.enabled is False
    assert scenario.faults == []


def test_set_overrides_replace_file_values(tmp_path: Path) -> None:
    # The file is not runnable as written (preemption needs queues, not fifo; the fault asks for
    # more core nodes than there are); the overrides make it so.
    text = GOOD.read_text(encoding="utf-8") + (
        "yarn: {scheduler: fifo, preemption: true}\nfaults:\n  - {at: 1h, role: core, count: 3}\n"
    )
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError):
        load_scenario(path)
    scenario = load_scenario(
        path,
        [
            "cluster.instance_groups.1.count=5",
            "yarn.preemption=false",
            "faults=[]",
            "horizon=2h",
            "name=other",
        ],
    )
    groups = scenario.cluster.instance_groups
    assert groups is not None and groups[1].count == 5
    assert scenario.yarn.preemption.enabled is False
    assert scenario.faults == []
    assert scenario.horizon == 7200.0
    assert scenario.name == "other"


def test_set_does_not_change_the_file() -> None:
    before = GOOD.read_text(encoding="utf-8")
    load_scenario(GOOD, ["cluster.instance_groups.1.count=5"])
    assert GOOD.read_text(encoding="utf-8") == before
    groups = load_scenario(GOOD).cluster.instance_groups
    assert groups is not None and groups[1].count == 2


@pytest.mark.parametrize(
    ("override", "path", "message"),
    [
        ("cluster.instance_groups.7.count=5", "cluster.instance_groups.7", "no such list item"),
        ("name.first=x", "name", "is not a mapping or a list"),
        ("cluster.step_concurency=2", "cluster.step_concurency", "did you mean 'step_concurrency'"),
        ("cluster.instance_groups.1.count=-1", "cluster.instance_groups.1.count", "must be >= 0"),
        ("cluster.step_concurrency=[", "cluster.step_concurrency", "not valid YAML"),
    ],
)
def test_bad_set_path(override: str, path: str, message: str) -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario(GOOD, [override])
    lines = info.value.lines()
    assert any(
        line.startswith(f"{GOOD} (--set): {path}: ") and message in line for line in lines
    ), lines
    assert all("\n" not in line for line in lines)


def test_set_without_equals() -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario(GOOD, ["cluster.step_concurrency"])
    assert any("expected key.path=value" in line for line in info.value.lines())


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(ScenarioError) as info:
        load_scenario(missing)
    assert info.value.lines() == [f"{missing}: (top level): no such file"]


# -------------------------------------------------------------------------------- schema
def test_json_schema() -> None:
    schema = Scenario.model_json_schema()
    assert isinstance(schema, dict)
    assert "cluster" in schema["properties"]
    assert "workload" in schema["properties"]
    assert "cluster" in schema.get("required", [])
    json.dumps(schema)  # serialisable as it stands


# ------------------------------------------------------------------------ fleets and spot
GOOD_DIR = GOOD.parent

FLEETS = """\
name: f
cluster:
  instance_fleets:
    - role: primary
      target_on_demand_capacity: 1
      instance_types: [{{instance_type: m5.xlarge}}]
    - role: core
      target_on_demand_capacity: {od}
      target_spot_capacity: {spot}
      instance_types:
        - {{instance_type: r5.2xlarge, weighted_capacity: 2}}
        - {{instance_type: m5.xlarge, ebs_gb: {small_ebs}}}
        - {{instance_type: r5.xlarge}}
"""


def _fleets(od: int = 2, spot: int = 0, small_ebs: int = 64, extra: str = "") -> Scenario:
    """A primary fleet and a core fleet of three types; ``extra`` is appended to the file."""
    text = FLEETS.format(od=od, spot=spot, small_ebs=small_ebs)
    return scenario_from_text(text + extra, "f.yaml")


@pytest.mark.parametrize("name", ["fleets.yaml", "spot_interruptions.yaml"])
def test_good_fleet_and_spot_files_check_clean(name: str) -> None:
    from emrsim.scenario.checks import check_scenario

    scenario = load_scenario(GOOD_DIR / name)
    assert check_scenario(scenario) == []


def test_good_fleet_file_keys() -> None:
    scenario = load_scenario(GOOD_DIR / "fleets.yaml")
    fleets = scenario.cluster.instance_fleets
    assert fleets is not None and [f.role for f in fleets] == [Role.PRIMARY, Role.CORE, Role.TASK]
    timeout = fleets[1].spot_timeout
    assert timeout is not None
    assert (timeout.duration, timeout.action) == (1800.0, "switch_to_on_demand")
    assert scenario.spot_market.availability == {"r5.2xlarge": 0.5, "m5.xlarge": 0.0}


def test_core_type_of_a_fleet_is_its_smallest_type() -> None:
    from emrsim.nodes.resolve import resolve_instance_types
    from emrsim.yarn.sizing import am_request, core_type, stage_request

    scenario = _fleets(extra=_step("{stages: [{name: map, tasks: 1, duration: 5}]}"))
    types = resolve_instance_types(scenario)
    assert core_type(scenario, types).name == "m5.xlarge"  # the least YARN memory
    job = scenario.workload.steps[0].job
    # Default sizes come from it, so they fit every core node the fleet may launch.
    assert stage_request(scenario, types, job, 0) == (types["m5.xlarge"].map_memory_mb, 1)
    assert am_request(scenario, types, job) == (types["m5.xlarge"].am_memory_mb, 1)
    # A core group's type is its own.
    assert core_type(_with(""), types).name == "m5.xlarge"


def test_hdfs_capacity_of_a_group_is_unchanged() -> None:
    from emrsim.hdfs.capacity import hdfs_capacity_gb, lowest_core_storage

    scenario = _with("")  # two m5.xlarge core nodes, 64 GB of EBS each
    assert lowest_core_storage(scenario) == (128.0, 2)
    assert hdfs_capacity_gb(scenario, 1) == pytest.approx(128.0)
    assert hdfs_capacity_gb(scenario, 2) == pytest.approx(64.0)


@pytest.mark.parametrize(
    ("od", "spot", "small_ebs", "raw", "instances"),
    [
        # r5.2xlarge (weight 2, 128 GB), m5.xlarge (weight 1, EBS as given), r5.xlarge (64 GB).
        (2, 0, 64, 128.0, 1),  # one r5.2xlarge, or two 64 GB nodes: 128 GB, fewest instances
        (3, 0, 64, 192.0, 2),
        (2, 3, 64, 320.0, 3),  # each market is filled on its own: 128 + 192
        (3, 0, 200, 192.0, 2),  # r5.2xlarge + r5.xlarge beats any m5.xlarge with 200 GB
        (3, 0, 10, 30.0, 3),  # three small m5.xlarge
        (1, 0, 500, 64.0, 1),  # one r5.xlarge; a weight-2 r5.2xlarge would overshoot to 128
    ],
)
def test_hdfs_capacity_of_a_fleet_is_its_least_storage(
    od: int, spot: int, small_ebs: int, raw: float, instances: int
) -> None:
    from emrsim.hdfs.capacity import hdfs_capacity_gb, lowest_core_storage

    scenario = _fleets(od, spot, small_ebs)
    assert lowest_core_storage(scenario) == (pytest.approx(raw), instances)
    assert hdfs_capacity_gb(scenario, 2) == pytest.approx(raw / 2)


def test_lowest_core_storage_mixes_types() -> None:
    from emrsim.hdfs.capacity import lowest_core_storage

    # 5 units: one weight-4 node (256 GB) and one weight-1 node (64 GB) hold the least.
    text = """\
name: mix
cluster:
  instance_fleets:
    - {role: primary, target_on_demand_capacity: 1, instance_types: [{instance_type: m5.xlarge}]}
    - role: core
      target_on_demand_capacity: 5
      instance_types:
        - {instance_type: m5.4xlarge, weighted_capacity: 4}
        - {instance_type: m5.xlarge, ebs_gb: 100}
        - {instance_type: r5.xlarge}
"""
    assert lowest_core_storage(scenario_from_text(text, "mix.yaml")) == (320.0, 2)


def test_faults_may_name_a_fleet() -> None:
    scenario = _fleets(extra="faults: [{at: 1h, role: core, group: core, count: 1}]\n")
    assert scenario.faults[0].group == "core"


def test_fleet_replication_within_its_smallest_launch() -> None:
    # 4 units: at least two instances (weight 2), so replication 2 is allowed.
    scenario = _fleets(od=4, extra="hdfs: {replication: 2}\n")
    assert scenario.hdfs.replication == 2


def test_spot_timeout_duration_bounds() -> None:
    extra = "      spot_timeout: {duration: %s, action: terminate_cluster}\n"
    for ok in ("5m", "24h"):
        scenario = _fleets(spot=2, extra=extra % ok)
        fleets = scenario.cluster.instance_fleets
        assert fleets is not None and fleets[1].spot_timeout is not None
    with pytest.raises(ScenarioError) as info:
        _fleets(spot=2, extra=extra % "1441m")
    assert any("between 5 and 1440 minutes" in line for line in info.value.lines())
