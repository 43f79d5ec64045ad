"""Validation: emrsim's Fair and Capacity schedulers against their definitions and published
results.

1. Dominant Resource Fairness (Ghodsi et al., "Dominant Resource Fairness: Fair Allocation of
   Multiple Resource Types", NSDI 2011, section 4.1): 9 CPUs and 18 GB shared by user A
   (tasks of <1 CPU, 4 GB>) and user B (<3 CPUs, 1 GB>). DRF gives A three tasks and B two,
   equalising their dominant shares at 2/3. Memory-only fairness (Hadoop's
   DefaultResourceCalculator, which does not enforce vcores) gives a different answer.
2. Weighted fair sharing (FairScheduler.md): saturated queues share by weight; a queue below its
   minResources is served first; maxResources is a hard cap.
3. Capacity elasticity (CapacityScheduler.md): a queue grows into idle capacity up to
   maximum-capacity, a single user is held to capacity x user-limit-factor (Hadoop may let it
   end one container over, LeafQueue.canAssignToUser), and without preemption a queue that
   becomes busy waits for the other queue's containers to end.
4. Hierarchy: absolute capacities multiply down the tree; dotted and nested queue definitions are
   the same tree.

Every cluster is one core node of a custom type, and every job is a bare container job
(``am: none``) whose tasks run for a fixed time, so a scheduler's allocation is exact and the
expected numbers follow by hand from the definitions. Jobs of a stream with ``start: s`` and
``interarrival: 1`` arrive at ``s + 1``; the observer records the state after the last event of
each instant ("settled").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest

from emrsim.engine import Simulation
from emrsim.result import RunResult
from emrsim.scenario.load import scenario_from_data
from emrsim.scenario.models import Scenario
from emrsim.yarn.fair import dominant_share
from emrsim.yarn.scheduler import QueueRun

SLOT_MB = 1024


# ------------------------------------------------------------------------------- helpers
def node_type(memory_mb: int, vcores: int) -> dict[str, Any]:
    return {
        "vcpu": vcores,
        "memory_gb": memory_mb / 1024,
        "yarn_memory_mb": memory_mb,
        "yarn_vcores": vcores,
        "on_demand_usd_per_hr": 1.0,
        "emr_usd_per_hr": 0.25,
    }


def stream(
    name: str,
    queue: str,
    user: str,
    memory_mb: int = SLOT_MB,
    vcores: int = 1,
    *,
    tasks: int = 200,
    duration: float = 1000.0,
    start: float = 0.0,
) -> dict[str, Any]:
    """One job of ``tasks`` bare containers, submitted at ``start + 1``."""
    return {
        "name": name,
        "queue": queue,
        "start": start,
        "interarrival": 1.0,
        "count": 1,
        "job": {
            "type": "container",
            "am": "none",
            "user": user,
            "stages": [
                {
                    "name": "t",
                    "tasks": tasks,
                    "duration": duration,
                    "container": {"memory_mb": memory_mb, "vcores": vcores},
                }
            ],
        },
    }


def scenario(
    yarn: dict[str, Any], streams: list[dict[str, Any]], memory_mb: int, vcores: int
) -> Scenario:
    """One core node of ``memory_mb`` / ``vcores`` YARN resources, instant startup."""
    return scenario_from_data(
        {
            "name": "scheduler-validation",
            "instance_types": {"custom.node": node_type(memory_mb, vcores)},
            "cluster": {
                "instance_groups": [
                    {"role": "primary", "instance_type": "m5.xlarge", "count": 1},
                    {"role": "core", "instance_type": "custom.node", "count": 1},
                ],
                "startup": {"provision": 0, "bootstrap": 0},
            },
            "yarn": yarn,
            "workload": {"streams": streams},
        }
    )


class Watch:
    """Observer: runs checks after every event and keeps the settled state of each instant."""

    def __init__(
        self, sample: Callable[[Simulation], Any], check: Callable[[Simulation], None] | None
    ) -> None:
        self.sample = sample
        self.check = check
        self.settled: dict[float, Any] = {}
        self.events = 0

    def __call__(self, sim: Simulation) -> None:
        self.events += 1
        if self.check is not None:
            self.check(sim)
        self.settled[sim.env.now] = self.sample(sim)

    def at(self, t: float) -> Any:
        """The settled state at the last recorded instant <= t."""
        return self.settled[max(s for s in self.settled if s <= t)]


def running(*names: str) -> Callable[[Simulation], tuple[int, ...]]:
    """Sampler: running containers of the named queues."""
    return lambda sim: tuple(sim.rm.scheduler.by_name[n].running for n in names)


def simulate(
    s: Scenario,
    sample: Callable[[Simulation], Any],
    check: Callable[[Simulation], None] | None = None,
) -> tuple[Simulation, RunResult, Watch]:
    sim = Simulation(s)
    watch = Watch(sample, check)
    result = sim.run(observer=watch)
    assert watch.events > 0
    return sim, result, watch


def all_completed(result: RunResult) -> bool:
    return bool(result.jobs) and all(j.state == "COMPLETED" for j in result.jobs)


# ------------------------------------------------------------------------ 1. DRF (NSDI'11)
DRF_MB, DRF_VCORES = 18432, 9  # 9 CPUs, 18 GB
A_TASK = (4096, 1)  # <1 CPU, 4 GB>
B_TASK = (1024, 3)  # <3 CPUs, 1 GB>


def drf_streams(queue_a: str, queue_b: str) -> list[dict[str, Any]]:
    return [
        stream("a", queue_a, "alice", *A_TASK, tasks=30),
        stream("b", queue_b, "bob", *B_TASK, tasks=30),
    ]


def by_user(sim: Simulation) -> dict[str, tuple[int, int, int]]:
    """(containers, memory, vcores) held per user, over live applications."""
    out: dict[str, tuple[int, int, int]] = {}
    for app in sim.rm.apps.values():
        c, m, v = out.get(app.user, (0, 0, 0))
        out[app.user] = (c + len(app.containers), m + app.used_mb, v + app.used_vcores)
    return out


def test_drf_between_queues_gives_the_published_allocation() -> None:
    """Fair scheduler, DRF at the root (defaultQueueSchedulingPolicy drf): A 3 tasks, B 2."""
    yarn = {
        "scheduler": "fair",
        "default_scheduling_policy": "drf",
        "queues": [{"name": "a"}, {"name": "b"}],
    }
    s = scenario(yarn, drf_streams("a", "b"), DRF_MB, DRF_VCORES)
    sim, result, watch = simulate(s, by_user)
    assert sim.rm.scheduler.root.config.ordering == "drf"
    alice, bob = watch.at(500.0)["alice"], watch.at(500.0)["bob"]
    assert (alice[0], bob[0]) == (3, 2)
    # Both dominant shares are 2/3: A's is memory (12 of 18 GB), B's is CPU (6 of 9).
    assert dominant_share(alice[1], alice[2], DRF_MB, DRF_VCORES) == pytest.approx(2 / 3)
    assert dominant_share(bob[1], bob[2], DRF_MB, DRF_VCORES) == pytest.approx(2 / 3)
    assert alice[2] + bob[2] == DRF_VCORES  # CPUs are the bottleneck: all 9 used
    assert alice[1] + bob[1] == 14 * 1024  # 14 GB of 18 allocated, as in the paper
    assert all_completed(result)


def test_drf_between_users_of_one_queue() -> None:
    """The same two users in one leaf queue with scheduling_policy drf: A 3, B 2."""
    yarn = {"scheduler": "fair", "queues": [{"name": "a", "scheduling_policy": "drf"}]}
    s = scenario(yarn, drf_streams("a", "a"), DRF_MB, DRF_VCORES)
    _, result, watch = simulate(s, by_user)
    state = watch.at(500.0)
    assert (state["alice"][0], state["bob"][0]) == (3, 2)
    assert all_completed(result)


@pytest.mark.parametrize(("policy", "expected"), [("fair", (3, 2)), ("drf", (6, 1))])
def test_fair_scheduler_memory_policy_and_drf_differ(
    policy: str, expected: tuple[int, int]
) -> None:
    """A's tasks <1 CPU, 2 GB>, B's <3 CPUs, 1 GB> on 9 CPUs / 18 GB, both schedulers
    work-conserving (a queue whose task does not fit is passed over, as FSParentQueue does).
    By hand, ties to a (configuration order):
    - fair (memory): A 2G, B 1G, B 2G, A 4G; B's 3 CPUs no longer fit (1 left), A 6G: A 3, B 2;
    - drf: dominant shares A k/9 (CPU and memory alike), B k/3: A, B, A, A, A; B's next task
      does not fit (7 CPUs used), A, A: A 6, B 1 (all 9 CPUs used)."""
    yarn = {
        "scheduler": "fair",
        "default_scheduling_policy": policy,
        "queues": [{"name": "a"}, {"name": "b"}],
    }
    streams = [
        stream("a", "a", "alice", 2048, 1, tasks=30),
        stream("b", "b", "bob", *B_TASK, tasks=30),
    ]
    s = scenario(yarn, streams, DRF_MB, DRF_VCORES)
    _, result, watch = simulate(s, running("a", "b"))
    assert watch.at(500.0) == expected
    assert all_completed(result)


def test_capacity_scheduler_with_dominant_resource_calculator_matches_drf() -> None:
    """CapacityScheduler + DominantResourceCalculator, two 50/50 queues: queues are ordered by
    dominant share / guarantee and vcores are enforced, so the allocation is DRF's."""
    yarn = {
        "scheduler": "capacity",
        "resource_calculator": "drf",
        "queues": [{"name": "a", "capacity": 50}, {"name": "b", "capacity": 50}],
    }
    s = scenario(yarn, drf_streams("a", "b"), DRF_MB, DRF_VCORES)
    _, result, watch = simulate(s, running("a", "b"))
    assert watch.at(500.0) == (3, 2)
    assert all_completed(result)


