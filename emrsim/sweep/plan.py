"""``emrsim plan``: the cheapest grid point that meets every SLA, found with few runs.

Pure parts, no simulation: SLA parsing and evaluation, ``--vary`` grids, the racing search
over a ``run(point, replication) -> summary`` callable, and the outputs (a scenario snippet and
``aws emr create-cluster`` instance JSON).

SLAs (all must hold), over the replications of one grid point:

- ``STAT(metric) OP VALUE``: STAT is mean, min, p50, p90, p95, p99 or max (percentiles by
  numpy's default linear interpolation), OP one of ``<= < >= >``, VALUE a number or, for
  ``*_s`` metrics, a duration with a unit (``90s``, ``15m``, ``4h``, ``1d``).
- ``P(metric OP VALUE) >= PROB``: the fraction of replications meeting the bound is at least
  PROB (``0.9`` or ``90%``; ``>`` also accepted).

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
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import yaml

from emrsim.sweep.grid import split_values

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
DEFAULT_OBJECTIVE = "cost_usd.total"
CONFIDENCE = 0.95
"""Level of the paired t-interval that prunes a point in the racing search."""

_NUMBER = r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?"
_VALUE_RE = re.compile(rf"^\s*({_NUMBER})\s*([smhd]?)\s*$")
_UNIT_S = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_OP = r"(<=|>=|<|>)"
_METRIC = r"([A-Za-z_][A-Za-z0-9_.\-]*)"
_STAT_RE = re.compile(rf"^\s*([A-Za-z0-9]+)\s*\(\s*{_METRIC}\s*\)\s*{_OP}\s*(.+?)\s*$")
_PROB_RE = re.compile(rf"^\s*[Pp]\s*\(\s*{_METRIC}\s*{_OP}\s*([^()]+?)\s*\)\s*{_OP}\s*(.+?)\s*$")


# ----------------------------------------------------------------------------------- SLAs
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


# ------------------------------------------------------------------------------ documents
def point_json(
    state: PointState, point: Mapping[str, Any], slas: Sequence[SLA], objective: str
) -> dict[str, Any]:
    """One evaluated point for the JSON document."""
    from emrsim.report.aggregate import t_interval

    obj = state.values(objective)
    ci = t_interval(obj)
    sla_rows = []
    for s in slas:
        values = state.values(s.metric)
        fig = s.figure(values)
        interval = s.interval(values)
        sla_rows.append(
            {
                "sla": s.text,
                "metric": s.metric,
                "statistic": s.stat,
                "value": None if math.isnan(fig) else fig,
                "ci95": list(interval) if interval is not None else None,
                "pass": s.holds(fig),
            }
        )
    return {
        "index": state.index,
        "overrides": dict(point),
        "replications": len(state.runs),
        "status": "pruned" if state.pruned else "evaluated",
        "objective": {
            "metric": objective,
            "mean": float(np.mean(obj)) if obj else None,
            "ci95": list(ci) if ci is not None else None,
        },
        "sla": sla_rows,
        "meets_sla": all(r["pass"] for r in sla_rows),
    }


def yaml_values(point: Mapping[str, str]) -> dict[str, Any]:
    """A point's overrides with their values read as YAML."""
    return {k: yaml.safe_load(v) for k, v in point.items()}


# ------------------------------------------------------------------------------- outputs
_ROLE_API = {"primary": "MASTER", "core": "CORE", "task": "TASK"}
_MARKET_API = {"on_demand": "ON_DEMAND", "spot": "SPOT"}


def scenario_snippet(config: Mapping[str, Any], keys: Sequence[str]) -> dict[str, Any]:
    """The part of a resolved scenario (``Scenario.model_dump(mode="json")``) to paste:
    ``cluster.instance_groups`` or ``cluster.instance_fleets`` in full, plus the values of
    varied keys elsewhere in ``cluster`` and whole top-level sections varied outside it."""
    cluster = config.get("cluster") or {}
    nodes = "instance_groups" if cluster.get("instance_groups") is not None else "instance_fleets"
    out_cluster: dict[str, Any] = {nodes: _drop_none(cluster.get(nodes))}
    snippet: dict[str, Any] = {}
    for key in keys:
        parts = key.split(".")
        if parts[0] == "cluster" and len(parts) > 1:
            if parts[1] not in ("instance_groups", "instance_fleets") and parts[1] in cluster:
                out_cluster[parts[1]] = _drop_none(cluster[parts[1]])
        elif parts[0] in config:
            snippet[parts[0]] = _drop_none(config[parts[0]])
    return {"cluster": out_cluster, **snippet}


