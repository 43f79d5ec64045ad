"""Run invariants of random valid scenarios, checked after every SimPy event.

The scenarios are ``scenarios()`` of ``tests/test_invariants.py``, some given EMR managed scaling
with random limits (instance groups, a release that has it) and some the dominant-resource
calculator (so that YARN fits vcores too). After every event a :class:`RunChecker` checks:

- simulated time never goes backwards;
- cost so far never decreases. An instance that started (``start_s`` set) costs its hourly rates
  (EC2 + EMR + EBS) times its billed time so far: ``now - start_s`` while it runs, and
  ``max(60, end_s - start_s)`` once it has ended (EMR's one-minute minimum applies only when
  it ends, as in ``emrsim.pricing.billing.instance_cost``). Each instance's cost and the total
  are checked, and ``start_s <= end_s <= now``;
- no node is over capacity: the memory of its containers is at most its YARN memory (and its
  vcores too when the scheduler fits vcores); its free memory and vcores are never negative;
- every container ends exactly once: the live containers on the nodes are those of the
  applications, each new one has a higher id than any seen before, an ended one never comes
  back and is no longer live, ``ResourceManager.release`` is called once per ended container and
  never for a live one, and launched - (completed + failed + lost + killed + preempted) equals
  the number of live containers;
- the number of HDFS blocks without a replica on an existing DataNode equals
  ``BlockMap.blocks_lost`` (and they are the blocks flagged lost);
- with managed scaling, the core and task units requested (``Request.units`` x
  ``Autoscaler.per_request_unit``) stay within ``maximum_capacity_units`` (and the on-demand and
  core maxima when set) at every event; right after each evaluation while the cluster runs, with
  unit type ``instances`` and no on-demand or core maximum, they are at least
  ``minimum_capacity_units`` (between evaluations faults and reclaims may take units away);
- the primary group's requested units and its instance count never change;
- every application ends at most once (``ResourceManager.end_app`` once, its terminal state
  and end time then fixed), and not ending while it is in the ResourceManager.

At the end: when the cluster terminated, every job is in exactly one terminal state (COMPLETED,
FAILED or KILLED) and every application ended exactly once; the final cost (the minimum applied
to every started instance) equals the summary's total.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import numpy as np
import pytest
from hypothesis import given, note
from hypothesis import strategies as st

from emrsim import Simulation
from emrsim.losses import ENDING
from emrsim.nodes.catalogue import load_catalogue
from emrsim.pricing.billing import MINIMUM_BILLED_S, instance_cost
from emrsim.scenario import scenario_from_data
from emrsim.scenario.values import Market, Role
from emrsim.yarn.apps import TERMINAL
from tests.test_invariants import scenarios

CATALOGUE = load_catalogue("us-east-1")
JOB_END_STATES = {"COMPLETED", "FAILED", "KILLED"}
ENDLESS_S = 30 * 86400.0
"""No generated run lasts a simulated month: one still going then would run for ever (work
that can never be placed must stall the run, not keep the cluster busy)."""


# ---------------------------------------------------------------------------- strategies
def _managed_allowed(data: dict[str, Any]) -> bool:
    major, minor, patch = (int(x) for x in data["release_label"][4:].split("."))
    release_ok = (major, minor, patch) >= (5, 30, 0) and (major, minor) != (6, 0)
    return release_ok and "instance_groups" in data["cluster"]


@st.composite
def with_managed_scaling(draw: Any, base: st.SearchStrategy[dict[str, Any]]) -> dict[str, Any]:
    """A scenario of ``base`` with ``scaling.managed`` and random limits, when its release
    allows it and it has instance groups (else unchanged).

    The limits hold the initial counts (minimum may be above them: scaling grows to it), so
    that the maxima hold from the first event: above a maximum, managed scaling waits
    ``scale_in_delay`` and EMR may refuse to remove core nodes, by design.
    """
    data = draw(base)
    if not _managed_allowed(data):
        return data
    unit_type = draw(st.sampled_from(["instances", "instances", "vcpu"]))
    core = task = on_demand = 0
    for group in data["cluster"]["instance_groups"]:
        if group["role"] == "primary":
            continue
        per = CATALOGUE[group["instance_type"]].vcpu if unit_type == "vcpu" else 1
        units = group["count"] * per
        core += units if group["role"] == "core" else 0
        task += units if group["role"] == "task" else 0
        on_demand += units if group.get("market", "on_demand") == "on_demand" else 0
    unit = 4 if unit_type == "vcpu" else 1
    initial = core + task
    minimum = draw(st.integers(0, initial + 3 * unit))
    floor = max(minimum, initial, 1)
    maximum = draw(st.integers(floor, floor + 6 * unit))
    managed: dict[str, Any] = {
        "unit_type": unit_type,
        "minimum_capacity_units": minimum,
        "maximum_capacity_units": maximum,
        "evaluation_interval": draw(st.sampled_from([10, 30, 60])),
        "scale_in_delay": draw(st.sampled_from([0, 60, 300])),
        "target_utilization_pct": draw(st.sampled_from([50, 80, 100])),
    }
    if draw(st.booleans()):
        managed["maximum_on_demand_capacity_units"] = draw(st.integers(on_demand, maximum))
    if draw(st.booleans()):
        managed["maximum_core_capacity_units"] = draw(st.integers(core, maximum))
    if draw(st.booleans()):
        managed["shuffle_aware"] = draw(st.booleans())
    data["scaling"] = {"managed": managed}
    return data


@st.composite
def run_scenarios(draw: Any) -> dict[str, Any]:
    """``scenarios()``, half of them with managed scaling; a quarter of the capacity scheduler
    ones fit vcores as well as memory (the dominant-resource calculator)."""
    base = scenarios()
    data = draw(with_managed_scaling(base) if draw(st.booleans()) else base)
    if data["yarn"]["scheduler"] == "capacity" and draw(st.integers(0, 3)) == 0:
        data["yarn"]["resource_calculator"] = "drf"
    return data


# ------------------------------------------------------------------------------ observer
def _billed_s(inst: Any, now: float) -> float:
    if inst.end_s is None:
        return now - inst.start_s
    return max(MINIMUM_BILLED_S, inst.end_s - inst.start_s)


def _hourly(inst: Any) -> float:
    r = inst.rates
    return r.ec2_usd_per_hr + r.emr_usd_per_hr + r.ebs_usd_per_hr


class RunChecker:
    """Checks the run invariants after every event (see the module docstring)."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.events = 0
        self.last_now = -math.inf
        self.last_cost: dict[str, float] = {}
        self.last_total = 0.0
        self.live: set[int] = set()
        self.ended: set[int] = set()
        self.max_id = 0
        self.releases: Counter[int] = Counter()
        self.released_live: list[int] = []
        self.end_calls: Counter[int] = Counter()
        self.app_end: dict[int, tuple[str, float | None]] = {}
        self.blocks_version = -1
        self._n_blocks = -1
        self.evaluations = 0
        self.min_checked = 0
        self.max_seen = 0.0
        self.managed = sim.scenario.scaling.managed
        self.primary_units = self._primary_units()
        self._hook()

    # The hooks record what the ResourceManager and the autoscaler do; the checks run after
    # each event.
    def _hook(self) -> None:
        sim = self.sim
        rm = sim.rm
        release, end_app = rm.release, rm.end_app

        def counted_release(container: Any) -> None:
            if not container.live:
                self.released_live.append(container.id)  # released a second time
            self.releases[container.id] += 1
            release(container)

        def counted_end(app: Any, state: str, reason: str) -> None:
            self.end_calls[app.id] += 1
            end_app(app, state, reason)

        rm.release = counted_release  # type: ignore[method-assign]
        rm.end_app = counted_end  # type: ignore[method-assign]
        if self.managed is not None:
            evaluate = sim.autoscaler._evaluate_managed

            def checked_evaluation() -> None:
                running = sim.state not in ENDING
                evaluate()
                if running:
                    self.evaluations += 1
                    self._check_minimum()

            sim.autoscaler._evaluate_managed = checked_evaluation  # type: ignore[method-assign]

    def _primary_units(self) -> int:
        requests = self.sim.provisioner.requests.values()
        return sum(r.units for r in requests if r.target.role is Role.PRIMARY)

    def _units(self) -> tuple[float, float, float]:
        """Core + task units requested, core units, on-demand units (managed scaling's)."""
        sim = self.sim
        total = core = on_demand = 0.0
        for request in sim.provisioner.requests.values():
            if request.target.role is Role.PRIMARY:
                continue
            units = request.units * sim.autoscaler.per_request_unit(request)
            total += units
            core += units if request.target.role is Role.CORE else 0.0
            on_demand += units if request.market is Market.ON_DEMAND else 0.0
        return total, core, on_demand

    def _check_minimum(self) -> None:
        m = self.managed
        assert m is not None
        if (
            m.unit_type != "instances"
            or m.maximum_on_demand_capacity_units is not None
            or m.maximum_core_capacity_units is not None
        ):
            return
        total, _, _ = self._units()
        now = self.sim.env.now
        assert total >= m.minimum_capacity_units - 1e-9, (
            f"t={now}: after an evaluation {total} units requested, "
            f"below minimum_capacity_units {m.minimum_capacity_units}"
        )
        self.min_checked += 1

    def __call__(self, sim: Simulation) -> None:
        self.events += 1
        now = sim.env.now
        assert now >= self.last_now, f"time went back from {self.last_now} to {now}"
        assert now <= ENDLESS_S, f"still running after {now:.0f} s: an endless run"
        self.last_now = now
        self._check_cost(now)
        self._check_nodes(now)
        self._check_containers(now)
        self._check_blocks(now)
        self._check_scaling(now)
        self._check_apps(now)

    def _check_cost(self, now: float) -> None:
        total = 0.0
        for inst in self.sim.instances.instances:
            if inst.start_s is None:
                assert inst.id not in self.last_cost, f"t={now}: {inst.id} lost its start"
                continue
            assert inst.start_s <= now + 1e-9, f"t={now}: {inst.id} starts at {inst.start_s}"
            if inst.end_s is not None:
                assert inst.start_s <= inst.end_s <= now + 1e-9, (
                    f"t={now}: {inst.id} ran {inst.start_s} -> {inst.end_s}"
                )
            cost = _hourly(inst) * _billed_s(inst, now) / 3600.0
            last = self.last_cost.get(inst.id, 0.0)
            assert cost >= last - 1e-12 * max(1.0, last), (
                f"t={now}: {inst.id} cost went down from {last} to {cost}"
            )
            self.last_cost[inst.id] = cost
            total += cost
        assert total >= self.last_total - 1e-9 * max(1.0, self.last_total), (
            f"t={now}: cost so far went down from {self.last_total} to {total}"
        )
        self.last_total = total

    def _check_nodes(self, now: float) -> None:
        rm = self.sim.rm
        for node in rm.nodes.values():
            held_mb = sum(c.memory_mb for c in node.containers)
            assert held_mb <= node.memory_mb and node.memory_free_mb >= 0, (
                f"t={now}: node {node.index} holds {held_mb} of {node.memory_mb} MB"
            )
            if rm.check_vcores:
                held_vc = sum(c.vcores for c in node.containers)
                assert held_vc <= node.vcores and node.vcores_free >= 0, (
                    f"t={now}: node {node.index} holds {held_vc} of {node.vcores} vcores"
                )

    def _check_containers(self, now: float) -> None:
        rm = self.sim.rm
        on_nodes = {c.id: c for node in rm.nodes.values() for c in node.containers}
        of_apps = {c.id for app in rm.apps.values() for c in app.containers}
        live = set(on_nodes)
        assert live == of_apps, f"t={now}: nodes hold {sorted(live)}, apps {sorted(of_apps)}"
        assert all(c.live for c in on_nodes.values()), f"t={now}: a dead container on a node"
        new = live - self.live
        assert not (new & self.ended), f"t={now}: ended containers back: {new & self.ended}"
        assert all(i > self.max_id for i in new), f"t={now}: new containers {sorted(new)}"
        gone = self.live - live
        self.ended |= gone
        self.live = live
        self.max_id = max([self.max_id, *new])
        assert not self.released_live, f"released twice: {self.released_live}"
        assert not any(self.releases[i] for i in live), f"t={now}: a live container released"
        c = rm.counts
        ended = c.completed + c.failed + c.lost + c.killed + c.preempted
        assert c.launched - ended == len(live), (
            f"t={now}: launched {c.launched}, ended {ended}, live {len(live)}"
        )
        assert sum(self.releases.values()) == ended, (
            f"t={now}: {sum(self.releases.values())} releases, {ended} containers ended"
        )

    def _check_blocks(self, now: float) -> None:
        blocks = self.sim.hdfs.blocks
        if blocks.version == self.blocks_version and blocks.n_blocks == self._n_blocks:
            return
        self.blocks_version, self._n_blocks = blocks.version, blocks.n_blocks
        existing = np.fromiter(blocks.capacity_mb, dtype=np.int32, count=len(blocks.capacity_mb))
        no_replica = ~np.isin(blocks.replicas, existing).any(axis=1)
        assert int(no_replica.sum()) == blocks.blocks_lost, (
            f"t={now}: {int(no_replica.sum())} blocks without a replica on an existing node, "
            f"blocks_lost {blocks.blocks_lost}"
        )
        assert (blocks.lost == no_replica).all(), f"t={now}: lost flags differ"

    def _check_scaling(self, now: float) -> None:
        sim = self.sim
        assert self._primary_units() == self.primary_units, f"t={now}: primary target changed"
        primaries = sum(1 for i in sim.instances.instances if i.role is Role.PRIMARY)
        assert primaries == self.primary_units, f"t={now}: {primaries} primary instances"
        m = self.managed
        if m is None:
            return
        total, core, on_demand = self._units()
        self.max_seen = max(self.max_seen, total)
        assert total <= m.maximum_capacity_units + 1e-9, (
            f"t={now}: {total} units requested, above {m.maximum_capacity_units}"
        )
        if m.maximum_core_capacity_units is not None:
            assert core <= m.maximum_core_capacity_units + 1e-9, f"t={now}: {core} core units"
        if m.maximum_on_demand_capacity_units is not None:
            limit = m.maximum_on_demand_capacity_units
            assert on_demand <= limit + 1e-9, f"t={now}: {on_demand} on-demand units > {limit}"

    def _check_apps(self, now: float) -> None:
        sim = self.sim
        for app in sim.apps:
            calls = self.end_calls[app.id]
            terminal = app.state in TERMINAL
            assert calls == (1 if terminal else 0), (
                f"t={now}: app {app.id} ({app.state}) ended {calls} times"
            )
            assert (app.id in sim.rm.apps) == (not terminal), (
                f"t={now}: app {app.id} ({app.state}) in the ResourceManager: "
                f"{app.id in sim.rm.apps}"
            )
            if terminal:
                seen = self.app_end.setdefault(app.id, (app.state, app.end_s))
                assert seen == (app.state, app.end_s), (
                    f"t={now}: app {app.id} ended as {seen}, now {(app.state, app.end_s)}"
                )

    def finish(self, result: Any) -> None:
        """End-of-run checks."""
        sim = self.sim
        summary = result.summary
        if summary["cluster_state"] in ("TERMINATED", "TERMINATED_WITH_ERRORS"):
            jobs = result.jobs
            assert len(jobs) == len(sim.apps)
            assert len({j.job_id for j in jobs}) == len(jobs)
            for job in jobs:
                states = [s for s in JOB_END_STATES if job.state == s]
                assert len(states) == 1, f"job {job.job_id} in state {job.state}"
            assert all(app.state in TERMINAL for app in sim.apps)
            assert all(self.end_calls[app.id] == 1 for app in sim.apps)
            assert not sim.rm.apps
        now = sim.env.now
        final = 0.0
        for inst in sim.instances.instances:
            if inst.start_s is not None:
                end = inst.end_s if inst.end_s is not None else now
                final += instance_cost(inst.rates, inst.start_s, end).total
        assert final == pytest.approx(summary["cost_usd"]["total"], rel=1e-9, abs=1e-12)
        assert final >= self.last_total - 1e-9