def test_memory_only_fairness_differs_from_drf() -> None:
    """CapacityScheduler with the default memory calculator, two 50/50 queues: vcores are
    neither counted nor enforced (Hadoop's DefaultResourceCalculator). Queues are served by
    memory used / guarantee (9216 MB each): B's 1 GB tasks climb to A's 4 GB steps; at
    A 8 GB / B 8 GB A's next 4 GB task no longer fits (2 GB free) and B takes the last 2 GB:
    A 2 tasks, B 10 tasks, B holding 30 vcores on a 9-vcore node."""
    yarn = {
        "scheduler": "capacity",
        "queues": [{"name": "a", "capacity": 50}, {"name": "b", "capacity": 50}],
    }
    s = scenario(yarn, drf_streams("a", "b"), DRF_MB, DRF_VCORES)

    def sample(sim: Simulation) -> tuple[int, int, int, int]:
        q = sim.rm.scheduler.by_name
        return q["a"].running, q["b"].running, q["b"].used_vcores, sim.rm.allocated_mb

    _, result, watch = simulate(s, sample)
    a, b, b_vcores, allocated = watch.at(500.0)
    assert (a, b) == (2, 10)
    assert (a, b) != (3, 2)  # not the DRF allocation
    assert b_vcores == 30 > DRF_VCORES  # vcores oversubscribed, as in Hadoop
    assert allocated == DRF_MB  # memory is full
    assert all_completed(result)


