"""A job whose containers can never fit its queue's ceiling is rejected when the scenario loads
(emrsim.scenario.checks_queues), and only then: the check agrees with the scheduler's own rule
on the largest cluster the scenario can reach."""

from __future__ import annotations

import copy
from types import SimpleNamespace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from emrsim.nodes.catalogue import load_catalogue
from emrsim.scenario import ScenarioError, scenario_from_data
from emrsim.scenario.checks_cluster import targets_of
from emrsim.scenario.checks_queues import largest_cluster
from emrsim.yarn.queues import build_queues
from emrsim.yarn.scheduler import Scheduler
from tests.reliability.test_run_invariants import _FLAPPING

MB = {n: t.yarn_memory_mb for n, t in load_catalogue("us-east-1").items()}


def _scenario(container_mb: int = 1024, vcores: int = 1, am: Any = "none", **top: Any) -> Any:
    data: dict[str, Any] = {
        "name": "ceiling",
        "release_label": "emr-6.15.0",
        "cluster": {
            "instance_groups": [
                {"role": "primary", "instance_type": "m5.xlarge", "count": 1},
                {"role": "core", "instance_type": "m5.xlarge", "count": 2},
            ]
        },
        "yarn": {
            "minimum_allocation_mb": 1,
            "queues": [
                {"name": "default", "capacity": 1, "max_capacity": 50},
                {"name": "b", "capacity": 99},
            ],
        },
        "workload": {
            "steps": [
                {
                    "name": "s",
                    "job": {
                        "type": "container",
                        "am": am,
                        "stages": [
                            {
                                "name": "t",
                                "tasks": 1,
                                "duration": 10,
                                "container": {"memory_mb": container_mb, "vcores": vcores},
                            }
                        ],
                    },
                }
            ]
        },
    }
    data.update(top)
    return data


def _type(name: str, weight: int = 1) -> dict[str, Any]:
    return {"instance_type": name, "weighted_capacity": weight}


def _fleets(*workers: dict[str, Any]) -> dict[str, Any]:
    """A cluster of instance fleets: an m5.xlarge primary and ``workers``."""
    primary = {
        "role": "primary",
        "target_on_demand_capacity": 1,
        "instance_types": [_type("m5.xlarge")],
    }
    return {"instance_fleets": [primary, *workers]}


def _errors(data: Any) -> list[str]:
    try:
        scenario_from_data(copy.deepcopy(data))
    except ScenarioError as exc:
        return exc.lines()
    return []


CONTAINER = "<scenario>: workload.steps.0.job.stages.0.container: "


def test_the_flapping_scenario_is_rejected() -> None:
    """Found by the run invariants: it made managed scaling flap for ever. With a maximum of 9
    units its container can never fit (the regression test raises the maximum to 13, where the
    container fits the ceiling only on a cluster managed scaling never grows to)."""
    data = copy.deepcopy(_FLAPPING)
    data["scaling"]["managed"]["maximum_capacity_units"] = 9
    assert _errors(data) == [
        "<scenario>: workload.steps.2.job.stages.0.container: a 5153 MB (YARN rounds it up "
        "to 5184 MB) container never fits queue default: its ceiling is max_capacity 4% of "
        "at most 86016 MB of YARN memory (3441 MB), so the job could never run"
    ]


def test_more_managed_scaling_room_makes_it_fit() -> None:
    data = copy.deepcopy(_FLAPPING)
    data["scaling"]["managed"]["maximum_capacity_units"] = 20  # 4 core + 16 task: 221184 MB
    assert _errors(data) == []
    assert _errors(_FLAPPING) == []  # 13 units: 4 core + 9 task, 135168 MB; 4% is 5407 MB


def test_exactly_at_the_ceiling_fits_and_one_mb_more_does_not() -> None:
    assert _errors(_scenario(12288)) == []  # 50% of 2 x 12288 MB
    assert _errors(_scenario(12289)) != []  # (it fits no node either: that is reported)
    data = _scenario(12288)
    data["yarn"]["queues"][0]["max_capacity"] = 49
    (line,) = _errors(data)
    assert line.startswith(CONTAINER + "a 12288 MB container never fits queue default: ")
    assert "max_capacity 49% of at most 24576 MB of YARN memory (12042 MB)" in line


