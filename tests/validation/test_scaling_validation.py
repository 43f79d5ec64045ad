"""Validation of autoscaling over random small clusters and workloads.

Hypothesis draws managed scaling limits (minimum, maximum, on-demand and core limits; the
initial counts within them), instance groups (an on-demand core group, sometimes spot; an
on-demand task group and a spot task group, either possibly empty) or instance fleets with
``unit_type: instance_fleet_units`` (a task fleet with a weight-2 type), HDFS data, streams and
steps of container and MapReduce jobs, and the scaler's knobs. Spot interruptions are off
(``rate_per_hour: 0``) and no fault is injected, so every removal is a scaling decision.

1. Limits, after every SimPy event: the core and task units *requested* (the provisioner's
   targets, in scaling units) stay within the maximum, the core limit and the on-demand limit;
   the primary is never resized, never removed, never doubled.
2. Graceful shrink: no HDFS block is lost, and no container is lost except on a node that has
   been decommissioning for ``yarn.graceful_decommission_timeout``.

The random runs are slow (marked so); a few pinned scenarios run the same checks always.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import Phase, given, note, settings
from hypothesis import strategies as st

from emrsim import Simulation
from emrsim.losses import ENDING
from emrsim.scenario import scenario_from_data
from emrsim.scenario.values import Market, Role

EPS = 1e-6


# ---------------------------------------------------------------------------- strategies
def _job(draw: Any) -> dict[str, Any]:
    tasks = draw(st.integers(1, 24))
    duration = draw(
        st.one_of(
            st.sampled_from([30, 120, 600]),
            st.builds(
                lambda low, span: {"dist": "uniform", "low": low, "high": low + span},
                st.integers(10, 300),
                st.integers(0, 600),
            ),
        )
    )
    output_gb = draw(st.sampled_from([0, 0, 1, 4]))
    if draw(st.integers(0, 2)) == 0:
        # MapReduce: maps and a reduce that needs their shuffle output.
        return {
            "type": "mapreduce",
            "am": {"memory_mb": 1024},
            "stages": [
                {"name": "map", "tasks": tasks, "duration": duration, "output_gb": output_gb},
                {"name": "reduce", "tasks": draw(st.integers(1, 3)), "duration": duration},
            ],
        }
    am = "none" if draw(st.booleans()) else {"memory_mb": 1024}
    return {
        "type": "container",
        "am": am,
        "stages": [
            {
                "name": "s",
                "tasks": tasks,
                "duration": duration,
                "container": {"memory_mb": draw(st.sampled_from([1024, 3072, 6144]))},
                "output_gb": output_gb,
            }
        ],
    }


@st.composite
def scaled_scenarios(draw: Any) -> dict[str, Any]:
    fleets = draw(st.integers(0, 3)) == 0
    core = draw(st.integers(1, 3))
    core_market = "spot" if not fleets and draw(st.integers(0, 3)) == 0 else "on_demand"
    task_od = draw(st.integers(0, 2))
    task_spot = draw(st.integers(0, 2))
    initial = core + task_od + task_spot
    maximum = max(1, initial + draw(st.integers(0, 6)))
    on_demand = task_od + (core if core_market == "on_demand" else 0)
    managed: dict[str, Any] = {
        "minimum_capacity_units": draw(st.integers(0, maximum)),
        "maximum_capacity_units": maximum,
        "evaluation_interval": draw(st.sampled_from([10, 30, 60])),
        "scale_in_delay": draw(st.sampled_from([0, 60, 300])),
        "target_utilization_pct": draw(st.sampled_from([50, 80, 100])),
        "shuffle_aware": draw(st.booleans()),
        "shuffle_wait": draw(st.sampled_from([120, 1800])),
    }
    if draw(st.booleans()):
        managed["maximum_core_capacity_units"] = draw(st.integers(core, maximum))
    if draw(st.booleans()):
        managed["maximum_on_demand_capacity_units"] = draw(st.integers(on_demand, maximum))

    cluster: dict[str, Any] = {
        "startup": {
            "provision": draw(
                st.sampled_from([30, 60, {"dist": "uniform", "low": 30, "high": 120}])
            ),
            "bootstrap": draw(st.sampled_from([0, 30])),
        }
    }
    if fleets:
        managed["unit_type"] = "instance_fleet_units"
        task_types = [{"instance_type": "m5.xlarge"}]
        if draw(st.booleans()):
            task_types.append({"instance_type": "m5.2xlarge", "weighted_capacity": 2})
        cluster["instance_fleets"] = [
            {
                "role": "primary",
                "target_on_demand_capacity": 1,
                "instance_types": [{"instance_type": "m5.xlarge"}],
            },
            {
                "role": "core",
                "target_on_demand_capacity": core,
                "instance_types": [{"instance_type": "m5.xlarge"}],
            },
            {
                "role": "task",
                "target_on_demand_capacity": task_od,
                "target_spot_capacity": task_spot,
                "instance_types": task_types,
            },
        ]
    else:
        cluster["instance_groups"] = [
            {"role": "primary", "instance_type": "m5.xlarge", "count": 1},
            {"role": "core", "instance_type": "m5.xlarge", "count": core, "market": core_market},
            {"role": "task", "name": "task", "instance_type": "m5.xlarge", "count": task_od},
            {
                "role": "task",
                "name": "task-spot",
                "instance_type": "m5.xlarge",
                "count": task_spot,
                "market": "spot",
            },
        ]
    if draw(st.booleans()):
        cluster["keep_alive"] = True
        cluster["idle_timeout"] = draw(st.sampled_from([120, 600]))

    streams = [
        {
            "name": f"stream{i}",
            "start": draw(st.sampled_from([0, 300, 900])),
            "interarrival": {"dist": "exponential", "mean": draw(st.sampled_from([60, 300, 900]))},
            "count": draw(st.integers(1, 4)),
            "job": _job(draw),
        }
        for i in range(draw(st.integers(0, 2)))
    ]
    steps = [{"name": f"step{i}", "job": _job(draw)} for i in range(draw(st.integers(0, 2)))]
    if not streams and not steps:
        steps = [{"name": "step0", "job": _job(draw)}]
    return {
        "name": "scaling-validation",
        "seed": draw(st.integers(0, 2**32 - 1)),
        "release_label": draw(st.sampled_from(["emr-5.36.0", "emr-6.15.0", "emr-7.5.0"])),
        "horizon": 8000,
        "cluster": cluster,
        "spot_market": {
            "interruptions": {t: {"rate_per_hour": 0} for t in ("m5.xlarge", "m5.2xlarge")}
        },
        "yarn": {"graceful_decommission_timeout": draw(st.sampled_from([60, 300, 3600]))},
        "hdfs": {"preload_gb": draw(st.sampled_from([0, 5, 30]))},
        "scaling": {"managed": managed},
        "workload": {"streams": streams, "steps": steps},
    }


# ------------------------------------------------------------------------------ checks
class LimitChecker:
    """After every event: the requested core and task units within the managed limits; the
    primary alone and untouched.

    Requested, not running, units: a shrinking decision lowers the target at once, but the
    instances it removes keep running (and count as running units) while YARN drains their
    containers, up to ``yarn.graceful_decommission_timeout``, and while a core node's DataNode
    copies its replicas away; a growing decision may overshoot with a fleet's weighted types.
    EMR's limits bound what managed scaling asks for; what runs catches up.
    """

    def __init__(self) -> None:
        self.events = 0
        self.peak = 0.0
        self.primary: set[str] = set()

    def __call__(self, sim: Simulation) -> None:
        self.events += 1
        m = sim.scenario.scaling.managed
        assert m is not None
        max_od = m.maximum_on_demand_capacity_units
        max_core = m.maximum_core_capacity_units
        total = core = od = 0.0
        primary_units = 0
        for request in sim.provisioner.requests.values():
            if request.target.role is Role.PRIMARY:
                primary_units += request.units
                continue
            units = request.units * sim.autoscaler.per_request_unit(request)
            total += units
            core += units if request.target.role is Role.CORE else 0.0
            od += units if request.market is Market.ON_DEMAND else 0.0
        now = sim.env.now
        assert primary_units == 1, f"t={now}: primary target {primary_units}"
        assert total <= m.maximum_capacity_units + EPS, f"t={now}: {total} units requested"
        if max_core is not None:
            assert core <= max_core + EPS, f"t={now}: {core} core units requested"
        if max_od is not None:
            assert od <= max_od + EPS, f"t={now}: {od} on-demand units requested"
        self.peak = max(self.peak, total)
        primaries = [i for i in sim.instances.instances if i.role is Role.PRIMARY]
        assert len(primaries) == 1, f"t={now}: {[i.id for i in primaries]}"
        (primary,) = primaries
        self.primary.add(primary.id)
        assert primary.index not in sim.losses.draining
        if sim.state not in ENDING and primary.start_s is not None:
            assert primary.end_s is None, f"t={now}: primary ended {primary.end_reason}"


def _run(data: dict[str, Any], events_path: Path) -> tuple[Simulation, Any, LimitChecker]:
    sim = Simulation(scenario_from_data(data), events_path=events_path)
    checker = LimitChecker()
    result = sim.run(observer=checker)
    return sim, result, checker


def _events(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _check_limits(sim: Simulation, result: Any, checker: LimitChecker, events: list[Any]) -> None:
    assert checker.events > 0
    primary_names = {t.name for t in sim.targets if t.role is Role.PRIMARY}
    decisions = [e for e in events if e["event"] == "scaling_decision"]
    assert not [e for e in decisions if e["group"] in primary_names]
    assert not [e for e in events if e["event"] == "decommissioning" and e["role"] == "primary"]
    assert len(checker.primary) == 1
    (primary,) = [n for n in result.nodes if n.role == "primary"]
    assert primary.end_reason in ("cluster_terminated", "running"), primary
    # The stabilisation window: no managed scale-in within scale_in_delay after a scale-up.
    m = sim.scenario.scaling.managed
    assert m is not None
    ups = [e["time_s"] for e in decisions if e["to_units"] > e["from_units"]]
    for e in decisions:
        if e["to_units"] < e["from_units"] and "within the limits" not in e["reason"]:
            recent = [t for t in ups if e["time_s"] - m.scale_in_delay <= t <= e["time_s"]]
            assert not recent, f"scale-in at {e['time_s']} after a scale-up at {recent}"


def _check_graceful(sim: Simulation, result: Any, events: list[Any]) -> None:
    """No block lost; a container is lost only on a node decommissioning for at least the
    YARN graceful decommission timeout (no spot, no faults: nothing else takes nodes away)."""
    assert result.summary["hdfs"]["blocks_lost"] == 0
    assert not [e for e in events if e["event"] == "blocks_lost"]
    timeout = sim.scenario.yarn.graceful_decommission_timeout
    since: dict[str, float] = {}  # node -> when its current decommissioning began
    for e in events:
        kind = e["event"]
        if kind == "decommissioning":
            since[e["instance"]] = e["time_s"]
        elif kind == "decommission_cancelled":
            since.pop(e["instance"], None)
        elif kind == "container_lost":
            start = since.get(e["node"])
            assert start is not None, f"container lost on {e['node']}, not decommissioning: {e}"
            assert e["time_s"] >= start + timeout - EPS, (
                f"container lost on {e['node']} at {e['time_s']}, {e['time_s'] - start:g} s "
                f"into its decommissioning (timeout {timeout:g} s)"
            )


# -------------------------------------------------------------------------------- tests
_NO_SHRINK_IN_CI = (
    settings(phases=[p for p in settings.default.phases if p is not Phase.shrink])
    if os.environ.get("HYPOTHESIS_PROFILE", "default") == "ci"
    else settings()
)


@pytest.mark.slow
@_NO_SHRINK_IN_CI
@given(scaled_scenarios())
def test_requested_units_stay_within_the_limits_after_every_event(data: dict[str, Any]) -> None:
    note(repr(data))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.jsonl"
        sim, result, checker = _run(data, path)
        _check_limits(sim, result, checker, _events(path))


@pytest.mark.slow
@_NO_SHRINK_IN_CI
@given(scaled_scenarios())
def test_graceful_shrink_loses_no_block_and_kills_no_container_before_the_timeout(
    data: dict[str, Any],
) -> None:
    note(repr(data))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.jsonl"
        sim, result, _ = _run(data, path)
        _check_graceful(sim, result, _events(path))


def _pinned_groups() -> dict[str, Any]:
    """A burst on 1 core + empty on-demand and spot task groups, core and on-demand limits,
    20 GB of HDFS data, 60 s graceful timeout: scales up to the limits and back down."""
    return {
        "name": "pinned-groups",
        "seed": 3,
        "release_label": "emr-6.15.0",
        "horizon": 8000,
        "cluster": {
            "instance_groups": [
                {"role": "primary", "instance_type": "m5.xlarge", "count": 1},
                {"role": "core", "instance_type": "m5.xlarge", "count": 2},
                {"role": "task", "name": "task", "instance_type": "m5.xlarge", "count": 0},
                {
                    "role": "task",
                    "name": "task-spot",
                    "instance_type": "m5.xlarge",
                    "count": 0,
                    "market": "spot",
                },
            ],
            "startup": {"provision": 60, "bootstrap": 30},
            "keep_alive": True,
            "idle_timeout": 600,
        },
        "spot_market": {"interruptions": {"m5.xlarge": {"rate_per_hour": 0}}},
        "yarn": {"graceful_decommission_timeout": 60},
        "hdfs": {"preload_gb": 20},
        "scaling": {
            "managed": {
                "minimum_capacity_units": 1,
                "maximum_capacity_units": 7,
                "maximum_core_capacity_units": 3,
                "maximum_on_demand_capacity_units": 5,
                "scale_in_delay": 60,
            }
        },
        "workload": {
            "streams": [
                {
                    "name": "burst",
                    "start": 300,
                    "interarrival": {"dist": "exponential", "mean": 200},
                    "count": 4,
                    "job": {
                        "type": "container",
                        "am": {"memory_mb": 1024},
                        "stages": [
                            {
                                "name": "s",
                                "tasks": 20,
                                "duration": {"dist": "uniform", "low": 60, "high": 900},
                                "container": {"memory_mb": 3072},
                                "output_gb": 2,
                            }
                        ],
                    },
                }
            ]
        },
    }


def _pinned_fleets() -> dict[str, Any]:
    """The same burst on fleets in instance_fleet_units with a weight-2 task type."""
    data = _pinned_groups()
    data["name"] = "pinned-fleets"
    data["cluster"]["instance_fleets"] = [
        {
            "role": "primary",
            "target_on_demand_capacity": 1,
            "instance_types": [{"instance_type": "m5.xlarge"}],
        },
        {
            "role": "core",
            "target_on_demand_capacity": 2,
            "instance_types": [{"instance_type": "m5.xlarge"}],
        },
        {
            "role": "task",
            "target_on_demand_capacity": 0,
            "instance_types": [
                {"instance_type": "m5.xlarge"},
                {"instance_type": "m5.2xlarge", "weighted_capacity": 2},
            ],
        },
    ]
    del data["cluster"]["instance_groups"]
    data["spot_market"]["interruptions"]["m5.2xlarge"] = {"rate_per_hour": 0}
    data["scaling"]["managed"]["unit_type"] = "instance_fleet_units"
    return data


@pytest.mark.parametrize("make", [_pinned_groups, _pinned_fleets], ids=["groups", "fleets"])
def test_pinned_scenarios_keep_the_limits_and_shrink_gracefully(make: Any, tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    sim, result, checker = _run(make(), path)
    events = _events(path)
    _check_limits(sim, result, checker, events)
    _check_graceful(sim, result, events)
    # The checks had something to check: the cluster grew to its maximum and shrank again,
    # and the 60 s timeout cut some drains short.
    kinds = {e["event"] for e in events}
    assert {"scaling_decision", "decommissioning", "decommission_timeout"} <= kinds
    assert checker.peak == 7
    assert result.summary["jobs"]["completed"] == 4
