"""Autoscaling in a running cluster: managed scaling and custom rules on the SimPy clock.

Every cluster here is m5.xlarge (YARN 12288 MB, 4 vcores; 4 vCPU), provisioned in 60 s and
bootstrapped in 30 s, so the initial cluster is ready at T = 90 s; streams start counting from
then. Decisions are read from ``scaling_decision`` events, removals from ``decommissioning``,
``decommission_cancelled`` and ``instance_lost`` events, sizes from the per-minute metrics.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from emrsim import Simulation
from emrsim.scenario import scenario_from_data

READY = 90.0


# ---------------------------------------------------------------------------- builders
def _job(*stages: dict[str, Any], am: Any = "none", kind: str = "container") -> dict[str, Any]:
    return {"type": kind, "am": am, "stages": list(stages)}


def _stage(name: str, tasks: int, duration: float, mb: int = 3072, **more: Any) -> dict[str, Any]:
    return {
        "name": name,
        "tasks": tasks,
        "duration": duration,
        "container": {"memory_mb": mb},
        **more,
    }


def _stream(name: str, start: float, job: dict[str, Any]) -> dict[str, Any]:
    """One job, submitted ``start`` + 1 s after the cluster is ready."""
    return {"name": name, "start": start, "count": 1, "interarrival": 1, "job": job}


def _scenario(
    *,
    core: int = 1,
    task: int | None = 0,
    managed: dict[str, Any] | None = None,
    streams: list[dict[str, Any]] | None = None,
    steps: list[dict[str, Any]] | None = None,
    task_group: dict[str, Any] | None = None,
    **changes: Any,
) -> dict[str, Any]:
    groups: list[dict[str, Any]] = [
        {"role": "primary", "instance_type": "m5.xlarge", "count": 1},
        {"role": "core", "instance_type": "m5.xlarge", "count": core},
    ]
    if task is not None:
        groups.append(
            {"role": "task", "instance_type": "m5.xlarge", "count": task, **(task_group or {})}
        )
    data: dict[str, Any] = {
        "name": "scaling",
        "seed": 0,
        "release_label": "emr-6.15.0",
        "cluster": {
            "instance_groups": groups,
            "startup": {"provision": 60, "bootstrap": 30},
        },
        "workload": {"streams": streams or [], "steps": steps or []},
    }
    if managed is not None:
        data["scaling"] = {"managed": managed}
    data.update(changes)
    return data


def _run(
    data: dict[str, Any], tmp_path: Path, observer: Any = None, name: str = "events"
) -> tuple[Any, Any, list[Any]]:
    path = tmp_path / f"{name}.jsonl"
    sim = Simulation(scenario_from_data(data), events_path=path)
    result = sim.run(observer)
    events = [json.loads(line) for line in path.read_text().splitlines()]
    return sim, result, events


def _of(events: list[dict[str, Any]], kind: str, **match: Any) -> list[dict[str, Any]]:
    return [
        e for e in events if e["event"] == kind and all(e.get(k) == v for k, v in match.items())
    ]


def _ups(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in _of(events, "scaling_decision") if e["to_units"] > e["from_units"]]


def _downs(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in _of(events, "scaling_decision") if e["to_units"] < e["from_units"]]


def _rule(
    name: str,
    adjustment: int,
    metric: str,
    op: str,
    threshold: float,
    *,
    kind: str = "CHANGE_IN_CAPACITY",
    period: float = 60,
    periods: int = 1,
    cool_down: float = 0,
) -> dict[str, Any]:
    return {
        "name": name,
        "action": {
            "adjustment_type": kind,
            "scaling_adjustment": adjustment,
            "cool_down": cool_down,
        },
        "trigger": {
            "metric": metric,
            "comparison_operator": op,
            "threshold": threshold,
            "period": period,
            "evaluation_periods": periods,
        },
    }


def _ruled(rules: list[dict[str, Any]], low: int = 0, high: int = 10) -> dict[str, Any]:
    constraints = {"min_capacity": low, "max_capacity": high}
    return {"auto_scaling": {"constraints": constraints, "rules": rules}}


LONG_STEP = [{"name": "s", "job": _job(_stage("work", 4, 3000))}]
"""One step keeping the core node's 4 slots busy (AppsRunning 1) for 3000 s."""


