"""Small versions of the benchmarks (benchmarks/scale.py, benchmarks/mmc.py): wall-time ratios
measured in the same run, so a slow or busy machine slows both sides alike. Never absolute wall
times.

The M/M/c overhead is held to its target (2x bare SimPy). The growth bounds are the targets with
room for timing noise on small runs; crossing one means a cost that grows faster than the work
(per-container, per-node or per-simulated-minute)."""

from __future__ import annotations

import pytest

from benchmarks.mmc import bare_simpy, mmc_scenario
from benchmarks.scale import WORKLOAD_S, scale_scenario, timed_run
from emrsim.engine import Simulation
from emrsim.scenario.load import scenario_from_data

pytestmark = pytest.mark.slow

NODES = 50
CONTAINERS = 30_000


def _ratio(small: dict, large: dict, repeat: int = 3) -> float:
    """Best-of-``repeat`` wall time of ``large`` over that of ``small``, run alternately so a
    busy spell of the machine hits both sides."""
    a, b = [], []
    for _ in range(repeat):
        a.append(timed_run(small)[0])
        b.append(timed_run(large)[0])
    return min(b) / min(a)


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
    # ~1; on 50 nodes it is ~1.1-1.2 (it was ~1.75 when every sample scanned every instance).
    # The bound catches per-sample costs growing, e.g. a sampler scanning every application,
    # container or instance again.
    hour = 3600.0
    small = dict(nodes=NODES, containers=0, keep_alive=True, until_s=WORKLOAD_S)
    ratio = _ratio(
        scale_scenario(**small, horizon_s=hour), scale_scenario(**small, horizon_s=7 * 24 * hour), 2
    )
    assert ratio <= 1.5


def test_mmc_overhead_over_bare_simpy() -> None:
    import gc
    import time

    scenario = scenario_from_data(mmc_scenario(4000, 8, 0.9))
    emrsim_s, bare_s = [], []
    for _ in range(7):  # alternately, best of seven: a busy spell hits both sides
        gc.collect()  # neither side pays for the garbage of the run before (as benchmarks/mmc)
        start = time.perf_counter()
        Simulation(scenario).run()
        emrsim_s.append(time.perf_counter() - start)
        gc.collect()
        start = time.perf_counter()
        bare_simpy(4000, 8, 0.9)
        bare_s.append(time.perf_counter() - start)
    # The target: at most twice the bare model. Measured 1.4-1.8 on the shared 2-core machine
    # (1.6 with another process busy on the second core).
    assert min(emrsim_s) / min(bare_s) <= 2.0
