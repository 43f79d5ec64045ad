"""Spark applications: tasks in executor slots, fixed executors, dynamic allocation, failures.

Every cluster here is ready at T = 90 s (provision 60 s + bootstrap 30 s, constant), when the
step is submitted and its AM (the driver) starts at once. Task durations are constants, so every
expected time is worked out by hand in the test's docstring.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st

from emrsim import Simulation
from emrsim.scenario import ScenarioError, scenario_from_data
from tests.test_invariants import Checker, _check_end

T = 90.0  # the cluster is ready, the step submitted and its AM started


def _scenario(job: dict[str, Any], **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "spark",
        "release_label": "emr-6.15.0",
        "cluster": {
            "instance_groups": [
                {"role": "primary", "instance_type": "m5.xlarge", "count": 1},
                {"role": "core", "instance_type": "r5.2xlarge", "count": 2},
            ],
            "startup": {"provision": 60, "bootstrap": 30},
        },
        "workload": {"steps": [{"name": "s", "job": job}]},
    }
    data.update(extra)
    return data


def _spark_job(stages: list[dict[str, Any]], executors: dict[str, Any], **more: Any) -> dict:
    return {
        "type": "spark",
        "am": {"memory_mb": 2048},
        "executors": executors,
        "stages": stages,
        **more,
    }


def _run(data: dict[str, Any], tmp_path: Path) -> tuple[Any, list[dict[str, Any]]]:
    path = tmp_path / "events.jsonl"
    result = Simulation(scenario_from_data(data), events_path=path).run()
    events = [json.loads(line) for line in path.read_text().splitlines()]
    return result, events


def _times(events: list[dict[str, Any]], name: str, **match: Any) -> list[float]:
    return [
        e["time_s"]
        for e in events
        if e["event"] == name and all(e.get(k) == v for k, v in match.items())
    ]


# ------------------------------------------------------------------------- fixed executors
def test_fixed_executors_run_sixteen_tasks_in_two_waves(tmp_path: Path) -> None:
    """2 executors x 4 slots = 8 slots: 16 tasks of 10 s take two waves, T..T+10..T+20.

    The AM and both executors start at T in the same scheduling pass (the r5.2xlarge core nodes
    have room for all three)."""
    job = _spark_job(
        [{"name": "a", "tasks": 16, "duration": 10}],
        {"count": 2, "memory_mb": 4096, "vcores": 4},
    )
    result, events = _run(_scenario(job), tmp_path)
    assert _times(events, "am_started") == [T]
    assert _times(events, "executor_started") == [T, T]
    done = _times(events, "task_completed")
    assert done == [T + 10] * 8 + [T + 20] * 8
    (record,) = result.jobs
    assert record.state == "COMPLETED"
    assert record.start_s == T
    assert record.end_s == T + 20
    assert record.containers == 3  # the AM and two executors: tasks get no containers
    containers = result.summary["containers"]
    assert containers["launched"] == 3
    assert containers["completed"] == 3
    assert containers["failed"] == containers["killed"] == containers["lost"] == 0


def test_two_stage_job_runs_stage_two_after_stage_one(tmp_path: Path) -> None:
    """One executor of 4 slots. Stage a: 5 tasks of 10 s: 4 run T..T+10, the fifth T+10..T+20
    while three slots stand free. Stage b (3 tasks of 5 s) waits for a: T+20..T+25."""
    job = _spark_job(
        [{"name": "a", "tasks": 5, "duration": 10}, {"name": "b", "tasks": 3, "duration": 5}],
        {"count": 1, "memory_mb": 4096, "vcores": 4},
    )
    result, events = _run(_scenario(job), tmp_path)
    assert _times(events, "task_completed", stage="a") == [T + 10] * 4 + [T + 20]
    assert _times(events, "task_completed", stage="b") == [T + 25] * 3
    assert result.jobs[0].end_s == T + 25


def test_independent_stages_share_the_slots(tmp_path: Path) -> None:
    """depends_on: [] makes b independent of a: both are ready at T; the 4 slots take a's two
    tasks first (stage order), then b's two. c needs both: T+10..T+20."""
    job = _spark_job(
        [
            {"name": "a", "tasks": 2, "duration": 10},
            {"name": "b", "tasks": 2, "duration": 10, "depends_on": []},
            {"name": "c", "tasks": 1, "duration": 10, "depends_on": ["a", "b"]},
        ],
        {"count": 1, "memory_mb": 4096, "vcores": 4},
    )
    result, events = _run(_scenario(job), tmp_path)
    assert _times(events, "task_completed", stage="a") == [T + 10] * 2
    assert _times(events, "task_completed", stage="b") == [T + 10] * 2
    assert _times(events, "task_completed", stage="c") == [T + 20]
    assert result.jobs[0].end_s == T + 20


