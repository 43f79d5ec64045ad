"""``emrsim plan``: the cheapest grid point that meets every SLA, found with few runs.

Pure parts, no simulation: ``--vary`` grids and the racing search over a
``run(point, replication) -> summary`` callable. The SLAs are read and judged in
:mod:`emrsim.sweep.sla`; the answer is written out by :mod:`emrsim.sweep.plan_output`.

Search (``search``). Every point runs replications ``0..k-1`` of the same seed (common random
numbers, as :func:`emrsim.simulate`), so points are compared pair-wise, run by run.

- exhaustive: every point gets all R replications.
- racing (default): every point first gets ``n0 = min(R, max(3, ceil(R / 4)))`` replications.
  Points are then visited in increasing order of that first estimate of the objective. Once a
  point has all R replications and meets every SLA it is the incumbent (the best so far). A
  later point is pruned, without more runs, when the 95% t-interval of its paired differences
  with the incumbent over the first n0 replications lies entirely above zero (it is surely
  costlier); otherwise it is topped up to R replications and judged exactly as the exhaustive
  search would. Points that are fully evaluated have exactly the exhaustive figures, so the
  answer differs from the exhaustive one only if the true winner was pruned, which needs a
  paired interval to miss (about 2.5% for one point). ``--exhaustive`` gives the grid's exact
  answer. While no point meets the SLAs nothing is pruned, so "no point meets the SLA" and the
  closest point are always exhaustive answers.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import yaml

from emrsim.sweep.grid import split_values
from emrsim.sweep.sla import SLA, metric_value

DEFAULT_OBJECTIVE = "cost_usd.total"
CONFIDENCE = 0.95
"""Level of the paired t-interval that prunes a point in the racing search."""


# ----------------------------------------------------------------------------------- grid
@dataclass(frozen=True, slots=True)
class Vary:
    """One ``--vary key.path=v1,v2``: the key and its values (raw text and YAML-read)."""

    key: str
    raw: tuple[str, ...]
    values: tuple[Any, ...]

    @classmethod
    def parse(cls, text: str) -> Vary:
        """Read ``key.path=v1,v2,...``; commas inside [], {} or quotes do not split."""
        key, sep, rest = text.partition("=")
        key = key.strip()
        if not sep or not key or any(p.strip() == "" for p in key.split(".")):
            raise ValueError(f"{text!r}: expected key.path=v1,v2,...")
        raw = tuple(part.strip() for part in split_values(rest))
        if not raw or any(r == "" for r in raw):
            raise ValueError(f"{text!r}: give one or more values, separated by commas")
        values = []
        for r in raw:
            try:
                values.append(yaml.safe_load(r))
            except yaml.YAMLError as exc:
                what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
                raise ValueError(f"{text!r}: value {r!r} is not valid YAML: {what}") from None
        return cls(key, raw, tuple(values))


def grid(varies: Sequence[Vary]) -> list[dict[str, Any]]:
    """The cartesian product of the ``--vary`` values: one ``{key: raw text}`` per point,
    first ``--vary`` slowest. ValueError for a repeated key or an empty grid."""
    keys = [v.key for v in varies]
    dup = sorted({k for k in keys if keys.count(k) > 1})
    if dup:
        raise ValueError(f"--vary {dup[0]}: given more than once; list all values in one --vary")
    if not varies:
        raise ValueError("give at least one --vary key.path=v1,v2,... (the grid is empty)")
    return [
        dict(zip(keys, combo, strict=True)) for combo in itertools.product(*(v.raw for v in varies))
    ]


def overrides_of(point: Mapping[str, str]) -> list[str]:
    """The ``--set`` strings of one point."""
    return [f"{k}={v}" for k, v in point.items()]


# --------------------------------------------------------------------------------- search
@dataclass
class PointState:
    """What the search knows of one grid point."""

    index: int
    runs: list[Mapping[str, Any]] = field(default_factory=list)
    pruned: bool = False

    def values(self, metric: str) -> list[float]:
        """The metric over this point's runs so far (runs without it are skipped)."""
        out = []
        for run in self.runs:
            value = metric_value(run, metric)
            if value is not None:
                out.append(value)
        return out


