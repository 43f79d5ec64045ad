"""Paired comparison of two scenarios run with the same seeds (common random numbers)."""

from __future__ import annotations

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


def paired_comparison(
    runs_a: Sequence[Mapping[str, Any]], runs_b: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """For each metric: mean of B - A over paired runs, its 95% interval and a verdict."""
    out: dict[str, Any] = {}
    fields_a = [dict(numeric_fields(r)) for r in runs_a]
    fields_b = [dict(numeric_fields(r)) for r in runs_b]
    for metric in COMPARED:
        diffs = [
            fb[metric] - fa[metric]
            for fa, fb in zip(fields_a, fields_b, strict=True)
            if metric in fa and metric in fb
        ]
        if not diffs:
            continue
        mean = float(np.mean(diffs))
        ci = t_interval(diffs)
        out[metric] = {
            "mean_difference": mean,
            "ci95": list(ci) if ci else None,
            "verdict": _verdict(metric, mean, ci),
        }
    return out


def _verdict(metric: str, mean: float, ci: tuple[float, float] | None) -> str:
    if ci is None:
        return f"B - A = {mean:.4g} (one pair: no interval)"
    half = (ci[1] - ci[0]) / 2
    if ci[0] <= 0 <= ci[1]:
        return f"no significant difference (B - A = {mean:.4g} +/- {half:.2g})"
    side = "higher" if mean > 0 else "lower"
    return f"B is {side} by {abs(mean):.4g} +/- {half:.2g}"