# ---------------------------------------------------------------------- dynamic allocation
def test_dynamic_allocation_ramps_one_two_four_up_to_max(tmp_path: Path) -> None:
    """min 0, max 10, 4 slots, 64 tasks of 30 s (maxNeeded = 16, so max caps the ramp).

    T: the driver submits the stage; target 0, backlog timer for T+1.
    T+1: target 0+1 = 1 (1 executor); next round adds 2. T+2: target 3 (+2).
    T+3: target 7 (+4). T+4: 7+8 = 15, capped at max 10 (+3); nothing more after.
    Tasks: 4 start at T+1, 8 at T+2, 16 at T+3, 12 at T+4 (40 slots, 24 pending). Slots free
    at T+31 (4), T+32 (8), T+33 (16: the last 12 tasks start), so the job ends at T+63."""
    job = _spark_job(
        [{"name": "a", "tasks": 64, "duration": 30}],
        {"dynamic": {"min": 0, "max": 10}, "memory_mb": 4096, "vcores": 4},
    )
    result, events = _run(_scenario(job), tmp_path)
    starts = _times(events, "executor_started")
    assert starts == [T + 1] + [T + 2] * 2 + [T + 3] * 4 + [T + 4] * 3
    assert max(e["target"] for e in events if e["event"] == "executor_started") == 10
    assert result.jobs[0].end_s == T + 63
    assert result.summary["containers"]["launched"] == 11
    assert result.summary["containers"]["completed"] == 11
    assert _times(events, "executor_released") == []  # never idle for 60 s


def test_dynamic_allocation_stops_at_what_the_tasks_need(tmp_path: Path) -> None:
    """maxNeeded = ceil(10 tasks / 4 slots) = 3 caps the ramp below max 50: 1 at T+1, then
    target min(1+2, 3) = 3 at T+2, and no more."""
    job = _spark_job(
        [{"name": "a", "tasks": 10, "duration": 30}],
        {"dynamic": {"min": 0, "max": 50}, "memory_mb": 4096, "vcores": 4},
    )
    _, events = _run(_scenario(job), tmp_path)
    assert _times(events, "executor_started") == [T + 1, T + 2, T + 2]


def _idle_job(minimum: int) -> dict[str, Any]:
    return _spark_job(
        [{"name": "a", "tasks": 8, "duration": 10}, {"name": "b", "tasks": 1, "duration": 100}],
        {
            "dynamic": {"min": minimum, "max": 4, "idle_timeout": 30},
            "memory_mb": 4096,
            "vcores": 2,
        },
    )


def test_idle_executors_are_released_idle_timeout_after_their_last_task(
    tmp_path: Path,
) -> None:
    """min 1, max 4, 2 slots, idle_timeout 30 s. Stage a: 8 tasks of 10 s; b: 1 task of 100 s.

    T: target min = 1: executor 1 (container 2) starts, takes 2 tasks; 6 pending.
    T+1: target 2: executor 2 (2 tasks). T+2: target min(2+2, maxNeeded 4) = 4: executors 3, 4.
    Slots free: executor 1 at T+10, 2 at T+11, 3 and 4 at T+12, when a completes; b's task
    goes to executor 1 (the first with a free slot) until T+112, the end of the job.
    Idle since T+11 (executor 2) and T+12 (3, 4): released at T+41, T+42, T+42; executor 1
    stays busy and is released with the application."""
    result, events = _run(_scenario(_idle_job(1)), tmp_path)
    assert _times(events, "executor_started") == [T, T + 1, T + 2, T + 2]
    released = [(e["time_s"], e["container"]) for e in events if e["event"] == "executor_released"]
    assert released == [(T + 41, 3), (T + 42, 4), (T + 42, 5)]
    assert result.jobs[0].end_s == T + 112
    assert result.summary["containers"]["launched"] == 5
    assert result.summary["containers"]["completed"] == 5