def test_the_am_holds_its_part_of_the_queue() -> None:
    data = _scenario(11264, am={"memory_mb": 1024})
    data["yarn"]["queues"][0]["user_limit_factor"] = 100
    assert _errors(data) == []
    data["workload"]["steps"][0]["job"]["stages"][0]["container"]["memory_mb"] = 11265
    (line,) = _errors(data)
    assert line.startswith(CONTAINER + "a 11265 MB container together with its job's 1024 MB AM")


def test_an_am_too_big_for_its_queue() -> None:
    data = _scenario(1024, am={"memory_mb": 12288})
    data["yarn"]["queues"][0]["max_capacity"] = 40
    (line,) = _errors(data)
    assert line.startswith("<scenario>: workload.steps.0.job.am: a 12288 MB AM never fits queue")


def test_a_parent_ceiling_applies() -> None:
    data = _scenario(4096)
    data["yarn"]["queues"] = [
        {
            "name": "etl",
            "capacity": 50,
            "max_capacity": 10,
            "queues": [{"name": "default", "capacity": 100, "max_capacity": 100}],
        },
        {"name": "b", "capacity": 50},
    ]
    data["yarn"]["queues"][0]["capacity"] = 1
    data["yarn"]["queues"][1]["capacity"] = 99
    (line,) = _errors(data)
    assert "never fits queue etl.default: its ceiling is max_capacity 10% (absolute" in line
    data["yarn"]["queues"][0]["max_capacity"] = 20
    data["yarn"]["queues"][0]["queues"][0]["user_limit_factor"] = 100
    assert _errors(data) == []


def test_an_am_over_the_user_limit_keeps_the_tasks_out() -> None:
    data = _scenario(1024, am={"memory_mb": 512})  # user limit: 1% of 24576 MB = 246 MB
    (line,) = _errors(data)
    assert line.startswith(CONTAINER + "a 1024 MB container could never start: its job's 512 MB")
    assert "user limit of queue default (capacity 1% x user_limit_factor 1" in line
    data["yarn"]["queues"][0]["user_limit_factor"] = 3
    assert _errors(data) == []


def test_drf_compares_vcores_too() -> None:
    data = _scenario(1024, vcores=3)  # 3 of 8 vcores: 37.5% > 25%
    data["yarn"]["queues"][0]["max_capacity"] = 25
    assert _errors(data) == []  # the memory calculator looks at memory only
    data["yarn"]["resource_calculator"] = "drf"
    (line,) = _errors(data)
    assert "a 1024 MB / 3 vcore container never fits queue default" in line
    assert "at most 24576 MB and 8 vcores" in line


def test_fair_max_resources_and_max_running_apps() -> None:
    data = _scenario(5000)
    data["yarn"] = {
        "scheduler": "fair",
        "queues": [{"name": "default", "max_resources": {"memory_mb": 4096}}],
    }
    (line,) = _errors(data)
    assert "never fits queue default: its max_resources are 4096 MB" in line
    data["yarn"]["queues"][0] = {"name": "default", "max_running_apps": 0}
    (line,) = _errors(data)
    assert line.startswith("<scenario>: workload.steps.0.job: queue 'default' has max_running_apps")


def test_a_stream_in_a_fleet_cluster_with_managed_scaling() -> None:
    data = _scenario(9000)
    data["workload"] = {
        "streams": [
            {
                "name": "adhoc",
                "count": 3,
                "interarrival": 60,
                "job": data["workload"]["steps"][0]["job"],
            }
        ]
    }
    data["cluster"] = _fleets(
        {"role": "core", "target_on_demand_capacity": 1, "instance_types": [_type("c5.xlarge")]},
        {
            "role": "task",
            "target_on_demand_capacity": 1,
            "instance_types": [_type("m5.xlarge", 2)],
        },
    )
    data["yarn"]["queues"][0]["max_capacity"] = 20
    data["scaling"] = {
        "managed": {
            "unit_type": "instance_fleet_units",
            "minimum_capacity_units": 1,
            "maximum_capacity_units": 5,
            "maximum_core_capacity_units": 1,
        }
    }
    # Core: 1 unit of c5.xlarge. Task: 4 units of weight-2 m5.xlarge, split between the
    # on-demand and spot requests as 3 + 1, each rounded up to whole instances: 3 instances.
    # 6144 + 3 x 12288 = 43008 MB, 20% of it 8602 MB.
    (line,) = _errors(data)
    assert line.startswith("<scenario>: workload.streams.0.job.stages.0.container: a 9000 MB")
    assert "at most 43008 MB" in line
    data["scaling"]["managed"]["maximum_capacity_units"] = 9  # 2 more m5.xlarge: 9000 fits
    assert _errors(data) == []


