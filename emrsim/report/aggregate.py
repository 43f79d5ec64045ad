"""Statistics over replications: mean, 95% t-interval, p50 and p95 of every numeric field."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

SKIP = frozenset({"seed", "replication"})
"""Top-level run fields that identify a run rather than measure it."""


def numeric_fields(run: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, float]]:
    """Every numeric leaf of a run summary, by dotted path (lists and booleans are skipped)."""
    for key, value in run.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from numeric_fields(value, path + ".")
        elif isinstance(value, (int, float)) and not isinstance(value, bool) and path not in SKIP:
            yield path, float(value)


def t_interval(values: Sequence[float], level: float = 0.95) -> tuple[float, float] | None:
    """The ``level`` Student-t confidence interval of the mean (None with fewer than 2 values)."""
    n = len(values)
    if n < 2:
        return None
    from scipy import stats  # imported here: scipy.stats takes most of a second to load

    arr = np.asarray(values, dtype=float)
    mean = float(arr.mean())
    sem = float(arr.std(ddof=1)) / math.sqrt(n)
    half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * sem
    return mean - half, mean + half


def describe(values: Sequence[float]) -> dict[str, Any]:
    """mean, ci95 (null for one replication), p50 and p95 of a sample."""
    arr = np.asarray(values, dtype=float)
    ci = t_interval(values)
    return {
        "mean": float(arr.mean()),
        "ci95": list(ci) if ci is not None else None,
        "p50": float(np.percentile(arr, 50)),
        "p95": float(np.percentile(arr, 95)),
        "n": len(values),
    }


def aggregate(runs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The aggregate block: one entry per numeric run field, by dotted path."""
    columns: dict[str, list[float]] = {}
    for run in runs:
        for path, value in numeric_fields(run):
            columns.setdefault(path, []).append(value)
    return {path: describe(values) for path, values in columns.items()}
