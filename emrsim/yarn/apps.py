"""YARN applications as the ResourceManager sees them: an AM, stages of tasks, containers.

These are plain state holders with no clock; :mod:`emrsim.yarn.rm` drives them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from emrsim.yarn.nodes import NodeManager
    from emrsim.yarn.spark import ExecutorPool, ExecutorSpec

# Application states, as YARN names them.
SUBMITTED, ACCEPTED, RUNNING = "SUBMITTED", "ACCEPTED", "RUNNING"
FINISHED, FAILED, KILLED = "FINISHED", "FAILED", "KILLED"
TERMINAL = frozenset({FINISHED, FAILED, KILLED})


MISSING_BLOCK_FAIL_S = 18.0
"""How long a task attempt takes to fail on an input block nobody can read: the HDFS client's
three block-acquire retries (dfs.client.max.block.acquire.failures = 3) with its growing random
wait (dfs.client.retry.window.base = 3 s: 1.5 s + 6 s + 10.5 s expected)."""


class StageRun:
    """The tasks of one stage: durations drawn up front, the tasks waiting to run.

    ``to_run`` holds the tasks waiting for a container as a stack, the next to run last (a
    list is a tenth the size of a deque, and most stages have few tasks): ``to_run.pop()``
    takes the next, ``to_run.append(task)`` puts a task first in line (a re-run), and
    :meth:`queued` lists them in the order they run.
    """

    __slots__ = (
        "attempts",
        "children",
        "deps_left",
        "done",
        "durations",
        "fail_draws",
        "fail_probability",
        "index",
        "input_blocks",
        "input_gb",
        "memory_mb",
        "name",
        "output_blocks",
        "output_gb_per_task",
        "output_node",
        "parents",
        "read_failed",
        "released",
        "running",
        "shuffle_wait",
        "slow_start",
        "tasks",
        "to_run",
        "vcores",
        "written",
    )

    def __init__(
        self,
        index: int,
        name: str,
        memory_mb: int,
        vcores: int,
        durations: list[float],
        fail_probability: float,
        output_gb: float,
        input_gb: float = 0.0,
    ) -> None:
        self.index = index
        self.name = name
        self.memory_mb = memory_mb
        self.vcores = vcores
        self.tasks = len(durations)
        self.durations = durations
        self.attempts = [0] * self.tasks
        self.fail_probability = fail_probability
        self.fail_draws: Sequence[float] = ()  # none: the stage's tasks never fail
        self.output_gb_per_task = output_gb / self.tasks
        self.input_gb = input_gb
        self.released = False
        self.to_run = list(range(self.tasks - 1, -1, -1))  # requested once released
        self.running = 0
        self.done = 0
        self.deps_left = 0
        self.children: tuple[StageRun, ...] = ()  # set by link_stages
        self.parents: tuple[StageRun, ...] = ()
        self.slow_start: float | None = None  # fraction of parents' tasks done to start early
        self.shuffle_wait: list[Container] = []  # started early, waiting for the parents
        self.output_node: dict[int, int] = {}  # finished task -> node holding its shuffle output
        # Tasks whose HDFS output is written (re-runs overwrite), and tasks whose attempt found
        # an input block missing: None until the first (most stages never need them).
        self.written: set[int] | None = None
        self.read_failed: set[int] | None = None
        self.output_blocks: list[range] = []  # HDFS blocks of the output written so far
        self.input_blocks: Any = None  # HDFS block indices it reads (numpy array), when chosen

    def queued(self) -> list[int]:
        """The tasks waiting for a container, in the order they will run."""
        return self.to_run[::-1]

    def run_last(self, task: int) -> None:
        """``task`` waits for a container behind every other waiting task (a failed attempt)."""
        self.to_run.insert(0, task)

    def must_write(self, task: int) -> bool:
        """Whether ``task`` has HDFS output still to write (a re-run overwrites what an
        earlier attempt wrote: each task's output is written once)."""
        return self.output_gb_per_task > 0 and (self.written is None or task not in self.written)

    def wrote(self, task: int) -> None:
        """``task``'s HDFS output is written."""
        if self.written is None:
            self.written = set()
        self.written.add(task)

    def read_failed_now(self, task: int) -> None:
        """An attempt of ``task`` found an input block nobody can read."""
        if self.read_failed is None:
            self.read_failed = set()
        self.read_failed.add(task)

    def take_read_failure(self, task: int) -> bool:
        """Whether ``task``'s attempt failed to read its input (and forget it)."""
        if self.read_failed is None or task not in self.read_failed:
            return False
        self.read_failed.discard(task)
        return True

    @property
    def complete(self) -> bool:
        """All tasks have finished successfully."""
        return self.done == self.tasks

    def fails(self, task: int, attempt: int, max_attempts: int) -> bool:
        """Whether attempt ``attempt`` (from 0) of ``task`` fails (drawn up front)."""
        if not self.fail_draws:
            return False
        return self.fail_draws[task * max_attempts + attempt] < self.fail_probability

    def succeed(self, task: int, node_index: int) -> list[Container]:
        """``task`` finished on node ``node_index``. Returns the containers of child stages
        that were waiting for their inputs (slow-start) and may begin their work now."""
        self.done += 1
        if self.children:
            self.output_node[task] = node_index  # map output stays on the node's local disk
        ready: list[Container] = []
        if self.complete:
            for child in self.children:
                child.deps_left -= 1
                if child.deps_left == 0:
                    ready += sorted(child.shuffle_wait, key=lambda c: c.id)
                    child.shuffle_wait.clear()
        return ready

    def lose_outputs(self, node_index: int) -> int:
        """The shuffle outputs held by node ``node_index`` are gone: their tasks are pending
        again if some child stage still needs them. Returns how many tasks must re-run."""
        if not self.children or all(c.complete for c in self.children):
            return 0
        tasks = sorted(t for t, n in self.output_node.items() if n == node_index)
        if not tasks:
            return 0
        was_complete = self.complete
        for task in tasks:
            del self.output_node[task]
        self.done -= len(tasks)
        self.to_run.extend(reversed(tasks))  # re-run first, in task order
        if was_complete:
            for child in self.children:
                child.deps_left += 1  # its tasks not yet started wait again
        return len(tasks)

    def restart(self) -> None:
        """Back to the start (a Spark driver's new attempt recomputes every stage)."""
        self.done = 0
        self.to_run = list(range(self.tasks - 1, -1, -1))
        self.attempts = [0] * self.tasks
        self.deps_left = len(self.parents)
        self.released = False
        self.output_node.clear()
        self.shuffle_wait.clear()


class Application:
    """One YARN application (a job of the workload)."""

    __slots__ = (
        "am_attempts",
        "am_container",
        "am_mb",
        "am_vcores",
        "containers",
        "end_s",
        "executor_spec",
        "executors",
        "failure_reason",
        "has_am",
        "id",
        "job_type",
        "launched",
        "max_task_attempts",
        "name",
        "on_end",
        "queue",
        "ready",
        "source",
        "stages",
        "start_s",
        "state",
        "submit_s",
        "used_mb",
        "used_vcores",
        "user",
    )

    def __init__(
        self,
        app_id: int,
        name: str,
        queue: str,
        user: str,
        job_type: str,
        am: tuple[int, int] | None,
        stages: list[StageRun],
        max_task_attempts: int,
        source: str,
        on_end: Callable[[Application], None] | None = None,
        executors: ExecutorSpec | None = None,
    ) -> None:
        self.id = app_id
        self.name = name
        self.queue = queue
        self.user = user
        self.job_type = job_type
        self.am_mb, self.am_vcores = am if am is not None else (0, 0)
        # Whether the application runs an application master (read on every scheduling step,
        # so a plain attribute; the AM size is fixed at construction).
        self.has_am = self.am_mb > 0
        self.am_container: Container | None = None
        self.am_attempts = 0
        self.stages = stages
        self.ready: list[StageRun] = []  # stages whose tasks may be requested, in stage order
        self.max_task_attempts = max_task_attempts
        self.source = source
        self.on_end = on_end
        self.state = SUBMITTED
        self.submit_s = 0.0
        self.start_s: float | None = None
        self.end_s: float | None = None
        self.launched = 0
        self.containers: set[Container] = set()
        self.failure_reason = ""
        self.used_mb = 0
        self.used_vcores = 0
        self.executor_spec = executors  # Spark: tasks run in executors, not containers
        self.executors: ExecutorPool | None = None  # set by the ResourceManager on submit

    def next_request(self) -> tuple[int, int, StageRun | ExecutorPool | None] | None:
        """The container this application asks for next: (memory_mb, vcores, what for: a
        stage for one of its tasks, the executor pool for an executor, None for its AM), or
        None when it wants nothing now."""
        if self.has_am and self.am_container is None:
            return self.am_mb, self.am_vcores, None
        if self.executors is not None:
            request = self.executors.request()
            return None if request is None else (*request, self.executors)
        for stage in self.ready:
            if stage.to_run:
                return stage.memory_mb, stage.vcores, stage
        return None

    def wants_containers(self) -> bool:
        """Whether the application has a request outstanding."""
        return self.next_request() is not None

    def pending_containers(self) -> int:
        """How many containers the application is waiting for."""
        if self.has_am and self.am_container is None:
            return 1
        if self.executors is not None:
            return self.executors.wanted()
        return sum(len(s.to_run) for s in self.ready)

    def pending_resources(self) -> tuple[int, int]:
        """(memory_mb, vcores) of every container the application is waiting for."""
        if self.has_am and self.am_container is None:
            return self.am_mb, self.am_vcores
        if self.executors is not None:
            n = self.executors.wanted()
            return n * self.executors.spec.memory_mb, n * self.executors.spec.vcores
        mb = vc = 0
        for stage in self.ready:
            n = len(stage.to_run)
            mb += n * stage.memory_mb
            vc += n * stage.vcores
        return mb, vc

    def release_stages(self) -> None:
        """Make ready, in stage order, every unfinished stage whose dependencies are done, or,
        with MapReduce slow-start, whose parents have finished enough of their tasks."""
        # ``complete`` and the common case of _startable written out: run twice per job.
        self.ready = [
            s for s in self.stages if s.done != s.tasks and (s.deps_left == 0 or _startable(s))
        ]

    @property
    def slow_start_waiting(self) -> bool:
        """Whether some stage may still be released early by slow-start."""
        return any(
            s.slow_start is not None and s.deps_left > 0 and s not in self.ready
            for s in self.stages
        )

    def all_done(self) -> bool:
        """Every stage has finished."""
        # A loop, not all() over a generator: asked whenever a stage completes.
        for s in self.stages:  # noqa: SIM110
            if s.done != s.tasks:
                return False
        return True

    def lose_outputs(self, node_index: int) -> list[tuple[StageRun, int]]:
        """Node ``node_index`` is gone with the shuffle outputs on its disks: reset the
        finished tasks whose output a child stage still needs (cascading to parents of stages
        that become incomplete). Returns (stage, tasks to re-run) per stage affected; the
        caller releases the stages again."""
        lost: list[tuple[StageRun, int]] = []
        changed = True
        while changed:
            changed = False
            for stage in self.stages:
                count = stage.lose_outputs(node_index)
                if count:
                    lost.append((stage, count))
                    changed = True
        return lost

    def restart(self) -> None:
        """Every stage back to the start, nothing released yet (a new Spark driver attempt)."""
        for stage in self.stages:
            stage.restart()
        self.ready = []


def link_stages(runs: list[StageRun], parents: list[list[int]], slow_start: float | None) -> None:
    """Link each stage of one application to the stages it waits for (``parents[k]``: the
    indices of stage ``k``'s parents); ``slow_start`` for a mapreduce job (None otherwise)."""
    for run, deps in zip(runs, parents, strict=True):
        if deps:
            run.deps_left = len(deps)
            run.parents = tuple(runs[dep] for dep in deps)
            for parent in run.parents:
                parent.children = (*parent.children, run)
            if slow_start is not None:
                run.slow_start = slow_start


def _startable(stage: StageRun) -> bool:
    if stage.deps_left == 0:
        return True
    if stage.slow_start is None:
        return False
    total = sum(p.tasks for p in stage.parents)
    done = sum(p.done for p in stage.parents)
    return total > 0 and done >= stage.slow_start * total


class Container:
    """A YARN container on a node: an AM, a Spark executor or one attempt of a task."""

    __slots__ = (
        "app",
        "executor",
        "id",
        "live",
        "memory_mb",
        "node",
        "stage",
        "start_s",
        "task",
        "vcores",
        "will_fail",
    )

    def __init__(
        self,
        container_id: int,
        app: Application,
        node: NodeManager,
        memory_mb: int,
        vcores: int,
        stage: StageRun | None,
        task: int,
        start_s: float,
        executor: bool = False,
    ) -> None:
        self.id = container_id
        self.app = app
        self.node = node
        self.memory_mb = memory_mb
        self.vcores = vcores
        self.stage = stage
        self.task = task
        self.start_s = start_s
        self.live = True
        self.will_fail = False
        self.executor = executor

    @property
    def is_am(self) -> bool:
        """Whether this container is its application's master."""
        return self.stage is None and not self.executor
