"""Sweep throughput: the same runs serially, on 1 and on 2 local Dask worker processes.

A small grid of ``scenarios/nightly-etl.yaml`` (core nodes 3, 4, 6, 8 x 4 replications = 16
runs of about 0.2 s each) runs three ways:

- ``serial``: in this process, as ``--workers 1`` does;
- ``local_1`` and ``local_2``: on a LocalCluster of 1 and 2 worker processes (one thread
  each), as ``--workers N`` does. The cluster is started and warmed up (one run per worker)
  before the clock starts, so the figure is the steady throughput, not the start-up.

Figures: runs per second of each, ``speedup_2_over_1`` (target >= 1.6 on a 2-core machine:
close to 2x) and ``dask_overhead_per_run_ms``: (local_1 wall - serial wall) / runs, what the
Dask path costs per run on top of the simulation (pickling, scheduling, the round trip).
Each result is also checked to equal the serial one.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from emrsim.sweep.grid import Grid, SweepSpec
from emrsim.sweep.outputs import tasks
from emrsim.sweep.runner import RunRecord, RunTask, _client, _on_dask, run_task

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "nightly-etl.yaml"
GRID = "cluster.instance_groups.1.count=3,4,6,8"
REPLICATIONS = 4
TARGET_SPEEDUP = 1.6


def _spec() -> SweepSpec:
    return SweepSpec.from_file(str(SCENARIO), Grid.parse([GRID]), REPLICATIONS)


def _ordered(records: list[RunRecord]) -> list[RunRecord]:
    return sorted(records, key=lambda r: (r["point"], r["replication"]))


def _serial(todo: list[RunTask]) -> tuple[float, list[RunRecord]]:
    run_task(todo[0])  # warm the scenario cache and imports, as the workers are warmed
    start = time.perf_counter()
    records = [run_task(t) for t in todo]
    return time.perf_counter() - start, records


def _local(todo: list[RunTask], workers: int) -> tuple[float, list[RunRecord]]:
    with _client(workers, None) as client:
        list(_on_dask(client, todo[:workers]))  # warm-up: imports on every worker
        start = time.perf_counter()
        records = list(_on_dask(client, todo))
        return time.perf_counter() - start, _ordered(records)


def run() -> list[dict[str, Any]]:
    """One record with every figure."""
    todo = tasks(_spec())
    serial_s, expected = _serial(todo)
    one_s, one = _local(todo, 1)
    two_s, two = _local(todo, 2)
    if one != expected or two != expected:
        raise RuntimeError("a Dask run gave other numbers than the serial run")
    runs = len(todo)
    return [
        {
            "benchmark": "sweep_throughput",
            "scenario": SCENARIO.name,
            "runs": runs,
            "serial_s": serial_s,
            "local_1_s": one_s,
            "local_2_s": two_s,
            "serial_runs_per_s": runs / serial_s,
            "local_1_runs_per_s": runs / one_s,
            "local_2_runs_per_s": runs / two_s,
            "speedup_2_over_1": one_s / two_s,
            "target_speedup": TARGET_SPEEDUP,
            "dask_overhead_per_run_ms": (one_s - serial_s) / runs * 1000,
        }
    ]
