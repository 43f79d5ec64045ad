"""The YARN ResourceManager: queues, NodeManagers, and an event-driven scheduling pass.

Allocation happens when something changes (a request arrives, a container ends, a node joins),
never by polling: every change asks for one scheduling pass at the current instant, which runs
after all other events of that instant (priority SCHEDULE). The pass offers resources to queues
in the policy's order (:mod:`emrsim.yarn.policy`) and, inside a queue, to applications in
submission order (FIFO ordering policy). Nodes are tried least recently used first, which
spreads containers over the cluster as the round of NodeManager heartbeats does.

What the applications do with their containers (task outcomes, retries, recovery from lost
nodes, Spark executors) lives in :mod:`emrsim.yarn.am` and :mod:`emrsim.yarn.spark`.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from functools import partial
from operator import attrgetter
from typing import TYPE_CHECKING

import simpy

from emrsim.events import SCHEDULE, TimeAverage, call_at
from emrsim.yarn.am import AppMasters
from emrsim.yarn.apps import (
    ACCEPTED,
    FINISHED,
    KILLED,
    RUNNING,
    Application,
    Container,
    StageRun,
)
from emrsim.yarn.monitor import PreemptionMonitor
from emrsim.yarn.nodes import NodeManager
from emrsim.yarn.queues import QueueConfig
from emrsim.yarn.scheduler import QueueRun, Scheduler
from emrsim.yarn.spark import ExecutorPool

if TYPE_CHECKING:
    from emrsim.nodes.cluster import Instance
    from emrsim.recorder import Recorder
    from emrsim.scenario.models import Preemption


class ContainerCounts:
    """How containers ended."""

    __slots__ = (
        "completed",
        "failed",
        "killed",
        "launched",
        "lost",
        "lost_container_s",
        "preempted",
    )

    def __init__(self) -> None:
        self.preempted = 0
        self.launched = 0
        self.completed = 0
        self.failed = 0
        self.lost = 0
        self.killed = 0
        self.lost_container_s = 0.0


class ResourceManager:
    """Queues, NodeManagers and the scheduler of one simulated cluster."""

    def __init__(
        self,
        env: simpy.Environment,
        queues: list[QueueConfig],
        recorder: Recorder,
        *,
        max_am_attempts: int,
        minimum_allocation_mb: int,
        check_vcores: bool = False,
        scheduler: str = "capacity",
        queue_names: dict[str, str] | None = None,
        preemption: Preemption | None = None,
    ) -> None:
        self.env = env
        self.recorder = recorder
        self.scheduler = Scheduler(scheduler, queues, check_vcores)
        self.queues = self.scheduler.leaves
        self.queue_by_name = {q.config.name: q for q in self.queues}
        for alias, name in (queue_names or {}).items():
            self.queue_by_name.setdefault(alias, self.scheduler.by_name[name])
        self.max_am_attempts = max_am_attempts
        self.minimum_allocation_mb = minimum_allocation_mb
        self.check_vcores = check_vcores
        self.nodes: dict[int, NodeManager] = {}
        self._free: dict[int, NodeManager] = {}  # nodes with room, least recently used first
        self.cluster_mb = 0
        self.cluster_vcores = 0
        self.total_memory = TimeAverage()
        self.counts = ContainerCounts()
        self.apps: dict[int, Application] = {}  # not yet ended
        self._pass_pending = False
        self._next_container = 1
        self.on_output: Callable[[StageRun, NodeManager], bool] | None = None
        self.on_input: Callable[[StageRun], str] | None = None
        self.on_read: Callable[[StageRun, int], bool] | None = None
        self.on_drained: Callable[[Instance], None] | None = None
        self.preempted: dict[str, int] = {q.config.name: 0 for q in self.queues}
        self.monitor: PreemptionMonitor | None = None
        if preemption is not None and preemption.enabled:
            self.monitor = PreemptionMonitor(self, preemption)
        self.masters = AppMasters(self)

    # ----------------------------------------------------------------------------- nodes
    def add_node(self, instance: Instance, memory_mb: int, vcores: int, am_ok: bool) -> None:
        """A NodeManager registers with the ResourceManager."""
        node = NodeManager(instance, memory_mb, vcores, am_ok)
        self.nodes[node.index] = node
        self._free[node.index] = node
        self.cluster_mb += memory_mb
        self.cluster_vcores += vcores
        self.total_memory.set(self.env.now, self.cluster_mb)
        self.request_pass()

    def remove_node(self, instance: Instance) -> None:
        """A NodeManager is gone at once: its containers are lost."""
        node = self.nodes.pop(instance.index, None)
        if node is None:
            return
        self._free.pop(node.index, None)
        for container in sorted(node.containers, key=lambda c: c.id):
            self._lose(container)
        for app in sorted(self.apps.values(), key=_app_id):
            self.masters.node_lost(app, node)  # shuffle output lost with it, Spark re-plans
        self.cluster_mb -= node.memory_mb
        self.cluster_vcores -= node.vcores
        self.total_memory.set(self.env.now, self.cluster_mb)
        self.request_pass()

    def decommission(self, instance: Instance) -> bool:
        """Graceful decommissioning starts: the node takes no new containers (running ones and
        Spark executors' running tasks go on; executors there get no new tasks). Returns whether
        the node was in YARN."""
        node = self.nodes.get(instance.index)
        if node is None:
            return False
        if not node.decommissioning:
            node.decommissioning = True
            self._free.pop(node.index, None)
            self.recorder.event(self.env.now, "node_decommissioning", node=instance.id)
        return True

    def recommission(self, instance: Instance) -> None:
        """A decommissioning node is wanted again: it takes containers once more."""
        node = self.nodes.get(instance.index)
        if node is None or not node.decommissioning:
            return
        node.decommissioning = False
        self._free[node.index] = node
        self.recorder.event(self.env.now, "node_recommissioned", node=instance.id)
        self.request_pass()

    # -------------------------------------------------------------------------- requests
    def submit(self, app: Application) -> None:
        """An application arrives in its queue."""
        queue = self.queue_by_name[app.queue]
        app.queue = queue.config.name
        now = self.env._now  # the property costs a call; this runs per job
        app.submit_s = now
        app.state = ACCEPTED
        if app.executor_spec is not None:
            app.executors = ExecutorPool(app, app.executor_spec, self.env, self.masters)
        self.apps[app.id] = app
        for q in queue.path:
            q.outstanding += 1
            if q.outstanding == 1:
                q.busy.set(now, 1.0)
        if queue.tracks_users:
            queue.user_arrived(app.user)
        if queue.waiting or app.has_am or self.scheduler.kind == "fair":
            queue.waiting.append(app)  # activated by the next pass, in order
        else:
            # Nobody waits ahead of it, and without an AM the Capacity and FIFO schedulers
            # always let it start (Scheduler.may_activate): the pass would activate it first.
            self.scheduler.activate(queue, app)
        if self.recorder.tracing:  # skip building the fields when nothing is recorded
            self.recorder.event(now, "app_submitted", app=app.id, name=app.name, queue=app.queue)
        if self.masters.release_stages(app) and (
            self._free or app.has_am or self.monitor is not None or self.scheduler.kind == "fair"
        ):
            # With no node free, a pass would only activate the waiting applications (and start
            # the preemption monitor). An application without an AM under the Capacity or FIFO
            # scheduler may always be activated, and whatever could change a waiting
            # application's chance asks for a pass of its own; the next pass activates the
            # applications in order before it offers any container, so this one can be skipped
            # (an arrival finds every node busy most of the time in a loaded cluster).
            self.request_pass()

    def kill(self, app: Application, reason: str) -> None:
        """Kill an application (its step was cancelled or the cluster is going away)."""
        if app.id in self.apps:
            self.end_app(app, KILLED, reason)

    def request_pass(self) -> None:
        """Ask for one scheduling pass at the current instant."""
        if not self._pass_pending:
            self._pass_pending = True
            call_at(self.env, 0.0, self._schedule, SCHEDULE)

    # ---------------------------------------------------------------------- the pass
    def _schedule(self) -> None:
        self._pass_pending = False
        if not self._free:
            self._activate_all()
            self._start_monitor()
            return
        blocked: list[tuple[int, int, bool]] = []
        scheduler = self.scheduler
        if scheduler.kind == "fair":
            scheduler.begin_pass()
        while self._free:
            for leaf in scheduler.leaf_order(self.cluster_mb, self.cluster_vcores):
                if self._allocate_in(leaf, blocked):
                    break
            else:
                self._start_monitor()
                return
        self._activate_all()
        self._start_monitor()

    def _activate_all(self) -> None:
        for queue in self.queues:
            if queue.waiting:
                self._activate(queue)

    def _activate(self, queue: QueueRun) -> None:
        while queue.waiting:
            app = queue.waiting[0]
            if not self.scheduler.may_activate(queue, app, self.cluster_mb):
                return
            queue.waiting.popleft()
            self.scheduler.activate(queue, app)

    def _allocate_in(self, queue: QueueRun, blocked: list[tuple[int, int, bool]]) -> bool:
        """Give one container to the first application of ``queue`` that can use one."""
        if queue.waiting:
            self._activate(queue)
        scheduler = self.scheduler
        for app in scheduler.app_order(queue, self.cluster_mb, self.cluster_vcores):
            request = app.next_request()
            if request is None:
                continue
            memory_mb, vcores, target = request
            if not scheduler.may_allocate(
                queue, app, memory_mb, vcores, self.cluster_mb, self.cluster_vcores
            ):
                continue
            is_am = target is None
            if blocked and any(
                memory_mb >= m and (vcores >= v or not self.check_vcores) and (is_am or not a)
                for m, v, a in blocked
            ):
                continue
            node = self._find_node(memory_mb, vcores, is_am)
            if node is None:
                blocked.append((memory_mb, vcores, is_am))
                continue
            self._launch(queue, app, node, memory_mb, vcores, target)
            if app.next_request() is None:
                # Served in full: out of the demand list until it wants more (rm.wants), so
                # that passes do not walk past the queue's running applications.
                _drop(queue.demand, app)
            return True
        queue.demand[:] = [a for a in queue.demand if a.next_request() is not None]
        return False

    # ------------------------------------------------------------------- preemption
    def _start_monitor(self) -> None:
        if self.monitor is not None:
            self.monitor.start()

    def preempt(self, container: Container, why: str) -> None:
        """Kill a container to give its resources back to a queue below its share."""
        app = container.app
        self.release(container)
        self.counts.preempted += 1
        self.preempted[app.queue] = self.preempted.get(app.queue, 0) + 1
        if container.stage is not None:
            container.stage.to_run.append(container.task)  # rerun first; not a failed attempt
        self.recorder.event(
            self.env.now,
            "container_preempted",
            container=container.id,
            app=app.id,
            queue=app.queue,
            why=why,
        )
        self.masters.settle(app)

    def _find_node(self, memory_mb: int, vcores: int, is_am: bool) -> NodeManager | None:
        check = self.check_vcores
        for node in self._free.values():
            if (
                node.memory_free_mb >= memory_mb
                and (not check or node.vcores_free >= vcores)
                and (node.am_ok or not is_am)
                and not node.decommissioning
            ):
                return node
        return None

    # ----------------------------------------------------------------- container life
    def _launch(
        self,
        queue: QueueRun,
        app: Application,
        node: NodeManager,
        memory_mb: int,
        vcores: int,
        target: StageRun | ExecutorPool | None,
    ) -> None:
        now = self.env._now  # (the property costs a call per container)
        stage = target if target.__class__ is StageRun else None
        pool = target if target.__class__ is ExecutorPool else None
        task = stage.to_run.pop() if stage is not None else -1
        container = Container(
            self._next_container, app, node, memory_mb, vcores, stage, task, now, pool is not None
        )
        self._next_container += 1
        node.memory_free_mb -= memory_mb
        node.vcores_free -= vcores
        node.containers.add(container)
        # Least recently used first: the node just used goes to the back of the line.
        del self._free[node.index]
        if node.memory_free_mb >= self.minimum_allocation_mb and (
            not self.check_vcores or node.vcores_free > 0
        ):
            self._free[node.index] = node
        app.containers.add(container)
        app.launched += 1
        self.scheduler.account(queue, app, memory_mb, vcores, +1, now)
        self.counts.launched += 1
        if app.start_s is None:
            app.start_s = now
        app.state = RUNNING
        if stage is not None:
            stage.running += 1
            if stage.fail_draws:
                container.will_fail = stage.fails(task, stage.attempts[task], app.max_task_attempts)
        self.masters.started(queue, container, pool)

    def release(self, container: Container) -> None:
        """Free a container's resources (an executor's running tasks go back to their queues);
        the caller counts how it ended."""
        container.live = False
        node = container.node
        node.memory_free_mb += container.memory_mb
        node.vcores_free += container.vcores
        node.containers.discard(container)
        if node.index in self.nodes and node.index not in self._free and not node.decommissioning:
            self._free[node.index] = node
        if node.decommissioning and not node.containers and self.on_drained is not None:
            # After the event that freed it, so the caller finishes with the node first.
            call_at(self.env, 0.0, partial(self.on_drained, node.instance))
        app = container.app
        app.containers.discard(container)
        queue = self.queue_by_name[app.queue]
        self.scheduler.account(
            queue, app, -container.memory_mb, -container.vcores, -1, self.env._now
        )
        if container.stage is not None:
            container.stage.running -= 1
            if container in container.stage.shuffle_wait:
                container.stage.shuffle_wait.remove(container)
        elif container.executor and app.executors is not None:
            app.executors.drop(container)

    def _lose(self, container: Container) -> None:
        """A container disappears with its node."""
        if not container.live:
            return  # already killed with its application's AM attempt
        now = self.env.now
        app = container.app
        self.release(container)
        self.counts.lost += 1
        self.counts.lost_container_s += now - container.start_s
        self.recorder.event(
            now,
            "container_lost",
            app=app.id,
            container=container.id,
            node=container.node.instance.id,
            am=container.is_am,
            executor=container.executor,
            elapsed_s=now - container.start_s,
        )
        self.masters.lost(container)

    def kill_container(self, container: Container) -> None:
        """Kill a live container; its task (or an executor's tasks) will run again."""
        if not container.live:
            return
        self.release(container)
        self.counts.killed += 1
        if container.stage is not None:
            container.stage.to_run.append(container.task)  # rerun first

    def wants(self, app: Application) -> None:
        """Make sure an active application with demand is in its queue's demand list."""
        if app.id not in self.apps:
            return
        queue = self.queue_by_name[app.queue]
        pos = bisect.bisect_left(queue.demand, app.id, key=_app_id)
        if pos == len(queue.demand) or queue.demand[pos] is not app:
            queue.demand.insert(pos, app)
        self.request_pass()

    def end_app(self, app: Application, state: str, reason: str) -> None:
        """The application ends in ``state``: its containers are released (FINISHED: the AM
        and executors complete) or killed."""
        now = self.env._now
        if app.executors is not None:
            app.executors.stop()
        if app.containers:
            for container in sorted(app.containers, key=lambda c: c.id):
                if container.stage is None and state == FINISHED:  # the AM, executors
                    self.release(container)
                    self.counts.completed += 1
                else:
                    self.kill_container(container)
        app.am_container = None
        app.state = state
        app.end_s = now
        app.failure_reason = reason
        del self.apps[app.id]
        queue = self.queue_by_name[app.queue]
        if app in queue.waiting:
            queue.waiting.remove(app)
        else:
            for q in queue.path:
                q.active_apps -= 1
            queue.am_used_mb -= app.am_mb
            _drop(queue.demand, app)
        if queue.tracks_users:
            queue.user_left(app.user)
        for q in queue.path:
            q.outstanding -= 1
            if q.outstanding == 0:
                q.busy.set(now, 0.0)
        if self.recorder.tracing:
            self.recorder.event(now, "app_ended", app=app.id, state=state, reason=reason)
        self.request_pass()
        if app.on_end is not None:
            app.on_end(app)

    # ------------------------------------------------------------------------ metrics
    @property
    def allocated_mb(self) -> int:
        """Memory held by containers now (the root queue's usage)."""
        return self.scheduler.root.used_mb

    @property
    def allocated_vcores(self) -> int:
        """Vcores held by containers now."""
        return self.scheduler.root.used_vcores

    def allocated_mb_s(self, now_s: float) -> float:
        """The time integral of allocated memory (MB x s) from the start up to ``now_s``."""
        return self.scheduler.root.usage_integrals(now_s)[1]


_app_id = attrgetter("id")
"""An application's id (the order of queues' demand lists), as a C-level key."""


def _drop(demand: list[Application], app: Application) -> None:
    """Take ``app`` out of a demand list (ordered by id) if it is there."""
    pos = bisect.bisect_left(demand, app.id, key=_app_id)
    if pos < len(demand) and demand[pos] is app:
        del demand[pos]