def test_idle_release_never_goes_below_min(tmp_path: Path) -> None:
    """As above with min 2. T: executors 1 and 2 (4 tasks, 4 pending). T+1: target 3, executor
    3. T+2: target min(3+2, maxNeeded 4) = 4, executor 4. Executors 1, 2 free at T+10, 3 at
    T+11, 4 at T+12 (a completes; b's task to executor 1). Idle timers: executor 2 at T+40, 3
    at T+41, 4 at T+42; only two may go (4 - 2 = min): executor 4 stays idle to the end."""
    result, events = _run(_scenario(_idle_job(2)), tmp_path)
    assert _times(events, "executor_started") == [T, T, T + 1, T + 2]
    released = [(e["time_s"], e["container"]) for e in events if e["event"] == "executor_released"]
    assert released == [(T + 40, 3), (T + 41, 4)]
    assert result.jobs[0].end_s == T + 112


# --------------------------------------------------------------------------------- failures
def test_task_failure_probability_one_fails_the_job_after_max_attempts(tmp_path: Path) -> None:
    """1 executor of 2 slots, 4 tasks of 10 s, every attempt fails, max_task_attempts 3
    (spark.task.maxFailures). A failed task goes to the back of the queue: tasks 0, 1 fail at
    T+10, 2, 3 at T+20, 0, 1 (2nd time) at T+30, 2, 3 at T+40; task 0 fails a third time at
    T+50 and the job fails; the executor and the AM are killed with it."""
    job = _spark_job(
        [{"name": "a", "tasks": 4, "duration": 10, "task_failure_probability": 1.0}],
        {"count": 1, "memory_mb": 4096, "vcores": 2},
        max_task_attempts=3,
    )
    result, events = _run(_scenario(job), tmp_path)
    failed = [(e["time_s"], e["task"], e["attempt"]) for e in events if e["event"] == "task_failed"]
    assert failed == [
        (T + 10, 0, 1),
        (T + 10, 1, 1),
        (T + 20, 2, 1),
        (T + 20, 3, 1),
        (T + 30, 0, 2),
        (T + 30, 1, 2),
        (T + 40, 2, 2),
        (T + 40, 3, 2),
        (T + 50, 0, 3),
    ]
    (record,) = result.jobs
    assert record.state == "FAILED"
    assert record.end_s == T + 50
    assert "a/0 failed 3 times" in record.reason
    containers = result.summary["containers"]
    assert containers["launched"] == 2
    assert containers["killed"] == 2
    assert containers["failed"] == 0  # the executor did not fail: its tasks did


