"""SLAs of ``emrsim plan``: parsing ``--sla`` text and judging one grid point's replications.

- ``STAT(metric) OP VALUE``: STAT is mean, min, p50, p90, p95, p99 or max (percentiles by
  numpy's default linear interpolation), OP one of ``<= < >= >``, VALUE a number or, for
  ``*_s`` metrics, a duration with a unit (``90s``, ``15m``, ``4h``, ``1d``).
- ``P(metric OP VALUE) >= PROB``: the fraction of replications meeting the bound is at least
  PROB (``0.9`` or ``90%``; ``>`` also accepted).

Pure code over run summaries, with the intervals the plan's JSON document reports.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

STATS = ("mean", "min", "p50", "p90", "p95", "p99", "max")
"""Statistics an SLA may take over the replications of one point."""

OPS: dict[str, Callable[[float, float], bool]] = {
    "<=": lambda a, b: a <= b,
    "<": lambda a, b: a < b,
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
}
SLA_SYNTAX = (
    "STAT(metric) OP VALUE (STAT: mean, min, p50, p90, p95, p99, max; OP: <=, <, >=, >), "
    'e.g. "p95(makespan_s) <= 4h", or P(metric OP VALUE) >= PROB, e.g. '
    '"P(makespan_s <= 4h) >= 0.9"'
)

_NUMBER = r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?"
_VALUE_RE = re.compile(rf"^\s*({_NUMBER})\s*([smhd]?)\s*$")
_UNIT_S = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_OP = r"(<=|>=|<|>)"
_METRIC = r"([A-Za-z_][A-Za-z0-9_.\-]*)"
_STAT_RE = re.compile(rf"^\s*([A-Za-z0-9]+)\s*\(\s*{_METRIC}\s*\)\s*{_OP}\s*(.+?)\s*$")
_PROB_RE = re.compile(rf"^\s*[Pp]\s*\(\s*{_METRIC}\s*{_OP}\s*([^()]+?)\s*\)\s*{_OP}\s*(.+?)\s*$")


@dataclass(frozen=True, slots=True)
class SLA:
    """One service-level condition over the replications of a point.

    With ``probability`` None: ``stat(metric) op bound``. Otherwise the fraction of runs with
    ``metric op bound`` must be ``>= probability`` (``> probability`` if ``strict``).
    """

    text: str
    metric: str
    stat: str
    op: str
    bound: float
    probability: float | None = None
    strict: bool = False

    @classmethod
    def parse(cls, text: str) -> SLA:
        """Read one ``--sla``; ValueError says what is wrong."""
        match = _PROB_RE.match(text)
        if match:
            metric, op, raw, outer, raw_prob = match.groups()
            if outer not in (">=", ">"):
                raise ValueError(
                    f"{text!r}: a probability SLA needs >= or > before the probability "
                    f"(got {outer})"
                )
            prob = _probability(text, raw_prob)
            return cls(text, metric, "P", op, _bound(text, metric, raw), prob, outer == ">")
        match = _STAT_RE.match(text)
        if not match:
            raise ValueError(f"{text!r}: expected {SLA_SYNTAX}")
        stat, metric, op, raw = match.groups()
        if stat.lower() not in STATS:
            raise ValueError(
                f"{text!r}: unknown statistic {stat!r}; expected one of {', '.join(STATS)} "
                "or P(metric OP VALUE) >= PROB"
            )
        return cls(text, metric, stat.lower(), op, _bound(text, metric, raw))

    def figure(self, values: Sequence[float]) -> float:
        """The statistic this SLA judges, over one point's replications (NaN with none)."""
        arr = np.asarray(values, dtype=float)
        if arr.size == 0:
            return math.nan
        if self.probability is not None:
            return float(np.mean([OPS[self.op](v, self.bound) for v in arr]))
        if self.stat == "mean":
            return float(arr.mean())
        if self.stat == "min":
            return float(arr.min())
        if self.stat == "max":
            return float(arr.max())
        return float(np.percentile(arr, float(self.stat[1:])))

    def holds(self, figure: float) -> bool:
        """Whether ``figure`` (from :meth:`figure`) meets this SLA; NaN never does."""
        if math.isnan(figure):
            return False
        if self.probability is not None:
            return figure > self.probability if self.strict else figure >= self.probability
        return OPS[self.op](figure, self.bound)

    def shortfall(self, figure: float) -> float:
        """How far ``figure`` misses this SLA, relative to the bound (0 if it holds)."""
        if self.holds(figure):
            return 0.0
        if math.isnan(figure):
            return math.inf
        if self.probability is not None:
            return max(self.probability - figure, 0.0) + (1e-9 if self.strict else 0.0)
        scale = abs(self.bound) or 1.0
        gap = figure - self.bound if self.op in ("<=", "<") else self.bound - figure
        return max(gap, 0.0) / scale + 1e-12

    def interval(self, values: Sequence[float]) -> tuple[float | None, float | None] | None:
        """An approximate 95% interval of the figure: Student-t for the mean, Wilson for a
        probability, distribution-free order statistics for percentiles (an end is None
        when too few runs bound it); None for min and max."""
        arr = np.sort(np.asarray(values, dtype=float))
        n = arr.size
        if n < 2:
            return None
        if self.probability is not None:
            return wilson(self.figure(values), n)
        if self.stat == "mean":
            from emrsim.report.aggregate import t_interval

            return t_interval(list(arr))
        if self.stat in ("min", "max"):
            return None
        return quantile_interval(arr, float(self.stat[1:]) / 100.0)


