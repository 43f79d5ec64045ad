"""Scheduling plain callbacks on the SimPy clock, with named priorities for simultaneous events.

SimPy orders events by (time, priority, insertion id). Model events use the priorities below so
that, at one instant, a node loss is seen before anything else, the scheduler runs once after
every state change of that instant, and samplers read the settled state last.
"""

from __future__ import annotations

from collections.abc import Callable
from heapq import heappush
from typing import Any

import simpy

NODE_LOSS = 0
"""Instances disappearing (faults, interruptions): first at an instant."""
NORMAL = 1
"""Everything else: arrivals, completions, nodes joining. Same as SimPy's own timeouts."""
SCHEDULE = 2
"""The YARN scheduling pass, after every other change at the same instant."""
SAMPLE = 3
"""Metric samplers and bookkeeping that read the settled state."""


def call_at(
    env: simpy.Environment,
    delay: float,
    callback: Callable[[], Any],
    priority: int = NORMAL,
) -> None:
    """Run ``callback()`` ``delay`` seconds from now, ordered by ``priority`` at equal times."""
    # The hot path of every run (one call per model event). Instead of a triggered simpy Event
    # (Event.__init__, a closure, Environment.schedule), a slotted _Due goes straight on SimPy's
    # heap with the same (time, priority, insertion id) key that Environment.schedule would
    # give it, so events run in exactly the same order. Relies on simpy 4's Environment._queue,
    # _now and _eid (Simulation._nothing_pending already relies on _queue).
    queue: list[Any] = env._queue  # holds simpy Events in its annotation; _Due stands in
    heappush(queue, (env._now + delay, priority, next(env._eid), _Due(callback)))


class _Due:
    """What Environment.step needs of an event: ``callbacks`` (each called with the event;
    step sets them to None once run) and ``_ok`` (True: it succeeded, nothing to raise; only
    read, so one class attribute serves every instance)."""

    __slots__ = ("callback", "callbacks")
    _ok = True

    def __init__(self, callback: Callable[[], Any]) -> None:
        self.callback = callback
        self.callbacks = _FIRE


def _fire(due: _Due) -> None:
    due.callback()


_FIRE = (_fire,)
"""The callbacks of every _Due (step sets an event's callbacks to None once run, never
mutates them, so one tuple serves all)."""


class TimeAverage:
    """The time integral of a piecewise-constant quantity, updated when it changes."""

    __slots__ = ("integral", "last_s", "value")

    def __init__(self, now_s: float = 0.0, value: float = 0.0) -> None:
        self.integral = 0.0
        self.last_s = now_s
        self.value = value

    def set(self, now_s: float, value: float) -> None:
        """The quantity becomes ``value`` at ``now_s``."""
        self.integral += self.value * (now_s - self.last_s)
        self.last_s = now_s
        self.value = value

    def add(self, now_s: float, delta: float) -> None:
        """The quantity changes by ``delta`` at ``now_s``."""
        self.set(now_s, self.value + delta)

    def integral_at(self, now_s: float) -> float:
        """The integral from the start up to ``now_s``."""
        return self.integral + self.value * (now_s - self.last_s)


class Background:
    """Timers that never change the workload by themselves (spot hazards, scaling evaluations).

    The simulation stops when nothing but these is left: a finished keep-alive cluster, or
    work that can never be placed, would otherwise run for ever.
    """

    __slots__ = ("env", "pending")

    def __init__(self, env: simpy.Environment) -> None:
        self.env = env
        self.pending = 0

    def call(self, delay: float, callback: Callable[[], Any], priority: int = NORMAL) -> None:
        """Like :func:`call_at`, counted as background until it fires."""
        self.pending += 1

        def fire() -> None:
            self.pending -= 1
            callback()

        call_at(self.env, delay, fire, priority)
