"""Per-second billing with a one-minute minimum (emr-facts 8), as plain functions.

EC2, the EMR fee and EBS are each billed per second from the moment the instance is running
until it is terminated, with a minimum of 60 seconds per instance.
"""

from __future__ import annotations

from dataclasses import dataclass

from emrsim.pricing.prices import Rates

MINIMUM_BILLED_S = 60.0
"""Each instance is billed for at least one minute."""


@dataclass(frozen=True, slots=True)
class Cost:
    """A cost in USD split by component."""

    ec2: float = 0.0
    emr: float = 0.0
    ebs: float = 0.0

    @property
    def total(self) -> float:
        """EC2 + EMR + EBS."""
        return self.ec2 + self.emr + self.ebs

    def __add__(self, other: Cost) -> Cost:
        return Cost(self.ec2 + other.ec2, self.emr + other.emr, self.ebs + other.ebs)


def billed_seconds(start_s: float, end_s: float) -> float:
    """Seconds billed for an instance running from ``start_s`` to ``end_s`` (minimum 60)."""
    if end_s < start_s:
        raise ValueError(f"end {end_s} before start {start_s}")
    return max(MINIMUM_BILLED_S, end_s - start_s)


def instance_cost(rates: Rates, start_s: float, end_s: float) -> Cost:
    """What one instance costs from ``start_s`` to ``end_s``."""
    hours = billed_seconds(start_s, end_s) / 3600.0
    return Cost(
        rates.ec2_usd_per_hr * hours, rates.emr_usd_per_hr * hours, rates.ebs_usd_per_hr * hours
    )


def cost_at(rates: Rates, start_s: float, end_s: float | None, now_s: float) -> Cost:
    """The cost accrued by one instance at time ``now_s`` (zero before it starts)."""
    if now_s < start_s:
        return Cost()
    stop = now_s if end_s is None else min(end_s, now_s)
    return instance_cost(rates, start_s, stop)
