"""Spot interruptions: hazard rates per capacity pool, correlated reclaim waves, and notices.

Hazard rates. A spot instance of type T is interrupted at a constant rate lambda_T per hour:
``spot_market.interruptions.T.rate_per_hour`` when given, else from a Spot Advisor bucket (the
scenario's ``advisor_bucket`` or the shipped 2025-06 snapshot for the region). The advisor's
"frequency of interruption" is the share of capacity reclaimed over the trailing month
(emr-facts 3). This model reads a bucket as the probability ``p`` that an instance running for the
whole window (``spot_market.advisor_window``, default 30 days) is interrupted, takes the bucket's
midpoint (``<5%`` -> 2.5%, ``5-10%`` -> 7.5%, ``10-15%`` -> 12.5%, ``15-20%`` -> 17.5%, and
25% for the open ``>20%`` bucket) and solves ``1 - exp(-lambda * window) = p``.

Waves. Real reclaims come in waves: EC2 takes back capacity from a pool (one instance type in
the cluster's Availability Zone) at once. With ``spot_market.reclaim_waves`` a share ``s`` of
each instance's hazard arrives as pool-wide waves at rate ``s * lambda / f``, each wave
interrupting every spot instance of the pool independently with probability ``f``
(``pool_fraction``); the rest, ``(1 - s) * lambda``, stays independent per instance. The mean
number of interruptions per instance-hour is lambda either way; waves make its spread larger.

Notices. An interruption starts with EC2's two-minute notice (emr-facts 3). EMR decommissions
the node in YARN at once, and spot nodes decommission "within a 20-second timeout regardless of"
yarn.resourcemanager.decommissioning.timeout (emr-facts 3): after 20 s the node leaves YARN and
its running containers are lost. The instance itself (and with it the DataNode and its HDFS
replicas) goes at the end of the notice. Optionally a rebalance recommendation comes earlier
(``spot_market.rebalance_lead``) and the node stops taking containers then.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial

import numpy as np
import simpy

from emrsim.events import NODE_LOSS, Background
from emrsim.nodes.catalogue import load_spot_advisor
from emrsim.scenario.models import Scenario

NOTICE_S = 120.0
"""EC2's spot interruption notice: two minutes before the instance is reclaimed."""

SPOT_DECOMMISSION_S = 20.0
"""EMR decommissions a reclaimed spot node in YARN within 20 s of the notice (emr-facts 3)."""

BUCKET_FRACTIONS: dict[str, float] = {
    "<5%": 0.025,
    "5-10%": 0.075,
    "10-15%": 0.125,
    "15-20%": 0.175,
    ">20%": 0.25,
}
"""Spot Advisor interruption buckets -> the share of instances interrupted over the window."""

CAPACITY_HORIZON_H = 720.0
"""The span over which a pool's capacity score counts survival (a month, like the advisor)."""


def bucket_rate_per_hour(bucket: str, window_s: float) -> float:
    """The hazard (per instance-hour) of a Spot Advisor bucket read over ``window_s``."""
    p = BUCKET_FRACTIONS[bucket]
    return -math.log1p(-p) / (window_s / 3600.0)


def interruption_rate_per_hour(scenario: Scenario, instance_type: str) -> float:
    """The interruption hazard of ``instance_type`` on spot in the scenario's region, per hour.

    Raises LookupError when neither the scenario nor the Spot Advisor snapshot knows the type.
    """
    market = scenario.spot_market
    override = market.interruptions.get(instance_type)
    if override is not None:
        if override.rate_per_hour is not None:
            return override.rate_per_hour
        assert override.advisor_bucket is not None
        return bucket_rate_per_hour(override.advisor_bucket, market.advisor_window)
    advisor = load_spot_advisor()
    bucket = advisor.interruption_bucket(scenario.region, instance_type)
    if bucket is None:
        raise LookupError(
            f"no spot interruption data for {instance_type} in {scenario.region}: give "
            f"spot_market.interruptions.{instance_type} (rate_per_hour or advisor_bucket)"
        )
    return bucket_rate_per_hour(advisor.bucket_labels[bucket], market.advisor_window)


def availability(scenario: Scenario, instance_type: str) -> float:
    """The probability that one spot request in the pool is fulfilled (default 1)."""
    return scenario.spot_market.availability.get(instance_type, 1.0)