def _bound(text: str, metric: str, raw: str) -> float:
    match = _VALUE_RE.match(raw)
    if not match:
        raise ValueError(
            f"{text!r}: {raw!r} is not a number or a duration such as 90s, 15m, 4h or 1d"
        )
    number, unit = match.groups()
    if unit and not metric.endswith("_s"):
        raise ValueError(
            f"{text!r}: a unit ({unit}) only goes with a duration metric (*_s); {metric} is not one"
        )
    return float(number) * _UNIT_S[unit]


def _probability(text: str, raw: str) -> float:
    percent = raw.endswith("%")
    try:
        value = float(raw[:-1] if percent else raw)
    except ValueError:
        raise ValueError(f"{text!r}: {raw!r} is not a probability (0.9 or 90%)") from None
    if percent:
        value /= 100.0
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{text!r}: the probability must be between 0 and 1 (or 0% and 100%)")
    return value


def wilson(p: float, n: int, z: float = 1.959964) -> tuple[float, float]:
    """The Wilson score interval of a proportion ``p`` seen in ``n`` trials."""
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def quantile_interval(
    ordered: np.ndarray[Any, Any], q: float, level: float = 0.95
) -> tuple[float | None, float | None]:
    """A distribution-free interval of the ``q`` quantile from sorted values: order
    statistics whose ranks come from Binomial(n, q); an end is None when n is too small."""
    from scipy import stats

    n = ordered.size
    alpha = 1.0 - level
    lo = int(stats.binom.ppf(alpha / 2, n, q))  # rank (1-based) of the lower end
    hi = int(stats.binom.ppf(1 - alpha / 2, n, q)) + 1
    lower = float(ordered[lo - 1]) if lo >= 1 else None
    upper = float(ordered[hi - 1]) if hi <= n else None
    return lower, upper


def metric_value(run: Mapping[str, Any], path: str) -> float | None:
    """The number at dotted ``path`` of one run summary (None if absent or not a number)."""
    node: Any = run
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    if isinstance(node, bool) or not isinstance(node, (int, float)):
        return None
    return float(node)


def iter_sla_metrics(slas: Sequence[SLA], objective: str) -> Iterator[str]:
    """Every metric the plan reads, objective first, without repeats."""
    seen: set[str] = set()
    for metric in [objective, *(s.metric for s in slas)]:
        if metric not in seen:
            seen.add(metric)
            yield metric
