"""What every trace reader shares: the jobs a trace yields, file paths, errors, JSON objects.

A reader turns a file into plain records (``parse``, no scenario needed, cached by file) and
the records into :class:`TraceJob` objects for one simulation (they may depend on the cluster:
block size, container defaults, the run's random streams). Errors name the row (tab-separated
and CSV files: the line number) or the job and its line (JSON files).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emrsim.scenario.models import Job

PACKAGE_PREFIX = "emrsim:"
"""``path: emrsim:traces/...`` names a file shipped in the package (``emrsim/data/``)."""

MB = 1024.0 * 1024.0
"""Bytes in one MB (2^20, as ``hdfs.block_size_mb``)."""

GB_PER_BYTE = 1.0 / (1024.0**3)


class TraceError(Exception):
    """A trace file that cannot be read: what is wrong, each message naming its row or job."""

    def __init__(self, messages: list[str]) -> None:
        self.messages = messages
        super().__init__("; ".join(messages))


@dataclass(frozen=True, slots=True)
class TraceStage:
    """A stage of a trace job: one task per duration (seconds).

    ``memory_mb``/``vcores`` None: the default container of the core type (EMR's
    mapreduce.map.memory.mb, or mapreduce.reduce.memory.mb for stages named ``reduce*``).
    ``depends_on`` None: the stage before it (as in a scenario's job).
    """

    name: str
    durations: tuple[float, ...]
    memory_mb: int | None = None
    vcores: int | None = None
    input_gb: float = 0.0
    output_gb: float = 0.0
    depends_on: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class TraceJob:
    """One job of a trace, ``offset_s`` after the cluster is ready.

    Either ``stages`` (durations from the file) or ``spec`` (a scenario job, whose durations
    are drawn when it is submitted, as a stream's are). Its AM is the core type's MapReduce
    default (yarn.app.mapreduce.am.resource.mb), as for a step's job.
    """

    offset_s: float
    name: str
    queue: str
    user: str | None = None
    job_type: str = "mapreduce"
    stages: tuple[TraceStage, ...] = ()
    spec: Job | None = None


@dataclass(frozen=True, slots=True)
class QueueUse:
    """A queue a trace file names, and where (for errors)."""

    queue: str
    where: str


@dataclass(frozen=True, slots=True)
class ContainerUse:
    """A container size a trace file asks for, and where (for errors)."""

    memory_mb: int
    vcores: int
    where: str


@dataclass(frozen=True)
class Parsed:
    """What a reader found in a file: its records, the queues and containers it names."""

    records: tuple[Any, ...]
    queues: tuple[QueueUse, ...] = ()
    containers: tuple[ContainerUse, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


def resolve(path: str) -> Path:
    """The file ``path`` names: ``emrsim:rel`` inside the package data, else as given (the
    loader has already made scenario-relative paths absolute)."""
    if path.startswith(PACKAGE_PREFIX):
        return Path(__file__).resolve().parents[2] / "data" / path[len(PACKAGE_PREFIX) :]
    return Path(path)


def read_text(path: Path) -> str:
    """The file's text; a :class:`TraceError` when it is missing or unreadable."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TraceError([f"no such file (looked for {path})"]) from None
    except IsADirectoryError:
        raise TraceError(["is a directory, not a trace file"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TraceError([f"cannot read the file: {exc}"]) from None


def json_objects(text: str) -> Iterator[tuple[int, Any]]:
    """The JSON values of a file of concatenated objects (Rumen, SLS) or of one JSON array,
    each with the line it starts on."""
    decoder = json.JSONDecoder()
    i, n = 0, len(text)
    line = 1
    first = True
    while True:
        start = i
        while i < n and text[i].isspace():
            i += 1
        line += text.count("\n", start, i)
        if i >= n:
            return
        try:
            value, end = decoder.raw_decode(text, i)
        except json.JSONDecodeError as exc:
            message = f"line {exc.lineno} column {exc.colno}: invalid JSON: {exc.msg}"
            raise TraceError([message]) from None
        if first and isinstance(value, list) and text[end:].strip() == "":
            for item in value:  # one JSON array of objects: the lines of its items are unknown
                yield line, item
            return
        first = False
        yield line, value
        line += text.count("\n", i, end)
        i = end


def number(value: Any, what: str, *, minimum: float | None = 0.0) -> float:
    """``value`` as a float, or a ValueError saying what it should be."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{what} must be a number (got {value!r})")
    if not math.isfinite(value):  # JSON readers take NaN and Infinity
        raise ValueError(f"{what} must be a finite number (got {value!r})")
    if minimum is not None and value < minimum:
        raise ValueError(f"{what} must be >= {minimum:g} (got {value!r})")
    return float(value)


def scenario_relative(data: dict[str, Any], base_dir: str | Path | None) -> dict[str, Any]:
    """Plain scenario data with each relative ``workload.traces[].path`` made absolute against
    ``base_dir`` (the scenario file's directory; default the current directory), as
    ``yarn.from_xml`` is. ``emrsim:`` paths and anything malformed are left to validation."""
    workload = data.get("workload")
    if not isinstance(workload, dict) or not isinstance(workload.get("traces"), list):
        return data
    traces: list[Any] = workload["traces"]
    base = Path(base_dir) if base_dir is not None else Path.cwd()
    resolved = []
    for trace in traces:
        if isinstance(trace, dict):
            path = trace.get("path")
            if (
                isinstance(path, str)
                and path
                and not path.startswith(PACKAGE_PREFIX)
                and not Path(path).is_absolute()
            ):
                trace = {**trace, "path": str(base / path)}
        resolved.append(trace)
    return {**data, "workload": {**workload, "traces": resolved}}
