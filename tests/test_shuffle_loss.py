"""Shuffle output lost with a node: finished map tasks whose output a child stage still needs
run again (MapReduce's JobImpl.actOnUnusableNode, Spark's lost map outputs).

The cluster: two m5.xlarge core nodes on Spot (i-00002, i-00003) and one On-Demand m5.xlarge
task node (i-00004); AMs may run only on On-Demand nodes, so every AM sits on the task node and
the fault, which takes one of the two core nodes (picked by the seed), never takes an AM. The
cluster is ready at T = 90 s, when the step is submitted and its AM starts.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from emrsim import Simulation
from emrsim.scenario import scenario_from_data
from emrsim.yarn.apps import Application, StageRun, link_stages

T = 90.0
CORE = ("i-00002", "i-00003")


def _scenario(job: dict[str, Any], fault_at: float, seed: int = 0) -> dict[str, Any]:
    return {
        "name": "shuffle-loss",
        "seed": seed,
        "release_label": "emr-6.15.0",
        "cluster": {
            "instance_groups": [
                {"role": "primary", "instance_type": "m5.xlarge", "count": 1},
                {"role": "core", "instance_type": "m5.xlarge", "count": 2, "market": "spot"},
                {"role": "task", "instance_type": "m5.xlarge", "count": 1},
            ],
            "startup": {"provision": 60, "bootstrap": 30},
        },
        "yarn": {"am_placement": "on_demand"},
        "faults": [{"at": fault_at, "role": "core", "count": 1}],
        "workload": {"steps": [{"name": "s", "job": job}]},
    }


def _run(data: dict[str, Any], tmp_path: Path) -> tuple[Any, list[dict[str, Any]]]:
    path = tmp_path / "events.jsonl"
    result = Simulation(scenario_from_data(data), events_path=path).run()
    return result, [json.loads(line) for line in path.read_text().splitlines()]


def _lost_node(events: list[dict[str, Any]]) -> str:
    (fault,) = [e for e in events if e["event"] == "fault"]
    assert fault["instance"] in CORE
    return str(fault["instance"])


def _shuffle_lost(events: list[dict[str, Any]]) -> list[tuple[float, str, int, str]]:
    return [
        (e["time_s"], e["stage"], e["tasks"], e["node"])
        for e in events
        if e["event"] == "shuffle_output_lost"
    ]


# ------------------------------------------------------------------------------ MapReduce
MAPREDUCE = {
    "type": "mapreduce",
    "am": {"memory_mb": 1024},
    "stages": [
        {"name": "map", "tasks": 10, "duration": 60},  # 3072 MB each (m5.xlarge default)
        {"name": "reduce", "tasks": 2, "duration": 100},  # 6144 MB each
    ],
}


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_mapreduce_reruns_the_maps_whose_output_was_on_the_lost_node(
    seed: int, tmp_path: Path
) -> None:
    """The AM (1024 MB) goes to the task node; the maps follow the least recently used node:
    i-00002, i-00003, i-00004, ... so the core nodes hold maps 0, 3, 6, 9 (4) and 1, 4, 7 (3),
    the task node 2, 5, 8 (3 maps fill it). All run T..T+60; the reducers start at T+60. At
    T+80 the fault takes one core node (the seed picks which): its maps re-run, the reducers
    still complete (the lost one, if any, runs again) and so does the job."""
    result, events = _run(_scenario(MAPREDUCE, T + 80, seed), tmp_path)
    node_of = {
        e["container"]: e["node"]
        for e in events
        if e["event"] == "container_started" and e["stage"] == "map"
    }
    first_wave = [e for e in events if e["event"] == "container_started" and e["time_s"] == T]
    placement = Counter(e["node"] for e in first_wave if e["stage"] == "map")
    assert placement == {"i-00002": 4, "i-00003": 3, "i-00004": 3}
    lost = _lost_node(events)
    expected = placement[lost]
    assert _shuffle_lost(events) == [(T + 80, "map", expected, lost)]
    assert result.summary["jobs"]["shuffle_recomputed_tasks"] == expected
    reruns = [e for e in events if e["event"] == "container_started" and e["stage"] == "map"][10:]
    assert len(reruns) == expected
    assert all(e["time_s"] >= T + 80 and e["node"] != lost for e in reruns)
    done_maps = [
        e for e in events if e["event"] == "container_completed" and e["container"] in node_of
    ]
    assert len(done_maps) == 10 + expected
    (record,) = result.jobs
    assert record.state == "COMPLETED"
    assert result.summary["jobs"]["completed"] == 1


def test_mapreduce_reducers_wait_again_for_the_rerun_maps(tmp_path: Path) -> None:
    """Seed 0 loses i-00002 (4 maps; reducers on i-00003 and i-00004 keep running and finish at
    T+160). Three re-runs fit at T+80 (two on i-00003 next to a reducer, one on the task node);
    the fourth starts when the first three end, T+140..T+200: the job ends at T+200."""
    result, events = _run(_scenario(MAPREDUCE, T + 80, seed=0), tmp_path)
    assert _lost_node(events) == "i-00002"
    starts = [
        e["time_s"] for e in events if e["event"] == "container_started" and e["stage"] == "map"
    ]
    assert starts[10:] == [T + 80] * 3 + [T + 140]
    assert result.jobs[0].end_s == T + 200


# ---------------------------------------------------------------------------------- Spark
SPARK = {
    "type": "spark",
    "am": {"memory_mb": 1024},
    "executors": {"count": 3, "memory_mb": 4096, "vcores": 2},
    "stages": [
        {"name": "map", "tasks": 10, "duration": 60},
        {"name": "reduce", "tasks": 2, "duration": 100},
    ],
}


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_spark_reruns_the_map_tasks_whose_output_was_on_the_lost_node(
    seed: int, tmp_path: Path
) -> None:
    """Executors 1, 2, 3 land on i-00002, i-00003, i-00004 (least recently used first, the AM
    being on i-00004). Each takes two maps as it starts (0-1, 2-3, 4-5); at T+60 the slots that
    free first take maps 6, 7 (executor 1) and 8, 9 (executor 2): each core node holds 4 map
    outputs. The reducers run T+120..T+220 on executors 1 and 2. At T+150 a core node is lost
    with its executor and reducer: its 4 maps are pending again, the reduce stage waits, the
    lost reducer is re-queued (not a failed attempt) and a replacement executor is asked for.
    The 4 maps re-run T+150..T+210 in the free slots; then the lost reducer T+210..T+310."""
    result, events = _run(_scenario(SPARK, T + 150, seed), tmp_path)
    lost = _lost_node(events)
    maps_on = Counter(
        e["node"] for e in events if e["event"] == "task_completed" and e["stage"] == "map"
    )
    assert _shuffle_lost(events) == [(T + 150, "map", 4, lost)]
    assert result.summary["jobs"]["shuffle_recomputed_tasks"] == 4
    rerun_done = [
        e
        for e in events
        if e["event"] == "task_completed" and e["stage"] == "map" and e["time_s"] > T + 120
    ]
    assert [e["time_s"] for e in rerun_done] == [T + 210] * 4
    assert maps_on[lost] == 4  # what the node held before it went
    reduces = [
        e["time_s"] for e in events if e["event"] == "task_completed" and e["stage"] == "reduce"
    ]
    assert reduces == [T + 220, T + 310]
    executor_lost = [e for e in events if e["event"] == "container_lost" and e["executor"]]
    assert len(executor_lost) == 1
    assert len([e for e in events if e["event"] == "executor_started"]) == 4  # one replacement
    assert not [e for e in events if e["event"] == "task_failed"]
    (record,) = result.jobs
    assert record.state == "COMPLETED"
    assert record.end_s == T + 310


# -------------------------------------------------------------------------- no children
@pytest.mark.parametrize("kind", ["mapreduce", "spark"])
def test_a_map_only_job_reruns_nothing(kind: str, tmp_path: Path) -> None:
    """20 maps of 60 s in waves; at T+90 a core node goes with finished and running maps. No
    stage needs their output: only the running ones run again (as lost containers / tasks)."""
    job: dict[str, Any] = {
        "type": kind,
        "am": {"memory_mb": 1024},
        "stages": [{"name": "map", "tasks": 20, "duration": 60}],
    }
    if kind == "spark":
        job["executors"] = {"count": 3, "memory_mb": 4096, "vcores": 2}
    result, events = _run(_scenario(job, T + 90), tmp_path)
    assert _shuffle_lost(events) == []
    assert result.summary["jobs"]["shuffle_recomputed_tasks"] == 0
    assert result.summary["containers"]["lost"] >= 1  # the fault hit the job
    (record,) = result.jobs
    assert record.state == "COMPLETED"
    done = [e for e in events if e["event"] in ("container_completed", "task_completed")]
    assert len(done) == 20  # each map finished once: none ran again for its output


# ----------------------------------------------------------------------- the stage rules
def _chain(tasks: int = 3) -> Application:
    stages = [StageRun(k, name, 1024, 1, [1.0] * tasks, 0.0, 0.0) for k, name in enumerate("abc")]
    link_stages(stages, [[], [0], [1]], None)
    return Application(1, "chain", "default", "u", "spark", None, stages, 4, "test")


def _finish(stage: StageRun, nodes: list[int]) -> None:
    for task, node in enumerate(nodes):
        stage.to_run.remove(task)
        stage.succeed(task, node)


def test_lost_outputs_cascade_to_the_stages_that_feed_a_reset_stage() -> None:
    """a -> b -> c. a and b are complete, c is not. Node 7 held a's task 1 and b's tasks 0, 2.
    b's outputs are reset (c needs them): b is incomplete again, so a's output on node 7 is
    needed again too. c's deps go back up to 1, b's to 1."""
    app = _chain()
    a, b, c = app.stages
    _finish(a, [5, 7, 5])
    assert b.deps_left == 0
    _finish(b, [7, 5, 7])
    assert c.deps_left == 0
    lost = app.lose_outputs(7)
    assert [(s.name, n) for s, n in lost] == [("b", 2), ("a", 1)]
    assert (a.done, b.done, c.done) == (2, 1, 0)
    assert a.queued() == [1]
    assert b.queued() == [0, 2]
    assert (b.deps_left, c.deps_left) == (1, 1)
    app.release_stages()
    assert app.ready == [a]  # b waits for a again, c for b


def test_outputs_whose_children_are_complete_are_kept() -> None:
    """a -> b -> c with a and b complete and c complete too: nothing is reset; a stage without
    children (c) never is."""
    app = _chain(1)
    a, b, c = app.stages
    _finish(a, [7])
    _finish(b, [7])
    _finish(c, [7])
    assert app.lose_outputs(7) == []
    assert (a.done, b.done, c.done) == (1, 1, 1)