# ------------------------------------------------------------------------ managed: burst
BURST_MANAGED = {
    "minimum_capacity_units": 1,
    "maximum_capacity_units": 6,
    "maximum_core_capacity_units": 2,
    "scale_in_delay": 600,
}


def _burst(**cluster: Any) -> dict[str, Any]:
    """Idle 20 min, a burst of 48 x 120 s tasks, idle again until the 30 min idle timeout."""
    data = _scenario(
        managed=BURST_MANAGED,
        streams=[_stream("burst", 1200, _job(_stage("map", 48, 120)))],
    )
    data["cluster"].update(keep_alive=True, idle_timeout=1800, **cluster)
    return data


def test_burst_scales_up_and_back_down_and_costs_less_than_the_static_peak(
    tmp_path: Path,
) -> None:
    sim, result, events = _run(_burst(), tmp_path)
    submitted = _of(events, "app_submitted")[0]["time_s"]
    assert submitted == READY + 1200 + 1

    # Up: within one evaluation interval of the burst, core first to its limit of 2, then task.
    ups = _ups(events)
    assert ups and min(e["time_s"] for e in ups) <= submitted + 10
    assert {e["group"]: e["to_units"] for e in ups} == {"core": 2, "task": 4}
    for e in ups:
        assert e["reason"].startswith("managed scaling: demand")
        assert e["pending_mb"] > 0 and e["running_units"] == 1  # the figures it saw
    rows = result.metrics
    peak = max(r["TotalUnitsRunning"] for r in rows)
    assert peak == 6
    assert max(r["CoreUnitsRunning"] for r in rows) == 2
    assert max(r["TaskUnitsRunning"] for r in rows) == 4
    assert max(r["TotalUnitsRequested"] for r in rows) == 6

    # Down: never within scale_in_delay of the last scale-up, back to the minimum before the
    # cluster ends, and the task nodes removed before the core one.
    downs = _downs(events)
    assert downs
    last_up = max(e["time_s"] for e in ups)
    assert min(e["time_s"] for e in downs) > last_up + BURST_MANAGED["scale_in_delay"]
    ended = _of(events, "app_ended")[0]["time_s"]
    assert all(e["time_s"] > ended for e in downs)
    before_end = [r for r in rows if r["time_s"] < result.summary["cluster_lifetime_s"] - 120]
    assert before_end[-1]["TotalUnitsRunning"] == 1
    assert before_end[-1]["TotalUnitsRequested"] == 1
    first_core_down = min(e["time_s"] for e in downs if e["group"] == "core")
    assert all(e["time_s"] <= first_core_down for e in downs if e["group"] == "task")
    assert {n.end_reason for n in result.nodes if n.group == "task"} == {"scale_down"}
    assert result.summary["jobs"]["completed"] == 1
    assert sim.autoscaler.decisions == len(_of(events, "scaling_decision"))

    # The same workload on a static cluster of the peak the managed run reached: 2 core, 4 task.
    static = _burst()
    del static["scaling"]
    static["cluster"]["instance_groups"][1]["count"] = 2
    static["cluster"]["instance_groups"][2]["count"] = 4
    _, fixed, fixed_events = _run(static, tmp_path, name="static")
    assert not _of(fixed_events, "scaling_decision")
    assert fixed.summary["jobs"]["completed"] == 1
    assert max(r["TotalNodesRunning"] for r in fixed.metrics) == peak
    managed_cost = result.summary["cost_usd"]["total"]
    static_cost = fixed.summary["cost_usd"]["total"]
    assert managed_cost < 0.6 * static_cost, (managed_cost, static_cost)


def test_no_scale_in_before_scale_in_delay_after_start(tmp_path: Path) -> None:
    """Twice the demand's size at start, no work: nodes go only scale_in_delay after ready."""
    data = _scenario(
        core=3,
        managed={"minimum_capacity_units": 1, "maximum_capacity_units": 4, "scale_in_delay": 200},
    )
    data["cluster"].update(keep_alive=True, idle_timeout=900)
    _, _, events = _run(data, tmp_path)
    downs = _downs(events)
    assert downs and downs[0]["time_s"] >= READY + 200
    assert downs[0]["time_s"] <= READY + 200 + 10  # the first evaluation after the window
    assert [(e["from_units"], e["to_units"]) for e in downs] == [(3, 1)]


