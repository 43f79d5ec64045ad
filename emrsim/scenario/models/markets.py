"""Markets and prices: spot interruptions, reclaim waves, availability; price overrides."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from emrsim.scenario.values import (
    Frozen,
    PositiveSeconds,
    Seconds,
)


# ------------------------------------------------------------------------------------ spot
class SpotInterruption(Frozen):
    """An interruption hazard for one instance type: a rate, or a Spot Advisor bucket."""

    rate_per_hour: float | None = Field(default=None, ge=0)
    advisor_bucket: Literal["<5%", "5-10%", "10-15%", "15-20%", ">20%"] | None = None

    @model_validator(mode="after")
    def _one_of(self) -> SpotInterruption:
        if (self.rate_per_hour is None) == (self.advisor_bucket is None):
            raise ValueError("give exactly one of rate_per_hour or advisor_bucket")
        return self


def _fraction(what: str, above_0: bool) -> Any:
    """A check of a number in (0, 1] (``above_0``) or [0, 1] whose message says what it is."""
    allowed = "above 0 and at most 1" if above_0 else "between 0 and 1"

    def check(value: Any) -> Any:
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if number and (value > 1 or value < 0 or (above_0 and value == 0)):
            raise ValueError(f"must be {allowed}: {what} (got {value:g})")
        return value

    return check


class ReclaimWaves(Frozen):
    """Correlated reclaims: part of the hazard arrives as waves that hit a whole capacity pool.

    A pool is one instance type in the cluster's Availability Zone (a cluster lives in one AZ,
    emr-facts 2). ``share`` of each instance's hazard comes from waves; each wave reclaims every
    spot instance of its pool independently with probability ``pool_fraction``. The mean rate
    per instance-hour is unchanged; the variance of interruptions per run grows.
    """

    share: Annotated[
        float,
        Field(gt=0, le=1),
        BeforeValidator(_fraction("the share of the hazard that arrives in waves", above_0=True)),
    ]
    pool_fraction: Annotated[
        float,
        Field(gt=0, le=1),
        BeforeValidator(_fraction("the chance a wave reclaims each instance of its pool", True)),
    ]


class SpotMarket(Frozen):
    """Spot prices, interruption hazards and capacity per instance type (pool)."""

    interruptions: dict[str, SpotInterruption] = Field(default_factory=dict)
    price_fraction: dict[
        str,
        Annotated[
            float,
            Field(gt=0, le=1),
            BeforeValidator(_fraction("the spot price as a fraction of on-demand", True)),
        ],
    ] = Field(default_factory=dict)
    availability: dict[
        str,
        Annotated[
            float,
            Field(ge=0, le=1),
            BeforeValidator(
                _fraction("the probability a spot request is fulfilled at one attempt", False)
            ),
        ],
    ] = Field(default_factory=dict)
    """Probability that a spot request in a pool is fulfilled at one attempt (default 1)."""
    retry_interval: PositiveSeconds = 300.0
    """Time between attempts of an unfulfilled spot request (a model default)."""
    advisor_window: PositiveSeconds = 30 * 86400.0
    """The span a Spot Advisor bucket refers to ("the trailing month"): bucket -> hazard."""
    reclaim_waves: ReclaimWaves | None = None
    rebalance_lead: Seconds | None = None
    """When set, a rebalance recommendation arrives this long before the interruption notice and
    the node stops taking new containers then (a what-if: EMR does not act on it by itself)."""
    replace_interrupted: bool = True
    """Groups and fleets request replacements for reclaimed spot instances (emr-facts 3)."""


# --------------------------------------------------------------------------------- pricing
class PriceOverride(Frozen):
    """Prices for one instance type, USD per hour."""

    on_demand_usd_per_hr: float | None = Field(default=None, ge=0)
    emr_usd_per_hr: float | None = Field(default=None, ge=0)
    spot_usd_per_hr: float | None = Field(default=None, ge=0)


class Pricing(Frozen):
    """Price overrides. EBS default: gp2 at 0.10 USD per GB-month (emr-facts 8 example)."""

    instances: dict[str, PriceOverride] = Field(default_factory=dict)
    ebs_usd_per_gb_month: float = Field(default=0.10, ge=0)
