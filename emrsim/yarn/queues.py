"""The queue tree of a scenario, resolved once: absolute capacities, limits and names.

Capacity scheduler (CapacityScheduler.md): a queue's ``capacity`` and ``max_capacity`` are
percentages of its parent; absolute figures multiply down the tree, siblings' capacities sum to
100, ``max_capacity`` defaults to 100 (Hadoop's -1). Fair scheduler (FairScheduler.md): ``weight``
(default 1), ``min_resources``, ``max_resources``, ``max_running_apps``, ``max_am_share`` (default
0.5) and ``scheduling_policy`` (default fair) per queue. FIFO: one queue, ``default``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from emrsim.scenario.models import Preemption, Queue, Scenario
from emrsim.scenario.source import Path, Problem

UNLIMITED = float("inf")
ROOT = "root"

_CAPACITY_KEYS = ("capacity", "max_capacity", "maximum_am_resource_percent")
_FAIR_KEYS = (
    "weight",
    "min_resources",
    "max_resources",
    "max_running_apps",
    "max_am_share",
    "min_share_preemption_timeout",
    "fair_share_preemption_timeout",
    "fair_share_preemption_threshold",
    "scheduling_policy",  # last: the root may set it
)


@dataclass(frozen=True, slots=True)
class QueueConfig:
    """Resolved settings of one queue; fractions are of the whole cluster."""

    name: str
    capacity_frac: float
    max_frac: float
    user_limit_factor: float
    am_resource_frac: float | None  # None: no AM limit (FIFO scheduler)
    parent: str | None = None
    leaf: bool = True
    ordering: str = "fifo"  # capacity: fifo | fair; fair scheduler: fair | drf | fifo
    weight: float = 1.0
    min_memory_mb: float = 0.0
    min_vcores: float = 0.0
    max_memory_mb: float = UNLIMITED
    max_vcores: float = UNLIMITED
    max_running_apps: float = UNLIMITED
    max_am_share: float = 0.5  # fair scheduler; -1 disables the check
    min_user_limit_frac: float = 1.0  # minimum-user-limit-percent / 100
    min_share_timeout_s: float = UNLIMITED  # fair scheduler preemption
    fair_share_timeout_s: float = UNLIMITED
    fair_share_threshold: float = 0.5


@dataclass(frozen=True, slots=True)
class _Spec:
    path: str  # dotted, without root
    queue: Queue
    where: Path  # key path in the scenario, for errors


def _walk(queues: list[Queue], prefix: str, where: Path) -> Iterator[_Spec]:
    for i, q in enumerate(queues):
        path = f"{prefix}{q.name}"
        here = (*where, i)
        yield _Spec(path, q, here)
        if q.queues:
            yield from _walk(q.queues, path + ".", (*here, "queues"))


def _specs(scenario: Scenario) -> list[_Spec]:
    """Every queue below the root. A top-level queue named ``root`` is the root itself (as in
    fair-scheduler.xml): its children are the top-level queues, its settings the root's."""
    queues = scenario.yarn.queues or []
    specs = list(_walk(queues, "", ("yarn", "queues")))
    return [
        _Spec(s.path.removeprefix(f"{ROOT}."), s.queue, s.where) for s in specs if s.path != ROOT
    ]


def _root_spec(scenario: Scenario) -> Queue | None:
    return next((q for q in scenario.yarn.queues or [] if q.name == ROOT), None)


def _parent(path: str) -> str:
    return path.rsplit(".", 1)[0] if "." in path else ROOT


def queue_problems(scenario: Scenario) -> list[Problem]:
    """Everything wrong with the queue section (empty when the tree can be built)."""
    yarn = scenario.yarn
    if not yarn.queues:
        return []
    specs = _specs(scenario)
    problems: list[Problem] = []
    for i, q in enumerate(yarn.queues):
        if q.name != ROOT:
            continue
        for key in (*_CAPACITY_KEYS, *_FAIR_KEYS[:-1]):
            if getattr(q, key) is not None:
                problems.append(
                    Problem(
                        ("yarn", "queues", i, key),
                        "the root queue takes only scheduling_policy and child queues",
                    )
                )
    if yarn.scheduler == "fifo":
        if [s.path for s in specs] != ["default"]:
            problems.append(
                Problem(
                    ("yarn", "queues"),
                    "the fifo scheduler has one queue, "
                    "'default': remove queues or use scheduler: capacity",
                )
            )
        return problems
    paths = [s.path for s in specs]
    for s in specs:
        if paths.count(s.path) > 1:
            problems.append(Problem((*s.where, "name"), f"duplicate queue {s.path!r}"))
        parent = _parent(s.path)
        if parent != ROOT and parent not in paths:
            problems.append(
                Problem((*s.where, "name"), f"parent queue {parent!r} of {s.path!r} is not defined")
            )
        keys = _FAIR_KEYS if yarn.scheduler == "capacity" else _CAPACITY_KEYS
        other = "fair" if yarn.scheduler == "capacity" else "capacity"
        for key in keys:
            if getattr(s.queue, key) is not None:
                problems.append(
                    Problem(
                        (*s.where, key),
                        f"is a {other} scheduler key; this "
                        f"scenario uses the {yarn.scheduler} scheduler",
                    )
                )
        q = s.queue
        if (
            q.min_resources
            and q.max_resources
            and (
                q.min_resources.memory_mb > q.max_resources.memory_mb
                or (q.min_resources.vcores or 0)
                > (UNLIMITED if q.max_resources.vcores is None else q.max_resources.vcores)
            )
        ):
            problems.append(Problem((*s.where, "min_resources"), "must not exceed max_resources"))
    if problems or yarn.scheduler != "capacity":
        return problems
    by_parent: dict[str, list[_Spec]] = {}
    for s in specs:
        by_parent.setdefault(_parent(s.path), []).append(s)
    for parent, children in by_parent.items():
        missing = [c for c in children if c.queue.capacity is None]
        if len(children) > 1 and missing:
            problems += [
                Problem((*c.where, "capacity"), "required when a queue has siblings")
                for c in missing
            ]
            continue
        total = sum(100.0 if c.queue.capacity is None else c.queue.capacity for c in children)
        if abs(total - 100.0) > 1e-6:
            where = children[0].where[:-1]
            problems.append(
                Problem(
                    where,
                    f"capacities of the children of {parent!r} must sum "
                    f"to 100 (they sum to {total:g})",
                )
            )
    return problems


