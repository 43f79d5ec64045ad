"""Which hourly rates apply to an instance: EC2 (on-demand or spot), the EMR fee, EBS.

Resolution order, first found wins:
- on-demand EC2: ``pricing.instances.T.on_demand_usd_per_hr``, ``instance_types.T``, the catalogue
  (us-east-1 table shipped from Karpenter's AWS price snapshot);
- spot EC2: ``pricing.instances.T.spot_usd_per_hr``, ``spot_market.price_fraction.T`` x on-demand,
  the Spot Advisor snapshot's savings for the region x on-demand;
- EMR fee: ``pricing.instances.T.emr_usd_per_hr``, ``instance_types.T``, the catalogue. The EMR fee
  does not change with the market (emr-facts 3).
"""

from __future__ import annotations

from dataclasses import dataclass

from emrsim.nodes.catalogue import InstanceType, load_spot_advisor
from emrsim.scenario.models import Scenario
from emrsim.scenario.values import Market

ROOT_VOLUME_GB = 10.0
"""EMR's root EBS volume per instance (gp2, emr-facts 4)."""

HOURS_PER_MONTH = 720.0
"""EBS GB-month to GB-hour: 30-day month (emr-facts 8: 0.10 USD/GB-month is 0.00139 USD/h for
10 GB)."""


@dataclass(frozen=True, slots=True)
class Rates:
    """Hourly rates of one instance, USD per hour, and where the EC2 figure came from."""

    ec2_usd_per_hr: float
    emr_usd_per_hr: float
    ebs_usd_per_hr: float
    ec2_source: str


class PriceError(LookupError):
    """No price is known for an instance type: the scenario must give one."""


def rates_for(
    scenario: Scenario,
    itype: InstanceType,
    market: Market,
    ebs_gb: float | None = None,
) -> Rates:
    """The hourly rates of one instance of ``itype`` on ``market`` with ``ebs_gb`` of data EBS."""
    override = scenario.pricing.instances.get(itype.name)
    on_demand = override.on_demand_usd_per_hr if override else None
    if on_demand is None:
        on_demand = itype.on_demand_usd_per_hr
    emr = override.emr_usd_per_hr if override else None
    if emr is None:
        emr = itype.emr_usd_per_hr
    if emr is None:
        raise PriceError(
            f"no EMR fee known for {itype.name}: give pricing.instances.{itype.name}.emr_usd_per_hr"
        )
    if market is Market.ON_DEMAND:
        if on_demand is None:
            raise PriceError(
                f"no on-demand price known for {itype.name} in {scenario.region}: give "
                f"pricing.instances.{itype.name}.on_demand_usd_per_hr"
            )
        ec2, source = on_demand, "on-demand"
    else:
        ec2, source = _spot_price(scenario, itype, on_demand)
    data_gb = itype.ebs_default_gb if ebs_gb is None else ebs_gb
    ebs = (data_gb + ROOT_VOLUME_GB) * scenario.pricing.ebs_usd_per_gb_month / HOURS_PER_MONTH
    return Rates(ec2, emr, ebs, source)


def _spot_price(
    scenario: Scenario, itype: InstanceType, on_demand: float | None
) -> tuple[float, str]:
    override = scenario.pricing.instances.get(itype.name)
    if override is not None and override.spot_usd_per_hr is not None:
        return override.spot_usd_per_hr, "pricing.instances spot_usd_per_hr"
    fraction = scenario.spot_market.price_fraction.get(itype.name)
    source = "spot_market.price_fraction"
    if fraction is None:
        savings = load_spot_advisor().savings_fraction(scenario.region, itype.name)
        if savings is not None:
            fraction, source = 1.0 - savings, "Spot Advisor 2025-06 savings"
    if fraction is None:
        raise PriceError(
            f"no spot price known for {itype.name} in {scenario.region}: give "
            f"spot_market.price_fraction.{itype.name} or pricing.instances.{itype.name}"
            ".spot_usd_per_hr"
        )
    if on_demand is None:
        raise PriceError(
            f"no on-demand price known for {itype.name} in {scenario.region} to apply the spot "
            f"fraction to: give pricing.instances.{itype.name}.spot_usd_per_hr"
        )
    return on_demand * fraction, source