# ---------------------------------------------------------------- 2. weighted fair sharing
SLOTS = 60  # one node of 60 one-container slots
SLOTS_MB, SLOTS_VCORES = SLOTS * SLOT_MB, SLOTS


def test_weighted_fair_shares_are_proportional_to_weights() -> None:
    """Weights 1, 2, 3 on 60 identical slots, all saturated: 10, 20, 30 (within one)."""
    weights = {"q1": 1, "q2": 2, "q3": 3}
    yarn = {
        "scheduler": "fair",
        "queues": [{"name": q, "weight": w} for q, w in weights.items()],
    }
    # q3 listed first: the tie-break by configuration order must not decide the outcome.
    streams = [stream(q, q, f"u{q}", tasks=200) for q in reversed(list(weights))]
    s = scenario(yarn, streams, SLOTS_MB, SLOTS_VCORES)
    _, result, watch = simulate(s, running(*weights))
    total = sum(weights.values())
    for t in (500.0, 1500.0, 2500.0):  # three waves, every queue still has pending tasks
        counts = watch.at(t)
        assert sum(counts) == SLOTS
        for n, w in zip(counts, weights.values(), strict=True):
            assert abs(n - SLOTS * w / total) <= 1, (t, counts)
    assert all_completed(result)


MIN_MB = int(0.4 * SLOTS) * SLOT_MB  # 40% of the cluster: 24 slots


def _min_share_scenario() -> Scenario:
    yarn = {
        "scheduler": "fair",
        "queues": [
            {"name": "x", "weight": 1, "min_resources": {"memory_mb": MIN_MB, "vcores": 24}},
            {"name": "y", "weight": 3},
        ],
    }
    streams = [stream("y", "y", "uy", tasks=300), stream("x", "x", "ux", tasks=300)]
    return scenario(yarn, streams, SLOTS_MB, SLOTS_VCORES)


