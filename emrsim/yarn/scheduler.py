"""The scheduler's view of the queue tree: live usage per queue, and the decisions of the
Capacity, Fair and FIFO schedulers (which queue is served next, which application, what limits
allow), built from the plain policies in :mod:`emrsim.yarn.policy` and :mod:`emrsim.yarn.fair`.
"""

from __future__ import annotations

import bisect
import itertools
from collections import deque
from collections.abc import Iterator
from operator import attrgetter

from emrsim.events import TimeAverage
from emrsim.yarn.apps import Application
from emrsim.yarn.fair import FairSnapshot, dominant_share, fair_order, water_fill
from emrsim.yarn.policy import may_activate, may_allocate, queue_limit_mb
from emrsim.yarn.queues import UNLIMITED, QueueConfig


class QueueRun:
    """The live state of one queue of the tree (applications live in leaves)."""

    __slots__ = (
        "active_apps",
        "am_used_mb",
        "busy",
        "children",
        "config",
        "container_s",
        "demand",
        "integrated",
        "memory_mb_s",
        "only_queue_why",
        "outstanding",
        "parent",
        "path",
        "running",
        "tracks_users",
        "usage_since",
        "used_mb",
        "used_vcores",
        "users",
        "users_active",
        "users_active_count",
        "users_vcores",
        "vcore_s",
        "waiting",
    )

    def __init__(self, config: QueueConfig, parent: QueueRun | None) -> None:
        self.config = config
        self.parent = parent
        # This queue and its ancestors, the root last: fixed once built, walked on every
        # container start and end, so kept as a tuple rather than climbed each time.
        self.path: tuple[QueueRun, ...] = (self, *(parent.path if parent is not None else ()))
        self.children: list[QueueRun] = []
        self.demand: list[Application] = []  # active apps that may want containers, by id
        self.waiting: deque[Application] = deque()  # accepted apps not yet activated
        self.active_apps = 0  # activated, not ended (in this queue and below)
        self.outstanding = 0  # submitted, not ended (in this queue and below)
        self.used_mb = 0
        self.used_vcores = 0
        self.am_used_mb = 0
        # Memory and vcores held per user and outstanding applications per user, kept (on
        # every container start and end, every submission and end) only in leaves whose limits
        # read them: see Scheduler.__init__.
        self.tracks_users = True
        self.integrated: tuple[QueueRun, ...] = (self,)  # set for leaves by Scheduler
        self.users: dict[str, int] = {}
        self.users_vcores: dict[str, int] = {}
        self.users_active: dict[str, int] = {}
        self.users_active_count = 0  # users with a positive count in users_active
        self.running = 0
        # Time integrals of running, used_mb and used_vcores up to usage_since, kept for leaves
        # (the summary reports them) and the root (the cluster's allocation). The three always
        # change together, so they share one clock; see usage_integrals.
        self.container_s = 0.0
        self.memory_mb_s = 0.0
        self.vcore_s = 0.0
        self.usage_since = 0.0
        self.busy = TimeAverage()
        # Why the queue is served when it is the only one (the trace says so per container).
        self.only_queue_why = f"{config.name}: the only queue, applications in submission order"

    def usage_integrals(self, now_s: float) -> tuple[float, float, float]:
        """The time integrals of running containers, allocated memory (MB) and allocated
        vcores from the start up to ``now_s`` (a leaf's or the root's; a queue between keeps
        none)."""
        dt = now_s - self.usage_since
        return (
            self.container_s + self.running * dt,
            self.memory_mb_s + self.used_mb * dt,
            self.vcore_s + self.used_vcores * dt,
        )

    def lineage(self) -> Iterator[QueueRun]:
        """This queue and its ancestors, the root last."""
        return iter(self.path)

    @property
    def active_users(self) -> int:
        """Users with applications pending or running in this leaf."""
        return self.users_active_count

    def user_arrived(self, user: str) -> None:
        """One more outstanding application of ``user`` in this leaf."""
        n = self.users_active.get(user, 0) + 1
        self.users_active[user] = n
        if n == 1:
            self.users_active_count += 1

    def user_left(self, user: str) -> None:
        """One fewer outstanding application of ``user`` in this leaf."""
        n = self.users_active[user] - 1
        self.users_active[user] = n
        if n == 0:
            self.users_active_count -= 1