def capacity_score(fulfil_probability: float, rate_per_hour: float) -> float:
    """A pool's spare-capacity score for allocation strategies, 0..1 (higher is better).

    The chance a request is fulfilled times the chance the instance then survives a month:
    EC2 does not publish pool capacity, so this model ranks pools by what it does know.
    """
    return fulfil_probability * math.exp(-rate_per_hour * CAPACITY_HORIZON_H)


class SpotWatch:
    """Draws interruption times for running spot instances and delivers notices.

    ``on_rebalance(key)`` and ``on_notice(key)`` are called with the key given to :meth:`watch`;
    the instance is reclaimed ``NOTICE_S`` after its notice by whoever handles ``on_notice``.
    Interruption timers are background events: they never keep an otherwise finished
    simulation alive.
    """

    def __init__(
        self,
        env: simpy.Environment,
        background: Background,
        scenario: Scenario,
        stream: Callable[..., np.random.Generator],
        on_notice: Callable[[int], None],
        on_rebalance: Callable[[int], None] | None = None,
    ) -> None:
        self.env = env
        self.background = background
        self.scenario = scenario
        self._stream = stream
        self.on_notice = on_notice
        self.on_rebalance = on_rebalance
        waves = scenario.spot_market.reclaim_waves
        self._share = waves.share if waves else 0.0
        self._pool_fraction = waves.pool_fraction if waves else 1.0
        self._lead_s = scenario.spot_market.rebalance_lead
        self._rates: dict[str, float] = {}
        self._pools: dict[str, dict[int, bool]] = {}  # type -> watched keys (insertion order)
        self._noticed: set[int] = set()
        self.notices = 0
        self.waves = 0

    def rate_per_hour(self, instance_type: str) -> float:
        """The (cached) total hazard of a type."""
        rate = self._rates.get(instance_type)
        if rate is None:
            rate = self._rates[instance_type] = interruption_rate_per_hour(
                self.scenario, instance_type
            )
        return rate

    def watch(self, key: int, instance_type: str) -> None:
        """A spot instance (``key``, unique) started running in EC2: its hazard starts now."""
        rate = self.rate_per_hour(instance_type) * (1.0 - self._share)
        pool = self._pools.get(instance_type)
        if pool is None:
            pool = self._pools[instance_type] = {}
            if self._share > 0 and self.rate_per_hour(instance_type) > 0:
                self._next_wave(instance_type, len(self._pools) - 1)
        pool[key] = True
        if rate <= 0:
            return
        rng = self._stream("spot", 0, key)
        delay_s = float(rng.exponential(3600.0 / rate))
        if self._lead_s is not None and self.on_rebalance is not None:
            self._background(max(0.0, delay_s - self._lead_s), partial(self._rebalance, key))
        self._background(delay_s, partial(self._notice, key))

    def forget(self, key: int, instance_type: str) -> None:
        """The instance is gone: no notice for it any more."""
        pool = self._pools.get(instance_type)
        if pool is not None:
            pool.pop(key, None)

    # ----------------------------------------------------------------------- events
    def _background(self, delay_s: float, callback: Callable[[], None]) -> None:
        self.background.call(delay_s, callback, NODE_LOSS)

    def _watched(self, key: int) -> bool:
        return key not in self._noticed and any(key in pool for pool in self._pools.values())

    def _rebalance(self, key: int) -> None:
        if self._watched(key) and self.on_rebalance is not None:
            self.on_rebalance(key)

    def _notice(self, key: int) -> None:
        if not self._watched(key):
            return
        self._noticed.add(key)
        self.notices += 1
        self.on_notice(key)

    def _next_wave(self, instance_type: str, pool_index: int) -> None:
        rate = self.rate_per_hour(instance_type) * self._share / self._pool_fraction
        rng = self._stream("spot", 1, pool_index)
        delay_s = float(rng.exponential(3600.0 / rate))
        self._background(delay_s, partial(self._wave, instance_type, pool_index, rng))

    def _wave(self, instance_type: str, pool_index: int, rng: np.random.Generator) -> None:
        pool = self._pools[instance_type]
        keys = [k for k in pool if k not in self._noticed]
        hit = rng.random(len(keys)) < self._pool_fraction
        if keys:
            self.waves += 1
        for key, h in zip(keys, hit, strict=True):
            if h:
                if self._lead_s is not None and self.on_rebalance is not None:
                    self.on_rebalance(key)  # a wave gives no earlier warning than its notice
                self._notice(key)
        rate = self.rate_per_hour(instance_type) * self._share / self._pool_fraction
        delay_s = float(rng.exponential(3600.0 / rate))
        self._background(delay_s, partial(self._wave, instance_type, pool_index, rng))
