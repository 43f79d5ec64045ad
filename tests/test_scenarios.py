"""The shipped scenarios (scenarios/*.yaml): each validates, runs and shows what its header says."""

from __future__ import annotations

import json
import time
from functools import cache
from pathlib import Path
from typing import Any

import pytest

import emrsim

ROOT = Path(__file__).resolve().parents[1]
SCENARIO_DIR = ROOT / "scenarios"
SCENARIOS = sorted(SCENARIO_DIR.glob("*.yaml"))
NAMES = [p.stem for p in SCENARIOS]


@cache
def _scenario(name: str) -> emrsim.Scenario:
    return emrsim.load_scenario(SCENARIO_DIR / f"{name}.yaml")


@cache
def _run(name: str) -> tuple[dict[str, Any], list[emrsim.RunResult]]:
    return emrsim.simulate(_scenario(name), replications=1)


def _only_run(name: str) -> tuple[dict[str, Any], emrsim.RunResult]:
    document, results = _run(name)
    assert len(document["runs"]) == 1
    assert len(results) == 1
    return document["runs"][0], results[0]


def test_the_scenarios_are_there() -> None:
    assert {"quickstart", "nightly-etl", "shared-analytics", "step-failure"} <= set(NAMES)


# ----------------------------------------------------------------------- every scenario
@pytest.mark.parametrize("name", NAMES)
def test_scenario_starts_with_its_question_and_answer(name: str) -> None:
    text = (SCENARIO_DIR / f"{name}.yaml").read_text(encoding="utf-8")
    header = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        header.append(line)
    block = "\n".join(header)
    assert header, f"{name}.yaml must begin with a comment block"
    for word in ("Question", "Look at", "Answer", "seed"):
        assert word in block, f"{name}.yaml's header does not say {word!r}"


@pytest.mark.parametrize("name", NAMES)
def test_scenario_validates_and_runs(name: str) -> None:
    scenario = _scenario(name)
    assert scenario.name == name
    document, _ = _run(name)
    assert document["scenario"] == name
    run, result = _only_run(name)
    assert run["seed"] == scenario.seed
    assert not run["stalled"]
    if scenario.horizon is not None and run["cluster_lifetime_s"] == scenario.horizon:
        # A long-running (keep-alive) cluster observed up to its horizon.
        assert run["cluster_state"] in ("RUNNING", "WAITING")
    else:
        assert run["cluster_state"] in ("TERMINATED", "TERMINATED_WITH_ERRORS")
    assert run["jobs"]["submitted"] > 0
    assert run["jobs"]["unfinished"] == 0
    cost = run["cost_usd"]
    assert cost["total"] > 0
    assert cost["total"] == pytest.approx(cost["ec2"] + cost["emr"] + cost["ebs"])
    assert cost["total"] == pytest.approx(sum(cost["by_role"].values()))
    assert cost["total"] == pytest.approx(sum(cost["by_market"].values()))
    assert cost["total"] == pytest.approx(sum(n.cost_usd for n in result.nodes))
    assert run["makespan_s"] <= run["cluster_lifetime_s"] + 1e-9
    assert 0 <= run["hdfs"]["max_utilization_pct"] <= 100
    json.dumps(document, allow_nan=False)  # the document is plain JSON


# --------------------------------------------------------------------------- quickstart
def test_quickstart_is_fast() -> None:
    start = time.perf_counter()
    emrsim.simulate(_scenario("quickstart"), replications=1)
    assert time.perf_counter() - start < 2.0


def test_quickstart_runs_both_steps_then_terminates() -> None:
    run, result = _only_run("quickstart")
    assert run["cluster_state"] == "TERMINATED"
    assert run["state_change_reason"] == "ALL_STEPS_COMPLETED"
    assert [s["name"] for s in run["steps"]] == ["wordcount", "report"]
    assert [s["state"] for s in run["steps"]] == ["COMPLETED", "COMPLETED"]
    first, second = run["steps"]
    assert first["start_s"] == pytest.approx(run["cluster_ready_s"])
    assert second["start_s"] >= first["end_s"]  # one step at a time
    assert run["jobs"]["submitted"] == 2
    assert run["jobs"]["completed"] == 2
    assert run["jobs"]["failed"] == 0
    assert run["containers"]["launched"] == run["containers"]["completed"] > 0
    assert run["containers"]["lost"] == 0
    # keep_alive false and a 0 s termination: billing ends with the last step.
    assert run["cluster_lifetime_s"] == pytest.approx(second["end_s"])
    assert run["makespan_s"] == pytest.approx(second["end_s"])
    assert run["nodes"]["peak"] == 4
    assert run["cost_usd"]["by_role"]["task"] == 0
    assert run["cost_usd"]["by_market"]["spot"] == 0
    assert run["hdfs"]["replication"] == 1  # EMR's rule: fewer than 4 core nodes
    assert {n.end_reason for n in result.nodes} == {"cluster_terminated"}


