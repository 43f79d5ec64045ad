"""M/M/c overhead: emrsim against a bare SimPy model of the same queue, in the same process.

Both simulate Poisson arrivals of one-task jobs with exponential service on c slots (FIFO);
the ratio of their times (CPU seconds, paired: benchmarks/timing.py) is emrsim's overhead over
the event-loop floor (target: <= 2).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import simpy

from benchmarks.timing import paired
from emrsim.engine import Simulation
from emrsim.scenario.load import scenario_from_data

TARGET_RATIO = 2.0
"""emrsim's time over the bare model's (issue #10)."""


def mmc_scenario(jobs: int, slots: int, rho: float) -> dict[str, Any]:
    """The scenario of an M/M/c queue (mean service 1 s) in emrsim's terms."""
    return mmc_data(slots, rho * slots, 1.0, jobs)


def mmc_data(
    slots: int,
    arrival_rate: float,
    service_rate: float,
    jobs: int,
    *,
    seed: int = 0,
    name: str = "mmc-benchmark",
) -> dict[str, Any]:
    """An M/M/``slots`` FCFS queue fed ``jobs`` customers, as scenario data: ``slots`` nodes of
    one 1024 MB slot each, a FIFO scheduler, and a stream of one-task jobs without an AM
    (Poisson arrivals at ``arrival_rate``, exponential service at ``service_rate`` per second).
    """
    return {
        "name": name,
        "seed": seed,
        "instance_types": {
            "slot.node": {
                "vcpu": 1,
                "memory_gb": 2,
                "yarn_memory_mb": 1024,
                "yarn_vcores": 1,
                "on_demand_usd_per_hr": 0.1,
                "emr_usd_per_hr": 0.01,
            }
        },
        "cluster": {
            "instance_groups": [
                {"role": "primary", "instance_type": "m5.xlarge", "count": 1},
                {"role": "core", "instance_type": "slot.node", "count": slots},
            ],
            "startup": {"provision": 0, "bootstrap": 0},
        },
        "yarn": {"scheduler": "fifo"},
        "workload": {
            "streams": [
                {
                    "name": "s",
                    "interarrival": {"dist": "exponential", "mean": 1.0 / arrival_rate},
                    "count": jobs,
                    "job": {
                        "type": "container",
                        "am": "none",
                        "stages": [
                            {
                                "name": "t",
                                "tasks": 1,
                                "duration": {"dist": "exponential", "mean": 1.0 / service_rate},
                                "container": {"memory_mb": 1024, "vcores": 1},
                            }
                        ],
                    },
                }
            ]
        },
    }


def bare_simpy(jobs: int, slots: int, rho: float, seed: int = 1) -> float:
    """The same queue in plain SimPy; returns the mean wait."""
    env = simpy.Environment()
    servers = simpy.Resource(env, slots)
    rng = np.random.default_rng(seed)
    waits: list[float] = []

    def job() -> Any:
        arrived = env.now
        with servers.request() as request:
            yield request
            waits.append(env.now - arrived)
            yield env.timeout(rng.exponential(1.0))

    def arrivals() -> Any:
        for _ in range(jobs):
            yield env.timeout(rng.exponential(1.0 / (rho * slots)))
            env.process(job())

    env.process(arrivals())
    env.run()
    return float(np.mean(waits))


def run(jobs: int = 20_000, slots: int = 8, rho: float = 0.9, pairs: int = 7) -> dict[str, Any]:
    """Both models timed in ``pairs`` turns (benchmarks.timing): median CPU seconds of each and
    the median of the per-pair ratios."""
    scenario = scenario_from_data(mmc_scenario(jobs, slots, rho))
    times = paired(lambda: Simulation(scenario).run(), lambda: bare_simpy(jobs, slots, rho), pairs)
    return {
        "benchmark": "mmc_overhead",
        "jobs": jobs,
        "slots": slots,
        "rho": rho,
        "pairs": pairs,
        "emrsim_s": times.ours_median_s,
        "bare_simpy_s": times.base_median_s,
        "ratio": times.ratio,
        "target_ratio": TARGET_RATIO,
    }