def test_a_lost_driver_starts_the_application_over(tmp_path: Path) -> None:
    """AMs may run only on On-Demand nodes: two On-Demand task groups, the core group on Spot.
    The AM starts at T on ta (the first On-Demand node), executors on the two core nodes
    (2 x 4 slots): a (8 x 10 s) runs T..T+10, b (2 x 10 s) T+10..T+20. At T+15 ta is lost:
    attempt 1 fails, its executors are killed; the new driver on tb starts over (Spark does
    not recover finished stages): a T+15..T+25, b T+25..T+35."""
    data = _scenario(
        _spark_job(
            [{"name": "a", "tasks": 8, "duration": 10}, {"name": "b", "tasks": 2, "duration": 10}],
            {"count": 2, "memory_mb": 4096, "vcores": 4},
        ),
        faults=[{"at": T + 15, "role": "task", "group": "ta", "count": 1}],
    )
    data["yarn"] = {"am_placement": "on_demand"}
    data["cluster"]["instance_groups"] = [
        {"role": "primary", "instance_type": "m5.xlarge", "count": 1},
        {"role": "core", "instance_type": "m5.xlarge", "count": 2, "market": "spot"},
        {"role": "task", "name": "ta", "instance_type": "m5.xlarge", "count": 1},
        {"role": "task", "name": "tb", "instance_type": "m5.xlarge", "count": 1},
    ]
    result, events = _run(data, tmp_path)
    ams = [e for e in events if e["event"] == "am_started"]
    (fault,) = [e for e in events if e["event"] == "fault"]
    assert ams[0]["node"] == fault["instance"]  # the lost node held the driver
    assert [(e["time_s"], e["attempt"]) for e in ams] == [(T, 1), (T + 15, 2)]
    assert _times(events, "task_completed", stage="a") == [T + 10] * 8 + [T + 25] * 8
    assert _times(events, "task_completed", stage="b") == [T + 35] * 2
    (record,) = result.jobs
    assert record.state == "COMPLETED"
    assert record.end_s == T + 35
    containers = result.summary["containers"]
    assert containers["launched"] == 6  # 2 AMs, 4 executors
    assert (containers["lost"], containers["killed"], containers["completed"]) == (1, 2, 3)


# ------------------------------------------------------------------------------ validation
def _errors(job: dict[str, Any]) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        scenario_from_data(_scenario(job))
    return info.value.lines()


@pytest.mark.parametrize(
    ("job", "where", "message"),
    [
        (
            {"type": "spark", "stages": [{"name": "a", "tasks": 1, "duration": 1}]},
            "workload.steps.0.job",
            "needs executors",
        ),
        (
            _spark_job(
                [{"name": "a", "tasks": 1, "duration": 1}],
                {"count": 2, "dynamic": {"max": 3}, "memory_mb": 1024},
            ),
            "workload.steps.0.job.executors",
            "exactly one of count",
        ),
        (
            _spark_job(
                [{"name": "a", "tasks": 1, "duration": 1}],
                {"dynamic": {"min": 5, "max": 3}, "memory_mb": 1024},
            ),
            "workload.steps.0.job.executors.dynamic.min",
            "must be <= max",
        ),
        (
            _spark_job(
                [{"name": "a", "tasks": 1, "duration": 1}],
                {"count": 1, "memory_mb": 100_000},
            ),
            "workload.steps.0.job.executors",
            "executor fits no node",
        ),
        (
            {
                **_spark_job(
                    [{"name": "a", "tasks": 1, "duration": 1}], {"count": 1, "memory_mb": 1}
                ),
                "am": "none",
            },
            "workload.steps.0.job.am",
            "always has an AM",
        ),
        (
            _spark_job(
                [{"name": "a", "tasks": 1, "duration": 1, "container": {"memory_mb": 1024}}],
                {"count": 1, "memory_mb": 1024},
            ),
            "workload.steps.0.job.stages.0.container",
            "executor slots",
        ),
        (
            {
                "type": "mapreduce",
                "executors": {"count": 1, "memory_mb": 1024},
                "stages": [{"name": "a", "tasks": 1, "duration": 1}],
            },
            "workload.steps.0.job.executors",
            "spark jobs only",
        ),
    ],
)
def test_spark_jobs_are_validated(job: dict[str, Any], where: str, message: str) -> None:
    errors = _errors(job)
    assert len(errors) == 1, errors
    assert f"{where}: " in errors[0] and message in errors[0], errors


def test_an_executor_that_fits_validates() -> None:
    job = _spark_job(
        [{"name": "a", "tasks": 1, "duration": 1}],
        {"dynamic": {"min": 1, "max": 3, "initial": 2}, "memory_mb": 57344, "vcores": 8},
    )
    scenario_from_data(_scenario(job))  # r5.2xlarge offers 57344 MB / 8 vcores