# -------------------------------------------------------------------------- nightly-etl
def test_nightly_etl_completes_with_spot_tasks_and_hdfs() -> None:
    run, result = _only_run("nightly-etl")
    assert run["cluster_state"] == "TERMINATED"
    assert [s["state"] for s in run["steps"]] == ["COMPLETED"] * 3
    assert run["jobs"]["completed"] == 3
    cost = run["cost_usd"]
    assert cost["by_market"]["spot"] > 0
    assert cost["by_role"]["task"] == pytest.approx(cost["by_market"]["spot"])
    assert cost["by_role"]["core"] > cost["by_role"]["primary"] > 0
    assert run["hdfs"]["replication"] == 2  # 4 core nodes
    # preload 300 GB + every stage's output_gb, times replication 2, over 4 x 512 GB raw.
    written_gb = 300 + 150 + 120 + 100 + 80 + 5
    assert run["hdfs"]["max_utilization_pct"] == pytest.approx(100 * written_gb * 2 / (4 * 512))
    spot_nodes = [n for n in result.nodes if n.market == "spot"]
    assert len(spot_nodes) == 6
    assert {n.group for n in spot_nodes} == {"spot-tasks"}
    assert all(n.role == "task" for n in spot_nodes)


def test_nightly_etl_transform_follows_its_stage_dag(tmp_path: Path) -> None:
    emrsim.simulate(_scenario("nightly-etl"), replications=1, out=tmp_path)
    events = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    transform = next(
        e["app"] for e in events if e["event"] == "app_submitted" and e["name"] == "transform"
    )
    stage_of: dict[int, str] = {}
    first_start: dict[str, float] = {}
    last_end: dict[str, float] = {}
    for e in events:
        if e.get("app") != transform:
            continue
        if e["event"] == "container_started":
            stage_of[e["container"]] = e["stage"]
            if not e["waits_for_inputs"]:  # reducers started early (slow-start) wait
                first_start.setdefault(e["stage"], e["time_s"])
        elif e["event"] == "container_inputs_ready":
            first_start.setdefault(e["stage"], e["time_s"])
        elif e["event"] == "container_completed" and e["container"] in stage_of:
            stage = stage_of[e["container"]]
            last_end[stage] = max(last_end.get(stage, 0.0), e["time_s"])
    # dims and clean do not depend on each other: both start as soon as the job does.
    assert first_start["clean"] == pytest.approx(first_start["dims"])
    assert first_start["clean"] < last_end["dims"]
    # reduce_join's work waits for both (its containers may start early, MapReduce slow-start,
    # and hold their memory); reduce_dedupe for reduce_join.
    assert first_start["reduce_join"] >= max(last_end["clean"], last_end["dims"]) - 1e-6
    assert first_start["reduce_dedupe"] >= last_end["reduce_join"] - 1e-6


# --------------------------------------------------------------------- shared-analytics
def test_shared_analytics_loses_a_core_node_to_the_fault() -> None:
    run, result = _only_run("shared-analytics")
    faulted = [n for n in result.nodes if n.end_reason == "fault"]
    assert len(faulted) == 1
    assert faulted[0].role == "core"
    assert faulted[0].end_s == pytest.approx(3 * 3600)
    assert run["containers"]["lost"] >= 1
    assert run["containers"]["lost_container_s"] > 0
    # Replication 2 survives one lost DataNode; its replicas are copied again.
    assert run["hdfs"]["replication"] == 2
    assert run["hdfs"]["blocks_lost"] == 0
    assert run["hdfs"]["rereplicated_gb"] > 0