def _bound(data: Any) -> tuple[float, float]:
    scenario = scenario_from_data(copy.deepcopy(data), check=False)
    _, targets = targets_of(scenario)
    bound = largest_cluster(scenario, targets)
    return bound.memory_mb, bound.vcores


def test_largest_cluster_of_groups_fleets_and_scaling() -> None:
    data = _scenario()
    assert _bound(data) == (2 * MB["m5.xlarge"], 8)
    data["cluster"]["instance_groups"][1]["auto_scaling"] = {
        "constraints": {"min_capacity": 1, "max_capacity": 5},
        "rules": [
            {
                "name": "up",
                "action": {"scaling_adjustment": 1},
                "trigger": {
                    "metric": "YARNMemoryAvailablePercentage",
                    "comparison_operator": "LESS_THAN",
                    "threshold": 15,
                },
            }
        ],
    }
    assert _bound(data) == (5 * MB["m5.xlarge"], 20)
    # A fleet of 3 units over weight-2 r5.xlarge: overage, two instances (4 units).
    data = _scenario()
    data["cluster"] = _fleets(
        {
            "role": "core",
            "target_spot_capacity": 3,
            "instance_types": [_type("r5.xlarge", 2), _type("c5.xlarge")],
        }
    )
    assert _bound(data)[0] == 2 * MB["r5.xlarge"]
    # Managed scaling in vCPU: 10 vCPU of 4-vCPU instances is 2 instances (3 when rounded up;
    # the bound allows for a part of one more).
    data = _scenario()
    data["scaling"] = {
        "managed": {"unit_type": "vcpu", "minimum_capacity_units": 0, "maximum_capacity_units": 10}
    }
    assert _bound(data)[0] <= 4 * MB["m5.xlarge"]
    assert _bound(data)[0] >= 2 * MB["m5.xlarge"]  # never below the initial cluster


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 100),  # max_capacity
    st.integers(256, 12288),  # container MB
    st.integers(1, 4),  # container vcores
    st.sampled_from(["none", 512, 3072]),  # AM MB
    st.sampled_from(["memory", "drf"]),
    st.sampled_from([1, 2, 100]),
)
def test_agrees_with_the_scheduler(
    max_capacity: int, mb: int, vcores: int, am: Any, calculator: str, user_limit_factor: int
) -> None:
    """Rejected exactly when the scheduler, with the job's AM running, refuses the container
    on the largest cluster."""
    data = _scenario(mb, vcores, "none" if am == "none" else {"memory_mb": am})
    queue = data["yarn"]["queues"][0]
    queue["max_capacity"] = max_capacity
    queue["user_limit_factor"] = user_limit_factor
    data["yarn"]["resource_calculator"] = calculator
    scenario = scenario_from_data(copy.deepcopy(data), check=False)
    _, targets = targets_of(scenario)
    bound = largest_cluster(scenario, targets)
    scheduler = Scheduler("capacity", build_queues(scenario), calculator == "drf")
    leaf = scheduler.by_name["default"]
    app = SimpleNamespace(used_mb=0, used_vcores=0, user="u")
    allowed = True
    if am != "none":
        allowed = scheduler.may_allocate(leaf, app, am, 1, bound.memory_mb, bound.vcores)  # type: ignore[arg-type]
        scheduler.account(leaf, app, am, 1, 1, 0.0)  # type: ignore[arg-type]
    allowed = allowed and scheduler.may_allocate(
        leaf,
        app,
        mb,
        vcores,
        bound.memory_mb,
        bound.vcores,  # type: ignore[arg-type]
    )
    rejected = [e for e in _errors(data) if "never" in e]
    assert bool(rejected) == (not allowed), rejected


SWIM = "emrsim:traces/swim/FB-2009_samples_24_times_1hr_0.tsv"


