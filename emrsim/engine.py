"""One simulation: build the parts from a scenario, wire them, run, collect a :class:`RunResult`.

The run lifecycle is fixed (build, run, finalise, collect). This module also holds the EMR
control plane of the cluster: its state machine (STARTING -> BOOTSTRAPPING -> RUNNING/WAITING ->
TERMINATING -> TERMINATED or TERMINATED_WITH_ERRORS, emr-facts 7), when it terminates
(KeepJobFlowAliveWhenNoSteps, idle auto-termination, step failure, primary loss) and the
injected faults.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import simpy

from emrsim.events import NODE_LOSS, SAMPLE, Background, call_at
from emrsim.hdfs.capacity import replication_for
from emrsim.hdfs.service import HdfsService
from emrsim.losses import ENDING, NodeLosses
from emrsim.nodes.cluster import (
    BOOTSTRAPPING,
    END_CLUSTER,
    PROVISIONING,
    Instance,
    Instances,
)
from emrsim.nodes.plan import CapacityTarget, capacity_targets, core_target
from emrsim.nodes.provisioning import Provisioner
from emrsim.nodes.resolve import resolve_instance_types
from emrsim.nodes.spot import SpotWatch
from emrsim.random import RunStreams
from emrsim.recorder import Recorder
from emrsim.result import RunResult
from emrsim.scaling.controller import Autoscaler
from emrsim.scaling.metrics import UnitMetrics
from emrsim.scenario.models import Scenario
from emrsim.scenario.values import Market, Role
from emrsim.workload.distributions import sample
from emrsim.workload.jobs import JobFactory
from emrsim.workload.steps import StepRun, StepRunner
from emrsim.workload.streams import StreamRun
from emrsim.workload.traces import TraceJob, TraceRun, trace_runs
from emrsim.yarn.apps import Application, StageRun
from emrsim.yarn.metrics import queue_metrics, yarn_metrics
from emrsim.yarn.nodes import NodeManager
from emrsim.yarn.queues import build_queues, leaf_names
from emrsim.yarn.rm import ResourceManager
from emrsim.yarn.sizing import am_node_filter

_PROVISIONING = (PROVISIONING,)
_STARTING = (PROVISIONING, BOOTSTRAPPING)

METRICS_PERIOD_S = 60.0
"""metrics.csv has one row per simulated minute (EMR's 1-minute CloudWatch resolution)."""


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused (as it was before, afterwards).

    A run's state (applications, stages, containers, nodes) lives until the run ends and
    forms almost no garbage cycles while it runs (at most a few dozen objects in each of the
    bundled scenarios and benchmarks), yet the collector's passes over that growing state
    cost 25-40% of a run's time. Reference counting still frees everything else at once.

    Afterwards the run's objects join the oldest generation, where they would have ended with
    the collector on: otherwise the first young collection after the run would walk them all
    (5-10% of a short run's time), though they are mostly freed when the caller drops them."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            _to_oldest_generation()
            gc.enable()


def _to_oldest_generation() -> None:
    """Move every object the collector tracks to its oldest generation, in constant time:
    gc.freeze() splices the generations into the permanent one (and resets the youngest
    generation's allocation count), gc.unfreeze() splices that into the oldest generation.
    Skipped when something froze objects on purpose, which must stay frozen."""
    if gc.get_freeze_count() == 0:
        gc.freeze()
        gc.unfreeze()


class Simulation:
    """One replication of one scenario."""

    def __init__(
        self, scenario: Scenario, replication: int = 0, events_path: Path | None = None
    ) -> None:
        self.scenario = s = scenario
        self.replication = replication
        self.env = env = simpy.Environment()
        self.streams = RunStreams(s.seed, replication)
        self.recorder = Recorder(events_path)
        self.types = resolve_instance_types(s)
        self.state = ""  # set to STARTING when the run begins
        self.state_reason = ""
        self.ready_s: float | None = None
        self.terminated_s: float | None = None
        self.stalled = False
        self.warnings: list[str] = list(s.yarn.import_notes)  # what yarn.from_xml dropped
        self._stop = env.event()
        self._idle_token = 0
        self._idle_since: float | None = None
        self._idle_timeout = s.cluster.idle_timeout  # read after every job
        self._provisioning_from = 0  # see _startup_progress
        self._starting_from = 0

        self.targets = capacity_targets(s, self.types)
        self.replication_factor = replication_for(
            s.hdfs.replication, core_target(self.targets).min_instances()
        )
        self._reads = 0
        self.hdfs = HdfsService(
            env,
            s.hdfs,
            self.replication_factor,
            self.streams.stream("placement"),
            self.streams.stream("placement", 1),
            lambda k: self.streams.stream("placement", 2, k),
            self.recorder,
            lambda node: self.losses.hdfs_decommissioned(node),
        )
        self.rm = ResourceManager(
            env,
            build_queues(s),
            self.recorder,
            max_am_attempts=s.yarn.max_am_attempts,
            minimum_allocation_mb=s.yarn.minimum_allocation_mb,
            # The FairScheduler checks every resource when fitting a container on a node; the
            # CapacityScheduler only with the dominant-resource calculator (Hadoop's default
            # calculator counts memory alone, so vcores may be oversubscribed).
            check_vcores=s.yarn.resource_calculator == "drf" or s.yarn.scheduler == "fair",
            scheduler=s.yarn.scheduler,
            queue_names=leaf_names(s),
            preemption=s.yarn.preemption,
        )
        self.rm.on_output = self._write_output
        self.rm.on_input = self._read_input
        self.rm.on_read = self.hdfs.readable
        self.hdfs.namenode.warn = self.warnings.append
        self._am_ok = am_node_filter(s)
        self.losses = NodeLosses(self)
        self.rm.on_drained = self.losses.yarn_drained
        self.instances = Instances(
            env,
            self.streams.stream("boot"),
            s.cluster.startup.provision,
            s.cluster.startup.bootstrap,
            self._instance_running,
            self.losses.instance_lost,
            self._instance_provisioned,
        )
        self.provisioner = Provisioner(
            env,
            s,
            self.targets,
            self.instances,
            lambda k: self.streams.stream("spot", 2, k),
            self.recorder,
            self._fleet_timeout,
        )
        self.background = Background(env)
        self.spot = SpotWatch(
            env,
            self.background,
            s,
            self.streams.stream,
            self.losses.spot_notice,
            self.losses.spot_rebalance if s.spot_market.rebalance_lead is not None else None,
        )
        self.autoscaler = Autoscaler(self)
        self._unit_metrics = UnitMetrics(self)
        self.jobs = JobFactory(s, self.types, self.streams)
        self.apps: list[Application] = []
        self.steps = StepRunner(
            list(s.workload.steps),
            s.cluster.step_concurrency,
            lambda: env.now,
            self._submit_step,
            self.rm.kill,
            self._work_changed,
            lambda why: self._terminate("STEP_FAILURE", why, errors=True),
        )
        self.stream_runs = [
            StreamRun(
                env,
                spec,
                self.streams.stream("arrivals", 1, i),
                partial(self._submit_stream, i),
                self._work_changed,
            )
            for i, spec in enumerate(s.workload.streams)
        ]
        self.trace_runs = trace_runs(env, s, self.streams, self._submit_trace, self._work_changed)
        self.arrivals: list[StreamRun | TraceRun] = [*self.stream_runs, *self.trace_runs]

    # ---------------------------------------------------------------------------- run
    def run(self, observer: Callable[[Simulation], None] | None = None) -> RunResult:
        """Simulate until the cluster is terminated, the horizon, or nothing more can happen.

        ``observer``, when given, is called after every event (for invariant checks in tests).
        """
        from emrsim.report.summary import collect

        env = self.env
        self._set_state("STARTING", "")
        self.provisioner.start()
        for fault in self.scenario.faults:
            call_at(env, fault.at, partial(self.losses.fault, fault), NODE_LOSS)
        if self.scenario.horizon is not None:
            call_at(env, self.scenario.horizon, self._horizon, SAMPLE)
        call_at(env, 0.0, self._sample, SAMPLE)
        with _collector_paused():
            try:
                if observer is None:
                    env.run(until=self._stop)
                else:
                    while not self._stop.processed and env.peek() != math.inf:
                        env.step()
                        observer(self)
            finally:
                self.recorder.close()
            return collect(self)

    def _horizon(self) -> None:
        self.recorder.event(self.env.now, "horizon_reached", cluster_state=self.state)
        if not self._stop.triggered:
            self._stop.succeed()

    def _sample(self) -> None:
        now = self.env.now
        row: dict[str, float] = {"time_s": now}
        queue_rows = queue_metrics(self.rm)
        row.update(yarn_metrics(self.rm, queue_rows))
        row.update(self.hdfs.metrics())
        allocated = row["ContainerAllocated"]
        row["ContainerPendingRatio"] = (
            row["ContainerPending"] / allocated if allocated else row["ContainerPending"]
        )
        units = self._unit_metrics.now()
        row.update(units)
        # The same counts as in ``units``, as integers (the metrics have always written them so).
        row["CoreNodesRunning"] = int(units["CoreNodesRunning"])
        row["TaskNodesRunning"] = int(units["TaskNodesRunning"])
        row["IsIdle"] = 1.0 if self._is_idle() else 0.0
        self.recorder.metrics.append(row)
        for queue_row in queue_rows:
            self.recorder.queue_metrics.append({"time_s": now, **queue_row})
        if self._stop.triggered or self.terminated_s is not None:
            return
        if self._nothing_pending():
            # Nothing else can ever happen: work is stuck (e.g. requests no node can serve).
            self.stalled = True
            self.warnings.append(
                f"the simulation stalled at {now:.0f} s: {len(self.rm.apps)} application(s) "
                f"wait for resources that will never come ({self._waiting()}); stopping here"
                if self.rm.apps
                else f"the simulation stalled at {now:.0f} s: nothing more can happen"
            )
            self.recorder.event(now, "stalled", apps_waiting=len(self.rm.apps))
            self._stop.succeed()
            return
        call_at(self.env, METRICS_PERIOD_S, self._sample, SAMPLE)

    def _waiting(self, shown: int = 3) -> str:
        """The first applications still waiting, what each asks for, and the cluster's size."""
        parts = []
        for app in list(self.rm.apps.values())[:shown]:
            request = app.next_request()
            wants = (
                f"a {request[0]} MB / {request[1]} vcore container"
                if request is not None
                else "nothing it can ask for yet"
            )
            parts.append(f"{app.name} in queue {app.queue} waits for {wants}")
        more = len(self.rm.apps) - shown
        if more > 0:
            parts.append(f"{more} more")
        parts.append(f"YARN has {self.rm.cluster_mb} MB / {self.rm.cluster_vcores} vcores")
        return "; ".join(parts)

    def _nothing_pending(self) -> bool:
        """Whether no event is left but background ones (spot hazard timers, scaling
        evaluations), which alone never change the workload: a finished keep-alive cluster, or
        work that can never be placed."""
        if self.env.peek() == math.inf:
            return True
        # SimPy keeps its event queue in Environment._queue (no public size).
        return len(self.env._queue) == self.background.pending

    # ------------------------------------------------------------------------ states
    def _set_state(self, state: str, reason: str) -> None:
        if state != self.state or reason != self.state_reason:
            self.recorder.event(self.env.now, "cluster_state", state=state, reason=reason)
        self.state = state
        self.state_reason = reason

    def _instance_provisioned(self, inst: Instance) -> None:
        self.recorder.event(
            self.env.now,
            "instance_provisioned",
            instance=inst.id,
            role=inst.role.value,
            type=inst.itype.name,
        )
        if inst.market is Market.SPOT:
            self.spot.watch(inst.index, inst.itype.name)
        self._startup_progress()

    def _instance_running(self, inst: Instance) -> None:
        now = self.env.now
        self.recorder.event(
            now,
            "instance_running",
            instance=inst.id,
            role=inst.role.value,
            type=inst.itype.name,
            market=inst.market.value,
        )
        if inst.noticed:
            pass  # reclaimed within two minutes: EMR decommissions it before it takes work
        elif inst.role is not Role.PRIMARY:
            itype = inst.itype
            self.rm.add_node(
                inst, itype.yarn_memory_mb, itype.yarn_vcores, self._am_ok(inst.role, inst.market)
            )
            if inst.role is Role.CORE:
                self.hdfs.namenode.datanode_added(inst.index, inst.storage_gb)
        self._startup_progress()

    def _startup_progress(self) -> None:
        """STARTING -> BOOTSTRAPPING -> ready, as the initial instances come up.

        The cluster is ready when its primary and core targets are met by running instances
        (a spot core group waits for all its instances, emr-facts 2) and every task instance
        fulfilled at launch has bootstrapped; spot task capacity that is still awaiting
        fulfilment joins later.
        """
        if self.ready_s is not None or self.state in ENDING:
            return
        # Instances only move forward (PROVISIONING -> BOOTSTRAPPING -> RUNNING -> TERMINATED),
        # so the scans resume where they last stopped: linear in the instances over the whole
        # startup, not per instance that comes up.
        self._provisioning_from = self._first_waited_for(self._provisioning_from, _PROVISIONING)
        self._starting_from = self._first_waited_for(self._starting_from, _STARTING)
        started = len(self.instances.instances)
        if (
            self.state == "STARTING"
            and self._provisioning_from == started
            and self.provisioner.targets_met(Role.PRIMARY, running=False)
            and self.provisioner.targets_met(Role.CORE, running=False)
        ):
            self._set_state("BOOTSTRAPPING", "")
        if self._starting_from < started:
            return
        if self.provisioner.targets_met(Role.PRIMARY) and self.provisioner.targets_met(Role.CORE):
            self._ready()

    def _first_waited_for(self, start: int, states: tuple[str, ...]) -> int:
        """The index of the first instance from ``start`` that the cluster waits for (not
        terminated; core, primary, or task fulfilled at launch) and that is in ``states``;
        the number of instances when there is none."""
        instances = self.instances.instances
        k = start
        while k < len(instances):
            i = instances[k]
            if i.state in states and (i.role is not Role.TASK or i.request_s == 0.0):
                break
            k += 1
        return k

    def _ready(self) -> None:
        now = self.env.now
        self.ready_s = now
        core = sum(1 for i in self.instances.running(Role.CORE) if not i.noticed)
        self.replication_factor = replication_for(self.scenario.hdfs.replication, core)
        problem = self.hdfs.start(self.replication_factor)
        if problem:
            self.warnings.append(problem)
            self.recorder.event(now, "preload_failed", detail=problem)
        self.autoscaler.start()
        self._ready_integrals = (
            self.rm.allocated_mb_s(now),
            self.rm.total_memory.integral_at(now),
        )
        self.steps.start()
        for source in self.arrivals:
            source.start()
        self._work_changed()

    def _work_changed(self) -> None:
        """Steps, streams or applications changed: update the state, maybe terminate."""
        if self.ready_s is None or self.state in ENDING:
            return
        state = "RUNNING" if self.steps.running else "WAITING"
        if state != self.state or self.state_reason:  # (runs after every job)
            self._set_state(state, "")
        work_left = self.steps.active or self.rm.apps or not all(s.exhausted for s in self.arrivals)
        if not work_left and not self.scenario.cluster.keep_alive:
            self._terminate("ALL_STEPS_COMPLETED", "steps completed", errors=False)
            return
        if self._idle_timeout is not None:
            self._check_idle()

    def _is_idle(self) -> bool:
        """EMR's idle: no active YARN applications and no pending or running steps."""
        return self.ready_s is not None and not self.rm.apps and not self.steps.active

    def _check_idle(self) -> None:
        timeout = self._idle_timeout
        if timeout is None:
            return
        if not self._is_idle():
            self._idle_since = None
            self._idle_token += 1
            return
        if self._idle_since is None:
            self._idle_since = self.env.now
            self._idle_token += 1
            token = self._idle_token
            call_at(self.env, timeout, lambda: self._idle_expired(token))

    def _idle_expired(self, token: int) -> None:
        if token == self._idle_token and self._is_idle():
            self._terminate("IDLE_TIMEOUT", "idle for idle_timeout", errors=False)

    def _terminate(self, code: str, why: str, *, errors: bool) -> None:
        if self.state in ENDING:
            return
        env = self.env
        self._set_state("TERMINATING", code)
        self.recorder.event(env.now, "cluster_terminating", reason=code, detail=why)
        for source in self.arrivals:
            source.stop()
        self.steps.cancel_pending()
        self.steps.interrupt_running(why)
        for app in sorted(self.rm.apps.values(), key=lambda a: a.id):
            self.rm.kill(app, f"cluster terminating: {why}")
        delay = float(
            sample(self.scenario.cluster.startup.terminate, self.streams.stream("boot", 1), 1)[0]
        )
        self.instances.terminate_all(END_CLUSTER, delay)

        def done() -> None:
            self.terminated_s = env.now
            self._set_state("TERMINATED_WITH_ERRORS" if errors else "TERMINATED", code)
            if not self._stop.triggered:
                self._stop.succeed()

        call_at(env, delay, done, SAMPLE)

    # ------------------------------------------------------------------------- work
    def _submit_step(self, index: int, step: StepRun) -> Application:
        spec = self.scenario.workload.steps[index]
        queue = spec.job.queue or spec.queue or "default"
        app = self.jobs.make(
            spec.job,
            ("steps", index),
            spec.job.name or spec.name,
            queue,
            lambda a: self._app_ended(a, step),
        )
        self.apps.append(app)
        self.rm.submit(app)
        return app

    def _submit_stream(self, index: int, k: int) -> None:
        spec = self.scenario.workload.streams[index]
        job = spec.job
        app = self.jobs.make(
            job,
            ("streams", index),
            job.name or f"{spec.name}-{k + 1}",
            job.queue or spec.queue or "default",
            self._job_ended,
        )
        self.apps.append(app)
        self.rm.submit(app)
        if self._idle_timeout is not None:
            self._check_idle()

    def _submit_trace(self, index: int, job: TraceJob) -> None:
        app = self.jobs.make_trace(job, index, self._job_ended)
        self.apps.append(app)
        self.rm.submit(app)
        self._check_idle()

    def _app_ended(self, app: Application, step: StepRun) -> None:
        self.steps.app_ended(step, app)
        self._work_changed()

    def _job_ended(self, app: Application) -> None:
        """A job of a stream or trace (not a step) ended."""
        self._work_changed()

    def _write_output(self, stage: StageRun, node_manager: NodeManager) -> bool:
        """A task of ``stage`` on ``node_manager`` writes its share of the stage's output."""
        node = node_manager.instance
        writer = node.index if node.role is Role.CORE else None
        return self.hdfs.write_output(stage, writer)

    def _read_input(self, stage: StageRun) -> str:
        """A stage is released: choose what it reads (see :mod:`emrsim.hdfs.service`)."""
        self._reads += 1
        return self.hdfs.assign_input(stage, self._reads)

    def _fleet_timeout(self, target: CapacityTarget) -> None:
        self._terminate(
            "INSTANCE_FLEET_TIMEOUT",
            f"spot capacity of {target.name} was not fulfilled within its spot_timeout",
            errors=True,
        )
