"""The Hadoop SLS synthetic generator's JSON (``--tracetype=SYNTH``: syn.json and its newer
``tasks`` form), drawn with the run's random streams.

The file describes ``num_jobs`` jobs; each picks a workload (``workload_weight``), a submit
time in a ``time_distribution`` bucket (one bucket by ``weight``, then a whole second drawn
uniformly up to the next bucket's ``time``; times in s) and a job class (``class_weight``).
A class's tasks are either the flat keys (``mtasks_*``/``rtasks_*`` counts, ``mtime_*``/
``rtime_*`` durations in seconds as SLS's documentation says, ``map_``/``reduce_max_memory_*``
MB and ``_max_vcores_*``) or a ``tasks`` list (``type``, ``count``, ``time`` in ms as SLS runs
it, ``max_memory``, ``max_vcores``, each ``{val, std}``, ``{val}`` or ``{discrete, weights}``).
``avg``/``stddev`` (``val``/``std``) are the mean and standard deviation of a log-normal
(``dist: NORM``: a normal, cut at 0), as SLS's SynthUtils; counts and sizes are rounded; a
container gets at least 1024 MB and 1 vcore (SynthJob's minimums). Memory and vcores are drawn
once per job and task type, counts once per job, durations once per task.

Field mapping: the workload's ``queue_name`` (unless the trace gives ``queue``), the class's
``user_name``; class ``type`` ``mapreduce`` -> a MapReduce job (its reduce tasks after its
maps), any other type (e.g. ``stream``) -> a container job with an AM whose task types all
start at once. A task type drawn with no tasks is left out; a job drawn with no task at all
is not submitted. Not used: ``rand_seed`` (the scenario's seed drives every draw: random
streams ``arrivals`` and ``durations`` keyed by the trace), ``num_nodes``/``nodes_per_rack``,
the job ``duration``/``dur_*``, deadlines and reservations (emrsim has no reservation system),
priorities and execution types.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from emrsim.workload.traces.common import (
    ContainerUse,
    Parsed,
    QueueUse,
    TraceError,
    TraceJob,
    TraceStage,
    json_objects,
    number,
)

MIN_MEMORY_MB = 1024
"""SynthJob.MIN_MEMORY: the smallest container the generator asks for."""


@dataclass(frozen=True, slots=True)
class Sample:
    """A value SLS draws: constant (std None), log-normal or normal, or discrete."""

    val: float = 0.0
    std: float | None = None
    normal: bool = False
    discrete: tuple[float, ...] = ()
    weights: tuple[float, ...] = ()

    @property
    def mean(self) -> float:
        """The mean value (for the checks)."""
        if self.discrete:
            w = np.asarray(self.weights)
            return float(np.dot(self.discrete, w / w.sum()))
        return self.val

    def draw(self, rng: np.random.Generator, n: int | None = None) -> np.ndarray:
        """``n`` draws (one when n is None)."""
        size = 1 if n is None else n
        if self.discrete:
            w = np.asarray(self.weights)
            return rng.choice(np.asarray(self.discrete), size, p=w / w.sum())
        if not self.std or self.val <= 0:
            return np.full(size, max(self.val, 0.0))
        if self.normal:
            return np.maximum(rng.normal(self.val, self.std, size), 0.0)
        sigma2 = math.log1p((self.std / self.val) ** 2)
        return rng.lognormal(math.log(self.val) - sigma2 / 2, math.sqrt(sigma2), size)


@dataclass(frozen=True, slots=True)
class TaskDef:
    """One task type of a job class."""

    type: str
    count: Sample
    time_s: Sample
    memory_mb: Sample
    vcores: Sample


@dataclass(frozen=True, slots=True)
class JobClass:
    """A job class: its weight, user, type and task types."""

    name: str
    weight: float
    user: str | None
    job_type: str
    tasks: tuple[TaskDef, ...]


@dataclass(frozen=True, slots=True)
class Workload:
    """A workload: weight, queue, job classes and the time buckets of its submissions."""

    name: str
    weight: float
    queue: str | None
    classes: tuple[JobClass, ...]
    times_s: tuple[int, ...]
    time_weights: tuple[float, ...]


def parse(text: str) -> Parsed:
    """The generator spec: records = (num_jobs, workloads)."""
    values = list(json_objects(text))
    if len(values) != 1 or not isinstance(values[0][1], dict):
        raise TraceError(["expected one JSON object (an SLS synthetic generator spec)"])
    spec = values[0][1]
    try:
        num_jobs = spec.get("num_jobs")
        if isinstance(num_jobs, bool) or not isinstance(num_jobs, int) or num_jobs < 0:
            raise ValueError(f"num_jobs must be a whole number >= 0 (got {num_jobs!r})")
        raw = spec.get("workloads")
        if not isinstance(raw, list) or not raw:
            raise ValueError("workloads must be a non-empty list")
        workloads = tuple(_workload(w, k) for k, w in enumerate(raw))
        _weights([w.weight for w in workloads], "workload_weight of the workloads")
    except ValueError as exc:
        raise TraceError([str(exc)]) from None
    queues = tuple(
        QueueUse(w.queue or "default", f"workloads[{k}] ({w.name})")
        for k, w in enumerate(workloads)
    )
    containers = tuple(
        ContainerUse(
            max(round(t.memory_mb.mean), MIN_MEMORY_MB),
            max(round(t.vcores.mean), 1),
            f"workloads[{k}] ({w.name}) class {c.name} {t.type} tasks",
        )
        for k, w in enumerate(workloads)
        for c in w.classes
        for t in c.tasks
    )
    return Parsed(((num_jobs, workloads),), queues, containers)


def _workload(raw: Any, k: int) -> Workload:
    where = f"workloads[{k}]"
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: expected an object")
    name = str(raw.get("workload_name", k))
    where = f"{where} ({name})"
    try:
        classes_raw = raw.get("job_classes")
        if not isinstance(classes_raw, list) or not classes_raw:
            raise ValueError("job_classes must be a non-empty list")
        classes = tuple(_class(c, j) for j, c in enumerate(classes_raw))
        _weights([c.weight for c in classes], "class_weight of the job classes")
        buckets = raw.get("time_distribution")
        if not isinstance(buckets, list) or not buckets:
            raise ValueError("time_distribution must be a non-empty list")
        times, weights = [], []
        for b, bucket in enumerate(buckets):
            if not isinstance(bucket, dict):
                raise ValueError(f"time_distribution[{b}]: expected an object")
            t = number(bucket.get("time"), f"time_distribution[{b}].time")
            times.append(int(t))
            weights.append(number(bucket.get("weight", 0), f"time_distribution[{b}].weight"))
        if any(b < a for a, b in itertools.pairwise(times)):
            raise ValueError("time_distribution times must not decrease")
        _weights(weights, "weights of time_distribution")
        weight = number(raw.get("workload_weight", 1), "workload_weight")
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None
    queue = raw.get("queue_name")
    return Workload(
        name, weight, str(queue) if queue else None, classes, tuple(times), tuple(weights)
    )


def _class(raw: Any, j: int) -> JobClass:
    if not isinstance(raw, dict):
        raise ValueError(f"job_classes[{j}]: expected an object")
    name = str(raw.get("class_name", f"class_{j}"))
    try:
        weight = number(raw.get("class_weight", 1), "class_weight")
        job_type = str(raw.get("type", "mapreduce"))
        if raw.get("tasks") is not None:
            if not isinstance(raw["tasks"], list) or not raw["tasks"]:
                raise ValueError("tasks must be a non-empty list")
            tasks = tuple(_task(t, i) for i, t in enumerate(raw["tasks"]))
        else:
            tasks = tuple(_flat_task(raw, kind) for kind in ("map", "reduce"))
    except ValueError as exc:
        raise ValueError(f"job_classes[{j}] ({name}): {exc}") from None
    user = raw.get("user_name")
    return JobClass(name, weight, str(user) if user else None, job_type, tasks)


def _flat_task(raw: dict[str, Any], kind: str) -> TaskDef:
    """The old flat keys of one task type (times in seconds)."""
    short = kind[0]

    def pair(avg: str, std: str, default: float | None = None) -> Sample:
        if avg not in raw and default is not None:
            return Sample(default)
        return Sample(number(raw.get(avg), avg), number(raw.get(std, 0), std))

    return TaskDef(
        kind,
        pair(f"{short}tasks_avg", f"{short}tasks_stddev"),
        pair(f"{short}time_avg", f"{short}time_stddev"),
        pair(f"{kind}_max_memory_avg", f"{kind}_max_memory_stddev", MIN_MEMORY_MB),
        pair(f"{kind}_max_vcores_avg", f"{kind}_max_vcores_stddev", 1),
    )


def _task(raw: Any, i: int) -> TaskDef:
    """One entry of the newer ``tasks`` list (time in ms)."""
    if not isinstance(raw, dict):
        raise ValueError(f"tasks[{i}]: expected an object")
    try:
        kind = str(raw.get("type", "map"))
        time_ms = _sample(raw.get("time"), "time")
        time_s = Sample(
            time_ms.val / 1000.0,
            None if time_ms.std is None else time_ms.std / 1000.0,
            time_ms.normal,
            tuple(v / 1000.0 for v in time_ms.discrete),
            time_ms.weights,
        )
        return TaskDef(
            kind,
            _sample(raw.get("count"), "count"),
            time_s,
            _sample(raw.get("max_memory", {"val": MIN_MEMORY_MB}), "max_memory"),
            _sample(raw.get("max_vcores", {"val": 1}), "max_vcores"),
        )
    except ValueError as exc:
        raise ValueError(f"tasks[{i}]: {exc}") from None


def _sample(raw: Any, what: str) -> Sample:
    if not isinstance(raw, dict):
        raise ValueError(f"{what} must be {{val, std}}, {{val}} or {{discrete, weights}}")
    if raw.get("discrete") is not None:
        values = raw["discrete"]
        if not isinstance(values, list) or not values:
            raise ValueError(f"{what}.discrete must be a non-empty list")
        discrete = tuple(number(_float(v), f"{what}.discrete") for v in values)
        weights = raw.get("weights") or [1.0] * len(discrete)
        if not isinstance(weights, list) or len(weights) != len(discrete):
            raise ValueError(f"{what}.weights must list one weight per discrete value")
        w = tuple(number(x, f"{what}.weights") for x in weights)
        _weights(list(w), f"{what}.weights")
        return Sample(discrete=discrete, weights=w)
    val = number(raw.get("val"), f"{what}.val")
    std = raw.get("std")
    dist = str(raw.get("dist", "LOGNORM")).upper()
    if dist not in ("LOGNORM", "NORM"):
        raise ValueError(f"{what}.dist must be LOGNORM or NORM (got {dist!r})")
    return Sample(val, None if std is None else number(std, f"{what}.std"), dist == "NORM")


def _float(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def _weights(weights: list[float], what: str) -> None:
    if any(w < 0 for w in weights) or sum(weights) <= 0:
        raise ValueError(f"the {what} must be >= 0 and not all 0")


def _pick(rng: np.random.Generator, weights: tuple[float, ...] | list[float]) -> int:
    w = np.asarray(weights, dtype=float)
    return int(rng.choice(len(w), p=w / w.sum()))


def jobs(
    parsed: Parsed,
    queue: str | None,
    arrivals: np.random.Generator,
    sizes: np.random.Generator,
) -> list[TraceJob]:
    """Draw the jobs of a spec (offsets in s, not yet shifted to the first job)."""
    num_jobs, workloads = parsed.records[0]
    picks = []
    for _ in range(num_jobs):
        w = workloads[_pick(arrivals, [x.weight for x in workloads])]
        b = _pick(arrivals, w.time_weights)
        begin = w.times_s[b]
        end = w.times_s[min(b + 1, len(w.times_s) - 1)]
        submit = begin + (int(arrivals.integers(end - begin)) if end > begin else 0)
        cls = w.classes[_pick(arrivals, [c.weight for c in w.classes])]
        picks.append((submit, w, cls))
    picks.sort(key=lambda p: p[0])  # SLS keeps its jobs in submission order
    out = []
    for k, (submit, w, cls) in enumerate(picks):
        drawn = []
        for t in cls.tasks:
            n = max(round(float(t.count.draw(sizes)[0])), 0)
            memory = max(round(float(t.memory_mb.draw(sizes)[0])), MIN_MEMORY_MB)
            vcores = max(round(float(t.vcores.draw(sizes)[0])), 1)
            durations = tuple(float(d) for d in t.time_s.draw(sizes, n)) if n else ()
            drawn.append((t.type, durations, memory, vcores))
        stages = _stages(drawn, cls.job_type == "mapreduce")
        if not stages:
            continue
        out.append(
            TraceJob(
                float(submit),
                f"{cls.name}_{k + 1:06d}",
                queue or w.queue or "default",
                cls.user,
                "mapreduce" if cls.job_type == "mapreduce" else "container",
                stages=tuple(stages),
            )
        )
    return out


def _stages(
    drawn: list[tuple[str, tuple[float, ...], int, int]], mapreduce: bool
) -> list[TraceStage]:
    """Stages of the task types drawn with tasks, named uniquely (``map``, ``map-2``...). In a
    MapReduce job the other types wait for every map type; otherwise all start at once."""
    named = []
    seen: dict[str, int] = {}
    for kind, durations, memory, vcores in drawn:
        if not durations:
            continue
        seen[kind] = seen.get(kind, 0) + 1
        name = kind if seen[kind] == 1 else f"{kind}-{seen[kind]}"
        named.append((kind, name, durations, memory, vcores))
    maps = tuple(name for kind, name, *_ in named if kind == "map")
    out = []
    for kind, name, durations, memory, vcores in sorted(named, key=lambda s: s[0] != "map"):
        depends = maps if mapreduce and kind != "map" else ()
        out.append(TraceStage(name, durations, memory, vcores, depends_on=depends))
    return out
