"""Property tests of the queue tree: random Capacity and Fair scheduler hierarchies under random
workloads, checked after every event of the simulation.

Trees have depth <= 3 and 1-3 children per queue. Capacity trees: capacities summing to 100 at
each level, max_capacity >= capacity, random user_limit_factor and
minimum_user_limit_percent; written nested or with dotted names. Fair trees: random weights,
min_resources, max_resources, max_running_apps, max_am_share and scheduling policies.

Invariants, after every event:
- a queue (leaf or parent) that grows stays within its absolute ceiling: max_capacity
  multiplied down the tree x the cluster's memory (capacity), every maxResources on its path
  (fair);
- no node holds more memory (or, when vcores are checked, vcores) than it has;
- a parent's memory, vcores and containers are the sums of its children's; the root's are the
  cluster's allocated totals; a leaf's memory is the sum of its users';
- (fair) no queue has more RUNNING applications than max_running_apps (counted over its leaves);
and at the end, without faults, every job has completed (every request was eventually served).

Workloads are drawn so that completion is possible in Hadoop too: a job's AM plus one task fits
every ceiling on its path even when all AMs that may ever sit below a queue are held at once,
and (capacity) a user holding its AMs is within its user limit. Each example is small (a few
nodes, a few short jobs), so the ``ci`` profile's example count is cut per test to stay fast.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import assume, event, given, settings
from hypothesis import strategies as st

from emrsim.engine import Simulation
from emrsim.scenario.load import scenario_from_data
from emrsim.yarn.apps import RUNNING
from emrsim.yarn.fair import dominant_share
from emrsim.yarn.scheduler import QueueRun

UNIT_MB = 256  # sizes are multiples of this (itself a multiple of the 32 MB minimum allocation)
# Examples per test follow the loaded profile (60 by default, 300 under ci: .ci/run).
EXAMPLES = settings.default.max_examples


# ------------------------------------------------------------------------------- trees
@dataclass
class Q:
    """A queue of a generated tree; ``path`` is its dotted name below root."""

    path: str
    spec: dict[str, Any]  # the scenario keys of this queue (no name, no children)
    children: list[Q] = field(default_factory=list)
    abs_max: float = 1.0  # capacity: product of max_capacity fractions
    abs_cap: float = 1.0  # capacity: product of capacity fractions

    def walk(self) -> list[Q]:
        out = [self]
        for c in self.children:
            out += c.walk()
        return out

    @property
    def leaf(self) -> bool:
        return not self.children


def _split_100(draw: st.DrawFn, n: int) -> list[int]:
    cuts = sorted(draw(st.lists(st.integers(0, 100), min_size=n - 1, max_size=n - 1)))
    bounds = [0, *cuts, 100]
    return [b - a for a, b in itertools.pairwise(bounds)]


def _capacity_children(draw: st.DrawFn, parent: Q, depth: int, counter: list[int]) -> list[Q]:
    n = draw(st.integers(1, 3))
    caps = _split_100(draw, n)
    out = []
    for cap in caps:
        counter[0] += 1
        name = f"q{counter[0]}"
        path = name if parent.path == "" else f"{parent.path}.{name}"
        maximum = draw(st.integers(max(cap, 1), 100))
        spec: dict[str, Any] = {"capacity": cap, "max_capacity": maximum}
        q = Q(
            path, spec, abs_max=parent.abs_max * maximum / 100, abs_cap=parent.abs_cap * cap / 100
        )
        if depth < 3 and draw(st.integers(0, 2)) == 0:
            q.children = _capacity_children(draw, q, depth + 1, counter)
        else:
            spec["user_limit_factor"] = draw(st.sampled_from([0.5, 1.0, 2.0, 10.0]))
            spec["minimum_user_limit_percent"] = draw(st.sampled_from([25, 50, 100]))
            spec["maximum_am_resource_percent"] = draw(st.sampled_from([10, 50, 100]))
            spec["ordering_policy"] = draw(st.sampled_from(["fifo", "fair"]))
        out.append(q)
    return out


def _fair_children(draw: st.DrawFn, parent: Q, depth: int, counter: list[int]) -> list[Q]:
    n = draw(st.integers(1, 3))
    out = []
    for _ in range(n):
        counter[0] += 1
        name = f"q{counter[0]}"
        path = name if parent.path == "" else f"{parent.path}.{name}"
        spec: dict[str, Any] = {"weight": draw(st.sampled_from([0.5, 1.0, 2.0, 3.0]))}
        if draw(st.booleans()):
            spec["scheduling_policy"] = draw(st.sampled_from(["fair", "drf", "fifo"]))
        if draw(st.integers(0, 3)) == 0:
            spec["max_running_apps"] = draw(st.integers(1, 3))
        if draw(st.integers(0, 3)) == 0:
            spec["max_am_share"] = draw(st.sampled_from([-1.0, 0.1, 0.5, 1.0]))
        q = Q(path, spec)
        if depth < 3 and draw(st.integers(0, 2)) == 0:
            q.children = _fair_children(draw, q, depth + 1, counter)
        out.append(q)
    return out


def _as_nested(q: Q) -> dict[str, Any]:
    d = {"name": q.path.rsplit(".", 1)[-1], **q.spec}
    if q.children:
        d["queues"] = [_as_nested(c) for c in q.children]
    return d


def _as_dotted(root: Q) -> list[dict[str, Any]]:
    return [{"name": q.path, **q.spec} for q in root.walk()[1:]]


def _layouts(root: Q) -> st.SearchStrategy[list[dict[str, Any]]]:
    """The same tree written three ways: nested; dotted names in any order (children may come
    before their parents); nested below an explicit top-level ``root`` queue."""
    nested = [_as_nested(c) for c in root.children]
    return st.one_of(
        st.just(nested),
        st.permutations(_as_dotted(root)).map(list),
        st.just([{"name": "root", "queues": nested}]),
    )


# --------------------------------------------------------------------------- workloads
@dataclass
class Job:
    leaf: Q
    user: str
    count: int
    am_units: int  # 0: no AM
    task_units: int
    task_vcores: int
    am_vcores: int
    job: dict[str, Any] = field(default_factory=dict)


@st.composite
def _jobs_of(draw: st.DrawFn, leaves: list[Q], node: dict[str, int]) -> list[Job]:
    node_vcores = node["vcores"]
    jobs = []
    for _ in range(draw(st.integers(1, 4))):
        jobs.append(
            Job(
                leaf=draw(st.sampled_from(leaves)),
                user=draw(st.sampled_from(["u1", "u2", "u3"])),
                count=draw(st.integers(1, 3)),
                am_units=draw(st.sampled_from([0, 1, 2, 4])),
                task_units=draw(st.integers(1, 8)),
                task_vcores=draw(st.integers(1, min(node_vcores, 4))),
                am_vcores=draw(st.integers(1, min(node_vcores, 2))),
            )
        )
    return jobs


def _path(leaf: Q, queues: list[Q]) -> list[Q]:
    return [q for q in queues if leaf.path == q.path or leaf.path.startswith(q.path + ".")]


def _fit_jobs(
    jobs: list[Job],
    queues: list[Q],
    node: dict[str, int],
    ceiling_mb: dict[str, float],
    user_limit_mb: dict[str, float],
    eq: Callable[[float, float], float] = lambda mb, vc: mb,
) -> list[Job]:
    """Shrink or drop what could deadlock, in Hadoop as much as here: tasks larger than a
    ceiling on their path, and AMs that, all held at once, would leave no room for a task on
    a queue's ceiling, on one node (whatever the placement), or in a user's limit. ``eq``
    turns (memory, vcores) into what limits compare (memory, or the dominant share in MB)."""
    kept: list[Job] = []
    for job in jobs:
        room = min([ceiling_mb[q.path] for q in _path(job.leaf, queues)] + [node["memory_mb"]])
        while job.task_units >= 1 and eq(job.task_units * UNIT_MB, job.task_vcores) > room:
            job.task_units -= 1
        if job.task_units >= 1:
            kept.append(job)
    max_task = {
        q.path: max([eq(j.task_units * UNIT_MB, j.task_vcores) for j in _below(q, kept)] or [0])
        for q in queues
    }
    all_task_mb = max([j.task_units * UNIT_MB for j in kept] or [0])
    all_task_vc = max([j.task_vcores for j in kept] or [0])
    am_mb = dict.fromkeys(ceiling_mb, 0.0)
    am_user: dict[tuple[str, str], float] = {}
    total_mb = total_vc = 0
    for job in kept:
        if not job.am_units:
            continue
        mb, vc = job.count * job.am_units * UNIT_MB, job.count * job.am_vcores
        path = _path(job.leaf, queues)
        held = am_user.get((job.leaf.path, job.user), 0) + eq(mb, vc)
        if (
            all(am_mb[q.path] + eq(mb, vc) + max_task[q.path] <= ceiling_mb[q.path] for q in path)
            and total_mb + mb + all_task_mb <= node["memory_mb"]
            and total_vc + vc + all_task_vc <= node["vcores"]
            and held <= user_limit_mb.get(job.leaf.path, float("inf"))
        ):
            for q in path:
                am_mb[q.path] += eq(mb, vc)
            am_user[(job.leaf.path, job.user)] = held
            total_mb += mb
            total_vc += vc
        else:
            job.am_units = 0
    return kept


def _stream(i: int, job: Job, draw: st.DrawFn) -> dict[str, Any]:
    stages: list[dict[str, Any]] = []
    for k in range(draw(st.integers(1, 2))):
        stages.append(
            {
                "name": f"s{k}",
                "tasks": draw(st.integers(1, 12)),
                "duration": draw(
                    st.sampled_from(
                        [
                            5.0,
                            30.0,
                            {"dist": "exponential", "mean": 20.0},
                            {"dist": "uniform", "low": 1, "high": 60},
                        ]
                    )
                ),
                "container": {"memory_mb": job.task_units * UNIT_MB, "vcores": job.task_vcores},
            }
        )
    am: Any = "none"
    if job.am_units:
        am = {"memory_mb": job.am_units * UNIT_MB, "vcores": job.am_vcores}
    name = draw(st.sampled_from([job.leaf.path, f"root.{job.leaf.path}"]))
    return {
        "name": f"st{i}",
        "queue": name,
        "start": draw(st.sampled_from([0.0, 10.0])),
        "interarrival": draw(st.sampled_from([1.0, {"dist": "exponential", "mean": 15.0}])),
        "count": job.count,
        "job": {"type": "container", "am": am, "user": job.user, "stages": stages},
    }


def _scenario(
    draw: st.DrawFn,
    yarn: dict[str, Any],
    jobs: list[Job],
    node: dict[str, int],
    nodes: int,
    fault: bool,
) -> Any:
    streams = [_stream(i, j, draw) for i, j in enumerate(jobs)]
    faults = []
    if fault:  # one core node terminated abruptly mid-run (its containers are lost)
        faults = [{"at": draw(st.integers(2, 120)), "action": "terminate", "role": "core"}]
    return scenario_from_data(
        {
            "name": "queue-tree",
            "seed": draw(st.integers(0, 2**16)),
            "instance_types": {
                "custom.node": {
                    "vcpu": node["vcores"],
                    "memory_gb": node["memory_mb"] / 1024,
                    "yarn_memory_mb": node["memory_mb"],
                    "yarn_vcores": node["vcores"],
                    "on_demand_usd_per_hr": 0.5,
                    "emr_usd_per_hr": 0.1,
                }
            },
            "cluster": {
                "instance_groups": [
                    {"role": "primary", "instance_type": "m5.xlarge", "count": 1},
                    {"role": "core", "instance_type": "custom.node", "count": nodes},
                ],
                "startup": {"provision": 0, "bootstrap": 0},
            },
            "yarn": yarn,
            "workload": {"streams": streams},
            "faults": faults,
        }
    )


def _below(q: Q, jobs: list[Job]) -> list[Job]:
    return [j for j in jobs if j.leaf.path == q.path or j.leaf.path.startswith(q.path + ".")]


def _am_mb_below(q: Q, jobs: list[Job]) -> int:
    return sum(j.count * j.am_units * UNIT_MB for j in _below(q, jobs))


NODE = st.fixed_dictionaries(
    {"memory_mb": st.sampled_from([4096, 8192, 12288]), "vcores": st.integers(2, 8)}
)


@st.composite
def capacity_cases(draw: st.DrawFn, fault: bool = False) -> tuple[Any, dict[str, Q]]:
    node = draw(NODE)
    nodes = draw(st.integers(2 if fault else 1, 3))
    cluster_mb = node["memory_mb"] * nodes
    root = Q("", {})
    root.children = _capacity_children(draw, root, 1, [0])
    queues = root.walk()[1:]
    leaves = [q for q in queues if q.leaf]
    ceiling = {q.path: q.abs_max * cluster_mb for q in queues}
    user_limit = {
        q.path: min(q.spec["user_limit_factor"], q.spec["minimum_user_limit_percent"] / 100)
        * q.abs_cap
        * cluster_mb
        for q in leaves
    }
    calculator = draw(st.sampled_from(["memory", "drf"]))
    cluster_vc = node["vcores"] * nodes

    def eq(mb: float, vc: float) -> float:
        return max(mb, vc / cluster_vc * cluster_mb) if calculator == "drf" else mb

    jobs = _fit_jobs(draw(_jobs_of(leaves, node)), queues, node, ceiling, user_limit, eq)
    assume(jobs)
    tree = draw(_layouts(root))
    yarn = {
        "scheduler": "capacity",
        "resource_calculator": calculator,
        "queues": tree,
    }
    s = _scenario(draw, yarn, jobs, node, nodes, fault)
    return s, {q.path: q for q in queues}


@st.composite
def fair_cases(draw: st.DrawFn, fault: bool = False) -> tuple[Any, dict[str, Q]]:
    node = draw(NODE)
    nodes = draw(st.integers(2 if fault else 1, 3))
    root = Q("", {})
    root.children = _fair_children(draw, root, 1, [0])
    queues = root.walk()[1:]
    leaves = [q for q in queues if q.leaf]
    ceiling = {q.path: float("inf") for q in queues}
    jobs = _fit_jobs(draw(_jobs_of(leaves, node)), queues, node, ceiling, {})
    assume(jobs)
    cluster_mb, cluster_vc = node["memory_mb"] * nodes, node["vcores"] * nodes
    for q in queues:
        below = _below(q, jobs)
        if draw(st.integers(0, 2)) == 0:
            # min_resources anywhere (may exceed what the queue ever wants).
            q.spec["min_resources"] = {
                "memory_mb": draw(st.integers(0, cluster_mb // UNIT_MB)) * UNIT_MB,
                "vcores": draw(st.integers(0, cluster_vc)),
            }
            if draw(st.booleans()):
                del q.spec["min_resources"]["vcores"]  # unconstrained: 0
        if draw(st.integers(0, 2)) == 0:
            # max_resources at least every AM below plus one task (no AM deadlock), and at
            # least min_resources.
            need_mb = _am_mb_below(q, jobs) + max([j.task_units for j in below] or [0]) * UNIT_MB
            need_vc = sum(j.count * j.am_vcores for j in below if j.am_units) + max(
                [j.task_vcores for j in below] or [0]
            )
            mn = q.spec.get("min_resources", {"memory_mb": 0, "vcores": 0})
            q.spec["max_resources"] = {
                "memory_mb": max(need_mb, mn["memory_mb"], UNIT_MB)
                + draw(st.integers(0, 16)) * UNIT_MB,
                "vcores": max(need_vc, mn.get("vcores", 0), 1) + draw(st.integers(0, 8)),
            }
            if draw(st.booleans()):
                del q.spec["max_resources"]["vcores"]  # unlimited
    yarn = {
        "scheduler": "fair",
        "default_scheduling_policy": draw(st.sampled_from(["fair", "drf", "fifo"])),
        "queues": draw(_layouts(root)),
    }
    s = _scenario(draw, yarn, jobs, node, nodes, fault)
    return s, {q.path: q for q in queues}


# ---------------------------------------------------------------------------- checking
class TreeChecker:
    """Observer: the invariants above, after every event."""

    def __init__(self, fair: bool) -> None:
        self.fair = fair
        self.last_used: dict[str, int] = {}
        self.events = 0
        self.peak_running_apps: dict[str, int] = {}
        self.at_ceiling: set[str] = set()  # queues that reached their ceiling (coverage)

    def __call__(self, sim: Simulation) -> None:
        self.events += 1
        rm = sim.rm
        sched = rm.scheduler
        check_vcores = rm.check_vcores
        for node in rm.nodes.values():
            assert node.memory_free_mb >= 0, node.instance.id
            if check_vcores:
                assert node.vcores_free >= 0, node.instance.id
            assert sum(c.memory_mb for c in node.containers) == node.memory_mb - node.memory_free_mb
        root = sched.root
        assert root.used_mb == rm.allocated_mb
        assert root.used_vcores == rm.allocated_vcores
        for q in sched.all:
            name = q.config.name
            if q.children:
                assert q.used_mb == sum(c.used_mb for c in q.children), name
                assert q.used_vcores == sum(c.used_vcores for c in q.children), name
                assert q.running == sum(c.running for c in q.children), name
            elif q.tracks_users:
                assert q.used_mb == sum(q.users.values()), name
            assert q.used_mb >= 0 and q.used_vcores >= 0 and q.running >= 0, name
            grew = q.used_mb > self.last_used.get(name, 0)
            self.last_used[name] = q.used_mb
            if q.parent is None:
                continue
            if self.fair:
                assert q.used_mb <= q.config.max_memory_mb, name
                assert q.used_vcores <= q.config.max_vcores, name
                ceiling = q.config.max_memory_mb
            elif not grew:
                continue
            else:
                ceiling = q.config.max_frac * rm.cluster_mb
                assert q.used_mb <= ceiling + 1e-6, name
                if check_vcores:  # DominantResourceCalculator: the ceiling is a dominant share
                    share = dominant_share(
                        q.used_mb, q.used_vcores, rm.cluster_mb, rm.cluster_vcores
                    )
                    assert share <= q.config.max_frac + 1e-9, name
            if q.used_mb + 8 * UNIT_MB > ceiling and ceiling < rm.cluster_mb:
                self.at_ceiling.add(name)
        if self.fair:
            self._running_apps(sim)

    def _running_apps(self, sim: Simulation) -> None:
        sched = sim.rm.scheduler
        counts: dict[str, int] = {}
        for app in sim.rm.apps.values():
            if app.state != RUNNING:
                continue
            leaf: QueueRun = sim.rm.queue_by_name[app.queue]
            for q in leaf.lineage():
                counts[q.config.name] = counts.get(q.config.name, 0) + 1
        for name, n in counts.items():
            assert n <= sched.by_name[name].config.max_running_apps, (name, n)
            self.peak_running_apps[name] = max(self.peak_running_apps.get(name, 0), n)
        for q in sched.all:  # activated apps (RUNNING or about to be) too
            assert q.active_apps <= q.config.max_running_apps, q.config.name


def _run_and_check(s: Any, tree: dict[str, Q], fair: bool, fault: bool = False) -> TreeChecker:
    sim = Simulation(s)
    checker = TreeChecker(fair)
    result = sim.run(observer=checker)
    assert checker.events > 0
    sched = sim.rm.scheduler
    # The scheduler built the generated tree.
    assert {q.config.name for q in sched.all[1:]} == set(tree)
    for path, q in tree.items():
        config = sched.by_name[path].config
        assert config.leaf == q.leaf
        if not fair:
            assert abs(config.max_frac - q.abs_max) < 1e-9, path
            assert abs(config.capacity_frac - q.abs_cap) < 1e-9, path
    if fault:
        # Node loss: the invariants held throughout; work may legitimately be stuck now (a
        # ceiling of the smaller cluster below an AM plus a task), so no completion check.
        event(f"containers lost: {sim.rm.counts.lost > 0}")
        return checker
    assert not sim.stalled, result.warnings
    states = [(j.name, j.queue, j.state, j.reason) for j in result.jobs]
    assert result.jobs and all(j.state == "COMPLETED" for j in result.jobs), states
    assert sim.rm.allocated_mb == 0 and sim.rm.allocated_vcores == 0
    assert all(q.used_mb == 0 and q.running == 0 for q in sched.all)
    event(f"queues near a ceiling: {min(len(checker.at_ceiling), 3)}")
    event(f"jobs: {min(len(result.jobs), 8) // 4 * 4}+")
    if fair:
        binding = [
            n
            for n, peak in checker.peak_running_apps.items()
            if peak == sched.by_name[n].config.max_running_apps
        ]
        event(f"max_running_apps reached: {bool(binding)}")
    return checker


@settings(max_examples=EXAMPLES)
@given(capacity_cases())
def test_random_capacity_trees(case: tuple[Any, dict[str, Q]]) -> None:
    s, tree = case
    _run_and_check(s, tree, fair=False)


@settings(max_examples=EXAMPLES)
@given(fair_cases())
def test_random_fair_trees(case: tuple[Any, dict[str, Q]]) -> None:
    s, tree = case
    _run_and_check(s, tree, fair=True)


@settings(max_examples=EXAMPLES // 2)
@given(st.one_of(capacity_cases(fault=True), fair_cases(fault=True)))
def test_random_trees_with_node_loss(case: tuple[Any, dict[str, Q]]) -> None:
    """The invariants hold through the loss of a core node and its containers."""
    s, tree = case
    _run_and_check(s, tree, fair=s.yarn.scheduler == "fair", fault=True)
