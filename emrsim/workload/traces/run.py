"""Replaying one trace on the clock: each job is submitted at its offset from cluster ready."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import simpy

from emrsim.events import call_at
from emrsim.random import RunStreams
from emrsim.scenario.models import Scenario
from emrsim.scenario.source import Problem, ScenarioError
from emrsim.workload.traces.common import TraceError, TraceJob


class TraceRun:
    """Submits the jobs of one trace in order; ``exhausted`` once the last is submitted (or
    the cluster is terminating). Only the next arrival is on the clock at any time."""

    def __init__(
        self,
        env: simpy.Environment,
        jobs: Sequence[TraceJob],
        submit: Callable[[TraceJob], None],
        on_exhausted: Callable[[], None],
    ) -> None:
        self.env = env
        self.jobs = jobs
        self._submit = submit
        self._on_exhausted = on_exhausted
        self.submitted = 0
        self.exhausted = False
        self._ready_s = 0.0

    def start(self) -> None:
        """The cluster is ready: schedule the first job."""
        self._ready_s = self.env.now
        if not self.jobs:
            self._finish()
            return
        self._schedule()

    def stop(self) -> None:
        """No more submissions (the cluster is terminating)."""
        self.exhausted = True

    def _schedule(self) -> None:
        due = self._ready_s + self.jobs[self.submitted].offset_s
        call_at(self.env, max(0.0, due - self.env.now), self._arrive)

    def _arrive(self) -> None:
        if self.exhausted:
            return
        job = self.jobs[self.submitted]
        self.submitted += 1
        self._submit(job)
        if self.submitted >= len(self.jobs):
            self._finish()
            return
        self._schedule()

    def _finish(self) -> None:
        if not self.exhausted:
            self.exhausted = True
            self._on_exhausted()


def trace_runs(
    env: simpy.Environment,
    scenario: Scenario,
    streams: RunStreams,
    submit: Callable[[int, TraceJob], None],
    on_exhausted: Callable[[], None],
) -> list[TraceRun]:
    """One :class:`TraceRun` per trace of ``scenario``, its jobs built for this run (a ``syn``
    trace draws them from the run's ``arrivals`` and ``durations`` streams keyed by the trace).

    Raises :class:`ScenarioError` if a file cannot be read any more (it was checked when the
    scenario was loaded).
    """
    from emrsim.workload.traces.build import build_jobs, parse

    runs = []
    for i, trace in enumerate(scenario.workload.traces):
        try:
            parsed = parse(trace)
        except TraceError as exc:
            where = ("workload", "traces", i)
            raise ScenarioError(trace.path, [Problem(where, m) for m in exc.messages]) from None
        jobs = build_jobs(
            trace,
            parsed,
            block_size_mb=scenario.hdfs.block_size_mb,
            arrivals_rng=streams.stream("arrivals", TRACES_KEY, i),
            sizes_rng=streams.stream("durations", TRACES_KEY, i),
        )
        runs.append(TraceRun(env, jobs, functools.partial(submit, i), on_exhausted))
    return runs


TRACES_KEY = 2
"""The random streams' key of the traces (steps 0, streams 1), as in :mod:`emrsim.workload.jobs`."""