def _run(data: dict[str, Any]) -> RunChecker:
    sim = Simulation(scenario_from_data(data))
    checker = RunChecker(sim)
    result = sim.run(observer=checker)
    assert checker.events > 0
    checker.finish(result)
    return checker


# ---------------------------------------------------------------------------- properties
@given(with_managed_scaling(scenarios()))
def test_run_invariants_with_managed_scaling(data: dict[str, Any]) -> None:
    """The fast property: scenarios with managed scaling (when their release allows it)."""
    note(repr(data))
    _run(data)


@pytest.mark.slow
@given(run_scenarios())
def test_run_invariants_after_every_event(data: dict[str, Any]) -> None:
    note(repr(data))
    _run(data)


def test_managed_scaling_grows_to_its_minimum() -> None:
    """A pinned example: the minimum is above the initial count, so scaling must grow, and the
    lower bound is checked after every evaluation."""
    data = {
        "name": "grow-to-minimum",
        "seed": 7,
        "release_label": "emr-6.15.0",
        "cluster": {
            "instance_groups": [
                {"role": "primary", "instance_type": "m5.xlarge", "count": 1},
                {"role": "core", "instance_type": "m5.xlarge", "count": 1},
                {"role": "task", "instance_type": "c5.xlarge", "count": 1, "market": "spot"},
            ],
            "startup": {"provision": 30, "bootstrap": 30},
        },
        "scaling": {
            "managed": {
                "minimum_capacity_units": 4,
                "maximum_capacity_units": 6,
                "evaluation_interval": 10,
                "scale_in_delay": 60,
            }
        },
        "faults": [{"at": 400, "action": "terminate", "role": "core", "count": 1}],
        "workload": {
            "streams": [
                {
                    "name": "s",
                    "interarrival": {"dist": "exponential", "mean": 60},
                    "count": 8,
                    "job": {
                        "type": "container",
                        "am": {"memory_mb": 1024},
                        "stages": [
                            {
                                "name": "a",
                                "tasks": 6,
                                "duration": 120,
                                "container": {"memory_mb": 2048},
                                "output_gb": 1,
                            }
                        ],
                    },
                }
            ]
        },
        "hdfs": {"preload_gb": 5},
    }
    checker = _run(data)
    assert checker.evaluations > 0 and checker.min_checked > 0
    assert checker.max_seen >= 4


