"""``--target-ci``: add replications until one metric's 95% interval is narrow enough.

A target names a run metric by its dotted path (as in the ``aggregate`` block) and the largest
half-width of its 95% Student-t interval: absolute, in the metric's units
(``cost_usd.total=0.5``), or relative to the mean (``makespan_s=5%``).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from emrsim.scenario.models import Scenario

DEFAULT_MAX_REPLICATIONS = 200
"""The cap on replications when a target is given and no ``--max-replications``."""

SYNTAX = "METRIC=HALF_WIDTH or METRIC=PERCENT% (e.g. makespan_s=5% or cost_usd.total=0.5)"


@dataclass(frozen=True, slots=True)
class TargetCI:
    """The widest acceptable 95% half-width of ``metric``: a fraction of the mean if
    ``relative``, else in the metric's own units."""

    metric: str
    half_width: float
    relative: bool = False

    @classmethod
    def parse(cls, text: str) -> TargetCI:
        """Read ``makespan_s=5%`` or ``cost_usd.total=0.5``; ValueError says what is wrong."""
        metric, sep, value = (part.strip() for part in text.partition("="))
        if not sep or not metric or not value:
            raise ValueError(f"{text!r}: expected {SYNTAX}")
        relative = value.endswith("%")
        number = value[:-1].strip() if relative else value
        try:
            half = float(number)
        except ValueError:
            raise ValueError(f"{text!r}: {value!r} is not a number; expected {SYNTAX}") from None
        if not math.isfinite(half) or half <= 0:
            raise ValueError(f"{text!r}: the half-width must be a number > 0")
        return cls(metric, half / 100.0 if relative else half, relative)

    def __str__(self) -> str:
        if self.relative:
            return f"{self.metric}={self.half_width * 100:g}%"
        return f"{self.metric}={self.half_width:g}"

    def status(self, runs: Sequence[Mapping[str, Any]], max_replications: int) -> TargetStatus:
        """Where the interval of this metric stands over ``runs``."""
        from emrsim.report.aggregate import numeric_fields, t_interval

        values = [
            value for run in runs for path, value in numeric_fields(run) if path == self.metric
        ]
        mean = math.fsum(values) / len(values) if values else None
        ci = t_interval(values)
        half = (ci[1] - ci[0]) / 2 if ci is not None else None
        relative_half: float | None = None
        if half is not None and mean is not None:
            if mean != 0:
                relative_half = half / abs(mean)
            elif half == 0:
                relative_half = 0.0
        if half is None or mean is None:
            reached = False
        elif self.relative:
            reached = half <= self.half_width * abs(mean)
        else:
            reached = half <= self.half_width
        return TargetStatus(self, len(runs), max_replications, mean, half, relative_half, reached)


@dataclass(frozen=True, slots=True)
class TargetStatus:
    """The interval of a target's metric after ``replications`` runs."""

    target: TargetCI
    replications: int
    max_replications: int
    mean: float | None
    half_width: float | None
    relative_half_width: float | None
    reached: bool

    def as_json(self) -> dict[str, Any]:
        """The ``target_ci`` block of the JSON document."""
        return {
            "metric": self.target.metric,
            "target": str(self.target),
            "relative": self.target.relative,
            "target_half_width": self.target.half_width,
            "mean": self.mean,
            "half_width": self.half_width,
            "relative_half_width": self.relative_half_width,
            "replications": self.replications,
            "max_replications": self.max_replications,
            "reached": self.reached,
        }


def describe(block: Mapping[str, Any]) -> str:
    """One line for people from a ``target_ci`` block: the metric, what was asked, and whether
    the interval got that narrow or the cap stopped the replications."""
    relative = block["relative"]
    asked = block["target_half_width"]
    asked_text = f"{asked * 100:g}% of the mean" if relative else f"{asked:g}"
    half, rel = block["half_width"], block["relative_half_width"]
    if half is None:
        now = "no interval"
    elif relative and rel is not None:
        now = f"half-width {rel * 100:.3g}% of the mean"
    else:
        now = f"half-width {half:.4g}"
    if block["reached"]:
        outcome = f"reached after {block['replications']} replications"
    else:
        outcome = f"NOT reached: stopped at the cap of {block['max_replications']} replications"
    return f"target 95% half-width of {block['metric']} <= {asked_text}: {outcome} ({now})"


def metric_paths(scenario: Scenario) -> list[str]:
    """The dotted paths of the numeric run fields ``scenario`` reports, known before any run.

    Built from the summary of a simulation that has not started (fields that may be null, such
    as ``cluster_ready_s``, count as numeric).
    """
    from emrsim.engine import Simulation
    from emrsim.report.summary import collect

    return sorted(_leaves(collect(Simulation(scenario)).summary))


def _leaves(run: Mapping[str, Any], prefix: str = "") -> Iterator[str]:
    from emrsim.report.aggregate import SKIP

    for key, value in run.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from _leaves(value, path + ".")
        elif path not in SKIP and (
            value is None or (isinstance(value, (int, float)) and not isinstance(value, bool))
        ):
            yield path


def check_metric(scenario: Scenario, metric: str) -> None:
    """ValueError, with the closest names, if ``metric`` is not a numeric run field."""
    paths = metric_paths(scenario)
    if metric in paths:
        return
    close = difflib.get_close_matches(metric, paths, n=3, cutoff=0.6)
    hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
    raise ValueError(
        f"unknown metric {metric!r}{hint}; numeric run fields include "
        "makespan_s, cluster_lifetime_s, cost_usd.total, jobs.mean_wait_s, jobs.p95_wait_s"
    )