def test_units_are_fleet_weights_with_instance_fleet_units(tmp_path: Path) -> None:
    """A task fleet of m5.2xlarge (weight 2): 32 x 3072 MB call for 8 units; with the core
    unit, the task fleet asks for 7, which takes 4 instances (8 units: overage, as EMR's
    fleets do); the unit metrics count weights."""
    data = _scenario(
        task=None,
        managed={
            "unit_type": "instance_fleet_units",
            "minimum_capacity_units": 1,
            "maximum_capacity_units": 9,
            "maximum_core_capacity_units": 1,
        },
        steps=[{"name": "s", "job": _job(_stage("map", 32, 300))}],
    )
    data["cluster"] = {
        "instance_fleets": [
            {
                "role": "primary",
                "target_on_demand_capacity": 1,
                "instance_types": [{"instance_type": "m5.xlarge"}],
            },
            {
                "role": "core",
                "target_on_demand_capacity": 1,
                "instance_types": [{"instance_type": "m5.xlarge"}],
            },
            {
                "role": "task",
                "target_on_demand_capacity": 0,
                "instance_types": [{"instance_type": "m5.2xlarge", "weighted_capacity": 2}],
            },
        ],
        "startup": {"provision": 60, "bootstrap": 30},
    }
    _, result, events = _run(data, tmp_path)
    ups = _ups(events)
    assert (
        ups and ups[0]["group"] == "task" and (ups[0]["from_units"], ups[0]["to_units"]) == (0, 7)
    )
    task_nodes = [n for n in result.nodes if n.role == "task"]
    assert len(task_nodes) == 4 and {n.instance_type for n in task_nodes} == {"m5.2xlarge"}
    rows = result.metrics
    assert max(r["TaskUnitsRunning"] for r in rows) == 8
    assert max(r["TaskNodesRunning"] for r in rows) == 4
    assert max(r["TaskUnitsRequested"] for r in rows) == 7
    assert max(r["TotalUnitsRunning"] for r in rows) == 9


# --------------------------------------------------------------------- the primary
def test_scaling_never_touches_the_primary(tmp_path: Path) -> None:
    primaries: set[tuple[str, str]] = set()

    def watch(sim: Any) -> None:
        for inst in sim.instances.instances:
            if inst.role.value == "primary":
                primaries.add((inst.id, inst.state))

    sim, result, events = _run(_burst(), tmp_path, watch)
    assert _of(events, "scaling_decision")
    assert not [e for e in _of(events, "scaling_decision") if e["group"] == "primary"]
    (primary,) = [n for n in result.nodes if n.role == "primary"]
    assert primary.instance_id == "i-00001"
    assert primary.end_reason == "cluster_terminated"
    assert primary.end_s == result.summary["cluster_lifetime_s"]
    assert {i for i, _ in primaries} == {"i-00001"}
    assert not _of(events, "decommissioning", role="primary")
    requests = [r for r in sim.provisioner.requests.values() if r.target.role.value == "primary"]
    assert sum(r.units for r in requests) == 1


# ------------------------------------------------------------------------ custom rules
def test_custom_rule_fires_only_after_its_evaluation_periods(tmp_path: Path) -> None:
    """AppsRunning >= 1 for 3 x 60 s: the step runs from T = 90 s; samples at 120, 180 and
    240 s; the rule is evaluated at the end of each period after ready (150, 210, 270 s ...)
    and fires first at 270 s = ready + 3 x 60 s."""
    rule = _rule("up", 1, "AppsRunning", "GREATER_THAN_OR_EQUAL", 1, periods=3, cool_down=10_000)
    data = _scenario(task=1, task_group=_ruled([rule]), steps=LONG_STEP, horizon=1500)
    _, _, events = _run(data, tmp_path)
    (decision,) = _of(events, "scaling_decision")
    assert decision["time_s"] == READY + 3 * 60
    assert decision["group"] == "task" and (decision["from_units"], decision["to_units"]) == (1, 2)
    assert decision["values"] == [1.0, 1.0, 1.0]
    assert decision["reason"].startswith("rule up: AppsRunning average")