def test_a_trace_whose_default_am_never_fits_its_queue() -> None:
    data = _scenario()
    data["workload"] = {"traces": [{"format": "swim", "path": SWIM, "queue": "default"}]}
    data["yarn"]["queues"][0]["max_capacity"] = 20  # 4915 MB < m5.xlarge's 6144 MB MR AM
    (line,) = _errors(data)
    assert line.startswith("<scenario>: workload.traces.0: ")
    assert "the default MapReduce AM (yarn.app.mapreduce.am.resource.mb): a 6144 MB AM" in line
    data["yarn"]["queues"][0]["max_capacity"] = 25
    data["yarn"]["queues"][0]["user_limit_factor"] = 100
    assert _errors(data) == []


def test_spark_executors_and_driver() -> None:
    data = _scenario()
    data["yarn"]["queues"][0]["user_limit_factor"] = 100
    data["workload"]["steps"][0]["job"] = {
        "type": "spark",
        "am": {"memory_mb": 2048},
        "executors": {"count": 2, "memory_mb": 10241, "vcores": 2},
        "stages": [{"name": "s", "tasks": 4, "duration": 10}],
    }
    (line,) = _errors(data)  # 2048 + 10241 MB > 50% of 24576 MB
    assert line.startswith(
        "<scenario>: workload.steps.0.job.executors: a 10241 MB executor together with its "
        "job's 2048 MB AM"
    )
    data["workload"]["steps"][0]["job"]["executors"]["memory_mb"] = 10240
    assert _errors(data) == []


@settings(max_examples=25, deadline=None)
@given(
    core=st.tuples(st.sampled_from(["c5.xlarge", "m5.xlarge", "r5.xlarge"]), st.integers(1, 3)),
    max_capacity=st.integers(1, 100),
    user_limit_factor=st.sampled_from([1, 3, 100]),
    mb=st.integers(256, 6144),
    am=st.sampled_from(["none", 512, 2048]),
    calculator=st.sampled_from(["memory", "drf"]),
)
def test_rejected_exactly_when_the_job_never_runs(
    core: tuple[str, int],
    max_capacity: int,
    user_limit_factor: int,
    mb: int,
    am: Any,
    calculator: str,
) -> None:
    """One job alone on a fixed cluster: the check rejects it exactly when the simulator
    (run without the check, up to a horizon) never finishes it."""
    from emrsim import Simulation

    data = _scenario(mb, 1, "none" if am == "none" else {"memory_mb": am})
    data["cluster"]["instance_groups"][1].update(instance_type=core[0], count=core[1])
    data["yarn"]["resource_calculator"] = calculator
    queue = data["yarn"]["queues"][0]
    queue.update(max_capacity=max_capacity, user_limit_factor=user_limit_factor)
    data["horizon"] = 86400
    rejected = [e for e in _errors(data) if "never" in e]
    result = Simulation(scenario_from_data(copy.deepcopy(data), check=False)).run()
    completed = result.summary["jobs"]["completed"] == 1
    assert bool(rejected) == (not completed), rejected


@settings(max_examples=30, deadline=None)
@given(
    unit_type=st.sampled_from(["instances", "vcpu"]),
    maximum=st.integers(2, 12),
    core_limit=st.integers(1, 12),
    max_capacity=st.integers(1, 30),
    mb=st.integers(1024, 12288),
)
def test_what_is_rejected_never_runs_under_managed_scaling(
    unit_type: str, maximum: int, core_limit: int, max_capacity: int, mb: int
) -> None:
    """The bound holds: a job rejected for its queue's ceiling never finishes however managed
    scaling grows the cluster (run without the check, up to a horizon)."""
    from emrsim import Simulation

    data = _scenario(mb)
    data["cluster"]["instance_groups"].append(
        {"role": "task", "instance_type": "r5.xlarge", "count": 1}
    )
    per = 4 if unit_type == "vcpu" else 1
    data["scaling"] = {
        "managed": {
            "unit_type": unit_type,
            "minimum_capacity_units": 1,
            "maximum_capacity_units": max(maximum * per, 3 * per),
            "maximum_core_capacity_units": min(core_limit, maximum) * per,
            "evaluation_interval": 60,
        }
    }
    data["yarn"]["queues"][0]["max_capacity"] = max_capacity
    data["horizon"] = 6 * 3600
    if not [e for e in _errors(data) if "never fits" in e]:
        return
    result = Simulation(scenario_from_data(copy.deepcopy(data), check=False)).run()
    assert result.summary["jobs"]["completed"] == 0
