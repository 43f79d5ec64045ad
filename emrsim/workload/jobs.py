"""Turning a job of the scenario into a YARN application, its random draws made up front.

Task durations (and task-failure draws) come from streams keyed by the workload source, drawn
when the job is submitted: the same seed gives the same jobs with the same sizes whatever
cluster they run on (common random numbers). A Spark job also gets its executor request
(:class:`emrsim.yarn.spark.ExecutorSpec`): container size, task slots, fixed or dynamic count.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping

import numpy as np

from emrsim.nodes.catalogue import InstanceType
from emrsim.random import RunStreams
from emrsim.scenario.models import Job, Scenario, stage_dependencies
from emrsim.scenario.values import Constant, Exponential
from emrsim.workload.distributions import Dist, ExponentialDraws, sample
from emrsim.workload.traces.common import TraceJob
from emrsim.yarn.apps import Application, StageRun, link_stages
from emrsim.yarn.sizing import am_request, core_type, normalise, stage_request
from emrsim.yarn.spark import ExecutorSpec

DEFAULT_USER = "hadoop"
"""EMR runs steps as the hadoop user."""

TRACE_SLOWSTART: float = Job.model_fields["reduce_slowstart"].default
"""A trace job's mapreduce.job.reduce.slowstart.completedmaps: a job's default (0.05)."""
TRACE_MAX_ATTEMPTS: int = Job.model_fields["max_task_attempts"].default
"""A trace job's maximum attempts per task: a job's default (4)."""


class JobFactory:
    """Builds applications for jobs, numbering them in submission order."""

    def __init__(
        self, scenario: Scenario, types: Mapping[str, InstanceType], streams: RunStreams
    ) -> None:
        self.scenario = scenario
        self.types = types
        self.streams = streams
        self._ids = itertools.count(1)
        self._rngs: dict[tuple[str, str, int], np.random.Generator] = {}
        self._defaults: tuple[tuple[int, int], tuple[int, int], tuple[int, int]] | None = None
        self._plans: dict[tuple[int, str, int], _JobPlan] = {}

    def _rng(self, subsystem: str, kind: str, index: int) -> np.random.Generator:
        key = (subsystem, kind, index)
        if key not in self._rngs:
            kind_key = {"steps": 0, "streams": 1, "traces": 2}[kind]
            self._rngs[key] = self.streams.stream(subsystem, kind_key, index)
        return self._rngs[key]

    def make(
        self,
        job: Job,
        source: tuple[str, int],
        name: str,
        queue: str,
        on_end: Callable[[Application], None] | None,
    ) -> Application:
        """A new application for ``job`` from workload ``source`` (kind, index)."""
        plan = self._plan(job, source)
        exponentials = plan.exponentials
        runs: list[StageRun] = []
        for k, stage in enumerate(plan.stages):
            stage_name, memory_mb, vcores, tasks, dist, mean, fail_p, output_gb, input_gb = stage
            if mean is not None and exponentials is not None:
                durations = exponentials.take(mean, tasks)
            else:
                durations = sample(dist, plan.durations_rng, tasks).tolist()
            run = StageRun(k, stage_name, memory_mb, vcores, durations, fail_p, output_gb, input_gb)
            if fail_p > 0:
                run.fail_draws = plan.failures_rng.random(tasks * job.max_task_attempts).tolist()
            runs.append(run)
        if plan.linked:
            link_stages(runs, plan.parents, plan.slow_start)
        return Application(
            next(self._ids),
            name,
            queue,
            plan.user,
            job.type,
            plan.am,
            runs,
            job.max_task_attempts,
            plan.source,
            on_end,
            plan.executors,
        )

    def _plan(self, job: Job, source: tuple[str, int]) -> _JobPlan:
        """What every application of ``job`` from ``source`` shares, worked out once: a stream
        submits the same job spec thousands of times."""
        kind, index = source
        key = (id(job), kind, index)
        plan = self._plans.get(key)
        if plan is None or plan.job is not job:
            by_name = {spec.name: k for k, spec in enumerate(job.stages)}
            durations_rng = self._rng("durations", kind, index)
            # A stream's durations generator serves only its one job spec: when every stage
            # draws exponential (or constant) durations, they can come from blocks of draws.
            blocks = kind == "streams" and all(
                isinstance(spec.duration, Exponential | Constant) for spec in job.stages
            )
            stages = []
            for k, spec in enumerate(job.stages):
                memory_mb, vcores = stage_request(self.scenario, self.types, job, k)
                dist = spec.duration
                stages.append(
                    (
                        spec.name,
                        memory_mb,
                        vcores,
                        spec.tasks,
                        dist,
                        dist.mean if isinstance(dist, Exponential) else None,
                        spec.task_failure_probability,
                        spec.output_gb,
                        spec.input_gb,
                    )
                )
            plan = _JobPlan(
                job,
                durations_rng,
                self._rng("failures", kind, index),
                stages,
                [
                    [by_name[dep] for dep in stage_dependencies(job.stages, k)]
                    for k in range(len(job.stages))
                ],
                job.reduce_slowstart if job.type == "mapreduce" else None,
                job.user or DEFAULT_USER,
                am_request(self.scenario, self.types, job),
                f"{kind}.{index}",
                self._executors(job),
                ExponentialDraws(durations_rng) if blocks else None,
            )
            self._plans[key] = plan
        return plan

    def make_trace(
        self, job: TraceJob, index: int, on_end: Callable[[Application], None] | None
    ) -> Application:
        """A new application for a job of trace ``index``: its recorded (or derived) task
        durations, the core type's MapReduce container defaults where the trace gives none."""
        if job.spec is not None:
            return self.make(job.spec, ("traces", index), job.name, job.queue, on_end)
        defaults = self._trace_defaults()
        runs = []
        for k, stage in enumerate(job.stages):
            if stage.memory_mb is not None:
                memory_mb, vcores = normalise(stage.memory_mb, stage.vcores or 1, self.scenario)
            else:
                reduce = stage.name.lower().startswith("reduce")
                memory_mb, vcores = defaults[1] if reduce else defaults[0]
            runs.append(
                StageRun(
                    k,
                    stage.name,
                    memory_mb,
                    vcores,
                    list(stage.durations),
                    0.0,
                    stage.output_gb,
                    stage.input_gb,
                )
            )
        deps = [
            list(s.depends_on)
            if s.depends_on is not None
            else ([job.stages[k - 1].name] if k else [])
            for k, s in enumerate(job.stages)
        ]
        _wire(runs, deps, job.job_type, TRACE_SLOWSTART)
        return Application(
            next(self._ids),
            job.name,
            job.queue,
            job.user or DEFAULT_USER,
            job.job_type,
            defaults[2],
            runs,
            TRACE_MAX_ATTEMPTS,
            f"traces.{index}",
            on_end,
            None,
        )

    def _trace_defaults(self) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
        """(map, reduce, AM) container sizes of the core type, computed once."""
        if self._defaults is None:
            core = core_type(self.scenario, self.types)
            self._defaults = (
                normalise(core.map_memory_mb, 1, self.scenario),
                normalise(core.reduce_memory_mb, 1, self.scenario),
                normalise(core.am_memory_mb, 1, self.scenario),
            )
        return self._defaults

    def _executors(self, job: Job) -> ExecutorSpec | None:
        """The executors of a Spark job (None for other jobs)."""
        spec = job.executors
        if job.type != "spark" or spec is None:
            return None
        memory_mb, vcores = normalise(spec.memory_mb, spec.vcores, self.scenario)
        dynamic = spec.dynamic
        if dynamic is None:
            count = spec.count or 1
            return ExecutorSpec(memory_mb, vcores, spec.vcores, count, count, count, count)
        return ExecutorSpec(
            memory_mb,
            vcores,
            spec.vcores,
            None,
            dynamic.min,
            dynamic.max,
            dynamic.initial if dynamic.initial is not None else dynamic.min,
            dynamic.idle_timeout,
            dynamic.scheduler_backlog_timeout,
            dynamic.sustained_scheduler_backlog_timeout,
        )


