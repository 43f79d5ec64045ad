"""SWIM workloads (Facebook 2009/2010 Hadoop days, github.com/SWIMProjectUCB/SWIM).

The file is tab-separated, no header, one job per row (SWIM's WorkloadSynthesis.pl output)::

    job id | submit time (s) | gap since previous (s) | map input B | shuffle B | output B

(further columns, as in the ``withInputPaths`` files, are ignored). Field mapping:

- submit time -> the job's arrival, relative to the first job (see :class:`Trace`);
- job id -> the job's name; every job is a MapReduce job in ``queue`` (default ``default``);
- sizes are first scaled by ``scale_to_nodes / original_nodes`` when ``scale_to_nodes`` is
  given (SWIM's GenerateReplayScript scales input, shuffle and output the same way);
- map tasks = ceil(input / hdfs.block_size_mb), at least 1 (a job with no input still runs one
  map, as SWIM's replay reads at least one partition); split i reads a block, the last one
  the remainder;
- reduce tasks = ceil(shuffle / reduce_mb_per_task); a job with no shuffle bytes is map-only
  and gets no reduce stage;
- durations: a map reads its split and writes its share of the shuffle (of the output in a
  map-only job); a reduce reads its share of the shuffle and writes its share of the output;
  duration = task_overhead_s + bytes / task_mb_per_s;
- containers: the core type's MapReduce defaults (mapreduce.map/reduce.memory.mb), as steps;
- with ``hdfs: true`` the map stage reads the input from HDFS and the last stage writes the
  output to it.
"""

from __future__ import annotations

import math

from emrsim.scenario.models import Trace
from emrsim.workload.traces.common import MB, Parsed, TraceError, TraceJob, TraceStage

COLUMNS = ("job id", "submit time", "gap", "map input bytes", "shuffle bytes", "output bytes")


def parse(text: str) -> Parsed:
    """Rows (line, job id, submit s, input B, shuffle B, output B) of a SWIM file."""
    rows: list[tuple[int, str, float, int, int, int]] = []
    errors: list[str] = []
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split("\t")
        try:
            rows.append(_row(line_no, fields))
        except ValueError as exc:
            errors.append(f"row {line_no}: {exc}")
            if len(errors) >= 5:
                break
    if errors:
        raise TraceError(errors)
    if not rows:
        raise TraceError(["the file has no jobs"])
    return Parsed(tuple(rows))


def _row(line_no: int, fields: list[str]) -> tuple[int, str, float, int, int, int]:
    if len(fields) < len(COLUMNS):
        raise ValueError(
            f"expected {len(COLUMNS)} tab-separated columns ({', '.join(COLUMNS)}), "
            f"got {len(fields)}"
        )
    job_id = fields[0].strip()
    if not job_id:
        raise ValueError("column 1 (job id) is empty")
    try:
        submit = float(fields[1])
    except ValueError:
        raise ValueError(f"column 2 (submit time) is not a number: {fields[1]!r}") from None
    if not math.isfinite(submit) or submit < 0:
        raise ValueError(f"column 2 (submit time) must be >= 0 s (got {fields[1]!r})")
    sizes = []
    for col in (3, 4, 5):
        raw = fields[col].strip()
        try:
            value = int(raw)
        except ValueError:
            raise ValueError(
                f"column {col + 1} ({COLUMNS[col]}) is not a whole number of bytes: {raw!r}"
            ) from None
        if value < 0:
            raise ValueError(f"column {col + 1} ({COLUMNS[col]}) must be >= 0 (got {value})")
        sizes.append(value)
    return line_no, job_id, submit, sizes[0], sizes[1], sizes[2]


def scale(trace: Trace) -> float:
    """The factor SWIM applies to sizes: simulated nodes / original nodes (1 without)."""
    if trace.scale_to_nodes is None:
        return 1.0
    return trace.scale_to_nodes / trace.original_nodes


def max_input_gb(parsed: Parsed, trace: Trace) -> tuple[float, str]:
    """The largest (scaled) map input in GB, and the job with it."""
    row = max(parsed.records, key=lambda r: r[3])
    return row[3] * scale(trace) / (1024.0 * MB), f"row {row[0]} ({row[1]})"


def jobs(parsed: Parsed, trace: Trace, queue: str, block_size_mb: int) -> list[TraceJob]:
    """The jobs of a parsed SWIM file (offsets not yet shifted to the first job)."""
    factor = scale(trace)
    block = block_size_mb * MB
    rate = trace.task_mb_per_s * MB
    per_reduce = (trace.reduce_mb_per_task or block_size_mb) * MB
    overhead = trace.task_overhead_s
    out: list[TraceJob] = []
    for _, job_id, submit, raw_in, raw_shuffle, raw_out in parsed.records:
        inp, shuffle, output = raw_in * factor, raw_shuffle * factor, raw_out * factor
        n_maps = max(1, math.ceil(inp / block - 1e-9))
        n_reduces = max(1, math.ceil(shuffle / per_reduce - 1e-9)) if shuffle > 0 else 0
        map_write = (shuffle if n_reduces else output) / n_maps
        last_split = inp - block * (n_maps - 1)
        full = overhead + (block + map_write) / rate
        durations = [full] * (n_maps - 1) + [overhead + (last_split + map_write) / rate]
        stages = [
            TraceStage(
                "map",
                tuple(durations),
                input_gb=inp / (1024.0 * MB) if trace.hdfs else 0.0,
                output_gb=output / (1024.0 * MB) if trace.hdfs and not n_reduces else 0.0,
            )
        ]
        if n_reduces:
            each = overhead + (shuffle + output) / n_reduces / rate
            stages.append(
                TraceStage(
                    "reduce",
                    (each,) * n_reduces,
                    output_gb=output / (1024.0 * MB) if trace.hdfs else 0.0,
                )
            )
        out.append(TraceJob(submit, job_id, queue, stages=tuple(stages)))
    return out