@dataclass
class SearchResult:
    """The outcome of :func:`search`: every point's state and the chosen (or closest) one."""

    states: list[PointState]
    replications: int
    initial_replications: int
    exhaustive: bool
    chosen: int | None
    closest: int | None

    @property
    def runs(self) -> int:
        """Simulation runs made in all."""
        return sum(len(s.runs) for s in self.states)


def objective_mean(state: PointState, metric: str) -> float:
    """Mean of the objective over the point's runs (inf if it has none)."""
    values = state.values(metric)
    return float(np.mean(values)) if values else math.inf


def meets(state: PointState, slas: Sequence[SLA]) -> bool:
    """Whether every SLA holds over the point's runs."""
    return all(s.holds(s.figure(state.values(s.metric))) for s in slas)


def shortfall(state: PointState, slas: Sequence[SLA]) -> float:
    """Sum of the relative amounts by which the point misses the SLAs."""
    return sum(s.shortfall(s.figure(state.values(s.metric))) for s in slas)


def initial_replications(replications: int) -> int:
    """Replications every point gets before the racing search compares points."""
    return min(replications, max(3, math.ceil(replications / 4)))


def _surely_worse(
    candidate: PointState, incumbent: PointState, metric: str, n: int, level: float
) -> bool:
    """Whether the paired differences (candidate - incumbent) over the first ``n`` runs have a
    ``level`` t-interval entirely above zero."""
    from emrsim.report.aggregate import t_interval

    diffs = []
    for a, b in zip(candidate.runs[:n], incumbent.runs[:n], strict=False):
        va, vb = metric_value(a, metric), metric_value(b, metric)
        if va is None or vb is None:
            return False
        diffs.append(va - vb)
    ci = t_interval(diffs, level)
    return ci is not None and ci[0] > 0


def search(
    points: int,
    run: Callable[[int, int], Mapping[str, Any]],
    slas: Sequence[SLA],
    objective: str,
    replications: int,
    *,
    exhaustive: bool = False,
    level: float = CONFIDENCE,
) -> SearchResult:
    """Find the point with the smallest mean ``objective`` among those meeting every SLA.

    ``run(point, replication)`` simulates replication ``replication`` of grid point ``point``
    and returns its run summary; it is called for replications 0, 1, ... of each point in
    order. Ties go to the earlier point. See the module docstring for the racing search.
    """
    if points < 1 or replications < 1:
        raise ValueError("search needs at least one point and one replication")
    states = [PointState(i) for i in range(points)]

    def top_up(state: PointState, n: int) -> None:
        while len(state.runs) < n:
            state.runs.append(run(state.index, len(state.runs)))

    n0 = replications if exhaustive else initial_replications(replications)
    for state in states:
        top_up(state, n0)
    order = sorted(states, key=lambda s: (objective_mean(s, objective), s.index))
    incumbent: PointState | None = None
    for state in order:
        if incumbent is not None and _surely_worse(state, incumbent, objective, n0, level):
            state.pruned = True
            continue
        top_up(state, replications)
        if not meets(state, slas) or math.isinf(objective_mean(state, objective)):
            continue
        key = (objective_mean(state, objective), state.index)
        if incumbent is None or key < (objective_mean(incumbent, objective), incumbent.index):
            incumbent = state
    closest = None
    if incumbent is None:
        full = [s for s in states if not s.pruned]
        closest = min(
            full, key=lambda s: (shortfall(s, slas), objective_mean(s, objective), s.index)
        ).index
    return SearchResult(
        states,
        replications,
        n0,
        exhaustive,
        incumbent.index if incumbent is not None else None,
        closest,
    )