def test_min_resources_honoured_once_containers_turn_over() -> None:
    """x (weight 1, min 40%) vs y (weight 3): water-filling gives x max(R, 24) and y 3R with
    x + y = 60, so x 24 and y 36. Checked from the second wave of containers on."""
    _, result, watch = simulate(_min_share_scenario(), running("x", "y"))
    for t in (1500.0, 2500.0, 3500.0):
        x, y = watch.at(t)
        assert x >= MIN_MB // SLOT_MB, (t, x, y)
        assert (x, y) == (24, 36)
    assert all_completed(result)


def test_min_resources_honoured_from_the_first_pass() -> None:
    """Same as above, in the first wave: x must hold at least its min share (24 slots)."""
    _, _, watch = simulate(_min_share_scenario(), running("x", "y"))
    x, y = watch.at(500.0)
    assert x >= MIN_MB // SLOT_MB, (x, y)


def _max_share_run(max_resources: dict[str, int]) -> tuple[RunResult, Watch, list[int]]:
    yarn = {
        "scheduler": "fair",
        "queues": [
            {"name": "x", "weight": 1},
            {"name": "y", "weight": 3, "max_resources": max_resources},
        ],
    }
    streams = [stream("y", "y", "uy", tasks=100), stream("x", "x", "ux", tasks=200)]
    s = scenario(yarn, streams, SLOTS_MB, SLOTS_VCORES)
    peak = [0]

    def check(sim: Simulation) -> None:
        y = sim.rm.scheduler.by_name["y"]
        assert y.used_mb <= y.config.max_memory_mb
        assert y.used_vcores <= y.config.max_vcores
        peak[0] = max(peak[0], y.used_mb)

    _, result, watch = simulate(s, running("x", "y"), check)
    return result, watch, peak


def test_max_resources_is_never_exceeded() -> None:
    """y (weight 3) capped at 10 slots by maxResources: it holds exactly 10 (never more, at
    any event) and x takes the rest."""
    result, watch, peak = _max_share_run({"memory_mb": 10 * SLOT_MB, "vcores": 1000})
    assert peak[0] == 10 * SLOT_MB
    assert watch.at(500.0) == (50, 10)
    assert all_completed(result)


def test_max_resources_memory_only_caps_memory_alone() -> None:
    """maxResources without vcores leaves vcores unlimited, as Hadoop parses it."""
    result, watch, peak = _max_share_run({"memory_mb": 10 * SLOT_MB})
    assert peak[0] == 10 * SLOT_MB
    assert watch.at(500.0) == (50, 10)
    assert all_completed(result)


# ---------------------------------------------------------------- 3. capacity elasticity
CAP_SLOTS = 100  # one node of 100 one-container slots: percentages are container counts
CAP_MB, CAP_VCORES = CAP_SLOTS * SLOT_MB, CAP_SLOTS


def elastic_yarn(user_limit_factor: float) -> dict[str, Any]:
    return {
        "scheduler": "capacity",
        "queues": [
            {
                "name": "a",
                "capacity": 30,
                "max_capacity": 60,
                "user_limit_factor": user_limit_factor,
            },
            {"name": "b", "capacity": 70, "max_capacity": 100},
        ],
    }


def _never_above_ceiling(sim: Simulation) -> None:
    for q in sim.rm.scheduler.all:
        if q.parent is not None:
            assert q.used_mb <= q.config.max_frac * sim.rm.cluster_mb + 1e-6, q.config.name


@pytest.mark.parametrize(
    ("ulf", "users", "expected"),
    [
        (1.0, ["u1", "u2"], 60),  # two users, each limited to 30% (+1): the queue hits 60%
        (2.0, ["u1"], 60),  # one user may hold 2 x 30% = 60%: the queue ceiling
        (5.0, ["u1"], 60),  # a larger factor is still capped by max_capacity
        (1.0, ["u1"], 31),  # Hadoop's user limit: 30% plus the one container over
    ],
)
def test_lone_queue_grows_to_its_ceiling(ulf: float, users: list[str], expected: int) -> None:
    streams = [stream(f"s{u}", "a", u, tasks=200) for u in users]
    s = scenario(elastic_yarn(ulf), streams, CAP_MB, CAP_VCORES)
    _, result, watch = simulate(s, running("a"), _never_above_ceiling)
    peak = max(v[0] for v in watch.settled.values())
    assert peak == expected
    assert watch.at(500.0) == (expected,)
    assert peak <= 60  # never beyond max_capacity
    assert all_completed(result)


