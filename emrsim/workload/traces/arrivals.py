"""Arrival times from a CSV column (e.g. Google's clusterdata-2011 job arrivals).

Each kept row is one arrival of the trace's ``job`` (the same shape as a stream's job; its
durations are drawn when it is submitted, from the run's ``durations`` stream for this trace).
``column`` names the column by its header or by its 0-based index (a first row whose value there
is not a number is then a header); ``unit`` is its unit (``us``, ``ms``, ``s``). Rows at time 0
are dropped with ``drop_zero`` (in Google's trace they are jobs that existed before tracing
began). Times may come in any order: they are replayed sorted, relative to the first.
"""

from __future__ import annotations

import csv
import io
import math

from emrsim.scenario.models import Trace
from emrsim.workload.traces.common import Parsed, TraceError, TraceJob

UNIT_S = {"us": 1e-6, "ms": 1e-3, "s": 1.0}


def parse(text: str, column: str | int, unit: str, drop_zero: bool) -> Parsed:
    """The arrival times in seconds, in file order (records), and how many rows were dropped."""
    reader = csv.reader(io.StringIO(text))
    factor = UNIT_S[unit]
    times: list[float] = []
    index: int | None = column if isinstance(column, int) else None
    dropped = 0
    errors: list[str] = []
    for line_no, row in enumerate(reader, start=1):
        if not row or all(not cell.strip() for cell in row):
            continue
        if index is None:  # the header row names the column
            names = [c.strip() for c in row]
            if column not in names:
                header = ", ".join(names)
                raise TraceError([f"row {line_no}: no column named {column!r}; header: {header}"])
            index = names.index(str(column))
            continue
        if index >= len(row):
            errors.append(f"row {line_no}: no column {index} (the row has {len(row)})")
        else:
            raw = row[index].strip()
            try:
                value = float(raw)
            except ValueError:
                if line_no == 1 and isinstance(column, int):
                    continue  # a header row
                errors.append(f"row {line_no}: column {column!r} is not a number: {raw!r}")
            else:
                if not math.isfinite(value) or value < 0:
                    errors.append(f"row {line_no}: column {column!r} must be >= 0 (got {raw!r})")
                elif value == 0 and drop_zero:
                    dropped += 1
                else:
                    times.append(value * factor)
        if len(errors) >= 5:
            break
    if errors:
        raise TraceError(errors)
    if index is None:
        raise TraceError(["the file is empty"])
    if not times:
        raise TraceError(
            ["no arrival times" + (f" ({dropped} rows at 0 dropped)" if dropped else "")]
        )
    return Parsed(tuple(times), extra={"dropped": dropped})


def jobs(parsed: Parsed, trace: Trace, name: str, queue: str) -> list[TraceJob]:
    """One job per arrival (offsets in s, not yet shifted to the first job)."""
    spec = trace.job
    assert spec is not None  # checked with the scenario
    return [
        TraceJob(t, spec.name or f"{name}-{k + 1}", queue, spec.user, spec.type, spec=spec)
        for k, t in enumerate(parsed.records)
    ]