def test_custom_rule_ignores_samples_from_before_the_cluster_was_ready(tmp_path: Path) -> None:
    """The console's default scale-out rule shape (YARNMemoryAvailablePercentage < 15), with
    3 x 60 s periods, on a cluster whose memory the step fills from ready on."""
    rule = _rule(
        "out", 1, "YARNMemoryAvailablePercentage", "LESS_THAN", 15, periods=3, cool_down=10_000
    )
    full = [{"name": "s", "job": _job(_stage("work", 8, 3000))}]  # 8 x 3072 MB on 2 nodes
    data = _scenario(task=1, task_group=_ruled([rule]), steps=full, horizon=1500)
    _, _, events = _run(data, tmp_path)
    decisions = _of(events, "scaling_decision")
    assert decisions
    assert decisions[0]["time_s"] >= READY + 3 * 60, decisions[0]


def test_custom_rule_waits_out_its_cooldown(tmp_path: Path) -> None:
    """Always in alarm (AppsRunning >= 1, 1 x 60 s), +1 with a 300 s cooldown: one decision
    every 300 s, never closer, up to max_capacity."""
    rule = _rule("up", 1, "AppsRunning", "GREATER_THAN_OR_EQUAL", 1, cool_down=300)
    data = _scenario(task=1, task_group=_ruled([rule], high=4), steps=LONG_STEP, horizon=2500)
    _, _, events = _run(data, tmp_path)
    decisions = _of(events, "scaling_decision", group="task")
    times = [e["time_s"] for e in decisions]
    assert times[0] == READY + 60
    assert all(b - a >= 300 for a, b in itertools.pairwise(times))
    assert times == [READY + 60 + 300 * k for k in range(3)]
    assert [(e["from_units"], e["to_units"]) for e in decisions] == [(1, 2), (2, 3), (3, 4)]


def test_exact_capacity_action(tmp_path: Path) -> None:
    rule = _rule("exact", 5, "AppsRunning", "GREATER_THAN_OR_EQUAL", 1, kind="EXACT_CAPACITY")
    data = _scenario(task=1, task_group=_ruled([rule]), steps=LONG_STEP, horizon=1000)
    _, result, events = _run(data, tmp_path)
    decisions = _of(events, "scaling_decision")
    # Once at 5, the same rule keeps firing but changes nothing: no further decision.
    assert [(e["from_units"], e["to_units"]) for e in decisions] == [(1, 5)]
    assert max(r["TaskNodesRunning"] for r in result.metrics) == 5


def test_percent_actions_round_away_from_zero(tmp_path: Path) -> None:
    """+50 % from 3 task nodes: 3 -> 5 (+1.5 -> 2) -> 8 (+2.5 -> 3) -> 10 (12, capped); then
    -50 % once the step ends: 10 -> 5 -> 2 (-2.5 -> -3) -> 1 (-1) -> 0 (-0.5 -> -1)."""
    up = _rule(
        "up", 50, "AppsRunning", "GREATER_THAN_OR_EQUAL", 1, kind="PERCENT_CHANGE_IN_CAPACITY"
    )
    down = _rule("down", -50, "AppsRunning", "LESS_THAN", 1, kind="PERCENT_CHANGE_IN_CAPACITY")
    data = _scenario(
        task=3,
        task_group=_ruled([up, down]),
        steps=[{"name": "s", "job": _job(_stage("work", 4, 600))}],
    )
    data["cluster"].update(keep_alive=True, idle_timeout=900)
    _, _, events = _run(data, tmp_path)
    moves = [(e["from_units"], e["to_units"]) for e in _of(events, "scaling_decision")]
    assert moves == [(3, 5), (5, 8), (8, 10), (10, 5), (5, 2), (2, 1), (1, 0)]


