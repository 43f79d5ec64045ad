"""M/M/c overhead: emrsim against a bare SimPy model of the same queue, in the same process.

Both simulate Poisson arrivals of one-task jobs with exponential service on c slots (FIFO);
the ratio of their wall times is emrsim's overhead over the event-loop floor (target: <= 2).
"""

from __future__ import annotations

import gc
import time
from typing import Any

import numpy as np
import simpy

from emrsim.engine import Simulation
from emrsim.scenario.load import scenario_from_data


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


def run(jobs: int = 20_000, slots: int = 8, rho: float = 0.9, repeat: int = 3) -> dict[str, Any]:
    """Best-of-``repeat`` wall times of both models and their ratio."""
    scenario = scenario_from_data(mmc_scenario(jobs, slots, rho))
    emrsim_s, bare_s = [], []
    for _ in range(repeat):
        # Each timing starts with no garbage left by the previous run (emrsim pauses the
        # cyclic collector during a run, so a finished run's objects are collected later).
        gc.collect()
        start = time.perf_counter()
        Simulation(scenario).run()
        emrsim_s.append(time.perf_counter() - start)
        gc.collect()
        start = time.perf_counter()
        bare_simpy(jobs, slots, rho)
        bare_s.append(time.perf_counter() - start)
    return {
        "benchmark": "mmc_overhead",
        "jobs": jobs,
        "slots": slots,
        "rho": rho,
        "emrsim_s": min(emrsim_s),
        "bare_simpy_s": min(bare_s),
        "ratio": min(emrsim_s) / min(bare_s),
        "target_ratio": 2.0,
    }
