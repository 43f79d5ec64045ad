"""Validation: spot interruptions arrive at the configured hazard, and waves over-disperse them.

The cluster keeps ``N`` spot task nodes up for ``H`` hours (keep-alive, horizon, no work), and
reclaimed nodes are replaced, so each replication exposes roughly ``N * H`` spot node-hours.

Independent hazards. Interruptions of a node form a Poisson process of rate ``lambda`` over its
exposure (from the start of billing to its notice, or the end of the run). Per replication the
estimate is interruptions / exposure; over R replications a Student-t 95% interval must contain
``lambda``, must be narrow, and must exclude a rate 15% off (power). The counts per replication
must also pass a chi-square dispersion test at Poisson's variance (index of dispersion, two-sided
at 0.1%): a process with the right mean but the wrong spread fails it.

Waves. With ``reclaim_waves`` the mean per node-hour stays ``lambda`` (checked the same way), and
the variance of the counts per run is larger than the mean: the dispersion statistic exceeds the
chi-square 99.9% point.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats

from emrsim.engine import Simulation
from emrsim.nodes.spot import NOTICE_S
from emrsim.scenario.load import scenario_from_data

NODES = 10
HOURS = 10.0
RATE = 0.5  # interruptions per spot node-hour
REPLICATIONS = 40
LEVEL = 0.95


def _scenario(seed: int, waves: dict[str, float] | None = None) -> dict[str, Any]:
    spot: dict[str, Any] = {"interruptions": {"m5.xlarge": {"rate_per_hour": RATE}}}
    if waves is not None:
        spot["reclaim_waves"] = waves
    return {
        "name": "spot-hazard",
        "seed": seed,
        "horizon": HOURS * 3600,
        "cluster": {
            "instance_groups": [
                {"role": "primary", "instance_type": "m5.xlarge", "count": 1},
                {"role": "core", "instance_type": "m5.xlarge", "count": 1},
                {"role": "task", "instance_type": "m5.xlarge", "count": NODES, "market": "spot"},
            ],
            "startup": {"provision": 60, "bootstrap": 30},
            "keep_alive": True,
        },
        "spot_market": spot,
    }


def _counts(seed: int, waves: dict[str, float] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Interruptions and exposed spot node-hours of each replication."""
    scenario = scenario_from_data(_scenario(seed, waves))
    counts, hours = [], []
    for r in range(REPLICATIONS):
        result = Simulation(scenario, r).run()
        end = result.summary["cluster_lifetime_s"]
        exposure = 0.0
        for node in result.nodes:
            if node.market != "spot" or node.start_s is None:
                continue
            stop = node.end_s if node.end_s is not None else end
            if node.end_reason == "spot_interruption":
                stop -= NOTICE_S  # the hazard stops at the notice
            exposure += (stop - node.start_s) / 3600.0
        counts.append(result.summary["spot"]["interruptions"])
        hours.append(exposure)
    return np.array(counts, dtype=float), np.array(hours)


def _interval(values: np.ndarray) -> tuple[float, float]:
    mean = float(values.mean())
    half = stats.t.ppf(0.5 + LEVEL / 2, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    return mean - half, mean + half


def _dispersion(counts: np.ndarray) -> float:
    """(R - 1) * var / mean: chi-square with R - 1 degrees of freedom for Poisson counts."""
    return float((len(counts) - 1) * counts.var(ddof=1) / counts.mean())


def test_independent_interruptions_match_the_hazard_rate() -> None:
    counts, hours = _counts(seed=11)
    low, high = _interval(counts / hours)
    assert low <= RATE <= high
    assert high - low < 0.2 * RATE  # narrow enough to mean something
    assert not low <= 1.15 * RATE <= high and not low <= 0.85 * RATE <= high
    # Poisson spread: the dispersion statistic sits inside chi-square's central 99.8%.
    # (Exposure varies a little per run; counts are scaled to the mean exposure first.)
    scaled = counts * hours.mean() / hours
    d = _dispersion(scaled)
    df = REPLICATIONS - 1
    assert stats.chi2.ppf(0.001, df) < d < stats.chi2.ppf(0.999, df)


def test_reclaim_waves_keep_the_mean_and_widen_the_spread() -> None:
    waves = {"share": 0.8, "pool_fraction": 0.5}
    counts, hours = _counts(seed=12, waves=waves)
    low, high = _interval(counts / hours)
    assert low <= RATE <= high
    df = REPLICATIONS - 1
    assert _dispersion(counts) > stats.chi2.ppf(0.999, df)
    # Against independent hazards at the same mean: the variance of counts is larger.
    plain, _ = _counts(seed=12)
    assert counts.var(ddof=1) > 2 * plain.var(ddof=1)
