"""Comparing two scenarios over replications: B - A for cost, makespan and waits.

By default both scenarios run with the same seeds, and each subsystem draws from its own
stream (:mod:`emrsim.random`), so run ``i`` of A and run ``i`` of B see the same arrivals, job
sizes and boot times (common random numbers). The differences are then paired, and the paired
t-interval of their mean is usually much narrower than the interval of two independent samples
(:func:`independent_comparison`, Welch's t-interval), which is what the same question costs
without common random numbers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from emrsim.report.aggregate import numeric_fields, t_interval

COMPARED = (
    "cost_usd.total",
    "makespan_s",
    "cluster_lifetime_s",
    "jobs.mean_wait_s",
    "jobs.p95_wait_s",
    "jobs.mean_runtime_s",
)
"""The metrics a comparison reports."""

PAIRED = "paired t-interval of B - A (common random numbers)"
WELCH = "Welch t-interval of mean(B) - mean(A) (independent seeds)"


def _columns(runs: Sequence[Mapping[str, Any]]) -> list[dict[str, float]]:
    return [dict(numeric_fields(r)) for r in runs]


def paired_comparison(
    runs_a: Sequence[Mapping[str, Any]], runs_b: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """For each metric: mean of B - A over paired runs, its 95% interval and a verdict."""
    out: dict[str, Any] = {}
    fields_a, fields_b = _columns(runs_a), _columns(runs_b)
    for metric in COMPARED:
        pairs = [
            (fa[metric], fb[metric])
            for fa, fb in zip(fields_a, fields_b, strict=True)
            if metric in fa and metric in fb
        ]
        if not pairs:
            continue
        diffs = [b - a for a, b in pairs]
        mean = float(np.mean(diffs))
        out[metric] = _entry(
            [a for a, _ in pairs],
            [b for _, b in pairs],
            mean,
            t_interval(diffs),
            PAIRED,
        )
    return out


def independent_comparison(
    runs_a: Sequence[Mapping[str, Any]], runs_b: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """For each metric: mean(B) - mean(A) of two independent samples, Welch's 95% interval
    and a verdict (the same fields as :func:`paired_comparison`)."""
    out: dict[str, Any] = {}
    fields_a, fields_b = _columns(runs_a), _columns(runs_b)
    for metric in COMPARED:
        a = [f[metric] for f in fields_a if metric in f]
        b = [f[metric] for f in fields_b if metric in f]
        if not a or not b:
            continue
        mean = float(np.mean(b)) - float(np.mean(a))
        out[metric] = _entry(a, b, mean, welch_interval(a, b), WELCH)
    return out


def welch_interval(
    a: Sequence[float], b: Sequence[float], level: float = 0.95
) -> tuple[float, float] | None:
    """Welch's ``level`` t-interval of mean(b) - mean(a) (None unless both have 2 values)."""
    if len(a) < 2 or len(b) < 2:
        return None
    va = float(np.var(a, ddof=1)) / len(a)
    vb = float(np.var(b, ddof=1)) / len(b)
    diff = float(np.mean(b)) - float(np.mean(a))
    if va + vb == 0:
        return diff, diff
    from scipy import stats  # imported here: scipy.stats takes most of a second to load

    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    half = float(stats.t.ppf(0.5 + level / 2, df)) * math.sqrt(va + vb)
    return diff - half, diff + half


def _entry(
    a: Sequence[float],
    b: Sequence[float],
    mean: float,
    ci: tuple[float, float] | None,
    method: str,
) -> dict[str, Any]:
    return {
        "mean_a": float(np.mean(a)),
        "mean_b": float(np.mean(b)),
        "mean_difference": mean,
        "ci95": list(ci) if ci else None,
        "half_width": (ci[1] - ci[0]) / 2 if ci else None,
        "n": len(b),
        "method": method,
        "verdict": _verdict(mean, ci, float(np.mean(a))),
    }


def _num(x: float) -> str:
    """A number for a verdict: 4 significant digits, whole numbers from 10,000 up."""
    return f"{x:,.0f}" if abs(x) >= 1e4 else f"{x:.4g}"


def _verdict(mean: float, ci: tuple[float, float] | None, mean_a: float) -> str:
    """One line: is B - A distinguishable from zero at 95%, which way, and by how much."""
    if ci is None:
        return f"B - A = {_num(mean)} (one pair: no interval)"
    half = (ci[1] - ci[0]) / 2
    if ci[0] <= 0 <= ci[1]:
        return f"no significant difference (B - A = {_num(mean)} +/- {_num(half)})"
    side = "higher" if mean > 0 else "lower"
    share = f", {mean / abs(mean_a):+.1%} of A" if mean_a != 0 else ""
    return f"B is {side} by {_num(abs(mean))} +/- {_num(half)}{share}"