def _drop_none(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value


def snippet_yaml(snippet: Mapping[str, Any]) -> str:
    """The snippet as block YAML with one flow mapping per instance group."""

    class Dumper(yaml.SafeDumper):
        pass

    def represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> Any:
        return dumper.represent_sequence("tag:yaml.org,2002:seq", data)

    Dumper.add_representer(list, represent_list)
    return yaml.dump(dict(snippet), Dumper=Dumper, sort_keys=False, default_flow_style=None)


def _ebs(size_gb: float | None) -> dict[str, Any] | None:
    if size_gb is None or size_gb <= 0:
        return None
    return {
        "EbsBlockDeviceConfigs": [
            {
                "VolumeSpecification": {"VolumeType": "gp3", "SizeInGB": math.ceil(size_gb)},
                "VolumesPerInstance": 1,
            }
        ]
    }


def create_cluster_instances(cluster: Mapping[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """The ``aws emr create-cluster`` option and its JSON for the cluster section of a
    resolved scenario: ``--instance-groups`` (InstanceGroupConfig objects; groups with count 0
    other than the primary are left out) or ``--instance-fleets`` (InstanceFleetConfig)."""
    if cluster.get("instance_groups") is not None:
        groups = []
        for g in cluster["instance_groups"]:
            role = str(g["role"])
            if g["count"] == 0 and role != "primary":
                continue
            item: dict[str, Any] = {
                "Name": g.get("name") or f"{role.capitalize()}",
                "InstanceRole": _ROLE_API[role],
                "InstanceType": g["instance_type"],
                "InstanceCount": g["count"],
                "Market": _MARKET_API[str(g.get("market") or "on_demand")],
            }
            ebs = _ebs(g.get("ebs_gb"))
            if ebs is not None:
                item["EbsConfiguration"] = ebs
            groups.append(item)
        return "--instance-groups", groups
    fleets = []
    for f in cluster.get("instance_fleets") or []:
        role = str(f["role"])
        types = []
        for t in f["instance_types"]:
            tc: dict[str, Any] = {
                "InstanceType": t["instance_type"],
                "WeightedCapacity": t.get("weighted_capacity", 1),
            }
            if t.get("priority") is not None:
                tc["Priority"] = float(t["priority"])
            ebs = _ebs(t.get("ebs_gb"))
            if ebs is not None:
                tc["EbsConfiguration"] = ebs
            types.append(tc)
        fleet: dict[str, Any] = {
            "Name": f.get("name") or f"{role.capitalize()}",
            "InstanceFleetType": _ROLE_API[role],
            "TargetOnDemandCapacity": f.get("target_on_demand_capacity", 0),
            "TargetSpotCapacity": f.get("target_spot_capacity", 0),
            "InstanceTypeConfigs": types,
        }
        launch = _launch_specifications(f)
        if launch:
            fleet["LaunchSpecifications"] = launch
        fleets.append(fleet)
    return "--instance-fleets", fleets


def _launch_specifications(fleet: Mapping[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    if fleet.get("target_spot_capacity", 0) > 0:
        spot: dict[str, Any] = {"AllocationStrategy": fleet.get("spot_allocation_strategy")}
        timeout = fleet.get("spot_timeout")
        if timeout:
            spot["TimeoutDurationMinutes"] = round(float(timeout["duration"]) / 60)
            spot["TimeoutAction"] = str(timeout["action"]).upper()
        spec["SpotSpecification"] = spot
    if fleet.get("target_on_demand_capacity", 0) > 0:
        strategy = fleet.get("on_demand_allocation_strategy") or "lowest-price"
        spec["OnDemandSpecification"] = {"AllocationStrategy": strategy}
    return spec


def iter_sla_metrics(slas: Sequence[SLA], objective: str) -> Iterator[str]:
    """Every metric the plan reads, objective first, without repeats."""
    seen: set[str] = set()
    for metric in [objective, *(s.metric for s in slas)]:
        if metric not in seen:
            seen.add(metric)
            yield metric
