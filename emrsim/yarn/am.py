"""What the application masters do with the containers YARN gives them.

The ResourceManager (:mod:`emrsim.yarn.rm`) allocates and frees containers; it calls in here
when one starts, when one is lost and when a node is gone. Here a started container begins its
work (an AM, a Spark executor, a task), a finished task attempt is settled (HDFS output, retries
up to max_task_attempts, stage completion, the next stages released), a lost container's task
runs again, a lost AM fails its attempt, and finished tasks whose shuffle output was on a lost
node run again while a child stage still needs it. Spark executors' slots are run by
:mod:`emrsim.yarn.spark`, which calls back :meth:`AppMasters.slot_task_done`.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from emrsim.events import call_at
from emrsim.yarn.apps import (
    ACCEPTED,
    FAILED,
    FINISHED,
    MISSING_BLOCK_FAIL_S,
    Application,
    Container,
    StageRun,
)
from emrsim.yarn.spark import ExecutorPool

if TYPE_CHECKING:
    from emrsim.yarn.nodes import NodeManager
    from emrsim.yarn.rm import ResourceManager
    from emrsim.yarn.scheduler import QueueRun
    from emrsim.yarn.spark import SlotTask


class AppMasters:
    """The application-side logic of every application of one ResourceManager."""

    def __init__(self, rm: ResourceManager) -> None:
        self.rm = rm
        self.env = rm.env
        self.recorder = rm.recorder
        self.shuffle_recomputed_tasks = 0  # finished tasks re-run: their shuffle output was lost

    # ------------------------------------------------------------------- starting
    def started(self, queue: QueueRun, container: Container, pool: ExecutorPool | None) -> None:
        """A container was launched: an AM (a Spark driver), an executor of ``pool``, or a task
        that starts its work now or, with MapReduce slow-start, once its inputs are ready."""
        app = container.app
        now = self.env._now  # (the property costs a call per container)
        stage = container.stage
        if stage is not None:
            if self.recorder.tracing:
                self.recorder.event(
                    now,
                    "container_started",
                    app=app.id,
                    container=container.id,
                    node=container.node.instance.id,
                    queue=queue.config.name,
                    stage=stage.name,
                    task=container.task,
                    attempt=stage.attempts[container.task] + 1,
                    memory_mb=container.memory_mb,
                    vcores=container.vcores,
                    waits_for_inputs=stage.deps_left > 0,
                    why=self.rm.scheduler.explain(
                        queue, self.rm.cluster_mb, self.rm.cluster_vcores
                    ),
                )
            if stage.deps_left > 0:
                stage.shuffle_wait.append(container)  # slow-start: holds its container, waits
            else:
                self._start_task(container)
            return
        fields = {"queue": queue.config.name, "app": app.id, "container": container.id}
        node = container.node.instance.id
        if pool is not None:
            pool.add(container)
            self.recorder.event(
                now,
                "executor_started",
                **fields,
                node=node,
                executors=len(pool.executors),
                target=pool.target,
            )
            pool.settle()
            return
        app.am_container = container
        app.am_attempts += 1
        self.recorder.event(now, "am_started", **fields, node=node, attempt=app.am_attempts)
        if app.executors is not None:
            app.executors.start()  # the driver submits its stages and asks for executors

    def _start_task(self, container: Container) -> None:
        """The task in ``container`` starts its work (at once, or when its inputs are ready).

        A task whose HDFS input split has a block nobody can read fails at once."""
        stage = container.stage
        assert stage is not None
        duration = stage.durations[container.task]
        if stage.input_blocks is not None and not self.readable(stage, container.task):
            container.will_fail = True
            duration = MISSING_BLOCK_FAIL_S
        call_at(self.env, duration, partial(self._task_done, container))

    def readable(self, stage: StageRun, task: int) -> bool:
        """Whether ``task`` can read its input from HDFS now (remembered when it cannot)."""
        on_read = self.rm.on_read
        if stage.input_blocks is None or on_read is None or on_read(stage, task):
            return True
        stage.read_failed_now(task)
        return False

    def release_stages(self, app: Application) -> bool:
        """Release the stages whose dependencies finished; a stage reads its input from HDFS
        when released. False when the application failed (its input is not there)."""
        app.release_stages()
        for stage in app.ready:
            if stage.released:
                continue
            stage.released = True
            if stage.input_gb > 0 and self.rm.on_input is not None:
                missing = self.rm.on_input(stage)
                if missing:
                    self.rm.end_app(app, FAILED, f"stage {stage.name}: {missing}")
                    return False
        return True

    # ------------------------------------------------------------- task outcomes
    def _task_done(self, container: Container) -> None:
        if not container.live:
            return
        stage = container.stage
        assert stage is not None
        self.rm.release(container)
        self._task_ended(
            container.app, stage, container.task, container.node, container.will_fail, container
        )

    def slot_task_done(self, run: SlotTask) -> None:
        """A task attempt in a Spark executor slot has run for its duration."""
        if not run.live:
            return
        executor = run.executor.container
        app = executor.app
        assert app.executors is not None
        app.executors.finish(run)
        if self._task_ended(app, run.stage, run.task, executor.node, run.will_fail, None):
            self.settle(app)

    def _task_ended(
        self,
        app: Application,
        stage: StageRun,
        task: int,
        node: NodeManager,
        will_fail: bool,
        container: Container | None,
    ) -> bool:
        """Settle a task attempt that ran in ``container`` (None: in an executor slot on
        ``node``). False when the application has ended."""
        now = self.env._now
        rm = self.rm
        ok = not will_fail
        why = "task attempt failed"
        if stage.read_failed is not None and stage.take_read_failure(task):
            why = "BlockMissingException: an input block has no readable replica"
        if ok and rm.on_output is not None and stage.must_write(task):
            ok = rm.on_output(stage, node)
            why = "HDFS is full: output could not be written"
            if ok:
                stage.wrote(task)
        if not ok:
            return self._task_failed(app, stage, task, node, why, container)
        if container is not None:
            rm.counts.completed += 1
            if self.recorder.tracing:
                self.recorder.event(now, "container_completed", app=app.id, container=container.id)
        elif self.recorder.tracing:
            self.recorder.event(
                now,
                "task_completed",
                app=app.id,
                stage=stage.name,
                task=task,
                node=node.instance.id,
            )
        for waiting in stage.succeed(task, node.index):
            # Reducers started early (slow-start) begin their work now.
            assert waiting.stage is not None
            self.recorder.event(
                now,
                "container_inputs_ready",
                app=app.id,
                container=waiting.id,
                stage=waiting.stage.name,
            )
            self._start_task(waiting)
        complete = stage.done == stage.tasks
        if complete and app.all_done():
            # Nothing left to release (and so no input to read): the application is done.
            rm.end_app(app, FINISHED, "")
            return False
        if complete or app.slow_start_waiting:
            if not self.release_stages(app):
                return False
            rm.wants(app)
        rm.request_pass()
        return True

    def _task_failed(
        self,
        app: Application,
        stage: StageRun,
        task: int,
        node: NodeManager,
        why: str,
        container: Container | None,
    ) -> bool:
        """A task attempt failed: it runs again, or after max_task_attempts failures
        (mapreduce.map.maxattempts, spark.task.maxFailures) the application fails."""
        now = self.env.now
        rm = self.rm
        stage.attempts[task] += 1
        attempt = stage.attempts[task]
        where: dict[str, int | str]
        if container is not None:
            rm.counts.failed += 1
            where = {"container": container.id}
        else:
            where = {"stage": stage.name, "task": task, "node": node.instance.id}
        self.recorder.event(
            now,
            "container_failed" if container is not None else "task_failed",
            app=app.id,
            **where,
            reason=why,
            attempt=attempt,
        )
        if attempt >= app.max_task_attempts:
            reason = f"task {stage.name}/{task} failed {app.max_task_attempts} times ({why})"
            rm.end_app(app, FAILED, reason)
            return False
        stage.run_last(task)
        rm.wants(app)
        return True

    # ----------------------------------------------------------------- losses
    def lost(self, container: Container) -> None:
        """``container`` was lost with its node (already freed and counted): its task runs
        again (not a failed attempt: YARN's exit status for a lost node does not count); a lost
        AM fails its attempt, and the application after max_am_attempts."""
        rm = self.rm
        app = container.app
        if container.stage is not None:
            container.stage.to_run.append(container.task)  # rerun first, not an attempt
        if not container.is_am:
            rm.wants(app)  # a Spark application settles once the whole node is gone
            return
        app.am_container = None
        if app.executors is not None:
            app.executors.stop()
        if app.am_attempts >= rm.max_am_attempts:
            rm.end_app(app, FAILED, f"application master lost {app.am_attempts} times")
            return
        # A new AM attempt: the old attempt's containers are killed. MapReduce keeps finished
        # tasks (AM recovery, yarn.app.mapreduce.am.job.recovery.enable=true); a new Spark
        # driver starts the application over.
        for other in sorted(app.containers, key=lambda c: c.id):
            rm.kill_container(other)
        self.recorder.event(self.env.now, "am_attempt_failed", app=app.id, attempt=app.am_attempts)
        if app.executors is not None:
            app.restart()
            if not self.release_stages(app):
                return
        app.state = ACCEPTED
        rm.wants(app)

    def node_lost(self, app: Application, node: NodeManager) -> None:
        """After ``node`` and its containers are gone: finished tasks whose shuffle output was
        on its disks run again if a child stage still needs it; a Spark application re-plans
        its executors (and asks for replacements)."""
        if app.id not in self.rm.apps:
            return
        lost = app.lose_outputs(node.index)
        for stage, count in lost:
            self.shuffle_recomputed_tasks += count
            waiting = ", ".join(c.name for c in stage.children if not c.complete)
            self.recorder.event(
                self.env.now,
                "shuffle_output_lost",
                app=app.id,
                stage=stage.name,
                tasks=count,
                node=node.instance.id,
                why=f"the shuffle output of {count} finished task(s) was on the lost node's "
                f"disks and stage(s) {waiting} still need it: the tasks run again",
            )
        if lost and not self.release_stages(app):
            return
        # Only a running driver re-plans: an application not yet activated (waiting in its
        # queue) must not enter the queue's demand list.
        if lost or (app.executors is not None and app.executors.active):
            self.settle(app)

    # -------------------------------------------------------- Spark executors
    def settle(self, app: Application) -> None:
        """After a change: a Spark application fills its slots and revises its executor
        target; then the application asks for what it wants."""
        if app.id not in self.rm.apps:
            return
        if app.executors is not None:
            app.executors.settle()
        self.rm.wants(app)

    def release_executor(self, container: Container, why: str) -> None:
        """Give an executor that its application no longer needs back to YARN."""
        self.rm.release(container)
        self.rm.counts.completed += 1
        self.recorder.event(
            self.env.now,
            "executor_released",
            app=container.app.id,
            container=container.id,
            node=container.node.instance.id,
            why=why,
        )
        self.rm.request_pass()

    def wants(self, app: Application) -> None:
        """The application may want more containers (its executor target grew)."""
        self.rm.wants(app)
