"""Timing two workloads against each other on a shared machine.

A ratio of two wall times taken at different moments mixes in whatever else the machine was
doing: on a 2-core box running a test suite beside the benchmark, one side's best time can come
from a quiet spell and the other's from a busy one (seen: 2.25 for a pair whose ratio was 1.7
when both sides ran under the same load). So the two are timed in CPU seconds of this process
(time spent descheduled does not count), after an untimed warm-up of each, in turns whose order
alternates, and compared pair by pair: the median of the per-pair ratios is the figure.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Paired:
    """CPU seconds of two workloads timed in turns (``ours[i]`` beside ``base[i]``)."""

    ours_s: list[float]
    base_s: list[float]

    @property
    def ratio(self) -> float:
        """The median of the per-pair ratios ours / base."""
        return statistics.median(a / b for a, b in zip(self.ours_s, self.base_s, strict=True))

    @property
    def ours_median_s(self) -> float:
        """The median CPU seconds of ours."""
        return statistics.median(self.ours_s)

    @property
    def base_median_s(self) -> float:
        """The median CPU seconds of the base."""
        return statistics.median(self.base_s)


def cpu_s(run: Callable[[], object]) -> float:
    """CPU seconds of one call of ``run``, with the garbage of earlier calls collected first
    (emrsim pauses the cyclic collector during a run, so a finished run's objects are
    collected later: they are not the next run's cost)."""
    gc.collect()
    start = time.process_time()
    run()
    return time.process_time() - start


def paired(ours: Callable[[], object], base: Callable[[], object], pairs: int) -> Paired:
    """Time ``ours`` and ``base`` in ``pairs`` turns, after one untimed call of each."""
    ours()
    base()
    ours_s, base_s = [], []
    for i in range(pairs):
        if i % 2:
            base_s.append(cpu_s(base))
            ours_s.append(cpu_s(ours))
        else:
            ours_s.append(cpu_s(ours))
            base_s.append(cpu_s(base))
    return Paired(ours_s, base_s)