# --------------------------------------------------------------- cancelling removals
def _drain_then_demand(late: float | None, timeout: float = 3600.0) -> dict[str, Any]:
    """Three long containers of 7424 MB (over half a node: one per node) and six short ones
    of 2048 MB: managed scaling grows the task group to 2. When the short ones are done,
    demand fits two nodes: after scale_in_delay one task node, still running its long
    container, is decommissioned (every node runs one: the newest goes). A second job at
    ``late`` s after ready brings new demand."""
    first = _job(
        _stage("long", 3, 2000, 7400),
        _stage("short", 6, 200, 2048, depends_on=[]),
    )
    streams = [_stream("first", 0, first)]
    if late is not None:
        streams.append(_stream("late", late, _job(_stage("s", 4, 300, 4096))))
    return _scenario(
        managed={
            "minimum_capacity_units": 1,
            "maximum_capacity_units": 3,
            "maximum_core_capacity_units": 1,
            "scale_in_delay": 120,
        },
        streams=streams,
        yarn={"graceful_decommission_timeout": timeout},
    )


def test_new_demand_cancels_a_pending_removal(tmp_path: Path) -> None:
    _, result, events = _run(_drain_then_demand(late=900), tmp_path)
    (down, *_) = _downs(events)
    (removal, *_) = _of(events, "decommissioning")
    assert removal["time_s"] == down["time_s"] and removal["role"] == "task"
    node = removal["instance"]
    # It was busy: it did not leave at once.
    assert not [
        e for e in _of(events, "instance_lost", instance=node) if e["time_s"] <= 900 + READY
    ]
    late = _of(events, "app_submitted", name="late-1")[0]["time_s"]
    up = next(e for e in _ups(events) if e["time_s"] > removal["time_s"])
    assert late < up["time_s"] <= late + 10
    (cancel,) = _of(events, "decommission_cancelled")
    assert cancel == {"time_s": up["time_s"], "event": "decommission_cancelled", "instance": node}
    assert _of(events, "node_recommissioned", node=node)[0]["time_s"] == up["time_s"]
    # The draining node covers the new unit: nothing new is launched for it.
    assert not [e for e in _of(events, "instance_provisioned") if e["time_s"] > removal["time_s"]]
    assert not _of(events, "container_lost")
    assert result.summary["jobs"]["completed"] == 2


def test_graceful_decommission_timeout_kills_what_is_left(tmp_path: Path) -> None:
    """Without new demand the busy node drains; after yarn.graceful_decommission_timeout
    (300 s here) its long container is lost and runs again elsewhere, not a second earlier."""
    _, result, events = _run(_drain_then_demand(late=None, timeout=300), tmp_path)
    (removal, *_) = _of(events, "decommissioning")
    node = removal["instance"]
    lost = _of(events, "container_lost", node=node)
    assert lost and {e["time_s"] for e in lost} == {removal["time_s"] + 300}
    assert (
        _of(events, "decommission_timeout", instance=node)[0]["time_s"] == removal["time_s"] + 300
    )
    assert all(e["time_s"] >= removal["time_s"] + 300 for e in _of(events, "container_lost"))
    (gone,) = _of(events, "instance_lost", instance=node)
    assert gone["time_s"] == removal["time_s"] + 300
    assert result.summary["jobs"]["completed"] == 1


# ------------------------------------------------------------------------------ HDFS
def test_core_scale_in_respects_hdfs(tmp_path: Path) -> None:
    """Four core nodes (dfs.replication 2) holding 20 GB, no work: managed scaling wants one
    core node, EMR removes two (down to dfs.replication) after their replicas move, refuses
    the third, and no block is lost."""
    data = _scenario(
        core=4,
        task=None,
        managed={"minimum_capacity_units": 1, "maximum_capacity_units": 4, "scale_in_delay": 60},
        hdfs={"preload_gb": 20},
    )
    data["cluster"].update(keep_alive=True, idle_timeout=600)
    _, result, events = _run(data, tmp_path)
    hdfs = result.summary["hdfs"]
    assert hdfs["replication"] == 2
    removed = _of(events, "decommissioning")
    assert len(removed) == 2 and {e["role"] for e in removed} == {"core"}
    refused = _of(events, "decommission_refused")
    assert refused and refused[0]["time_s"] == removed[0]["time_s"] and refused[0]["count"] == 1
    # Each removed node leaves only after its DataNode is decommissioned (replicas copied).
    for e in removed:
        (lost,) = _of(events, "instance_lost", instance=e["instance"])
        node = int(e["instance"].split("-")[1])
        (done,) = _of(events, "datanode_decommissioned", node=node)
        assert e["time_s"] < done["time_s"] <= lost["time_s"]
    assert hdfs["blocks_lost"] == 0 and hdfs["rereplicated_gb"] > 0
    after = [r for r in result.metrics if r["time_s"] > READY]
    assert min(r["CoreNodesRunning"] for r in after) == 2
    assert max(r["MissingBlocks"] for r in result.metrics) == 0
    assert any("refused to remove" in w for w in result.warnings)