def _wire(
    runs: list[StageRun],
    deps: list[list[str]],
    job: Job | str,
    slowstart: float | None = None,
) -> None:
    """Link each stage to the stages it waits for; a mapreduce job's dependent stages start
    early (MapReduce slow-start). Every task is pending, requested once its stage is released."""
    job_type = job if isinstance(job, str) else job.type
    if slowstart is None:
        assert isinstance(job, Job)
        slowstart = job.reduce_slowstart
    by_name = {r.name: k for k, r in enumerate(runs)}
    parents = [[by_name[dep] for dep in names] for names in deps]
    link_stages(runs, parents, slowstart if job_type == "mapreduce" else None)


_StagePlan = tuple[str, int, int, int, Dist, float | None, float, float, float]
"""What every run of one stage shares: name, container (memory_mb, vcores), tasks, duration
distribution, its mean when exponential (else None), task failure probability, output_gb and
input_gb."""


class _JobPlan:
    """The per-spec part of :meth:`JobFactory.make`: random streams, stages with their
    container sizes, stage links, AM and executor requests (all fixed for a job spec and its
    source)."""

    __slots__ = (
        "am",
        "durations_rng",
        "executors",
        "exponentials",
        "failures_rng",
        "job",
        "linked",
        "parents",
        "slow_start",
        "source",
        "stages",
        "user",
    )

    def __init__(
        self,
        job: Job,
        durations_rng: np.random.Generator,
        failures_rng: np.random.Generator,
        stages: list[_StagePlan],
        parents: list[list[int]],
        slow_start: float | None,
        user: str,
        am: tuple[int, int] | None,
        source: str,
        executors: ExecutorSpec | None,
        exponentials: ExponentialDraws | None = None,
    ) -> None:
        self.job = job  # kept so that id(job) in the cache key cannot be reused
        self.durations_rng = durations_rng
        self.failures_rng = failures_rng
        self.stages = stages
        self.parents = parents
        self.linked = any(parents)  # some stage waits for another
        self.slow_start = slow_start
        self.user = user
        self.am = am
        self.source = source
        self.executors = executors
        self.exponentials = exponentials  # the durations, when all exponential or constant
