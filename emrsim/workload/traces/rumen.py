"""Hadoop Rumen job histories (LoggedJob JSON, as Hadoop's SLS takes with ``--tracetype=RUMEN``).

The file holds LoggedJob objects, concatenated (as Rumen writes them) or in one JSON array.
Field mapping:

- ``submitTime`` (epoch ms) -> the job's arrival, relative to the first job of the file;
- ``jobID`` -> the job's name; ``user``; ``queue`` (unless the trace gives ``queue``);
- ``mapTasks`` / ``reduceTasks`` -> a ``map`` stage and a ``reduce`` stage after it (a job
  with no reduce tasks is map-only); each task's duration is its successful attempt's
  ``finishTime - startTime`` (the last attempt's when none succeeded; the task's own times
  when no attempt has both). Failed and speculative attempts are not replayed.
- containers: the core type's MapReduce defaults, as for steps (the history's
  ``mapreduce.map.memory.mb`` belongs to the cluster that ran it). Hosts, counters, CPU and
  memory usage are not used.
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


def parse(text: str) -> Parsed:
    """Records (submit ms, job id, user, queue, map durations, reduce durations)."""
    records = []
    queues = []
    for k, (line, obj) in enumerate(json_objects(text), start=1):
        where = f"job {k} (line {line})"
        try:
            record = _job(obj)
        except ValueError as exc:
            raise TraceError([f"{where}: {exc}"]) from None
        records.append(record)
        queues.append(QueueUse(record[3] or "default", f"{where}, {record[1]}"))
    if not records:
        raise TraceError(["the file has no jobs"])
    return Parsed(tuple(records), tuple(queues))


def _job(
    obj: Any,
) -> tuple[float, str, str | None, str | None, tuple[float, ...], tuple[float, ...]]:
    if not isinstance(obj, dict):
        raise ValueError(f"expected a Rumen LoggedJob object, got {type(obj).__name__}")
    for key in ("jobID", "submitTime", "mapTasks"):
        if key not in obj:
            raise ValueError(f"no {key!r}: not a Rumen LoggedJob")
    job_id = str(obj["jobID"])
    submit = number(obj["submitTime"], "submitTime")
    maps = _durations(obj.get("mapTasks") or [], "map")
    reduces = _durations(obj.get("reduceTasks") or [], "reduce")
    if not maps and not reduces:
        raise ValueError(f"{job_id} has no map or reduce tasks")
    user = obj.get("user")
    queue = obj.get("queue")
    return (
        submit,
        job_id,
        str(user) if user else None,
        str(queue) if queue else None,
        maps,
        reduces,
    )


def _durations(tasks: Any, kind: str) -> tuple[float, ...]:
    if not isinstance(tasks, list):
        raise ValueError(f"{kind}Tasks must be a list")
    out = []
    for t, task in enumerate(tasks):
        if not isinstance(task, dict):
            raise ValueError(f"{kind} task {t}: expected an object")
        out.append(_task_duration(task, f"{kind} task {t} ({task.get('taskID', '?')})"))
    return tuple(out)


def _task_duration(task: dict[str, Any], what: str) -> float:
    attempts = [
        a
        for a in task.get("attempts") or []
        if isinstance(a, dict) and _valid(a.get("startTime"), a.get("finishTime"))
    ]
    chosen = next((a for a in attempts if a.get("result") == "SUCCESS"), None)
    if chosen is None and attempts:
        chosen = attempts[-1]
    source = chosen if chosen is not None else task
    start, finish = source.get("startTime"), source.get("finishTime")
    if not _valid(start, finish):
        raise ValueError(f"{what}: no attempt with a start and a finish time")
    assert isinstance(start, (int, float)) and isinstance(finish, (int, float))
    if finish < start:
        raise ValueError(f"{what}: finishTime {finish} is before startTime {start}")
    return (finish - start) / 1000.0


def _valid(start: Any, finish: Any) -> bool:
    ok = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (start, finish))
    return ok and start >= 0 and finish >= 0


def jobs(parsed: Parsed, queue: str | None) -> list[TraceJob]:
    """The jobs of a parsed history (offsets in s, not yet shifted to the first job)."""
    out = []
    for submit_ms, job_id, user, job_queue, maps, reduces in parsed.records:
        stages = []
        if maps:
            stages.append(TraceStage("map", maps))
        if reduces:
            stages.append(TraceStage("reduce", reduces))
        out.append(
            TraceJob(
                submit_ms / 1000.0,
                job_id,
                queue or job_queue or "default",
                user,
                stages=tuple(stages),
            )
        )
    return out
