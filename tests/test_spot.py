"""Spot markets: hazard data, the two-minute notice, lost work, replacement, fulfilment, billing.

Most scenarios here switch random interruptions off (``rate_per_hour: 0``) and inject them with
a ``spot_interruption`` fault at a known time, so each mechanism can be checked to the second.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from emrsim import Simulation
from emrsim.engine import Simulation as Sim
from emrsim.nodes.catalogue import load_spot_advisor
from emrsim.nodes.spot import (
    BUCKET_FRACTIONS,
    NOTICE_S,
    SPOT_DECOMMISSION_S,
    bucket_rate_per_hour,
    capacity_score,
    interruption_rate_per_hour,
)
from emrsim.scenario import scenario_from_data

FAULT_AT = 1000.0
MONTH_S = 30 * 86400.0


def _scenario(**changes: Any) -> dict[str, Any]:
    """1 on-demand primary, 2 on-demand core, 4 spot task m5.xlarge; a long MapReduce stream."""
    data: dict[str, Any] = {
        "name": "spot",
        "seed": 5,
        "release_label": "emr-6.15.0",
        "cluster": {
            "instance_groups": [
                {"role": "primary", "instance_type": "m5.xlarge", "count": 1},
                {"role": "core", "instance_type": "m5.xlarge", "count": 2},
                {"role": "task", "instance_type": "m5.xlarge", "count": 4, "market": "spot"},
            ],
            "startup": {"provision": 60, "bootstrap": 30},
        },
        "yarn": {"am_placement": "core"},
        "spot_market": {"interruptions": {"m5.xlarge": {"rate_per_hour": 0}}},
        "workload": {
            "steps": [
                {
                    "name": "etl",
                    "job": {
                        "stages": [
                            {"name": "map", "tasks": 60, "duration": 400},
                            {"name": "reduce", "tasks": 4, "duration": 120},
                        ]
                    },
                }
            ]
        },
    }
    data.update(changes)
    return data


def _run(data: dict[str, Any], tmp_path: Path, observer: Any = None) -> tuple[Any, list[Any]]:
    path = tmp_path / "events.jsonl"
    sim = Simulation(scenario_from_data(data), events_path=path)
    result = sim.run(observer)
    events = [json.loads(line) for line in path.read_text().splitlines()]
    return (sim, result), events


def _reclaim_all_tasks(at: float = FAULT_AT, count: int = 4) -> list[dict[str, Any]]:
    return [{"at": at, "action": "spot_interruption", "role": "task", "count": count}]


# ------------------------------------------------------------------------------ hazard data
def test_bucket_rates_follow_the_documented_conversion() -> None:
    rates = [bucket_rate_per_hour(b, MONTH_S) for b in BUCKET_FRACTIONS]
    assert rates == sorted(rates) and len(set(rates)) == 5
    # 7.5 % of instances running a whole 720 h month are interrupted: 1 - exp(-720 lambda).
    assert 1 - math.exp(-720 * bucket_rate_per_hour("5-10%", MONTH_S)) == pytest.approx(0.075)
    # A shorter window means the same share is reclaimed faster.
    assert bucket_rate_per_hour("<5%", MONTH_S / 2) == pytest.approx(2 * rates[0])


def test_interruption_rate_sources() -> None:
    base = scenario_from_data(_scenario(spot_market={}))
    advisor = load_spot_advisor()
    bucket = advisor.interruption_bucket("us-east-1", "r5.2xlarge")
    assert bucket is not None
    expected = bucket_rate_per_hour(advisor.bucket_labels[bucket], MONTH_S)
    assert interruption_rate_per_hour(base, "r5.2xlarge") == pytest.approx(expected)
    by_rate = scenario_from_data(
        _scenario(spot_market={"interruptions": {"r5.2xlarge": {"rate_per_hour": 0.3}}})
    )
    assert interruption_rate_per_hour(by_rate, "r5.2xlarge") == 0.3
    by_bucket = scenario_from_data(
        _scenario(spot_market={"interruptions": {"r5.2xlarge": {"advisor_bucket": ">20%"}}})
    )
    assert interruption_rate_per_hour(by_bucket, "r5.2xlarge") == pytest.approx(
        -math.log(0.75) / 720
    )
    with pytest.raises(LookupError, match=r"spot_market\.interruptions\.no\.such"):
        interruption_rate_per_hour(base, "no.such")


def test_capacity_score_prefers_available_and_stable_pools() -> None:
    assert capacity_score(1.0, 0.0) == 1.0
    assert capacity_score(0.5, 0.0) == 0.5
    assert capacity_score(1.0, 1e-3) < capacity_score(1.0, 1e-4) < 1.0


# ----------------------------------------------------------------------- notice mechanics
def test_notice_decommissions_then_loses_containers_then_reclaims(tmp_path: Path) -> None:
    grew: list[str] = []
    seen: dict[int, int] = {}

    def no_new_containers(sim: Sim) -> None:
        for node in sim.rm.nodes.values():
            if node.decommissioning:
                ids = {c.id for c in node.containers}
                if seen.get(node.index) is not None and max(ids, default=0) > seen[node.index]:
                    grew.append(node.instance.id)
                seen.setdefault(node.index, max(ids, default=0))

    (sim, result), events = _run(
        _scenario(faults=_reclaim_all_tasks()), tmp_path, no_new_containers
    )
    notices = [e for e in events if e["event"] == "spot_interruption_notice"]
    assert len(notices) == 4 and {e["time_s"] for e in notices} == {FAULT_AT}
    noticed = {e["instance"] for e in notices}
    assert not grew
    lost = [e for e in events if e["event"] == "container_lost"]
    assert lost and {e["time_s"] for e in lost} == {FAULT_AT + SPOT_DECOMMISSION_S}
    assert {e["node"] for e in lost} <= noticed
    ended = [n for n in result.nodes if n.end_reason == "spot_interruption"]
    assert {n.instance_id for n in ended} == noticed
    assert {n.end_s for n in ended} == {FAULT_AT + NOTICE_S}
    # Replacements are requested when the reclaimed instances go, and join the cluster.
    replacements = [i for i in sim.instances.instances if i.request_s == FAULT_AT + NOTICE_S]
    assert len(replacements) == 4 and all(i.market.value == "spot" for i in replacements)
    summary = result.summary
    assert summary["jobs"]["completed"] == 1 and summary["jobs"]["failed"] == 0
    assert summary["spot"]["interruptions"] == 4
    elapsed = [e["elapsed_s"] for e in lost]
    assert all(0 < s <= 400 for s in elapsed)  # map tasks of 400 s, cut short
    assert summary["spot"]["lost_container_s"] == pytest.approx(sum(elapsed))


def test_all_task_nodes_reclaimed_work_reruns_on_core(tmp_path: Path) -> None:
    data = _scenario(faults=_reclaim_all_tasks())
    data["spot_market"] = {
        "interruptions": {"m5.xlarge": {"rate_per_hour": 0}},
        "replace_interrupted": False,
    }
    (sim, result), _ = _run(data, tmp_path)
    summary = result.summary
    assert summary["jobs"]["completed"] == 1
    assert summary["cluster_state"] == "TERMINATED"
    assert summary["containers"]["lost"] > 0
    assert summary["spot"]["lost_container_s"] > 0
    assert len(sim.instances.instances) == 7  # nothing replaced
    # Without the task nodes the same job takes longer than with replacements.
    (_, replaced), _ = _run(_scenario(faults=_reclaim_all_tasks()), tmp_path)
    assert summary["makespan_s"] > replaced.summary["makespan_s"]


def test_spot_primary_reclaimed_ends_the_cluster_with_errors(tmp_path: Path) -> None:
    data = _scenario(faults=[{"at": FAULT_AT, "action": "spot_interruption", "role": "primary"}])
    data["cluster"]["instance_groups"][0]["market"] = "spot"
    (_, result), _ = _run(data, tmp_path)
    summary = result.summary
    assert summary["cluster_state"] == "TERMINATED_WITH_ERRORS"
    assert summary["state_change_reason"] == "INSTANCE_FAILURE"
    assert summary["cluster_lifetime_s"] == pytest.approx(FAULT_AT + NOTICE_S)
    assert summary["jobs"]["completed"] == 0


def test_spot_core_loses_hdfs_replicas(tmp_path: Path) -> None:
    data = _scenario(
        faults=[{"at": FAULT_AT, "action": "spot_interruption", "role": "core", "count": 2}],
        hdfs={"replication": 1, "preload_gb": 10},
    )
    data["cluster"]["instance_groups"][1]["market"] = "spot"
    (_, result), events = _run(data, tmp_path)
    lost = [e for e in events if e["event"] == "blocks_lost"]
    assert lost and {e["time_s"] for e in lost} == {FAULT_AT + NOTICE_S}
    assert result.summary["hdfs"]["blocks_lost"] == 80  # 10 GB in 128 MB blocks, one replica


def test_injected_interruption_needs_a_spot_instance(tmp_path: Path) -> None:
    data = _scenario(faults=[{"at": FAULT_AT, "action": "spot_interruption", "role": "core"}])
    (_, result), _ = _run(data, tmp_path)
    assert result.summary["spot"]["interruptions"] == 0
    assert any("spot core instances; 0 were running" in w for w in result.warnings)


# -------------------------------------------------------------------------------- billing
def test_spot_billed_at_spot_price_plus_full_emr_fee(tmp_path: Path) -> None:
    data = _scenario(faults=_reclaim_all_tasks())
    data["pricing"] = {
        "instances": {
            "m5.xlarge": {"on_demand_usd_per_hr": 0.2, "emr_usd_per_hr": 0.05},
        },
        "ebs_usd_per_gb_month": 0.0,
    }
    data["spot_market"]["price_fraction"] = {"m5.xlarge": 0.3}
    (sim, result), _ = _run(data, tmp_path)
    for inst, row in zip(sim.instances.instances, result.nodes, strict=True):
        if row.start_s is None:
            continue
        hours = max(60.0, row.end_s - row.start_s) / 3600.0
        ec2 = 0.2 * 0.3 if row.market == "spot" else 0.2
        assert inst.rates.emr_usd_per_hr == 0.05
        assert row.cost_usd == pytest.approx((ec2 + 0.05) * hours)


# ------------------------------------------------------------------------------ fulfilment
def test_unfulfilled_spot_task_group_runs_below_target(tmp_path: Path) -> None:
    data = _scenario()
    data["spot_market"] = {
        "interruptions": {"m5.xlarge": {"rate_per_hour": 0}},
        "availability": {"m5.xlarge": 0.3},
        "retry_interval": 600,
    }
    (sim, result), events = _run(data, tmp_path)
    assert result.summary["spot"]["unfulfilled_requests"] > 0
    # The cluster did not wait for the task group: ready as soon as primary and core were.
    assert result.summary["cluster_ready_s"] == pytest.approx(90.0)
    waits = [e for e in events if e["event"] == "spot_request_unfulfilled"]
    assert waits and waits[0]["time_s"] == 0.0
    late = [i for i in sim.instances.instances if i.market.value == "spot" and i.request_s > 0]
    assert all(i.request_s % 600 == 0 for i in late)


def test_spot_core_group_waits_for_all_its_instances(tmp_path: Path) -> None:
    data = _scenario()
    data["cluster"]["instance_groups"][1]["market"] = "spot"
    data["cluster"]["instance_groups"][2]["market"] = "on_demand"
    data["spot_market"] = {
        "interruptions": {"m5.xlarge": {"rate_per_hour": 0}},
        "availability": {"m5.xlarge": 0.2},
        "retry_interval": 600,
    }
    (sim, result), _ = _run(data, tmp_path)
    core = [i for i in sim.instances.instances if i.role.value == "core"]
    last_core = max(i.ready_s for i in core if i.ready_s is not None)
    assert result.summary["cluster_ready_s"] == pytest.approx(last_core)
    assert result.summary["cluster_ready_s"] > 600  # at least one retry was needed (seeded)


# ------------------------------------------------------------------------------- rebalance
def test_rebalance_recommendation_comes_lead_seconds_before_the_notice(tmp_path: Path) -> None:
    data = _scenario()
    data["spot_market"] = {
        "interruptions": {"m5.xlarge": {"rate_per_hour": 2.0}},
        "rebalance_lead": 300,
    }
    _, events = _run(data, tmp_path)
    notices = {
        e["instance"]: e["time_s"] for e in events if e["event"] == "spot_interruption_notice"
    }
    rebalances = {
        e["instance"]: e["time_s"] for e in events if e["event"] == "spot_rebalance_recommendation"
    }
    assert notices
    for inst, t in notices.items():
        assert inst in rebalances and t - 300 - 1e-6 <= rebalances[inst] <= t


# ---------------------------------------------------------------------- termination & seeds
def test_stuck_work_stops_although_spot_timers_are_pending(tmp_path: Path) -> None:
    # Both core nodes fail; AMs may only run on core nodes, so the job's next AM attempt can
    # never be placed. Spot hazard timers (and replacements) go on for ever: they must not keep
    # the simulation alive.
    data = _scenario(faults=[{"at": FAULT_AT, "role": "core", "count": 2}])
    data["spot_market"] = {"interruptions": {"m5.xlarge": {"rate_per_hour": 0.5}}}
    (sim, result), _ = _run(data, tmp_path)
    assert result.summary["stalled"] is True
    assert sim.env.now < FAULT_AT + 3 * 3600


def test_same_seed_same_interruptions(tmp_path: Path) -> None:
    data = _scenario()
    data["spot_market"] = {
        "interruptions": {"m5.xlarge": {"rate_per_hour": 1.5}},
        "reclaim_waves": {"share": 0.5, "pool_fraction": 0.5},
    }
    runs = [json.dumps(_run(data, tmp_path)[0][1].summary, sort_keys=True) for _ in range(2)]
    assert runs[0] == runs[1]
    other = dict(data, seed=6)
    assert json.dumps(_run(other, tmp_path)[0][1].summary, sort_keys=True) != runs[0]