# --------------------------------------------------------------------------- shuffle
def _shuffle(aware: bool, wait: float = 1800.0) -> dict[str, Any]:
    """A MapReduce job: 16 maps of 60 s spread over 4 nodes, then one 900 s reduce. When the
    maps are done, demand fits the core node alone; the idle task nodes hold map output the
    reduce needs."""
    job = {
        "type": "mapreduce",
        "am": {"memory_mb": 1024},
        "reduce_slowstart": 1.0,
        "stages": [
            {"name": "map", "tasks": 16, "duration": 60},
            {"name": "reduce", "tasks": 1, "duration": 900},
        ],
    }
    return _scenario(
        managed={
            "minimum_capacity_units": 1,
            "maximum_capacity_units": 4,
            "maximum_core_capacity_units": 1,
            "scale_in_delay": 60,
            "shuffle_aware": aware,
            "shuffle_wait": wait,
        },
        yarn={"am_placement": "core"},
        steps=[{"name": "s", "job": job}],
    )


def test_shuffle_aware_scale_in_keeps_nodes_with_needed_map_output(tmp_path: Path) -> None:
    sim, result, events = _run(_shuffle(aware=True), tmp_path)
    assert sim.autoscaler.shuffle_aware
    ups = _ups(events)
    assert ups and ups[0]["to_units"] == 3
    assert _downs(events)  # it wanted to scale in ...
    assert not _of(events, "decommissioning")  # ... but every task node held map output
    assert not _of(events, "shuffle_output_lost")
    assert result.summary["jobs"]["shuffle_recomputed_tasks"] == 0
    assert result.summary["jobs"]["completed"] == 1


def test_without_shuffle_awareness_scale_in_loses_map_output(tmp_path: Path) -> None:
    sim, result, events = _run(_shuffle(aware=False), tmp_path)
    assert not sim.autoscaler.shuffle_aware
    removals = _of(events, "decommissioning")
    lost = _of(events, "shuffle_output_lost")
    assert removals and lost
    assert {e["node"] for e in lost} <= {e["instance"] for e in removals}
    assert result.summary["jobs"]["shuffle_recomputed_tasks"] > 0
    assert result.summary["jobs"]["completed"] == 1  # the maps ran again


def test_shuffle_wait_bounds_how_long_removal_waits(tmp_path: Path) -> None:
    """With shuffle_wait 300 s, the task nodes holding map output go 300 s after managed
    scaling first wanted them gone (while the reduce still runs)."""
    _, _, events = _run(_shuffle(aware=True, wait=300), tmp_path)
    first_down = _downs(events)[0]["time_s"]
    removals = _of(events, "decommissioning")
    assert removals
    assert min(e["time_s"] for e in removals) >= first_down + 300
    assert min(e["time_s"] for e in removals) <= first_down + 300 + 10
    assert _of(events, "shuffle_output_lost")


@pytest.mark.parametrize(
    ("release", "aware"),
    [
        ("emr-5.33.0", False),
        ("emr-5.34.0", True),
        ("emr-6.3.0", False),
        ("emr-6.4.0", True),
        ("emr-7.5.0", True),
    ],
)
def test_shuffle_aware_auto_follows_the_release(release: str, aware: bool) -> None:
    data = _scenario(managed={"minimum_capacity_units": 1, "maximum_capacity_units": 2})
    data["release_label"] = release
    assert Simulation(scenario_from_data(data)).autoscaler.shuffle_aware is aware