def test_shared_analytics_queues_and_waits() -> None:
    run, result = _only_run("shared-analytics")
    assert run["cluster_state"] == "TERMINATED"
    assert run["state_change_reason"] == "IDLE_TIMEOUT"
    assert run["cluster_lifetime_s"] == pytest.approx(run["makespan_s"] + 1800)
    assert run["steps"] == []
    assert run["jobs"]["failed"] == 0
    assert run["jobs"]["completed"] == run["jobs"]["submitted"]
    queues = run["yarn"]["queues"]
    assert set(queues) == {"etl", "adhoc"}
    for q in queues.values():
        assert q["mean_running_containers"] > 0
        assert q["mean_allocated_memory_mb"] > 0
    by_queue = {q: [j for j in result.jobs if j.queue == q] for q in ("etl", "adhoc")}
    assert len(by_queue["adhoc"]) > len(by_queue["etl"]) > 10  # every 3 min vs every 15 min
    ready = run["cluster_ready_s"]
    for job in result.jobs:
        assert job.state == "COMPLETED"
        assert ready < job.submit_s <= ready + 8 * 3600  # streams run 8 h from cluster ready
        assert job.start_s is not None and job.start_s >= job.submit_s
    waits = [j.start_s - j.submit_s for j in result.jobs if j.start_s is not None]
    assert run["jobs"]["mean_wait_s"] == pytest.approx(sum(waits) / len(waits))


def test_shared_analytics_fault_lengthens_the_day() -> None:
    """Common random numbers: the same seed without the fault isolates what the fault costs."""
    run, _ = _only_run("shared-analytics")
    no_fault = _scenario("shared-analytics").model_copy(update={"faults": []})
    document, results = emrsim.simulate(no_fault, replications=1)
    base = document["runs"][0]
    assert base["containers"]["lost"] == 0
    assert {n.end_reason for n in results[0].nodes} == {"cluster_terminated"}
    assert base["jobs"]["submitted"] == run["jobs"]["submitted"]  # the same arrivals
    assert run["makespan_s"] > base["makespan_s"]
    assert run["jobs"]["mean_wait_s"] > base["jobs"]["mean_wait_s"]


# ------------------------------------------------------------------------- step-failure
def test_step_failure_cancels_the_later_steps() -> None:
    run, result = _only_run("step-failure")
    states = {s["name"]: s["state"] for s in run["steps"]}
    assert states == {
        "prepare": "COMPLETED",
        "flaky-load": "FAILED",
        "publish": "CANCELLED",
        "notify": "CANCELLED",
    }
    for step in run["steps"]:
        if step["state"] == "CANCELLED":
            assert step["start_s"] is None and step["end_s"] is None
    failed = next(s for s in run["steps"] if s["name"] == "flaky-load")
    # Every attempt fails: 4 attempts (max_task_attempts) of 30 s each, one after the other.
    assert failed["end_s"] - failed["start_s"] == pytest.approx(4 * 30)
    assert run["jobs"]["submitted"] == 2  # the cancelled steps never submit a job
    assert run["jobs"]["completed"] == 1
    assert run["jobs"]["failed"] == 1
    assert run["containers"]["failed"] >= 4
    assert [j.state for j in result.jobs] == ["COMPLETED", "FAILED"]
    assert "failed 4 times" in result.jobs[1].reason
    # keep_alive false: nothing left to run, so the cluster ends with the failed step.
    assert run["cluster_state"] == "TERMINATED"
    assert run["cluster_lifetime_s"] == pytest.approx(failed["end_s"])


# -------------------------------------------------------------------- spot-vs-on-demand
def _study(*overrides: str) -> dict[str, Any]:
    scenario = emrsim.load_scenario(SCENARIO_DIR / "spot-vs-on-demand.yaml", list(overrides))
    document, _ = emrsim.simulate(scenario)
    return document


