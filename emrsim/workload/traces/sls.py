"""Hadoop SLS JSON traces (``--tracetype=SLS``: inputsls.json, sls_dag.json).

The file holds job objects, concatenated (as SLS writes them) or in one JSON array; an object
with ``num.nodes`` (the topology SLS would simulate) is skipped. Field mapping:

- ``job.start.ms`` -> the job's arrival, relative to the first job of the file;
  ``job.end.ms`` is not used (emrsim simulates when the job ends);
- ``job.id`` -> the job's name (``job_<k>`` when absent); ``job.user``; ``job.queue.name``
  (unless the trace gives ``queue``); ``job.count`` -> that many copies of the job;
- ``am.type`` / ``yarn.sls.am.type``: ``mapreduce`` (the default) and ``dag`` are MapReduce
  jobs; ``stream`` is a container job with an AM;
- ``job.tasks``: one task per entry (``count`` copies of it); ``container.type`` ``map`` (the
  default) or ``reduce`` gives its stage (a reduce stage runs after the maps); its duration is
  ``container.end.ms - container.start.ms``, else ``duration.ms``;
- not used: ``container.host`` (emrsim places containers itself), ``container.priority``,
  ``container.execution.type`` (OPPORTUNISTIC containers run as GUARANTEED ones) and the dag
  AM's ``container.request.delay`` (every task is asked for when its stage is released);
- containers: the core type's MapReduce defaults, as for steps (SLS's own default is
  sls-runner.xml's 1024 MB / 1 vcore).
"""

from __future__ import annotations

from typing import Any

from emrsim.workload.traces.common import (
    Parsed,
    QueueUse,
    TraceError,
    TraceJob,
    TraceStage,
    json_objects,
    number,
)

_AM_TYPES = {"mapreduce": "mapreduce", "dag": "mapreduce", "stream": "container"}


def parse(text: str) -> Parsed:
    """Records (start ms, job id, user, queue, job type, count, {stage: durations})."""
    records = []
    queues = []
    k = 0
    for line, obj in json_objects(text):
        if isinstance(obj, dict) and "num.nodes" in obj and "job.tasks" not in obj:
            continue  # topology of the simulated cluster: emrsim has its own
        k += 1
        where = f"job {k} (line {line})"
        try:
            record = _job(obj, k)
        except ValueError as exc:
            raise TraceError([f"{where}: {exc}"]) from None
        records.append(record)
        queues.append(QueueUse(record[3] or "default", f"{where}, {record[1]}"))
    if not records:
        raise TraceError(["the file has no jobs"])
    return Parsed(tuple(records), tuple(queues))


def _job(obj: Any, k: int) -> tuple[Any, ...]:
    if not isinstance(obj, dict):
        raise ValueError(f"expected an SLS job object, got {type(obj).__name__}")
    if "job.tasks" not in obj:
        raise ValueError("no 'job.tasks': not an SLS job")
    start = number(obj.get("job.start.ms", 0), "job.start.ms")
    am = str(obj.get("am.type", obj.get("yarn.sls.am.type", "mapreduce")))
    if am not in _AM_TYPES:
        raise ValueError(f"unknown am.type {am!r}; emrsim reads {', '.join(_AM_TYPES)}")
    count = obj.get("job.count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"job.count must be a whole number >= 1 (got {count!r})")
    tasks = obj["job.tasks"]
    if not isinstance(tasks, list) or not tasks:
        raise ValueError("job.tasks must be a non-empty list")
    stages: dict[str, list[float]] = {}
    for t, task in enumerate(tasks):
        kind, n, duration = _task(task, t)
        stages.setdefault(kind, []).extend([duration] * n)
    ordered = {s: tuple(stages[s]) for s in sorted(stages, key=lambda s: s != "map")}
    queue = obj.get("job.queue.name")
    user = obj.get("job.user")
    return (
        start,
        str(obj.get("job.id", f"job_{k}")),
        str(user) if user else None,
        str(queue) if queue else None,
        _AM_TYPES[am],
        count,
        ordered,
    )


def _task(task: Any, t: int) -> tuple[str, int, float]:
    if not isinstance(task, dict):
        raise ValueError(f"task {t}: expected an object")
    kind = str(task.get("container.type", "map"))
    if kind not in ("map", "reduce"):
        raise ValueError(f"task {t}: container.type must be map or reduce (got {kind!r})")
    n = task.get("count", 1)
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"task {t}: count must be a whole number >= 1 (got {n!r})")
    try:
        if "container.start.ms" in task and "container.end.ms" in task:
            begin = number(task["container.start.ms"], "container.start.ms")
            end = number(task["container.end.ms"], "container.end.ms")
            if end < begin:
                raise ValueError(f"container.end.ms {end:g} is before container.start.ms")
            duration = (end - begin) / 1000.0
        elif "duration.ms" in task:
            duration = number(task["duration.ms"], "duration.ms") / 1000.0
        else:
            raise ValueError("give container.start.ms and container.end.ms, or duration.ms")
    except ValueError as exc:
        raise ValueError(f"task {t}: {exc}") from None
    return kind, n, duration


def jobs(parsed: Parsed, queue: str | None) -> list[TraceJob]:
    """The jobs of a parsed SLS file (offsets in s, not yet shifted to the first job)."""
    out = []
    for start_ms, job_id, user, job_queue, job_type, count, stages in parsed.records:
        built = tuple(TraceStage(name, durations) for name, durations in stages.items())
        for c in range(count):
            name = job_id if count == 1 else f"{job_id}-{c + 1}"
            out.append(
                TraceJob(
                    start_ms / 1000.0,
                    name,
                    queue or job_queue or "default",
                    user,
                    job_type,
                    stages=built,
                )
            )
    return out
