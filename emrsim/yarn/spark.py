"""Spark on YARN: the executors of one application and the tasks running in their slots.

A Spark application's driver runs in its AM container. Once the driver is up, the application
asks YARN for executor containers; its tasks get no containers of their own but run in executor
slots (``spark.executor.cores`` slots per executor), stage by stage. When a slot frees, the next
pending task of a ready stage runs in it at once; when several executors have free slots, tasks
are handed out one per executor per round, in launch order (Spark's TaskSchedulerImpl spreads
tasks over its offers the same way).

With a fixed count the application keeps asking for that many executors until it ends (lost
executors are replaced, as Spark's YarnAllocator does). With dynamic allocation the target
follows Spark's ExecutorAllocationManager:

- the initial target is ``initial`` (default ``min``);
- while tasks are pending (the scheduler is backlogged) for ``scheduler_backlog_timeout``, the
  target grows by 1, then 2, 4, 8... every ``sustained_scheduler_backlog_timeout``, never above
  ``max`` nor above maxNeeded = ceil((pending + running tasks) / slots per executor);
- when the backlog clears the increment goes back to 1; whenever maxNeeded falls below the
  target, the target becomes max(maxNeeded, min) (outstanding requests are dropped, running
  executors are not killed);
- an executor without a running task for ``idle_timeout`` is released, unless that would leave
  fewer executors than max(min, target).

Spark re-evaluates this every 100 ms; here every change is evaluated when it happens and the two
timers (backlog and idle) are events carrying tokens, so nothing polls.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Protocol

import simpy

from emrsim.events import call_at
from emrsim.yarn.apps import MISSING_BLOCK_FAIL_S

if TYPE_CHECKING:
    from emrsim.yarn.apps import Application, Container, StageRun

_EPS = 1e-9


@dataclass(frozen=True, slots=True)
class ExecutorSpec:
    """The executors a Spark application asks for.

    ``memory_mb`` and ``vcores`` are the container request (normalised like every request);
    ``slots`` is the number of tasks an executor runs at once (spark.executor.cores). ``count``
    is the fixed number of executors, None with dynamic allocation (``minimum`` .. ``maximum``,
    starting at ``initial``).
    """

    memory_mb: int
    vcores: int
    slots: int
    count: int | None
    minimum: int = 0
    maximum: int = 0
    initial: int = 0
    idle_timeout_s: float = 60.0
    backlog_timeout_s: float = 1.0
    sustained_backlog_timeout_s: float = 1.0

    @property
    def dynamic(self) -> bool:
        """Whether the executor count follows the backlog (dynamic allocation)."""
        return self.count is None


class SlotTask:
    """One attempt of a task running in an executor slot."""

    __slots__ = ("attempt", "executor", "live", "stage", "start_s", "task", "will_fail")

    def __init__(
        self, executor: Executor, stage: StageRun, task: int, attempt: int, start_s: float
    ) -> None:
        self.executor = executor
        self.stage = stage
        self.task = task
        self.attempt = attempt
        self.start_s = start_s
        self.will_fail = False
        self.live = True


class Executor:
    """An executor container and the tasks running in its slots."""

    __slots__ = ("container", "idle_since", "idle_token", "tasks")

    def __init__(self, container: Container) -> None:
        self.container = container
        self.tasks: list[SlotTask] = []
        self.idle_since: float | None = None
        self.idle_token = 0


class ExecutorHost(Protocol):
    """What an executor pool needs from the ResourceManager that drives it."""

    def slot_task_done(self, run: SlotTask) -> None:
        """A task attempt in an executor slot has run for its duration."""

    def release_executor(self, container: Container, why: str) -> None:
        """Give an executor container back to YARN (the pool has no more use for it)."""

    def wants(self, app: Application) -> None:
        """The application may want more containers now."""

    def readable(self, stage: StageRun, task: int) -> bool:
        """Whether a task can read its HDFS input now."""


class ExecutorPool:
    """The executors of one Spark application, driven by the ResourceManager.

    The ResourceManager calls :meth:`start` when the driver (AM) starts, :meth:`add` when an
    executor container is launched, :meth:`drop` when one goes away, :meth:`finish` when a task
    attempt ends, :meth:`settle` after any of these, and :meth:`stop` when the driver stops.
    """

    def __init__(
        self, app: Application, spec: ExecutorSpec, env: simpy.Environment, host: ExecutorHost
    ) -> None:
        self.app = app
        self.spec = spec
        self.env = env
        self.host = host
        self.executors: dict[Container, Executor] = {}  # in launch order
        self.active = False
        self.target = 0
        self.running = 0  # task attempts running in slots
        self._to_add = 1
        self._add_at: float | None = None
        self._token = 0  # invalidates the backlog timer

    # ---------------------------------------------------------------- requests
    def wanted(self) -> int:
        """How many more executors the application asks YARN for now."""
        if not self.active:
            return 0
        return max(0, self.target - len(self.executors))

    def request(self) -> tuple[int, int] | None:
        """(memory_mb, vcores) of the next executor to ask for, or None."""
        return (self.spec.memory_mb, self.spec.vcores) if self.wanted() > 0 else None

    # ------------------------------------------------------------ driver life
    def start(self) -> None:
        """The driver is up: its stages are submitted and executors are asked for."""
        spec = self.spec
        self.active = True
        self.target = spec.count if spec.count is not None else spec.initial
        self._to_add = 1
        self._add_at = None
        self._token += 1
        self.settle()

    def stop(self) -> None:
        """The driver has stopped (the application ended or its AM attempt failed)."""
        self.active = False
        self.target = 0
        self._add_at = None
        self._token += 1

    # ------------------------------------------------------------- executors
    def add(self, container: Container) -> None:
        """An executor container was launched; :meth:`settle` gives it tasks."""
        self.executors[container] = Executor(container)

    def drop(self, container: Container) -> int:
        """An executor container is gone: its running tasks go back to the front of their
        stages' queues (not a failed attempt). Returns how many tasks were running."""
        executor = self.executors.pop(container, None)
        if executor is None:
            return 0
        executor.idle_token += 1
        for run in sorted(executor.tasks, key=lambda r: (r.stage.index, -r.task)):
            run.live = False
            run.stage.running -= 1
            run.stage.to_run.append(run.task)
        self.running -= len(executor.tasks)
        count = len(executor.tasks)
        executor.tasks.clear()
        return count

    def finish(self, run: SlotTask) -> None:
        """A task attempt has ended: its slot is free."""
        run.live = False
        run.executor.tasks.remove(run)
        run.stage.running -= 1
        self.running -= 1

    # ---------------------------------------------------------------- settling
    def settle(self) -> None:
        """After any change: fill free slots, then adjust the target and the idle timers."""
        if not self.active:
            return
        self._fill()
        if self.spec.dynamic:
            self._update_target()
            self._arm_idle_timers()
            self._release_timed_out()

    def pending_tasks(self) -> int:
        """Tasks of ready stages waiting for a slot."""
        return sum(len(s.to_run) for s in self.app.ready)

    def _fill(self) -> None:
        slots = self.spec.slots
        stages = [s for s in self.app.ready if s.to_run]
        free = [
            e
            for e in self.executors.values()
            if len(e.tasks) < slots and not e.container.node.decommissioning
        ]
        while free and stages:
            still = []
            for executor in free:
                if not stages:
                    break
                stage = stages[0]
                self._run(executor, stage, stage.to_run.pop())
                if not stage.to_run:
                    stages.pop(0)
                if len(executor.tasks) < slots:
                    still.append(executor)
            free = still

    def _run(self, executor: Executor, stage: StageRun, task: int) -> None:
        now = self.env.now
        attempt = stage.attempts[task]
        run = SlotTask(executor, stage, task, attempt, now)
        run.will_fail = stage.fails(task, attempt, self.app.max_task_attempts)
        duration = stage.durations[task]
        if not self.host.readable(stage, task):
            run.will_fail, duration = True, MISSING_BLOCK_FAIL_S
        executor.tasks.append(run)
        stage.running += 1
        self.running += 1
        call_at(self.env, duration, lambda: self.host.slot_task_done(run))

    # -------------------------------------------------------- dynamic allocation
    def max_needed(self) -> int:
        """Executors needed to run every pending and running task at once."""
        return math.ceil((self.pending_tasks() + self.running) / self.spec.slots)

    def _update_target(self) -> None:
        now = self.env.now
        spec = self.spec
        if self.pending_tasks() > 0:
            if self._add_at is None:  # onSchedulerBacklogged
                self._arm_add_timer(now + spec.backlog_timeout_s)
        elif self._add_at is not None:  # onSchedulerQueueEmpty
            self._add_at = None
            self._to_add = 1
            self._token += 1
        need = self.max_needed()
        if need < self.target:
            self.target = max(need, spec.minimum)
            self._to_add = 1
        elif self._add_at is not None and now >= self._add_at - _EPS:
            self._add_executors(need)

    def _add_executors(self, need: int) -> None:
        spec = self.spec
        old = self.target
        if old >= spec.maximum:
            self._to_add = 1
            return
        target = max(old, len(self.executors)) + self._to_add
        target = min(target, need)
        target = max(min(target, spec.maximum), spec.minimum)
        delta = target - old
        self.target = target
        if delta <= 0:
            self._to_add = 1
            return
        self._to_add = self._to_add * 2 if delta == self._to_add else 1
        self._arm_add_timer(self.env.now + spec.sustained_backlog_timeout_s)

    def _arm_add_timer(self, at: float) -> None:
        self._add_at = at
        self._token += 1
        token = self._token
        call_at(self.env, max(0.0, at - self.env.now), lambda: self._add_due(token))

    def _add_due(self, token: int) -> None:
        if token != self._token or not self.active:
            return
        self.settle()
        if self.wanted() > 0:
            self.host.wants(self.app)

    # ------------------------------------------------------------- idle release
    def _arm_idle_timers(self) -> None:
        now = self.env.now
        timeout = self.spec.idle_timeout_s
        for executor in self.executors.values():
            if executor.tasks:
                if executor.idle_since is not None:
                    executor.idle_since = None
                    executor.idle_token += 1
            elif executor.idle_since is None:
                executor.idle_since = now
                executor.idle_token += 1
                call_at(self.env, timeout, partial(self._idle_due, executor, executor.idle_token))

    def _idle_due(self, executor: Executor, token: int) -> None:
        if token == executor.idle_token and self.active:
            self._release_timed_out()

    def _release_timed_out(self) -> None:
        now = self.env.now
        timeout = self.spec.idle_timeout_s
        keep = max(self.spec.minimum, self.target)
        timed_out = sorted(
            (
                e
                for e in self.executors.values()
                if e.idle_since is not None and now >= e.idle_since + timeout - _EPS
            ),
            key=lambda e: (e.idle_since, e.container.id),
        )
        for executor in timed_out:
            if len(self.executors) - 1 < keep:
                return
            self.host.release_executor(
                executor.container,
                f"idle for {timeout:g} s (spark.dynamicAllocation.executorIdleTimeout); "
                f"{len(self.executors) - 1} executor(s) stay for a target of {self.target}",
            )