@pytest.mark.slow
def test_spot_study_shows_the_saving_the_tail_and_the_failures() -> None:
    on_demand = _study("cluster.instance_groups.2.market=on_demand")
    mixed = _study()
    all_spot = _study(
        "cluster.instance_groups.0.market=spot", "cluster.instance_groups.1.market=spot"
    )

    def agg(doc: dict[str, Any], key: str) -> dict[str, Any]:
        return dict(doc["aggregate"][key])

    # A: no spot, no interruptions, every night completes.
    assert agg(on_demand, "spot.interruptions")["p95"] == 0
    assert all(r["cluster_state"] == "TERMINATED" for r in on_demand["runs"])
    # B: cheaper on average (intervals apart), but its p95 cost nearly reaches on-demand's mean.
    assert agg(mixed, "cost_usd.total")["ci95"][1] < agg(on_demand, "cost_usd.total")["ci95"][0]
    assert agg(mixed, "cost_usd.total")["p95"] > 0.9 * agg(on_demand, "cost_usd.total")["mean"]
    assert agg(mixed, "makespan_s")["p95"] > agg(on_demand, "makespan_s")["p95"]
    assert agg(mixed, "spot.lost_container_s")["p95"] > 0
    assert all(r["jobs"]["completed"] == 2 for r in mixed["runs"])
    assert agg(mixed, "hdfs.blocks_lost")["mean"] == 0
    # C: cheapest, but some nights fail with the primary and some lose HDFS blocks.
    assert agg(all_spot, "cost_usd.total")["mean"] < agg(mixed, "cost_usd.total")["mean"]
    failed = [r for r in all_spot["runs"] if r["cluster_state"] == "TERMINATED_WITH_ERRORS"]
    assert failed and all(r["state_change_reason"] == "INSTANCE_FAILURE" for r in failed)
    assert any(r["hdfs"]["blocks_lost"] > 0 for r in all_spot["runs"])


# ----------------------------------------------------------------------- core-node-loss
def _variant(name: str, *overrides: str) -> tuple[dict[str, Any], list[emrsim.RunResult]]:
    scenario = emrsim.load_scenario(SCENARIO_DIR / f"{name}.yaml", list(overrides))
    return emrsim.simulate(scenario)


def _core_reclaimed(result: emrsim.RunResult) -> int:
    return sum(n.role == "core" and n.end_reason == "spot_interruption" for n in result.nodes)


@pytest.mark.slow
def test_core_node_loss_replication_survives_lone_losses_not_waves() -> None:
    studies = {r: _variant("core-node-loss", f"hdfs.replication={r}") for r in (1, 2, 3)}
    on_demand, _ = _variant("core-node-loss", "cluster.instance_groups.1.market=on_demand")

    def losing(r: int) -> set[int]:
        return {i for i, run in enumerate(studies[r][0]["runs"]) if run["hdfs"]["blocks_lost"]}

    def failing(r: int) -> set[int]:
        return {i for i, run in enumerate(studies[r][0]["runs"]) if run["jobs"]["failed"]}

    # The same seeds give the same market: the nights with interruptions are the same.
    calm = [i for i, run in enumerate(studies[2][0]["runs"]) if run["spot"]["interruptions"] == 0]
    assert 0 < len(calm) < 30
    for r in (1, 2, 3):
        runs = studies[r][0]["runs"]
        assert all(runs[i]["spot"]["interruptions"] == 0 for i in calm)
        assert all(runs[i]["jobs"]["completed"] == 2 for i in calm)
        # Replication costs no time and no money on a calm night.
        for i in calm:
            assert runs[i]["cost_usd"]["total"] == pytest.approx(
                studies[2][0]["runs"][i]["cost_usd"]["total"]
            )
    # A: replication 1 loses blocks whenever a core node goes, and jobs fail on read.
    assert len(losing(1)) > len(losing(2)) > 0
    assert len(failing(1)) > len(failing(2)) > 0
    a_runs = studies[1][0]["runs"]
    assert all(a_runs[i]["hdfs"]["failed_reads"] > 0 for i in failing(1))
    assert all(run["hdfs"]["rereplicated_gb"] == 0 for run in a_runs)
    assert any("BlockMissingException" in j.reason for res in studies[1][1] for j in res.jobs)
    # B: a lone lost core node loses nothing and is re-replicated; losses need 2+ nodes gone.
    b_doc, b_results = studies[2]
    lone = [i for i, res in enumerate(b_results) if _core_reclaimed(res) == 1]
    assert lone and not set(lone) & losing(2)
    assert any(b_doc["runs"][i]["hdfs"]["rereplicated_gb"] > 0 for i in lone)
    assert all(_core_reclaimed(b_results[i]) >= 2 for i in losing(2))
    # C: a third replica does not save the wave nights; it only loses fewer blocks.
    assert losing(3) == losing(2) and failing(3) == failing(2)
    agg = {r: studies[r][0]["aggregate"] for r in (1, 2, 3)}
    assert agg[3]["hdfs.blocks_lost"]["mean"] < agg[2]["hdfs.blocks_lost"]["mean"]
    assert agg[2]["hdfs.blocks_lost"]["mean"] < agg[1]["hdfs.blocks_lost"]["mean"]
    assert agg[3]["hdfs.rereplicated_gb"]["mean"] > agg[2]["hdfs.rereplicated_gb"]["mean"]
    # Capacity: the same disks give 1/r of their raw storage to data; peak use grows with r.
    peak = {r: agg[r]["hdfs.max_utilization_pct"]["p50"] for r in (1, 2, 3)}
    assert peak[2] == pytest.approx(2 * peak[1], rel=0.01)
    assert peak[3] == pytest.approx(3 * peak[1], rel=0.01)
    # D: on-demand core loses nothing and costs clearly more than B.
    assert all(run["hdfs"]["blocks_lost"] == 0 for run in on_demand["runs"])
    assert all(run["jobs"]["completed"] == 2 for run in on_demand["runs"])
    d_cost = on_demand["aggregate"]["cost_usd.total"]
    assert d_cost["ci95"][0] > agg[2]["cost_usd.total"]["ci95"][1]