def build_queues(scenario: Scenario) -> list[QueueConfig]:
    """Every queue, root first and parents before children (call after queue_problems)."""
    yarn = scenario.yarn
    if yarn.scheduler == "fifo":
        return [QueueConfig("default", 1.0, 1.0, UNLIMITED, None)]
    specs = _specs(scenario) or [_Spec("default", Queue(name="default"), ("yarn", "queues"))]
    paths = {s.path for s in specs}
    fair = yarn.scheduler == "fair"
    # Fair scheduler: the root and every queue without scheduling_policy use the default policy
    # (defaultQueueSchedulingPolicy, itself fair by default).
    default_policy = yarn.default_scheduling_policy
    root_spec = _root_spec(scenario)
    root_policy = (root_spec.scheduling_policy if root_spec else None) or default_policy
    root = QueueConfig(
        ROOT,
        1.0,
        1.0,
        UNLIMITED,
        None,
        parent=None,
        leaf=False,
        ordering=root_policy if fair else "fifo",
    )
    out = [root]
    resolved = {ROOT: root}
    for s in sorted(specs, key=lambda s: s.path.count(".")):  # parents first, stable order
        q = s.queue
        parent = resolved[_parent(s.path)]
        leaf = not any(p.startswith(s.path + ".") for p in paths)
        capacity = (100.0 if q.capacity is None else q.capacity) / 100
        maximum = (100.0 if q.max_capacity is None else q.max_capacity) / 100
        am_pct = q.maximum_am_resource_percent or yarn.maximum_am_resource_percent
        config = QueueConfig(
            name=s.path,
            capacity_frac=parent.capacity_frac * capacity,
            max_frac=parent.max_frac * maximum,
            user_limit_factor=q.user_limit_factor,
            am_resource_frac=None if fair else am_pct / 100,
            parent=parent.name,
            leaf=leaf,
            ordering=(q.scheduling_policy or default_policy) if fair else q.ordering_policy,
            weight=q.weight or 1.0,
            min_memory_mb=q.min_resources.memory_mb if q.min_resources else 0.0,
            min_vcores=(q.min_resources.vcores or 0) if q.min_resources else 0.0,
            max_memory_mb=q.max_resources.memory_mb if q.max_resources else UNLIMITED,
            max_vcores=(
                UNLIMITED
                if q.max_resources is None or q.max_resources.vcores is None
                else q.max_resources.vcores
            ),
            max_running_apps=(
                UNLIMITED if q.max_running_apps is None else float(q.max_running_apps)
            ),
            max_am_share=0.5 if q.max_am_share is None else q.max_am_share,
            min_user_limit_frac=q.minimum_user_limit_percent / 100,
            **_fair_preemption(q, yarn.preemption),
        )
        resolved[s.path] = config
        out.append(config)
    # Parents before children, siblings in configuration order (a dotted child may be listed
    # before its parent in the file).
    order = {s.path: i for i, s in enumerate(specs)}
    children: dict[str, list[QueueConfig]] = {}
    for config in sorted(out[1:], key=lambda c: order[c.name]):
        children.setdefault(config.parent or ROOT, []).append(config)
    ordered: list[QueueConfig] = []

    def visit(config: QueueConfig) -> None:
        ordered.append(config)
        for child in children.get(config.name, []):
            visit(child)

    visit(root)
    return ordered


def _fair_preemption(q: Queue, settings: Preemption) -> dict[str, float]:
    def pick(own: float | None, default: float | None) -> float:
        value = own if own is not None else default
        return UNLIMITED if value is None else value

    return {
        "min_share_timeout_s": pick(
            q.min_share_preemption_timeout, settings.default_min_share_preemption_timeout
        ),
        "fair_share_timeout_s": pick(
            q.fair_share_preemption_timeout, settings.default_fair_share_preemption_timeout
        ),
        "fair_share_threshold": (
            q.fair_share_preemption_threshold
            if q.fair_share_preemption_threshold is not None
            else settings.default_fair_share_preemption_threshold
        ),
    }


def leaf_names(scenario: Scenario) -> dict[str, str]:
    """Names a job may use for each leaf queue -> the leaf's full name.

    A leaf answers to its full dotted name, to ``root.`` + that, and to its last part when no
    other leaf has the same last part (as the capacity scheduler allows).
    """
    configs = build_queues(scenario)
    leaves = [c.name for c in configs if c.leaf]
    parents = {c.name for c in configs if not c.leaf}
    names: dict[str, str] = {}
    for leaf in leaves:
        names[leaf] = leaf
        names[f"{ROOT}.{leaf}"] = leaf
    shorts = [leaf.rsplit(".", 1)[-1] for leaf in leaves]
    for leaf, short in zip(leaves, shorts, strict=True):
        if shorts.count(short) == 1 and short not in parents:
            names.setdefault(short, leaf)
    return names
