"""Small versions of the benchmarks (benchmarks/: mmc, scale, hdfs): ratios of CPU times taken in
turns in the same process (benchmarks/timing.py), so a slow or busy machine slows both sides
alike. Never absolute wall times: the absolute targets are held in units of the bare SimPy model.

The M/M/c overhead, HDFS node loss and the 1,000-node speed and memory are held to their
targets. The growth bounds are the targets with room for timing noise on small runs; crossing
one means a cost that grows faster than the work (per-container, per-node or
per-simulated-minute)."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.hdfs import TARGET_S as HDFS_TARGET_S
from benchmarks.hdfs import hdfs_scenario
from benchmarks.mmc import TARGET_RATIO, bare_simpy, mmc_scenario
from benchmarks.scale import (
    TARGET_CONTAINERS,
    TARGET_MEMORY_MB,
    TARGET_WALL_S,
    WORKLOAD_S,
    scale_scenario,
)
from benchmarks.timing import paired
from emrsim.engine import Simulation
from emrsim.scenario.load import scenario_from_data

pytestmark = pytest.mark.slow

NODES = 50
CONTAINERS = 30_000


def _ratio(small: dict, large: dict, pairs: int = 3) -> float:
    """The time of ``large`` over that of ``small`` (median of ``pairs`` turns, CPU seconds)."""
    a, b = scenario_from_data(small), scenario_from_data(large)
    return paired(lambda: Simulation(b).run(), lambda: Simulation(a).run(), pairs).ratio


def test_doubling_containers_about_doubles_time() -> None:
    ratio = _ratio(scale_scenario(NODES, CONTAINERS), scale_scenario(NODES, 2 * CONTAINERS))
    assert ratio <= 2.2 * 1.2  # target 2.2


def test_doubling_nodes_barely_changes_time() -> None:
    ratio = _ratio(
        scale_scenario(NODES, CONTAINERS),
        scale_scenario(2 * NODES, CONTAINERS, rate_nodes=NODES),
    )
    assert ratio <= 1.2 * 1.25  # target 1.2


def test_long_idle_horizon_stays_cheap() -> None:
    # A one-hour workload on a keep-alive cluster: a week's horizon adds only idle sampling
    # (one row a minute, 10,080 rows), which recomputes nothing while nothing changes. Target
    # ~1; on 50 nodes it is ~1.1-1.25 (it was ~1.75 when every sample scanned every instance).
    # The bound catches per-sample costs growing, e.g. a sampler scanning every application,
    # container or instance again.
    hour = 3600.0
    small = dict(nodes=NODES, containers=0, keep_alive=True, until_s=WORKLOAD_S)
    ratio = _ratio(
        scale_scenario(**small, horizon_s=hour), scale_scenario(**small, horizon_s=7 * 24 * hour), 2
    )
    assert ratio <= 1.5


def test_mmc_overhead_over_bare_simpy() -> None:
    scenario = scenario_from_data(mmc_scenario(4000, 8, 0.9))
    times = paired(lambda: Simulation(scenario).run(), lambda: bare_simpy(4000, 8, 0.9), 15)
    # The target: at most twice the bare model. Measured 1.44-1.47 on the quiet 2-core machine
    # (median of 15 pairs, CPU seconds), 1.43 with the rest of the suite running beside it.
    assert times.ratio <= TARGET_RATIO


# The two absolute targets (issue #10, "on this 2-core machine, one process") are held in units
# of the bare SimPy M/M/c model timed alongside, so that a slower or busier machine moves both
# sides: on the machine the targets were set for, bare_simpy(20,000 jobs) takes 0.2 CPU s.
BARE_JOBS = 20_000
BARE_S_THERE = 0.2


def _bare() -> None:
    bare_simpy(BARE_JOBS, 8, 0.9)


def test_hdfs_node_loss_within_its_target() -> None:
    # 10 TB on 20 core nodes, a node lost, re-replicated and reported: under 5 s there.
    scenario = scenario_from_data(hdfs_scenario("terminate"))
    times = paired(lambda: Simulation(scenario).run(), _bare, 3)
    assert times.ratio <= HDFS_TARGET_S / BARE_S_THERE


def test_scale_speed_and_memory_within_their_targets(tmp_path: Path) -> None:
    # 1,000 core+task nodes: 1,000,000 containers in under 60 s there (16,667 containers/s) with
    # the event trace streamed to disk, measured on 60,000 containers (`python -m benchmarks
    # scale` measures the target itself, a minute's run). Measured 44,000 containers/s here at
    # 60,000 and 35,000 at 1.95 M, so the bound fails when a container costs 2.6x what it does now.
    import tracemalloc

    scenario = scenario_from_data(scale_scenario(1000, 60_000))
    events = tmp_path / "events.jsonl"
    launched: list[int] = []

    def run() -> None:
        result = Simulation(scenario, 0, events).run()
        launched.append(result.summary["containers"]["launched"])

    times = paired(run, _bare, 3)
    # Containers per second of emrsim, in the units of the machine the target was set on.
    per_s_there = launched[-1] / (times.ratio * BARE_S_THERE)
    assert per_s_there >= TARGET_CONTAINERS / TARGET_WALL_S
    # Memory: Python's own allocations per container, scaled to a million, under 2 GB (the
    # event trace streams to disk; the per-job records stay in memory).
    tracemalloc.start()
    try:
        Simulation(scenario, 0, events).run()
        peak_bytes = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak_bytes / launched[-1] * TARGET_CONTAINERS < TARGET_MEMORY_MB * 2**20