class Scheduler:
    """Decisions of one scheduler type over a queue tree."""

    def __init__(self, kind: str, configs: list[QueueConfig], check_vcores: bool) -> None:
        self.kind = kind
        self.check_vcores = check_vcores
        self.all: list[QueueRun] = []
        by_name: dict[str, QueueRun] = {}
        for config in configs:
            parent = by_name.get(config.parent) if config.parent else None
            run = QueueRun(config, parent)
            if parent is not None:
                parent.children.append(run)
            by_name[config.name] = run
            self.all.append(run)
        self.by_name = by_name
        self.leaves = [q for q in self.all if q.config.leaf]
        self.root = self.all[0]
        for leaf in self.leaves:
            # Per-user usage is read only by the Capacity scheduler's user limit: a fair leaf,
            # or one without a user limit (FIFO's queue), keeps none.
            leaf.tracks_users = kind != "fair" and leaf.config.user_limit_factor != UNLIMITED
            # Queues whose usage integrals account() keeps: the leaf, and the root (once when
            # the leaf is the root: the FIFO scheduler's one queue).
            leaf.integrated = (leaf,) if leaf is self.root else (leaf, self.root)
        self._demand: dict[QueueRun, tuple[float, float]] = {}

    # ------------------------------------------------------------------- ordering
    def begin_pass(self) -> None:
        """Snapshot demand (used + pending) per queue for the fair comparator."""
        if self.kind != "fair":
            return
        demand: dict[QueueRun, tuple[float, float]] = {}
        for leaf in self.leaves:
            mb, vc = float(leaf.used_mb), float(leaf.used_vcores)
            for app in (*leaf.demand, *leaf.waiting):
                pmb, pvc = _prospective_demand(app)
                mb += pmb
                vc += pvc
            for queue in leaf.path:
                old = demand.get(queue, (0.0, 0.0))
                demand[queue] = (old[0] + mb, old[1] + vc)
        self._demand = demand

    def demand_mb(self, queue: QueueRun) -> float:
        """Memory the queue holds or asks for, as of the last :meth:`begin_pass`."""
        return self._demand.get(queue, (0.0, 0.0))[0]

    def leaf_order(self, cluster_mb: float, cluster_vcores: float) -> list[QueueRun]:
        """Leaves in the order they are offered resources."""
        if len(self.leaves) == 1:
            return self.leaves
        out: list[QueueRun] = []
        self._descend(self.root, cluster_mb, cluster_vcores, out)
        return out

    def _descend(
        self, queue: QueueRun, cluster_mb: float, cluster_vc: float, out: list[QueueRun]
    ) -> None:
        if queue.config.leaf:
            out.append(queue)
            return
        children = queue.children
        if self.kind == "fair":
            policy = queue.config.ordering
            if policy == "fifo":
                order = list(range(len(children)))
            else:
                order = fair_order(
                    [self._fair_snapshot(c, policy, cluster_mb, cluster_vc) for c in children]
                )
        else:
            order = sorted(
                range(len(children)),
                key=lambda i: (self._capacity_ratio(children[i], cluster_mb, cluster_vc), i),
            )
        for i in order:
            self._descend(children[i], cluster_mb, cluster_vc, out)

    def _capacity_ratio(self, queue: QueueRun, cluster_mb: float, cluster_vc: float) -> float:
        guaranteed = queue.config.capacity_frac
        if guaranteed <= 0:
            return UNLIMITED
        if self.check_vcores:
            return (
                dominant_share(queue.used_mb, queue.used_vcores, cluster_mb, cluster_vc)
                / guaranteed
            )
        return queue.used_mb / (guaranteed * cluster_mb) if cluster_mb > 0 else UNLIMITED

    def _fair_snapshot(
        self, queue: QueueRun, policy: str, cluster_mb: float, cluster_vc: float
    ) -> FairSnapshot:
        c = queue.config
        demand_mb, demand_vc = self._demand.get(queue, (0.0, 0.0))
        if policy == "drf":
            return FairSnapshot(
                dominant_share(queue.used_mb, queue.used_vcores, cluster_mb, cluster_vc),
                dominant_share(c.min_memory_mb, c.min_vcores, cluster_mb, cluster_vc),
                dominant_share(demand_mb, demand_vc, cluster_mb, cluster_vc),
                c.weight,
            )
        return FairSnapshot(queue.used_mb, c.min_memory_mb, demand_mb, c.weight)

    def app_order(self, leaf: QueueRun, cluster_mb: float, cluster_vc: float) -> list[Application]:
        """Applications of a leaf in the order they are offered resources."""
        policy = leaf.config.ordering
        apps = leaf.demand
        if policy == "fifo" or len(apps) < 2:
            return apps
        if policy == "drf":
            return sorted(
                apps,
                key=lambda a: (
                    dominant_share(a.used_mb, a.used_vcores, cluster_mb, cluster_vc),
                    a.id,
                ),
            )
        return sorted(apps, key=lambda a: (a.used_mb, a.id))  # fair: by memory held

    def explain(self, leaf: QueueRun, cluster_mb: float, cluster_vc: float) -> str:
        """Why ``leaf`` was served, in words (for the event trace)."""
        if self.kind == "fifo" or len(self.leaves) == 1:
            return leaf.only_queue_why
        if self.kind == "fair":
            c = leaf.config
            demand_mb = self._demand.get(leaf, (0.0, 0.0))[0]
            if leaf.used_mb < min(c.min_memory_mb, demand_mb):
                return (
                    f"{c.name}: below its min share ({leaf.used_mb} of "
                    f"{c.min_memory_mb:.0f} MB), served first"
                )
            return (
                f"{c.name}: lowest usage / weight among queues with demand "
                f"({leaf.used_mb} MB / {c.weight:g})"
            )
        ratio = self._capacity_ratio(leaf, cluster_mb, cluster_vc)
        return (
            f"{leaf.config.name}: furthest below its guarantee among queues with demand "
            f"(now {ratio:.0%} of its capacity used)"
        )

    # --------------------------------------------------------------------- limits
    def may_allocate(
        self,
        leaf: QueueRun,
        app: Application,
        memory_mb: int,
        vcores: int,
        cluster_mb: float,
        cluster_vc: float = 0.0,
    ) -> bool:
        """Whether the queue limits on the path from ``leaf`` to the root allow a container."""
        if self.kind == "fair":
            for queue in leaf.path:
                c = queue.config
                if queue.used_mb + memory_mb > c.max_memory_mb + 1e-9:
                    return False
                if queue.used_vcores + vcores > c.max_vcores + 1e-9:
                    return False
            return True
        if not self.check_vcores and leaf.config.user_limit_factor == UNLIMITED:
            # No user limit (the FIFO scheduler's queue): policy.may_allocate comes down to the
            # queue's ceiling (run for every container).
            if leaf.used_mb + memory_mb > queue_limit_mb(leaf.config, cluster_mb) + 1e-9:
                return False
        else:
            if self.check_vcores:
                # DominantResourceCalculator: limits compare dominant shares (both resources).
                def eq(mb: float, vc: float) -> float:
                    return dominant_share(mb, vc, cluster_mb, cluster_vc) * cluster_mb

                queue_used = eq(leaf.used_mb, leaf.used_vcores)
                user_used = eq(leaf.users.get(app.user, 0), leaf.users_vcores.get(app.user, 0))
                request = eq(memory_mb, vcores)
            else:
                queue_used = leaf.used_mb
                user_used = leaf.users.get(app.user, 0)
                request = memory_mb
            if not may_allocate(
                leaf.config, cluster_mb, queue_used, user_used, request, leaf.active_users
            ):
                return False
        for queue in leaf.path:
            if queue is leaf or queue.parent is None:
                continue
            used = (
                eq(queue.used_mb + memory_mb, queue.used_vcores + vcores)
                if self.check_vcores
                else queue.used_mb + memory_mb
            )
            if used > queue.config.max_frac * cluster_mb + 1e-9:
                return False
        return True

    def may_activate(self, leaf: QueueRun, app: Application, cluster_mb: float) -> bool:
        """Whether the next waiting application of ``leaf`` may start its AM."""
        if self.kind != "fair":
            if not app.has_am:
                return True
            return may_activate(
                leaf.config, cluster_mb, leaf.am_used_mb, app.am_mb, leaf.active_apps
            )
        for queue in leaf.path:
            if queue.active_apps + 1 > queue.config.max_running_apps:
                return False
        share = leaf.config.max_am_share
        if not app.has_am or share < 0 or leaf.active_apps == 0:
            return True
        return leaf.am_used_mb + app.am_mb <= share * self.fair_share_mb(leaf, cluster_mb) + 1e-9

    def fair_share_mb(self, leaf: QueueRun, cluster_mb: float) -> float:
        """The leaf's instantaneous fair share of memory: water-filling down the tree among
        queues with applications."""
        path = leaf.path[::-1]  # root .. leaf
        share = cluster_mb
        for parent, child in itertools.pairwise(path):
            active = [c for c in parent.children if c.outstanding > 0 or c is child]
            shares = water_fill(
                [c.config.weight for c in active],
                [c.config.min_memory_mb for c in active],
                [c.config.max_memory_mb for c in active],
                share,
            )
            share = shares[active.index(child)]
        return share

    # ----------------------------------------------------------------- bookkeeping
    def activate(self, leaf: QueueRun, app: Application) -> None:
        """An application becomes active (the caller takes it from ``leaf.waiting``)."""
        for queue in leaf.path:
            queue.active_apps += 1
        leaf.am_used_mb += app.am_mb
        bisect.insort(leaf.demand, app, key=_app_id)

    def account(
        self,
        leaf: QueueRun,
        app: Application,
        memory_mb: int,
        vcores: int,
        containers: int,
        now: float,
    ) -> None:
        """Apply a signed change of allocated resources to the app, the leaf and its parents."""
        app.used_mb += memory_mb
        app.used_vcores += vcores
        if leaf.tracks_users:
            user = app.user
            leaf.users[user] = leaf.users.get(user, 0) + memory_mb
            leaf.users_vcores[user] = leaf.users_vcores.get(user, 0) + vcores
        for queue in leaf.integrated:
            # The integrals up to now (on every container start and end), then the new usage
            # along the path.
            dt = now - queue.usage_since
            queue.container_s += queue.running * dt
            queue.memory_mb_s += queue.used_mb * dt
            queue.vcore_s += queue.used_vcores * dt
            queue.usage_since = now
        for queue in leaf.path:
            queue.used_mb += memory_mb
            queue.used_vcores += vcores
            queue.running += containers


def _prospective_demand(app: Application) -> tuple[int, int]:
    """What an application wants now and as soon as its AM runs: the AM if not running, plus
    every waiting task of its released stages (the fair scheduler's demand, without the lag of
    the AM's first requests)."""
    mb = vc = 0
    if app.has_am and app.am_container is None:
        mb, vc = app.am_mb, app.am_vcores
    for stage in app.ready:
        n = len(stage.to_run)
        mb += n * stage.memory_mb
        vc += n * stage.vcores
    return mb, vc


_app_id = attrgetter("id")
"""An application's id (the order of demand lists), as a C-level key."""
