"""Open streams of jobs: the first arrives at ``start`` plus one inter-arrival time after the
cluster is ready, then one every inter-arrival time, until ``count`` jobs or time ``until``
(both measured from cluster ready)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np
import simpy

from emrsim.events import call_at
from emrsim.scenario.models import Stream
from emrsim.workload.distributions import Sampler


class StreamRun:
    """Generates the arrivals of one stream."""

    def __init__(
        self,
        env: simpy.Environment,
        spec: Stream,
        rng: np.random.Generator,
        submit: Callable[[int], None],
        on_exhausted: Callable[[], None],
    ) -> None:
        self.env = env
        self.spec = spec
        self.interarrival = Sampler(spec.interarrival, rng)
        self._submit = submit
        self._on_exhausted = on_exhausted
        self.submitted = 0
        self.exhausted = False
        self._ready_s = 0.0

    def start(self) -> None:
        """The cluster is ready: schedule the first arrival."""
        self._ready_s = self.env.now
        if self.spec.count == 0:
            self._finish()
            return
        self._schedule(self.spec.start)

    def stop(self) -> None:
        """No more arrivals (the cluster is terminating)."""
        self.exhausted = True

    def _schedule(self, offset_s: float) -> None:
        due = offset_s + self.interarrival.next()
        until = self.spec.until
        if until is not None and due > until:
            self._finish()
            return
        call_at(self.env, self._ready_s + due - self.env._now, partial(self._arrive, due))

    def _arrive(self, offset_s: float) -> None:
        if self.exhausted:
            return
        self._submit(self.submitted)
        self.submitted += 1
        if self.spec.count is not None and self.submitted >= self.spec.count:
            self._finish()
            return
        self._schedule(offset_s)

    def _finish(self) -> None:
        if not self.exhausted:
            self.exhausted = True
            self._on_exhausted()