# ---------------------------------------------------------------- invariants under chaos
@st.composite
def _spark_scenarios(draw: Any) -> dict[str, Any]:
    worker = draw(st.sampled_from(["m5.xlarge", "r5.xlarge"]))
    max_mb = {"m5.xlarge": 12288, "r5.xlarge": 24576}[worker]
    core = draw(st.integers(1, 3))
    tasks = draw(st.integers(0, 2))
    groups: list[dict[str, Any]] = [
        {"role": "primary", "instance_type": "m5.xlarge", "count": 1},
        {"role": "core", "instance_type": worker, "count": core},
    ]
    if tasks:
        groups.append({"role": "task", "instance_type": worker, "count": tasks})
    jobs = []
    for _ in range(draw(st.integers(1, 3))):
        if draw(st.booleans()):
            executors: dict[str, Any] = {"count": draw(st.integers(1, 4))}
        else:
            low = draw(st.integers(0, 2))
            executors = {
                "dynamic": {
                    "min": low,
                    "max": draw(st.integers(max(low, 1), 6)),
                    "idle_timeout": draw(st.sampled_from([5, 30, 60])),
                }
            }
        executors["memory_mb"] = draw(st.integers(512, max_mb // 2))
        executors["vcores"] = draw(st.integers(1, 4))
        stages = []
        for k in range(draw(st.integers(1, 3))):
            stage: dict[str, Any] = {
                "name": f"s{k}",
                "tasks": draw(st.integers(1, 12)),
                "duration": {"dist": "exponential", "mean": draw(st.floats(1.0, 120.0))},
            }
            if draw(st.integers(0, 4)) == 0:
                stage["task_failure_probability"] = draw(st.floats(0.0, 0.4))
            stages.append(stage)
        kind = draw(st.sampled_from(["spark", "spark", "mapreduce"]))
        job: dict[str, Any] = {"type": kind, "am": {"memory_mb": draw(st.integers(256, 2048))}}
        job["stages"] = stages
        if kind == "spark":
            job["executors"] = executors
        else:
            for stage in stages:
                stage["container"] = {"memory_mb": draw(st.integers(256, max_mb // 2))}
        job["max_task_attempts"] = draw(st.integers(1, 4))
        jobs.append(job)
    roles = ["core"] + (["task"] if tasks else [])
    faults = []
    for _ in range(draw(st.integers(0, 2))):
        role = draw(st.sampled_from(roles))
        available = core if role == "core" else tasks
        faults.append(
            {
                "at": draw(st.floats(90.0, 600.0)),
                "role": role,
                "count": draw(st.integers(1, max(1, available - (role == "core")))),
            }
        )
    return {
        "name": "spark-chaos",
        "release_label": draw(st.sampled_from(["emr-5.36.0", "emr-6.15.0"])),
        "seed": draw(st.integers(0, 2**32 - 1)),
        "cluster": {
            "instance_groups": groups,
            "startup": {"provision": 60, "bootstrap": 30},
        },
        "yarn": {
            "preemption": draw(st.booleans()),
            "queues": [
                {"name": "default", "capacity": 50, "max_capacity": 100},
                {"name": "b", "capacity": 50, "max_capacity": 100},
            ],
        },
        "faults": faults,
        "horizon": 20_000,
        "workload": {
            "streams": [
                {
                    "name": f"stream{i}",
                    "queue": draw(st.sampled_from(["default", "b"])),
                    "interarrival": {"dist": "exponential", "mean": draw(st.floats(5, 200))},
                    "count": draw(st.integers(1, 4)),
                    "job": job,
                }
                for i, job in enumerate(jobs)
            ]
        },
    }


@settings(max_examples=max(settings.default.max_examples // 3, 20))
@given(_spark_scenarios())
def test_spark_keeps_the_books_after_every_event(data: dict[str, Any]) -> None:
    """Spark (and MapReduce) jobs with executor loss, AM loss, task failures, preemption and
    shuffle re-runs: the ResourceManager's books hold after every event, every container ends
    exactly one way, and no stage counts more finished tasks than it has."""
    note(repr(data))
    scenario = scenario_from_data(data)
    sim = Simulation(scenario)
    checker = Checker()

    def observe(s: Simulation) -> None:
        checker(s)
        for app in s.rm.apps.values():
            pool = app.executors
            for stage in app.stages:
                assert 0 <= stage.done <= stage.tasks
                assert stage.running >= 0
            if pool is not None:
                slots = pool.spec.slots
                assert all(len(e.tasks) <= slots for e in pool.executors.values())
                assert pool.running == sum(len(e.tasks) for e in pool.executors.values())
                assert sum(s.running for s in app.stages) == pool.running
                live = [c for c in app.containers if c.executor]
                assert len(live) == len(pool.executors)
                if pool.spec.dynamic and pool.active:
                    assert len(pool.executors) <= pool.spec.maximum
                    assert pool.spec.minimum <= pool.target <= pool.spec.maximum

    result = sim.run(observer=observe)
    _check_end(sim, result)
    for app in sim.apps:
        if app.state == "FINISHED":
            assert all(stage.complete for stage in app.stages)
    assert result.summary["jobs"]["shuffle_recomputed_tasks"] >= 0
    assert not math.isnan(result.summary["makespan_s"])


# ------------------------------------------------------------------------------------- HDFS
def test_tasks_in_executors_write_their_output_from_the_executor_node(tmp_path: Path) -> None:
    """Two core nodes (dfs.replication 1), one executor on each: 8 tasks write 1 GB each
    (output_gb 8), the first (only) replica on the node of the executor that ran the task."""
    job = _spark_job(
        [{"name": "a", "tasks": 8, "duration": 10, "output_gb": 8}],
        {"count": 2, "memory_mb": 4096, "vcores": 2},
    )
    path = tmp_path / "events.jsonl"
    sim = Simulation(scenario_from_data(_scenario(job)), events_path=path)
    result = sim.run()
    events = [json.loads(line) for line in path.read_text().splitlines()]
    assert result.jobs[0].state == "COMPLETED"
    assert sim.replication_factor == 1
    assert sim.hdfs.blocks.stored_gb() == pytest.approx(8.0)
    per_node: dict[int, float] = {}
    index = {inst.id: inst.index for inst in sim.instances.instances}
    for e in events:
        if e["event"] == "task_completed":
            node = index[e["node"]]
            per_node[node] = per_node.get(node, 0.0) + 1024.0
    assert len(per_node) == 2  # both executors ran tasks
    used = {n: mb for n, mb in sim.hdfs.blocks.node_used_mb.items() if mb}
    assert used == pytest.approx(per_node)


def test_a_node_loss_does_not_start_spark_apps_still_waiting_in_their_queue() -> None:
    """Regression: the AM limit (10% of 24 GB) admits one 2048 MB driver at a time, so the
    second job waits in its queue when the task node is lost; re-planning Spark applications
    after the loss must leave it waiting (it starts when the first ends), not slip it into
    the queue's demand list unactivated, where it would start a second life after it ended."""
    job = _spark_job(
        [{"name": "a", "tasks": 2, "duration": 100}],
        {"count": 1, "memory_mb": 1024, "vcores": 2},
    )
    data = _scenario(job, faults=[{"at": T + 10, "role": "task", "count": 1}])
    data["release_label"] = "emr-5.36.0"  # AMs on the core node only
    data["cluster"]["instance_groups"] = [
        {"role": "primary", "instance_type": "m5.xlarge", "count": 1},
        {"role": "core", "instance_type": "m5.xlarge", "count": 1},
        {"role": "task", "instance_type": "m5.xlarge", "count": 1},
    ]
    data["workload"] = {"streams": [{"name": "two", "interarrival": 0, "count": 2, "job": job}]}
    sim = Simulation(scenario_from_data(data))
    checker = Checker()
    result = sim.run(observer=checker)
    _check_end(sim, result)
    first, second = result.jobs
    assert first.state == second.state == "COMPLETED"
    # The first executor went to the task node (the AM took the core node, least recently
    # used first): lost at T+10, replaced on the core node, its two tasks run again.
    assert (first.containers, first.end_s) == (3, T + 110)
    assert (second.containers, second.start_s, second.end_s) == (2, T + 110, T + 210)
