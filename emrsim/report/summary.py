"""The summary of one run (the contract's JSON run object) and the records behind it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from emrsim.nodes.cluster import END_RUNNING
from emrsim.pricing.billing import Cost, instance_cost
from emrsim.result import JobRecord, NodeRecord, RunResult, StepRecord
from emrsim.scenario.values import Market
from emrsim.yarn.apps import FAILED, FINISHED, KILLED

if TYPE_CHECKING:
    from emrsim.engine import Simulation

JOB_STATE = {FINISHED: "COMPLETED", FAILED: "FAILED", KILLED: "KILLED"}
"""jobs.csv states: the YARN final state (FINISHED reads COMPLETED), else RUNNING or PENDING."""


def collect(sim: Simulation) -> RunResult:
    """Finalise a finished simulation into a :class:`RunResult`."""
    end_s = sim.env.now
    nodes, costs = _nodes(sim, end_s)
    jobs = _jobs(sim)
    stats = _job_stats(jobs)
    steps = [StepRecord(s.name, s.state, s.start_s, s.end_s) for s in sim.steps.steps]
    summary = {
        "seed": sim.scenario.seed,
        "replication": sim.replication,
        "makespan_s": stats.pop("makespan_s"),
        "cluster_ready_s": sim.ready_s,
        "cluster_lifetime_s": sim.terminated_s if sim.terminated_s is not None else end_s,
        "cluster_state": sim.state,
        "state_change_reason": sim.state_reason,
        "cost_usd": costs,
        "jobs": {
            **stats,
            # finished tasks run again because a lost node held their shuffle output
            "shuffle_recomputed_tasks": sim.rm.masters.shuffle_recomputed_tasks,
            # applications whose application master had to run again (a lost AM container)
            "am_retried": sum(1 for a in sim.apps if a.am_attempts > 1),
        },
        "steps": [
            {"name": s.name, "state": s.state, "start_s": s.start_s, "end_s": s.end_s}
            for s in steps
        ],
        "containers": {
            "launched": sim.rm.counts.launched,
            "completed": sim.rm.counts.completed,
            "lost": sim.rm.counts.lost,
            "failed": sim.rm.counts.failed,
            "killed": sim.rm.counts.killed,
            "preempted": sim.rm.counts.preempted,
            "lost_container_s": sim.rm.counts.lost_container_s,
        },
        "spot": {
            # interruption notices delivered to running spot instances
            "interruptions": sim.losses.interruptions,
            # container-seconds of running containers lost with interrupted nodes
            "lost_container_s": sim.losses.lost_container_s,
            "reclaim_waves": sim.spot.waves,
            "instance_hours": _spot_hours(sim, end_s),
            "unfulfilled_requests": sim.provisioner.unfulfilled_attempts,
        },
        "hdfs": {
            "replication": sim.replication_factor,
            "blocks_lost": sim.hdfs.blocks.blocks_lost,
            "bytes_lost_gb": sim.hdfs.blocks.bytes_lost_mb / 1024.0,
            "rereplicated_gb": sim.hdfs.blocks.rereplicated_mb / 1024.0,
            "read_gb": sim.hdfs.read_gb,
            "failed_reads": sim.hdfs.failed_reads,
            "max_utilization_pct": sim.hdfs.max_utilization_pct,
            "decommissioned_nodes": sim.losses.decommissioned,
        },
        "nodes": _node_stats(nodes, end_s),
        "yarn": _yarn_stats(sim, end_s),
        "stalled": sim.stalled,
    }
    return RunResult(
        summary,
        jobs,
        nodes,
        steps,
        sim.recorder.metrics,
        sim.recorder.queue_metrics,
        list(sim.warnings),
    )


def _spot_hours(sim: Simulation, end_s: float) -> float:
    """Billed hours of spot instances."""
    hours = 0.0
    for inst in sim.instances.instances:
        if inst.market is Market.SPOT and inst.start_s is not None:
            stop = inst.end_s if inst.end_s is not None else end_s
            hours += (stop - inst.start_s) / 3600.0
    return hours


def _nodes(sim: Simulation, end_s: float) -> tuple[list[NodeRecord], dict[str, Any]]:
    rows: list[NodeRecord] = []
    by_role = {"primary": Cost(), "core": Cost(), "task": Cost()}
    by_market = {"on_demand": Cost(), "spot": Cost()}
    total = Cost()
    for inst in sim.instances.instances:
        cost = Cost()
        stop = inst.end_s
        reason = inst.end_reason
        if inst.start_s is not None:
            if stop is None:
                stop, reason = end_s, END_RUNNING
            cost = instance_cost(inst.rates, inst.start_s, stop)
        elif reason == END_RUNNING:
            continue  # still provisioning when the run stopped: never billed, never started
        role, market = inst.role.value, inst.market.value
        by_role[role] += cost
        by_market[market] += cost
        total += cost
        rows.append(
            NodeRecord(
                inst.id,
                inst.itype.name,
                role,
                market,
                inst.group,
                inst.start_s,
                stop if inst.start_s is not None else None,
                reason,
                cost.total,
                cost.ec2,
                cost.emr,
                cost.ebs,
            )
        )
    costs = {
        "total": total.total,
        "ec2": total.ec2,
        "emr": total.emr,
        "ebs": total.ebs,
        "by_role": {k: v.total for k, v in by_role.items()},
        "by_market": {k: v.total for k, v in by_market.items()},
    }
    return rows, costs


def _jobs(sim: Simulation) -> list[JobRecord]:
    return [
        JobRecord(
            app.id,
            app.name,
            app.queue,
            app.source,
            app.submit_s,
            app.start_s,
            app.end_s,
            JOB_STATE.get(app.state) or ("RUNNING" if app.start_s is not None else "PENDING"),
            app.launched,
            app.failure_reason,
        )
        for app in sim.apps
    ]


def _mean(values: list[float]) -> float:
    return float(np.mean(values)) if values else 0.0


def _p95(values: list[float]) -> float:
    return float(np.percentile(values, 95)) if values else 0.0


def _job_stats(jobs: list[JobRecord]) -> dict[str, Any]:
    """The jobs part of the summary, and the makespan (the last job's end), in one pass."""
    waits: list[float] = []
    runtimes: list[float] = []
    states = dict.fromkeys(("COMPLETED", "FAILED", "KILLED", "RUNNING", "PENDING"), 0)
    makespan_s: float | None = None
    for j in jobs:
        states[j.state] += 1
        start_s, end_s = j.start_s, j.end_s
        if start_s is not None:
            waits.append(start_s - j.submit_s)
        if end_s is not None:
            if makespan_s is None or end_s > makespan_s:
                makespan_s = end_s
            if j.state == "COMPLETED" and start_s is not None:
                runtimes.append(end_s - start_s)
    return {
        "makespan_s": 0.0 if makespan_s is None else makespan_s,
        "submitted": len(jobs),
        "completed": states["COMPLETED"],
        "failed": states["FAILED"],
        "killed": states["KILLED"],
        "unfinished": states["RUNNING"] + states["PENDING"],
        "mean_wait_s": _mean(waits),
        "p95_wait_s": _p95(waits),
        "mean_runtime_s": _mean(runtimes),
        "p95_runtime_s": _p95(runtimes),
    }


def _node_stats(nodes: list[NodeRecord], end_s: float) -> dict[str, float]:
    changes: list[tuple[float, int]] = []
    hours = 0.0
    for n in nodes:
        if n.start_s is None:
            continue
        stop = n.end_s if n.end_s is not None else end_s
        hours += (stop - n.start_s) / 3600.0
        changes += [(n.start_s, 1), (stop, -1)]
    peak = running = 0
    for _, delta in sorted(changes, key=lambda c: (c[0], c[1])):  # ends before starts
        running += delta
        peak = max(peak, running)
    return {"peak": peak, "node_hours": hours}


def _yarn_stats(sim: Simulation, end_s: float) -> dict[str, Any]:
    rm = sim.rm
    util = 0.0
    if sim.ready_s is not None:
        alloc0, total0 = sim._ready_integrals
        stop = sim.terminated_s if sim.terminated_s is not None else end_s
        alloc = rm.allocated_mb_s(stop) - alloc0
        total = rm.total_memory.integral_at(stop) - total0
        util = 100.0 * alloc / total if total > 0 else 0.0
    queues = {}
    for q in rm.queues:
        busy = q.busy.integral_at(end_s)
        container_s, memory_mb_s, vcore_s = q.usage_integrals(end_s)
        queues[q.config.name] = {
            "mean_running_containers": container_s / busy if busy else 0.0,
            "mean_allocated_memory_mb": memory_mb_s / busy if busy else 0.0,
            "mean_allocated_vcores": vcore_s / busy if busy else 0.0,
            "busy_s": busy,
            "preempted_containers": rm.preempted.get(q.config.name, 0),
        }
    return {"mean_memory_utilization_pct": util, "queues": queues}