def test_no_preemption_busy_queue_waits_for_containers_to_end() -> None:
    """a (user limit factor 2) fills its 60% ceiling at t=1 with 1000 s tasks; b (guarantee
    70%) arrives at t=101 and gets only the 40 idle slots. Without preemption (the default)
    nothing of a's is taken away: b stays below its guarantee until a's first containers end
    at t=1001, then the freed slots go to the queue furthest below its guarantee until a 30 /
    b 70."""
    streams = [
        stream("a", "a", "ua", tasks=400),
        stream("b", "b", "ub", tasks=400, start=100.0),
    ]
    s = scenario(elastic_yarn(2.0), streams, CAP_MB, CAP_VCORES)
    sim, result, watch = simulate(s, running("a", "b"), _never_above_ceiling)
    times = sorted(watch.settled)
    during = [watch.settled[t] for t in times if 101.0 <= t < 1001.0]
    assert during and all(v == (60, 40) for v in during)  # b below 70, a untouched
    assert all(watch.settled[t][1] == 0 for t in times if t < 101.0)
    assert watch.at(1001.0) == (30, 70)  # b reaches its guarantee as a's containers end
    assert sim.rm.counts.killed == 0 and sim.rm.counts.lost == 0
    assert all_completed(result)


# ------------------------------------------------------------------------- 4. hierarchy
NESTED = {
    "scheduler": "capacity",
    "queues": [
        {
            "name": "etl",
            "capacity": 60,
            "max_capacity": 80,
            "queues": [
                {"name": "nightly", "capacity": 50, "max_capacity": 50, "user_limit_factor": 10},
                {"name": "adhoc", "capacity": 50, "user_limit_factor": 10},
            ],
        },
        {"name": "other", "capacity": 40, "user_limit_factor": 10},
    ],
}
DOTTED = {
    "scheduler": "capacity",
    "queues": [
        {"name": "etl", "capacity": 60, "max_capacity": 80},
        {"name": "other", "capacity": 40, "user_limit_factor": 10},
        {"name": "etl.nightly", "capacity": 50, "max_capacity": 50, "user_limit_factor": 10},
        {"name": "etl.adhoc", "capacity": 50, "user_limit_factor": 10},
    ],
}
TREE = ("etl", "etl.nightly", "etl.adhoc", "other")
# Absolute maxima: product of max_capacity down the tree.
ABS_MAX = {"etl": 0.8, "etl.nightly": 0.8 * 0.5, "etl.adhoc": 0.8 * 1.0, "other": 1.0}
ABS_CAP = {"etl": 0.6, "etl.nightly": 0.3, "etl.adhoc": 0.3, "other": 0.4}


def _tree_check(sim: Simulation) -> None:
    _never_above_ceiling(sim)
    for q in sim.rm.scheduler.all:
        if q.children:
            assert q.used_mb == sum(c.used_mb for c in q.children), q.config.name
            assert q.running == sum(c.running for c in q.children), q.config.name


def _hierarchy_run(yarn: dict[str, Any], busy: Sequence[str]) -> tuple[RunResult, Watch]:
    streams = [
        stream(q, q, f"u{q}", tasks=150, duration=100.0, start=10.0 * i) for i, q in enumerate(busy)
    ]
    s = scenario(yarn, streams, CAP_MB, CAP_VCORES)
    _, result, watch = simulate(s, running(*TREE), _tree_check)
    return result, watch


@pytest.mark.parametrize("yarn", [NESTED, DOTTED], ids=["nested", "dotted"])
def test_absolute_capacities_multiply_down_the_tree(yarn: dict[str, Any]) -> None:
    s = scenario(yarn, [stream("n", "nightly", "u")], CAP_MB, CAP_VCORES)
    sched = Simulation(s).rm.scheduler
    for name in TREE:
        config = sched.by_name[name].config
        assert config.max_frac == pytest.approx(ABS_MAX[name]), name
        assert config.capacity_frac == pytest.approx(ABS_CAP[name]), name
    assert sched.by_name["etl.nightly"].parent is sched.by_name["etl"]
    assert [c.config.name for c in sched.root.children] == ["etl", "other"]


