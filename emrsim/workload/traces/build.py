"""Reading a scenario's traces: parse each file once (cached), check it against the scenario,
and build the jobs of one simulation.

When: the files are read and checked when the scenario is loaded (so ``emrsim validate``
reports a malformed row, a missing file or an unknown queue with exit status 2, before any
run), and the jobs are built when a simulation is built: they depend on the cluster (block
size, the core type's container defaults) and, for ``syn``, on the run's random streams. A
parsed file is cached by path, size and modification time, so replications and the build after
the check do not read it again.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path as FsPath

import numpy as np

from emrsim.scenario.models import TRACE_OPTIONS, Trace
from emrsim.scenario.source import Path, Problem
from emrsim.workload.traces import arrivals, rumen, sls, swim, syn
from emrsim.workload.traces.common import (
    PACKAGE_PREFIX,
    Parsed,
    QueueUse,
    TraceError,
    TraceJob,
    read_text,
    resolve,
)

FORMAT_OPTIONS = TRACE_OPTIONS
NO_SUCH_FILE = "no such file"


def parse(trace: Trace) -> Parsed:
    """The parsed file of ``trace`` (a :class:`TraceError` when it cannot be read)."""
    path = resolve(trace.path)
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise TraceError([NO_SUCH_FILE]) from None
    except OSError as exc:
        raise TraceError([f"cannot read the file: {exc}"]) from None
    options: tuple[object, ...] = ()
    if trace.format == "arrivals_csv":
        options = (trace.column, trace.unit, trace.drop_zero)
    return _parse(str(path), stat.st_mtime_ns, stat.st_size, trace.format, options)


@functools.lru_cache(maxsize=32)
def _parse(path: str, _mtime_ns: int, _size: int, fmt: str, options: tuple[object, ...]) -> Parsed:
    text = read_text(FsPath(path))
    if fmt == "swim":
        return swim.parse(text)
    if fmt == "rumen":
        return rumen.parse(text)
    if fmt == "sls":
        return sls.parse(text)
    if fmt == "syn":
        return syn.parse(text)
    column, unit, drop_zero = options
    assert isinstance(column, (str, int)) and isinstance(unit, str)
    return arrivals.parse(text, column, unit, bool(drop_zero))


def default_name(trace: Trace) -> str:
    """The trace's ``name``, else its file's name without extension."""
    if trace.name:
        return trace.name
    stem = FsPath(trace.path.removeprefix(PACKAGE_PREFIX))
    return stem.stem or "trace"


# ----------------------------------------------------------------------------- build
def build_jobs(
    trace: Trace,
    parsed: Parsed,
    *,
    block_size_mb: int,
    arrivals_rng: np.random.Generator | None = None,
    sizes_rng: np.random.Generator | None = None,
) -> list[TraceJob]:
    """The jobs of one trace in submission order, with ``limit``, ``start`` and
    ``time_scale`` applied: offsets are seconds from cluster ready."""
    if trace.format == "swim":
        jobs = swim.jobs(parsed, trace, trace.queue or "default", block_size_mb)
    elif trace.format == "rumen":
        jobs = rumen.jobs(parsed, trace.queue)
    elif trace.format == "sls":
        jobs = sls.jobs(parsed, trace.queue)
    elif trace.format == "syn":
        assert arrivals_rng is not None and sizes_rng is not None
        jobs = syn.jobs(parsed, trace.queue, arrivals_rng, sizes_rng)
    else:
        assert trace.job is not None
        queue = trace.job.queue or trace.queue or "default"
        jobs = arrivals.jobs(parsed, trace, default_name(trace), queue)
    if trace.limit is not None:
        jobs = jobs[: trace.limit]
    if not jobs:
        return []
    first = min(j.offset_s for j in jobs)
    shifted = [
        replace(j, offset_s=trace.start + trace.time_scale * (j.offset_s - first)) for j in jobs
    ]
    return sorted(shifted, key=lambda j: j.offset_s)  # stable: ties keep the file's order


# ---------------------------------------------------------------------------- checks
def trace_problems(
    trace: Trace, index: int, queue_names: list[str], preload_gb: float
) -> Iterator[Problem]:
    """What is wrong with trace ``index``: options of another format, the file (missing,
    malformed rows), queues the scenario does not have."""
    where: Path = ("workload", "traces", index)
    wrong = False
    for key in sorted(trace.model_fields_set):
        owner = next((f for f, keys in TRACE_OPTIONS.items() if key in keys), None)
        if owner is not None and owner != trace.format:
            wrong = True
            takes = sorted(TRACE_OPTIONS[trace.format])
            yield Problem(
                (*where, key),
                f"is an option of {owner} traces, not of {trace.format} ones"
                + (f" (a {trace.format} trace takes {', '.join(takes)})" if takes else ""),
            )
    if trace.format == "arrivals_csv" and trace.job is None:
        wrong = True
        yield Problem(where, "an arrivals_csv trace needs job: the job each arrival submits")
    if wrong:
        return
    try:
        parsed = parse(trace)
    except TraceError as exc:
        for message in exc.messages:
            if message == NO_SUCH_FILE and trace.path.startswith(PACKAGE_PREFIX):
                message += f" (looked for {resolve(trace.path)})"
            yield Problem(where, f"{shown(trace.path)}: {message}")
        return
    if trace.queue is not None:
        if trace.queue not in queue_names:
            yield Problem((*where, "queue"), _unknown_queue(trace.queue, queue_names))
    elif trace.format != "arrivals_csv":  # its job's queue is checked with the other jobs
        uses = parsed.queues or (QueueUse("default", "no queue given"),)
        missing = [q for q in uses if q.queue not in queue_names]
        if missing:
            first = missing[0]
            names = sorted({q.queue for q in missing} - {first.queue})
            yield Problem(
                where,
                f"{shown(trace.path)}: {first.where}: unknown queue {first.queue!r}"
                + (f" (and {', '.join(repr(n) for n in names)})" if names else "")
                + f"; give workload.traces.{index}.queue or add the queue; "
                + _leaves(queue_names),
            )
    if trace.format == "swim" and trace.hdfs:
        largest, which = swim.max_input_gb(parsed, trace)
        if largest > preload_gb + 1e-9:
            yield Problem(
                (*where, "hdfs"),
                f"with hdfs: true each job reads its input from HDFS, but hdfs.preload_gb "
                f"({preload_gb:g} GB) is less than the largest input ({largest:.1f} GB, "
                f"{shown(trace.path)} {which})",
            )


def shown(path: str) -> str:
    """``path`` as errors show it: relative to the current directory when under it (the loader
    made scenario-relative paths absolute), else as it is."""
    if path.startswith(PACKAGE_PREFIX):
        return path
    try:
        return str(FsPath(path).relative_to(FsPath.cwd()))
    except ValueError:
        return path


def _unknown_queue(name: str, names: list[str]) -> str:
    return f"unknown queue {name!r}; {_leaves(names)}"


def _leaves(names: list[str]) -> str:
    return "leaf queues are: " + ", ".join(n for n in names if not n.startswith("root."))
