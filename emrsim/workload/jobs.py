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
from emrsim.workload.distributions import sample
from emrsim.yarn.apps import Application, StageRun
from emrsim.yarn.sizing import am_request, normalise, stage_request
from emrsim.yarn.spark import ExecutorSpec

DEFAULT_USER = "hadoop"
"""EMR runs steps as the hadoop user."""


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
        kind, index = source
        durations_rng = self._rng("durations", kind, index)
        failures_rng = self._rng("failures", kind, index)
        runs: list[StageRun] = []
        for k, spec in enumerate(job.stages):
            memory_mb, vcores = stage_request(self.scenario, self.types, job, k)
            durations = sample(spec.duration, durations_rng, spec.tasks).tolist()
            run = StageRun(
                k,
                spec.name,
                memory_mb,
                vcores,
                durations,
                spec.task_failure_probability,
                spec.output_gb,
                spec.input_gb,
            )
            if spec.task_failure_probability > 0:
                run.fail_draws = failures_rng.random(spec.tasks * job.max_task_attempts).tolist()
            runs.append(run)
        by_name = {r.name: r for r in runs}
        for k, run in enumerate(runs):
            deps = stage_dependencies(job.stages, k)
            run.deps_left = len(deps)
            for dep in deps:
                by_name[dep].children.append(run)
                run.parents.append(by_name[dep])
            if deps and job.type == "mapreduce":
                run.slow_start = job.reduce_slowstart
            run.pending.extend(range(run.tasks))  # requested once the stage is released
        app_id = next(self._ids)
        return Application(
            app_id,
            name,
            queue,
            job.user or DEFAULT_USER,
            job.type,
            am_request(self.scenario, self.types, job),
            runs,
            job.max_task_attempts,
            f"{kind}.{index}",
            on_end,
            self._executors(job),
        )

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