@pytest.mark.parametrize(
    ("busy", "peaks"),
    [
        # (etl, nightly, adhoc, other) peak running containers on 100 slots
        (["nightly"], (40, 40, 0, 0)),  # nightly alone: 80% x 50% = 40%
        (["adhoc"], (80, 0, 80, 0)),  # adhoc alone: capped by its parent's 80%
        (["nightly", "adhoc"], (80, 40, 50, 0)),  # the parent's ceiling holds for the sum
        (["other"], (0, 0, 0, 100)),
    ],
)
def test_nested_usage_never_exceeds_absolute_max(
    busy: list[str], peaks: tuple[int, int, int, int]
) -> None:
    result, watch = _hierarchy_run(NESTED, busy)
    observed = tuple(max(v[i] for v in watch.settled.values()) for i in range(len(TREE)))
    assert observed == peaks
    for name, peak in zip(TREE, observed, strict=True):
        assert peak <= ABS_MAX[name] * CAP_SLOTS
    assert all_completed(result)


def test_dotted_names_give_the_same_run_as_nested_queues() -> None:
    busy = ["nightly", "adhoc", "other"]
    nested, w_nested = _hierarchy_run(NESTED, busy)
    dotted, w_dotted = _hierarchy_run(DOTTED, busy)
    assert w_nested.settled == w_dotted.settled
    assert nested.jobs == dotted.jobs
    assert sorted(nested.queue_metrics, key=repr) == sorted(dotted.queue_metrics, key=repr)
    assert nested.summary == dotted.summary
    assert all_completed(nested)


def test_dotted_children_may_be_listed_before_their_parents() -> None:
    child_first = {**DOTTED, "queues": list(reversed(DOTTED["queues"]))}
    busy = ["nightly", "adhoc", "other"]
    nested, w_nested = _hierarchy_run(NESTED, busy)
    dotted, w_dotted = _hierarchy_run(child_first, busy)
    assert all_completed(dotted)
    assert w_nested.settled == w_dotted.settled
    assert nested.jobs == dotted.jobs


def _leaf(sim: Simulation, name: str) -> QueueRun:
    return sim.rm.queue_by_name[name]


def test_short_and_full_leaf_names_reach_the_same_queue() -> None:
    s = scenario(
        NESTED, [stream("n", "root.etl.nightly", "u", tasks=5, duration=10.0)], CAP_MB, CAP_VCORES
    )
    sim = Simulation(s)
    result = sim.run()
    assert _leaf(sim, "nightly") is _leaf(sim, "etl.nightly") is _leaf(sim, "root.etl.nightly")
    assert [j.queue for j in result.jobs] == ["etl.nightly"]
    assert all_completed(result)


def test_queue_named_root_configures_the_root() -> None:
    yarn = {
        "scheduler": "fair",
        "queues": [
            {"name": "root", "scheduling_policy": "drf", "queues": [{"name": "a"}, {"name": "b"}]}
        ],
    }
    s = scenario(yarn, drf_streams("a", "b"), DRF_MB, DRF_VCORES)
    _, result, watch = simulate(s, by_user)
    state = watch.at(500.0)
    assert (state["alice"][0], state["bob"][0]) == (3, 2)
    assert all_completed(result)


@pytest.mark.parametrize(("calculator", "expected"), [("drf", 2), ("memory", 10)])
def test_capacity_user_limit_by_resource_calculator(calculator: str, expected: int) -> None:
    """Capacity scheduler, queue a 50% (user limit factor 1), b idle; one user's tasks
    <3 vcores, 1 GB> on 9 vcores / 18 GB.
    - DominantResourceCalculator: the user limit (50% of the cluster) compares dominant
      shares: after 2 tasks the user holds 6/9 > 1/2 and gets no more (LeafQueue
      .canAssignToUser checks the usage before the request);
    - memory calculator: the limit is 9216 MB; at 9 tasks the user holds exactly 9216 MB, not
      over it, so a 10th is granted; vcores are not counted (30 on a 9-vcore node)."""
    yarn = {
        "scheduler": "capacity",
        "resource_calculator": calculator,
        "queues": [{"name": "a", "capacity": 50}, {"name": "b", "capacity": 50}],
    }
    s = scenario(yarn, [stream("a", "a", "alice", *B_TASK, tasks=30)], DRF_MB, DRF_VCORES)
    _, result, watch = simulate(s, running("a"))
    assert watch.at(500.0) == (expected,)
    assert all_completed(result)
