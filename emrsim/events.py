"""Scheduling plain callbacks on the SimPy clock, with named priorities for simultaneous events.

SimPy orders events by (time, priority, insertion id). Model events use the priorities below so
that, at one instant, a node loss is seen before anything else, the scheduler runs once after
every state change of that instant, and samplers read the settled state last.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from heapq import heappop, heappush
from types import FunctionType, MethodType
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
    # (Event.__init__, a closure, Environment.schedule), the callback itself goes straight on
    # SimPy's heap with the same (time, priority, insertion id) key that Environment.schedule
    # would give an event, so events run in exactly the same order; :func:`run_until` and
    # :func:`step` call it. Relies on simpy 4's Environment._queue, _now and _eid.
    queue: list[Any] = env._queue  # holds simpy Events in its annotation; callbacks too
    heappush(queue, (env._now + delay, priority, next(env._eid), callback))


_CALLBACKS: frozenset[Any] = frozenset({FunctionType, MethodType, partial})
"""The types of what :func:`call_at` puts on the heap (anything else callable works too, a
little slower); simpy Events are the rest."""


def run_until(env: simpy.Environment, stop: simpy.Event) -> None:
    """Process events until ``stop`` has been processed, like ``env.run(until=stop)`` (which
    cannot run the plain callbacks of :func:`call_at`); RuntimeError if none is left first."""
    if stop.callbacks is None:
        return
    queue: list[Any] = env._queue
    callbacks = _CALLBACKS
    event: Any
    while queue:
        env._now, _, _, event = heappop(queue)
        if event.__class__ in callbacks:
            event()
        else:
            _process(event)
            if event is stop:
                return
    raise RuntimeError(f'No scheduled events left but "until" event was not triggered: {stop}')


def step(env: simpy.Environment) -> None:
    """Process the next event, like ``env.step()`` (IndexError when there is none)."""
    queue: list[Any] = env._queue
    event: Any
    env._now, _, _, event = heappop(queue)
    if event.__class__ in _CALLBACKS:
        event()
    else:
        _process(event)


def _process(event: Any) -> None:
    """What ``Environment.step`` does with one popped entry that is not a known callback type:
    a simpy Event's callbacks (raising its failure if it failed), or a plain callable."""
    if not isinstance(event, simpy.Event):
        event()
        return
    callbacks = event.callbacks
    event.callbacks = None  # type: ignore[assignment]  # as simpy marks it processed
    for callback in callbacks or ():
        callback(event)
    if not event._ok and not hasattr(event, "_defused"):
        exc = type(event._value)(*event._value.args)
        exc.__cause__ = event._value
        raise exc


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