# ------------------------------------------------------------------------- bugs found
def test_a_recommissioned_core_node_gets_its_datanode_back(tmp_path: Path) -> None:
    """Three core nodes, each running 4 long containers. A graceful decommission of all three
    at 280 s (EMR accepts two: dfs.replication 1); their DataNodes, holding nothing, are
    decommissioned at the check 30 s later while YARN still drains. Managed scaling (every
    60 s) sees the demand at 330 s and cancels both removals. When the work is done, it
    should shrink the cluster to one core node."""
    data = _scenario(
        core=3,
        task=None,
        managed={
            "minimum_capacity_units": 1,
            "maximum_capacity_units": 3,
            "scale_in_delay": 60,
            "evaluation_interval": 60,
        },
        faults=[{"at": 280, "action": "decommission", "role": "core", "count": 3}],
        steps=[{"name": "s", "job": _job(_stage("s", 12, 1000))}],
    )
    data["cluster"].update(keep_alive=True, idle_timeout=1200)
    seen: list[str] = []

    def datanodes(sim: Any) -> None:
        for inst in sim.instances.running():
            if (
                inst.role.value == "core"
                and inst.index not in sim.losses.draining
                and inst.index not in sim.hdfs.blocks.capacity_mb
            ):
                seen.append(f"t={sim.env.now}: {inst.id} in service without a DataNode")

    _, result, events = _run(data, tmp_path, datanodes)
    faulted = _of(events, "decommissioning")
    assert [e["time_s"] for e in faulted[:2]] == [280, 280]  # the set-up happened
    assert not seen, seen[:3]
    # Once the work is done (1090 s), managed scaling brings the cluster to one core node.
    last = [r for r in result.metrics if r["time_s"] < result.summary["cluster_lifetime_s"] - 60]
    assert last[-1]["CoreNodesRunning"] == 1, last[-1]


def test_a_scale_up_during_an_hdfs_drain_launches_instances(tmp_path: Path) -> None:
    """Three core nodes holding 60 GB (dfs.replication 1), a short job, a lull: managed
    scaling removes two idle core nodes at 220 s; their replicas take ~500 s to move. A long
    job arrives at 391 s: managed scaling asks for 3 core units again at 400 s."""
    data = _scenario(
        core=3,
        task=None,
        managed={"minimum_capacity_units": 1, "maximum_capacity_units": 3, "scale_in_delay": 60},
        hdfs={"preload_gb": 60},
        streams=[
            _stream("first", 0, _job(_stage("s", 12, 60))),
            _stream("late", 300, _job(_stage("s", 12, 600))),
        ],
    )
    _, result, events = _run(data, tmp_path)
    (down,) = [e for e in _downs(events) if e["time_s"] < 300]
    assert (down["from_units"], down["to_units"]) == (3, 1)
    (up,) = [e for e in _ups(events) if 300 < e["time_s"] < 500]
    assert (up["from_units"], up["to_units"]) == (1, 3)
    assert not _of(events, "decommission_cancelled")  # too late: the nodes left YARN
    # The new nodes start at once (490 s), the draining ones go by ~600 s; until the long
    # job's last wave ends (~1000 s) the 3 requested units run.
    rows = [r for r in result.metrics if 600 <= r["time_s"] <= 1000]
    assert rows and all(r["CoreUnitsRequested"] == 3 for r in rows)
    assert all(r["CoreUnitsRunning"] >= r["CoreUnitsRequested"] for r in rows), [
        (r["time_s"], r["CoreUnitsRequested"], r["CoreUnitsRunning"]) for r in rows
    ]


def test_vcpu_units_never_exceed_the_maximum(tmp_path: Path) -> None:
    data = _scenario(
        managed={"unit_type": "vcpu", "minimum_capacity_units": 4, "maximum_capacity_units": 10},
        steps=[{"name": "s", "job": _job(_stage("s", 40, 300))}],
    )
    highest: list[float] = []

    def requested(sim: Any) -> None:
        highest.append(
            sum(
                r.units * sim.autoscaler.per_request_unit(r)
                for r in sim.provisioner.requests.values()
                if r.target.role.value != "primary"
            )
        )

    _, result, events = _run(data, tmp_path, requested)
    assert _ups(events)  # the demand (40 x 3072 MB) calls for the maximum
    assert max(highest) <= 10
    assert max(r["TotalUnitsRunning"] for r in result.metrics) <= 10