# ------------------------------------------------------- a bug found by the property above
_FLAPPING = {
    "name": "random",
    "release_label": "emr-5.36.0",
    "seed": 2204,
    "cluster": {
        "instance_groups": [
            {"role": "primary", "instance_type": "m5.xlarge", "count": 1},
            {"role": "core", "instance_type": "c5.xlarge", "count": 4},
            {"role": "task", "instance_type": "m5.xlarge", "count": 2, "market": "on_demand"},
        ],
        "startup": {
            "provision": 2.5221306320170463e-90,
            "bootstrap": 52.003776082993824,
            "terminate": 30.0,
        },
        "step_concurrency": 1,
        "keep_alive": True,
        "idle_timeout": 600,
    },
    "yarn": {
        "scheduler": "capacity",
        "queues": [
            {"name": "default", "capacity": 4, "max_capacity": 4, "user_limit_factor": 1},
            {"name": "b", "capacity": 96, "max_capacity": 96, "user_limit_factor": 1},
        ],
    },
    "faults": [],
    "workload": {
        "streams": [
            {
                "name": "stream0",
                "queue": "default",
                "start": 0,
                "interarrival": {"dist": "uniform", "low": 0.0, "high": 4.224791619192999e-291},
                "count": 1,
                "job": {
                    "type": "container",
                    "am": {"memory_mb": 256},
                    "stages": [
                        {
                            "name": "s0",
                            "tasks": 7,
                            "duration": {"dist": "uniform", "low": 1.9, "high": 3.607420515251259},
                            "container": {"memory_mb": 356, "vcores": 4},
                        }
                    ],
                    "max_task_attempts": 4,
                },
            }
        ],
        "steps": [
            {
                "name": "step0",
                "queue": "default",
                "job": {
                    "type": "container",
                    "am": {"memory_mb": 358},
                    "stages": [
                        {
                            "name": "s0",
                            "tasks": 8,
                            "duration": {
                                "dist": "lognormal",
                                "mean": 177.97162617241653,
                                "cv": 1.2996736425139402e-200,
                            },
                            "container": {"memory_mb": 367, "vcores": 3},
                        }
                    ],
                    "max_task_attempts": 1,
                },
                "action_on_failure": "continue",
            },
            {
                "name": "step1",
                "queue": "b",
                "job": {
                    "type": "container",
                    "am": {"memory_mb": 600},
                    "stages": [
                        {
                            "name": "s0",
                            "tasks": 8,
                            "duration": {
                                "dist": "uniform",
                                "low": 120.0,
                                "high": 198.4733996129395,
                            },
                            "container": {"memory_mb": 480, "vcores": 2},
                        },
                        {
                            "name": "s1",
                            "tasks": 5,
                            "duration": 258.9534954737024,
                            "container": {"memory_mb": 153, "vcores": 2},
                        },
                    ],
                    "max_task_attempts": 2,
                },
                "action_on_failure": "cancel_and_wait",
            },
            {
                "name": "step2",
                "queue": "default",
                "job": {
                    "type": "container",
                    "am": "none",
                    "stages": [
                        {
                            "name": "s0",
                            "tasks": 6,
                            "duration": {"dist": "exponential", "mean": 6.66672393026094},
                            "container": {"memory_mb": 5153, "vcores": 1},
                        }
                    ],
                    "max_task_attempts": 4,
                },
                "action_on_failure": "continue",
            },
        ],
    },
    "hdfs": {"preload_gb": 10.0},
    "spot_market": {
        "interruptions": {
            "m5.xlarge": {"rate_per_hour": 3.0},
            "r5.xlarge": {"rate_per_hour": 1.0},
            "c5.xlarge": {"rate_per_hour": 0.0},
            "m5.2xlarge": {"rate_per_hour": 3.0},
        },
        "replace_interrupted": False,
        "retry_interval": 60,
        "reclaim_waves": {"share": 0.3, "pool_fraction": 1.0},
        "availability": {"m5.xlarge": 0.8, "r5.xlarge": 0.8, "c5.xlarge": 0.8, "m5.2xlarge": 0.8},
    },
    "scaling": {
        "managed": {
            "unit_type": "instances",
            "minimum_capacity_units": 0,
            "maximum_capacity_units": 13,
            "evaluation_interval": 10,
            "scale_in_delay": 60,
            "target_utilization_pct": 80,
            "maximum_core_capacity_units": 4,
            "shuffle_aware": False,
        }
    },
}
"""Drawn by ``run_scenarios()`` (then given a higher scaling maximum, so the load checks let it
through): step2 asks for 5153 MB containers in queue ``default``, whose max_capacity (4%) reaches
5153 MB only at 13 units, far above what the demand calls for, so it never runs. Its pending
demand kept managed scaling (target_utilization_pct 80, core c5.xlarge 6144 MB and task
m5.xlarge 12288 MB nodes) flapping 5 -> 6 -> 5 units for ever: the ratio estimate of the target
undershoots when the task node removed first is larger than the average unit. Scale-in now stops
at what the demand needs on the cluster the shrink leaves (managed.scale_in_floor)."""


def test_unplaceable_demand_with_managed_scaling_ends() -> None:
    sim = Simulation(scenario_from_data(_FLAPPING))

    def bounded(s: Simulation) -> None:
        assert s.env.now <= 86400.0, (
            f"still running after a simulated day: {len(s.instances.instances)} instances "
            f"launched, {len(s.rm.apps)} application(s) waiting"
        )

    sim.run(observer=bounded)
    assert sim.stalled and sim.env.now < 86400.0
    # 5153 MB rounds up to a multiple of the minimum allocation (32 MB): 5184 MB.
    assert "step2 in queue default waits for a 5184 MB / 1 vcore container" in sim.warnings[0]
    assert sim.autoscaler.decisions < 20  # it settled instead of flapping
