"""One simulation: build the parts from a scenario, wire them, run, collect a :class:`RunResult`.

The run lifecycle is fixed (build, run, finalise, collect). This module also holds the EMR
control plane of the cluster: its state machine (STARTING -> BOOTSTRAPPING -> RUNNING/WAITING ->
TERMINATING -> TERMINATED or TERMINATED_WITH_ERRORS, emr-facts 7), when it terminates
(KeepJobFlowAliveWhenNoSteps, idle auto-termination, step failure, primary loss) and the
injected faults.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from pathlib import Path

import simpy

from emrsim.events import NODE_LOSS, SAMPLE, call_at
from emrsim.hdfs.blocks import DEAD_NODE_TIMEOUT_S, BlockMap
from emrsim.hdfs.capacity import node_storage_gb, replication_for
from emrsim.nodes.cluster import END_CLUSTER, END_FAULT, Fleet, GroupSpec, Instance
from emrsim.nodes.resolve import resolve_instance_types
from emrsim.pricing.prices import rates_for
from emrsim.random import RunStreams
from emrsim.recorder import Recorder
from emrsim.result import RunResult
from emrsim.scenario.checks import group_name
from emrsim.scenario.models import Fault, Scenario
from emrsim.scenario.values import Market, Role
from emrsim.workload.distributions import sample
from emrsim.workload.jobs import JobFactory
from emrsim.workload.steps import StepRun, StepRunner
from emrsim.workload.streams import StreamRun
from emrsim.yarn.apps import Application, StageRun
from emrsim.yarn.nodes import NodeManager
from emrsim.yarn.queues import build_queues, leaf_names
from emrsim.yarn.rm import ResourceManager
from emrsim.yarn.sizing import am_node_filter

ENDING = frozenset({"TERMINATING", "TERMINATED", "TERMINATED_WITH_ERRORS"})
"""Cluster states after termination was requested."""

METRICS_PERIOD_S = 60.0
"""metrics.csv has one row per simulated minute (EMR's 1-minute CloudWatch resolution)."""


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
        self._hdfs_max_pct = 0.0

        self.groups = self._group_specs()
        core = next(g for g in self.groups if g.role is Role.CORE)
        self.replication_factor = replication_for(s.hdfs.replication, core.count)
        self.hdfs = BlockMap(
            self.replication_factor, s.hdfs.block_size_mb, self.streams.stream("placement")
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
        self.read_gb = 0.0
        self._am_ok = am_node_filter(s)
        self.fleet = Fleet(
            env,
            self.streams.stream("boot"),
            s.cluster.startup.provision,
            s.cluster.startup.bootstrap,
            self._instance_running,
            self._instance_lost,
            self._instance_provisioned,
        )
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
        self._initial = 0
        self._provisioned = 0
        self._bootstrapped = 0
        if any(g.market is Market.SPOT and g.count for g in self.groups):
            self.warnings.append(
                "spot interruptions are not modelled in this version: spot instances are "
                "billed at spot prices and run uninterrupted"
            )

    # -------------------------------------------------------------------------- build
    def _group_specs(self) -> list[GroupSpec]:
        s = self.scenario
        specs = []
        for i, g in enumerate(s.cluster.instance_groups or []):
            itype = self.types[g.instance_type]
            storage = node_storage_gb(s, g.instance_type, g.ebs_gb) if g.role is Role.CORE else 0
            specs.append(
                GroupSpec(
                    group_name(s, i),
                    g.role,
                    g.market,
                    itype,
                    g.count,
                    rates_for(s, itype, g.market, g.ebs_gb),
                    storage,
                )
            )
        return specs

    # ---------------------------------------------------------------------------- run
    def run(self, observer: Callable[[Simulation], None] | None = None) -> RunResult:
        """Simulate until the cluster is terminated, the horizon, or nothing more can happen.

        ``observer``, when given, is called after every event (for invariant checks in tests).
        """
        from emrsim.report.summary import collect

        env = self.env
        self._set_state("STARTING", "")
        for group in self.groups:
            self._initial += group.count
            self.fleet.launch(group, group.count)
        for fault in self.scenario.faults:
            call_at(env, fault.at, partial(self._fault, fault), NODE_LOSS)
        if self.scenario.horizon is not None:
            call_at(env, self.scenario.horizon, self._horizon, SAMPLE)
        call_at(env, 0.0, self._sample, SAMPLE)
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
        row.update(self.rm.snapshot())
        row["HDFSUtilization"] = self.hdfs.utilization_pct()
        row["MissingBlocks"] = self.hdfs.missing_blocks()
        row["UnderReplicatedBlocks"] = self.hdfs.under_replicated()
        row["CoreNodesRunning"] = len(self.fleet.running(Role.CORE))
        row["TaskNodesRunning"] = len(self.fleet.running(Role.TASK))
        row["IsIdle"] = 1.0 if self._is_idle() else 0.0
        self.recorder.metrics.append(row)
        for queue_row in self.rm.queue_snapshot():
            self.recorder.queue_metrics.append({"time_s": now, **queue_row})
        if self._stop.triggered or self.terminated_s is not None:
            return
        if self.env.peek() == math.inf:
            # Nothing else can ever happen: work is stuck (e.g. requests no node can serve).
            self.stalled = True
            self.warnings.append(
                f"the simulation stalled at {now:.0f} s: {len(self.rm.apps)} application(s) "
                "wait for resources that will never come; stopping here"
                if self.rm.apps
                else f"the simulation stalled at {now:.0f} s: nothing more can happen"
            )
            self.recorder.event(now, "stalled", apps_waiting=len(self.rm.apps))
            self._stop.succeed()
            return
        call_at(self.env, METRICS_PERIOD_S, self._sample, SAMPLE)

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
        if self.ready_s is None:
            self._provisioned += 1
            if self._provisioned == self._initial and self.state == "STARTING":
                self._set_state("BOOTSTRAPPING", "")

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
        if inst.role is not Role.PRIMARY:
            itype = inst.itype
            self.rm.add_node(
                inst, itype.yarn_memory_mb, itype.yarn_vcores, self._am_ok(inst.role, inst.market)
            )
        if inst.role is Role.CORE:
            self.hdfs.add_datanode(inst.index, inst.storage_gb)
        if self.ready_s is None:
            self._bootstrapped += 1
            if self._bootstrapped == self._initial:
                self._ready()

    def _ready(self) -> None:
        now = self.env.now
        self.ready_s = now
        self._ready_integrals = (
            self.rm.allocated_memory.integral_at(now),
            self.rm.total_memory.integral_at(now),
        )
        if self.scenario.hdfs.preload_gb > 0:
            self.hdfs.write(self.scenario.hdfs.preload_gb)
            self._track_hdfs()
        self.steps.start()
        for stream in self.stream_runs:
            stream.start()
        self._work_changed()

    def _work_changed(self) -> None:
        """Steps, streams or applications changed: update the state, maybe terminate."""
        if self.ready_s is None or self.state in ENDING:
            return
        self._set_state("RUNNING" if self.steps.running else "WAITING", "")
        work_left = (
            self.steps.active or self.rm.apps or not all(s.exhausted for s in self.stream_runs)
        )
        if not work_left and not self.scenario.cluster.keep_alive:
            self._terminate("ALL_STEPS_COMPLETED", "steps completed", errors=False)
            return
        self._check_idle()

    def _is_idle(self) -> bool:
        """EMR's idle: no active YARN applications and no pending or running steps."""
        return self.ready_s is not None and not self.rm.apps and not self.steps.active

    def _check_idle(self) -> None:
        timeout = self.scenario.cluster.idle_timeout
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
        for stream in self.stream_runs:
            stream.stop()
        self.steps.cancel_pending()
        self.steps.interrupt_running(why)
        for app in sorted(self.rm.apps.values(), key=lambda a: a.id):
            self.rm.kill(app, f"cluster terminating: {why}")
        delay = float(
            sample(self.scenario.cluster.startup.terminate, self.streams.stream("boot", 1), 1)[0]
        )
        self.fleet.terminate_all(END_CLUSTER, delay)

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
        queue = spec.job.queue or spec.queue or "default"
        name = spec.job.name or f"{spec.name}-{k + 1}"
        app = self.jobs.make(
            spec.job, ("streams", index), name, queue, lambda a: self._app_ended(a, None)
        )
        self.apps.append(app)
        self.rm.submit(app)
        self._check_idle()

    def _app_ended(self, app: Application, step: StepRun | None) -> None:
        if step is not None:
            self.steps.app_ended(step, app)
        self._work_changed()

    def _write_output(self, stage: StageRun, node_manager: NodeManager) -> bool:
        """A task of ``stage`` on ``node_manager`` writes its share of the stage's output."""
        node = node_manager.instance
        writer = node.index if node.role is Role.CORE else None
        ok = self.hdfs.write(stage.output_gb_per_task, writer)
        self._track_hdfs()
        return ok

    def _read_input(self, stage: StageRun) -> str:
        """A stage starts reading ``input_gb`` from HDFS: '' if the data is there, else why not.

        The model treats HDFS data as one pool: the input must not exceed what HDFS holds and
        can still read (preloaded or written by earlier stages, less lost blocks).
        """
        stored = self.hdfs.stored_gb()
        if stage.input_gb > stored + 1e-9:
            return f"input of {stage.input_gb:g} GB is not in HDFS ({stored:.1f} GB readable)"
        self.read_gb += stage.input_gb
        return ""

    def _track_hdfs(self) -> None:
        self._hdfs_max_pct = max(self._hdfs_max_pct, self.hdfs.utilization_pct())

    # ------------------------------------------------------------------------ losses
    def _fault(self, fault: Fault) -> None:
        if self.state in ENDING:
            return
        names = {g.name for g in self.groups}
        candidates = [
            i
            for i in self.fleet.running(fault.role)
            if fault.group is None or (i.group == fault.group and fault.group in names)
        ]
        count = min(fault.count, len(candidates))
        if count < fault.count:
            self.warnings.append(
                f"fault at {fault.at:.0f} s asked for {fault.count} running {fault.role.value} "
                f"instances; {len(candidates)} were running"
            )
        rng = self.streams.stream("faults", self.scenario.faults.index(fault))
        picks = sorted(rng.choice(len(candidates), size=count, replace=False).tolist())
        for k in picks:
            inst = candidates[k]
            self.recorder.event(self.env.now, "fault", instance=inst.id, role=inst.role.value)
            self.fleet.terminate(inst, END_FAULT)

    def _instance_lost(self, inst: Instance) -> None:
        now = self.env.now
        self.recorder.event(
            now, "instance_lost", instance=inst.id, role=inst.role.value, reason=inst.end_reason
        )
        if inst.role is Role.PRIMARY:
            self._terminate("INSTANCE_FAILURE", f"primary instance {inst.id} lost", errors=True)
            return
        self.rm.remove_node(inst)
        if inst.role is Role.CORE:
            lost = self.hdfs.node_lost(inst.index)
            self._track_hdfs()
            if lost:
                self.recorder.event(now, "blocks_lost", instance=inst.id, blocks=lost)
            call_at(self.env, DEAD_NODE_TIMEOUT_S, self._datanode_dead)

    def _datanode_dead(self) -> None:
        self.hdfs.rereplicate()
        self._track_hdfs()