# ---------------------------------------------------------------------- hdfs-decommission
def _drain(name: str, *overrides: str) -> tuple[dict[str, Any], list[float], list[str]]:
    """The run, the end times of the drained nodes and the warnings."""
    document, results = _variant(name, *overrides)
    ends = [n.end_s for n in results[0].nodes if n.end_reason == "scale_down"]
    assert all(e is not None for e in ends)
    return document["runs"][0], [float(e) for e in ends if e is not None], results[0].warnings


@pytest.mark.slow
def test_hdfs_decommission_refuses_what_does_not_fit_and_drains_the_rest() -> None:
    scenario = _scenario("hdfs-decommission")
    asked_at = scenario.faults[0].at
    run, ends, warnings = _drain("hdfs-decommission")
    # A: 16 nodes cannot hold 10 TB x 3, so EMR removes 3 of the 5 and says why.
    assert any("refused to remove 2 of 5 core nodes" in w for w in warnings)
    assert len(ends) == 3 == run["hdfs"]["decommissioned_nodes"]
    assert run["hdfs"]["blocks_lost"] == 0
    drain_s = max(ends) - asked_at
    assert 1800 < drain_s < 5400  # the better part of an hour
    assert run["hdfs"]["rereplicated_gb"] > 3 * 1400  # each node held ~1.5 TB of replicas
    assert run["hdfs"]["max_utilization_pct"] > 95
    assert run["cluster_state"] == "TERMINATED"
    # B: more streams per node drain faster, but only a little.
    _, ends_b, _ = _drain(
        "hdfs-decommission",
        "hdfs.max_replication_streams=4",
        "hdfs.replication_streams_hard_limit=8",
    )
    assert len(ends_b) == 3
    assert drain_s * 0.8 < max(ends_b) - asked_at < drain_s
    # C: one node is allowed at once and drains in about a third of the time.
    run_c, ends_c, warnings_c = _drain("hdfs-decommission", "faults.0.count=1")
    assert len(ends_c) == 1 and not any("refused" in w for w in warnings_c)
    assert max(ends_c) - asked_at < 0.5 * drain_s
    assert run_c["hdfs"]["rereplicated_gb"] < 0.5 * run["hdfs"]["rereplicated_gb"]


@pytest.mark.parametrize("name", ["bursty-day", "nightly-etl", "two-teams"])
def test_a_run_leaves_almost_no_cyclic_garbage(name: str) -> None:
    """Simulation.run pauses the cyclic garbage collector for the run: that stays safe only
    while a run makes (almost) no reference cycles, which would otherwise pile up until it
    ends. These runs have 3,600-19,000 events and leave none; the bound leaves room for what
    the test runner's own threads may drop meanwhile."""
    import gc

    from emrsim.engine import Simulation

    gc.collect()
    sim = Simulation(_scenario(name))
    sim.run()
    assert gc.collect() <= 1000
    assert gc.isenabled()  # restored after the run
