"""Scenario files that are right: value forms, EMR spellings, ``--set`` overrides, the schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from emrsim.scenario import Scenario, ScenarioError, load_scenario, scenario_from_text
from emrsim.scenario.values import ActionOnFailure, Constant, Exponential, Market, Role

GOOD = Path(__file__).resolve().parent / "bad_inputs" / "good" / "quick.yaml"

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
