"""Billing: per-second with a one-minute minimum, hourly rates, and whole-run costs by hand.

emr-facts 8: EC2, the EMR fee and EBS are each billed per second with a 60 s minimum per
instance; EBS is pro-rated hourly from the GB-month price (30-day month, 720 h) and covers the
data volumes plus EMR's 10 GB root volume; emr-facts 3: the EMR fee does not change with Spot.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emrsim import Simulation
from emrsim.nodes.resolve import resolve_instance_types
from emrsim.pricing.billing import Cost, billed_seconds, cost_at, instance_cost
from emrsim.pricing.prices import PriceError, Rates, rates_for
from emrsim.scenario import Scenario, scenario_from_data
from emrsim.scenario.values import Market

REL = 1e-9


# ------------------------------------------------------------------------- billed_seconds
@pytest.mark.parametrize(
    ("start", "end", "billed"),
    [
        (0.0, 0.0, 60.0),  # started and stopped at once: still one minute
        (0.0, 1.0, 60.0),
        (10.0, 69.999, 60.0),
        (10.0, 70.0, 60.0),  # exactly one minute
        (10.0, 70.5, 60.5),  # per second (and fractions) after the first minute
        (0.0, 61.0, 61.0),
        (100.0, 3700.0, 3600.0),
        (250.0, 86650.0, 86400.0),
    ],
)
def test_billed_seconds(start: float, end: float, billed: float) -> None:
    assert billed_seconds(start, end) == pytest.approx(billed, rel=REL)


def test_billed_seconds_rejects_end_before_start() -> None:
    with pytest.raises(ValueError):
        billed_seconds(100.0, 99.0)


# -------------------------------------------------------------------------- instance_cost
RATES = Rates(ec2_usd_per_hr=0.36, emr_usd_per_hr=0.09, ebs_usd_per_hr=0.018, ec2_source="test")


@pytest.mark.parametrize(
    ("start", "end", "hours"),
    [
        (0.0, 30.0, 1 / 60),  # under a minute: billed one minute
        (50.0, 50.0, 1 / 60),
        (0.0, 90.0, 90 / 3600),
        (3600.0, 10800.0, 2.0),
    ],
)
def test_instance_cost_components(start: float, end: float, hours: float) -> None:
    cost = instance_cost(RATES, start, end)
    assert cost.ec2 == pytest.approx(0.36 * hours, rel=REL)
    assert cost.emr == pytest.approx(0.09 * hours, rel=REL)
    assert cost.ebs == pytest.approx(0.018 * hours, rel=REL)
    assert cost.total == pytest.approx((0.36 + 0.09 + 0.018) * hours, rel=REL)


def test_cost_addition() -> None:
    a = Cost(1.0, 2.0, 3.0)
    b = Cost(0.5, 0.25, 0.125)
    s = a + b
    assert (s.ec2, s.emr, s.ebs) == (1.5, 2.25, 3.125)
    assert s.total == pytest.approx(6.875, rel=REL)


def test_cost_at_before_during_after() -> None:
    start, end = 100.0, 400.0
    assert cost_at(RATES, start, end, 99.0).total == 0.0
    # At the very start the first minute is already owed.
    assert cost_at(RATES, start, end, 100.0).ec2 == pytest.approx(0.36 / 60, rel=REL)
    assert cost_at(RATES, start, end, 130.0).ec2 == pytest.approx(0.36 / 60, rel=REL)
    assert cost_at(RATES, start, end, 280.0).ec2 == pytest.approx(0.36 * 180 / 3600, rel=REL)
    # After the end the bill is frozen at the final amount.
    final = 0.36 * 300 / 3600
    assert cost_at(RATES, start, end, 400.0).ec2 == pytest.approx(final, rel=REL)
    assert cost_at(RATES, start, end, 9999.0).ec2 == pytest.approx(final, rel=REL)
    # Still running (no end): it keeps accruing.
    assert cost_at(RATES, start, None, 3700.0).ec2 == pytest.approx(0.36, rel=REL)


times = st.floats(min_value=0.0, max_value=1e6, allow_nan=False, allow_infinity=False)


@given(
    start=times,
    life=st.one_of(st.none(), st.floats(min_value=0.0, max_value=1e5)),
    t1=times,
    dt=st.floats(min_value=0.0, max_value=1e6),
    ec2=st.floats(min_value=0.0, max_value=50.0),
    emr=st.floats(min_value=0.0, max_value=5.0),
    ebs=st.floats(min_value=0.0, max_value=1.0),
)
def test_cost_never_decreases_over_time(
    start: float, life: float | None, t1: float, dt: float, ec2: float, emr: float, ebs: float
) -> None:
    rates = Rates(ec2, emr, ebs, "test")
    end = None if life is None else start + life
    t2 = t1 + dt
    c1 = cost_at(rates, start, end, t1)
    c2 = cost_at(rates, start, end, t2)
    assert c1.ec2 <= c2.ec2
    assert c1.emr <= c2.emr
    assert c1.ebs <= c2.ebs
    assert c1.total <= c2.total
    if end is not None:
        # Never more than the final bill, and the final bill once the instance has ended.
        final = instance_cost(rates, start, end)
        assert c2.total <= final.total
        if t2 >= end:
            assert c2.total == pytest.approx(final.total, rel=REL)
    if t1 >= start:
        # Once started, at least the one-minute minimum is owed.
        assert c1.total >= (ec2 + emr + ebs) / 60 * (1 - REL)


# ------------------------------------------------------------------------------ rates_for
CLUSTER = {
    "instance_groups": [
        {"role": "primary", "instance_type": "m5.xlarge", "count": 1},
        {"role": "core", "instance_type": "m5.xlarge", "count": 1},
    ]
}


def _scenario(**extra: Any) -> Scenario:
    return scenario_from_data({"name": "rates", "cluster": CLUSTER, **extra})


def _rates(s: Scenario, name: str, market: Market, ebs_gb: float | None = None) -> Rates:
    return rates_for(s, resolve_instance_types(s)[name], market, ebs_gb)


def test_on_demand_m5_xlarge_catalogue_rates() -> None:
    r = _rates(_scenario(), "m5.xlarge", Market.ON_DEMAND)
    assert r.ec2_usd_per_hr == pytest.approx(0.192, rel=REL)
    assert r.emr_usd_per_hr == pytest.approx(0.048, rel=REL)
    # Default EBS for an EBS-only xlarge: 2 x 32 GiB, plus the 10 GB root; gp2 0.10 USD/GB-month.
    assert r.ebs_usd_per_hr == pytest.approx((64 + 10) * 0.10 / 720, rel=REL)


def test_spot_price_from_price_fraction() -> None:
    s = _scenario(spot_market={"price_fraction": {"m5.xlarge": 0.35}})
    r = _rates(s, "m5.xlarge", Market.SPOT)
    assert r.ec2_usd_per_hr == pytest.approx(0.35 * 0.192, rel=REL)
    assert r.emr_usd_per_hr == pytest.approx(0.048, rel=REL)  # the fee ignores the market


def test_spot_fraction_applies_to_the_overridden_on_demand_price() -> None:
    s = _scenario(
        spot_market={"price_fraction": {"m5.xlarge": 0.5}},
        pricing={"instances": {"m5.xlarge": {"on_demand_usd_per_hr": 0.3}}},
    )
    assert _rates(s, "m5.xlarge", Market.SPOT).ec2_usd_per_hr == pytest.approx(0.15, rel=REL)
    assert _rates(s, "m5.xlarge", Market.ON_DEMAND).ec2_usd_per_hr == pytest.approx(0.3, rel=REL)


def test_spot_price_override_wins_over_fraction() -> None:
    s = _scenario(
        spot_market={"price_fraction": {"m5.xlarge": 0.5}},
        pricing={"instances": {"m5.xlarge": {"spot_usd_per_hr": 0.07}}},
    )
    r = _rates(s, "m5.xlarge", Market.SPOT)
    assert r.ec2_usd_per_hr == pytest.approx(0.07, rel=REL)
    assert r.emr_usd_per_hr == pytest.approx(0.048, rel=REL)


def test_spot_default_from_the_advisor_is_a_discount() -> None:
    s = _scenario()
    spot = _rates(s, "m5.xlarge", Market.SPOT)
    on_demand = _rates(s, "m5.xlarge", Market.ON_DEMAND)
    assert 0.0 < spot.ec2_usd_per_hr < on_demand.ec2_usd_per_hr
    assert spot.emr_usd_per_hr == on_demand.emr_usd_per_hr
    assert spot.ebs_usd_per_hr == on_demand.ebs_usd_per_hr


def test_emr_fee_override_and_instance_types_entry() -> None:
    s = _scenario(
        instance_types={"m5.xlarge": {"on_demand_usd_per_hr": 0.5, "emr_usd_per_hr": 0.11}},
    )
    r = _rates(s, "m5.xlarge", Market.ON_DEMAND)
    assert (r.ec2_usd_per_hr, r.emr_usd_per_hr) == (pytest.approx(0.5), pytest.approx(0.11))
    # pricing.instances wins over instance_types.
    s = _scenario(
        instance_types={"m5.xlarge": {"on_demand_usd_per_hr": 0.5, "emr_usd_per_hr": 0.11}},
        pricing={"instances": {"m5.xlarge": {"on_demand_usd_per_hr": 0.25, "emr_usd_per_hr": 0.2}}},
    )
    r = _rates(s, "m5.xlarge", Market.ON_DEMAND)
    assert (r.ec2_usd_per_hr, r.emr_usd_per_hr) == (pytest.approx(0.25), pytest.approx(0.2))


@pytest.mark.parametrize(("ebs_gb", "price"), [(0.0, 0.10), (100.0, 0.08), (256.0, 0.1)])
def test_ebs_rate(ebs_gb: float, price: float) -> None:
    s = _scenario(pricing={"ebs_usd_per_gb_month": price})
    r = _rates(s, "m5.xlarge", Market.ON_DEMAND, ebs_gb)
    assert r.ebs_usd_per_hr == pytest.approx((ebs_gb + 10.0) * price / 720.0, rel=REL)


def test_emr_fact_root_volume_example() -> None:
    """emr-facts 8: 0.10 USD/GB-month is 0.00139 USD/h for the 10 GB root volume."""
    r = _rates(_scenario(), "m5.xlarge", Market.ON_DEMAND, 0.0)
    assert r.ebs_usd_per_hr == pytest.approx(0.00139, abs=5e-6)


def test_unknown_price_is_an_error() -> None:
    s = _scenario(
        instance_types={"x.new": {"vcpu": 2, "memory_gb": 8, "yarn_memory_mb": 6144}},
    )
    itype = resolve_instance_types(s)["x.new"]
    with pytest.raises(PriceError):
        rates_for(s, itype, Market.ON_DEMAND)


# ------------------------------------------------------------------------------ end to end
PROVISION_S, BOOTSTRAP_S = 60.0, 30.0
READY_S = PROVISION_S + BOOTSTRAP_S
EBS_MONTH = 0.08
# (type, role, market, count, ec2 USD/h, emr USD/h, data EBS GB)
PRIMARY = ("m5.xlarge", "primary", "on_demand", 1, 0.2, 0.05, 0.0)
CORE = ("r5.xlarge", "core", "on_demand", 2, 0.3, 0.07, 100.0)
TASK = ("c5.xlarge", "task", "spot", 1, 0.4 * 0.15, 0.04, 20.0)  # spot = fraction x on-demand


def _billing_scenario(task_s: float, fault_at: float | None, terminate_s: float = 0.0) -> Any:
    data: dict[str, Any] = {
        "name": "billing",
        "cluster": {
            "instance_groups": [
                {"role": "primary", "instance_type": "m5.xlarge", "count": 1, "ebs_gb": 0},
                {"role": "core", "instance_type": "r5.xlarge", "count": 2, "ebs_gb": 100},
                {
                    "role": "task",
                    "instance_type": "c5.xlarge",
                    "count": 1,
                    "market": "spot",
                    "ebs_gb": 20,
                },
            ],
            "startup": {
                "provision": PROVISION_S,
                "bootstrap": BOOTSTRAP_S,
                "terminate": terminate_s,
            },
            "keep_alive": False,
        },
        "spot_market": {"price_fraction": {"c5.xlarge": 0.4}},
        "pricing": {
            "instances": {
                "m5.xlarge": {"on_demand_usd_per_hr": 0.2, "emr_usd_per_hr": 0.05},
                "r5.xlarge": {"on_demand_usd_per_hr": 0.3, "emr_usd_per_hr": 0.07},
                "c5.xlarge": {"on_demand_usd_per_hr": 0.15, "emr_usd_per_hr": 0.04},
            },
            "ebs_usd_per_gb_month": EBS_MONTH,
        },
        "workload": {
            "steps": [
                {
                    "name": "only",
                    "job": {
                        "type": "container",
                        "am": "none",
                        "stages": [
                            {
                                "name": "work",
                                "tasks": 1,
                                "duration": task_s,
                                # 8 GB fits an r5.xlarge core node (24 GB) but not the c5.xlarge
                                # task node (6 GB): the task node's loss never touches the work.
                                "container": {"memory_mb": 8192},
                            }
                        ],
                    },
                }
            ]
        },
    }
    if fault_at is not None:
        data["faults"] = [{"at": fault_at, "role": "task", "count": 1}]
    return scenario_from_data(data)


def _expected_cost(group: tuple[Any, ...], seconds: float) -> tuple[float, float, float]:
    _, _, _, _, ec2, emr, ebs_gb = group
    hours = max(60.0, seconds) / 3600.0
    return ec2 * hours, emr * hours, (ebs_gb + 10.0) * EBS_MONTH / 720.0 * hours


@pytest.mark.parametrize(
    ("task_s", "fault_at", "terminate_s"),
    [
        (100.0, 100.0, 0.0),  # task node lives 40 s: billed the 60 s minimum
        (10.0, 95.0, 0.0),  # the whole cluster lives 40 s: every instance billed 60 s
        (100.0, 150.0, 0.0),  # task node lives 90 s: billed per second
        (100.0, None, 0.0),  # no fault: everything lives 130 s
        (100.0, 100.0, 45.0),  # termination takes 45 s, billed until it is done
    ],
)
def test_end_to_end_cost_by_hand(task_s: float, fault_at: float | None, terminate_s: float) -> None:
    result = Simulation(_billing_scenario(task_s, fault_at, terminate_s)).run()
    summary = result.summary

    # When things happen: billing starts after provisioning, the step starts when every
    # instance has bootstrapped, the cluster terminates when the step's only task ends.
    step_end = READY_S + task_s
    cluster_end = step_end + terminate_s
    assert summary["cluster_ready_s"] == pytest.approx(READY_S, rel=REL)
    assert summary["cluster_state"] == "TERMINATED"
    assert summary["cluster_lifetime_s"] == pytest.approx(cluster_end, rel=REL)
    assert summary["steps"][0]["state"] == "COMPLETED"
    assert summary["steps"][0]["end_s"] == pytest.approx(step_end, rel=REL)

    life = {
        "primary": cluster_end - PROVISION_S,
        "core": cluster_end - PROVISION_S,
        "task": (fault_at if fault_at is not None else cluster_end) - PROVISION_S,
    }
    ec2 = emr = ebs = 0.0
    by_role = {"primary": 0.0, "core": 0.0, "task": 0.0}
    by_market = {"on_demand": 0.0, "spot": 0.0}
    for group in (PRIMARY, CORE, TASK):
        _, role, market, count, *_ = group
        c_ec2, c_emr, c_ebs = _expected_cost(group, life[role])
        ec2 += count * c_ec2
        emr += count * c_emr
        ebs += count * c_ebs
        by_role[role] += count * (c_ec2 + c_emr + c_ebs)
        by_market[market] += count * (c_ec2 + c_emr + c_ebs)

    cost = summary["cost_usd"]
    assert cost["ec2"] == pytest.approx(ec2, rel=REL)
    assert cost["emr"] == pytest.approx(emr, rel=REL)
    assert cost["ebs"] == pytest.approx(ebs, rel=REL)
    assert cost["total"] == pytest.approx(ec2 + emr + ebs, rel=REL)
    for role, value in by_role.items():
        assert cost["by_role"][role] == pytest.approx(value, rel=REL), role
    for market, value in by_market.items():
        assert cost["by_market"][market] == pytest.approx(value, rel=REL), market

    # Per instance: billing window, end reason and cost.
    assert len(result.nodes) == 4
    for node in result.nodes:
        group = {"primary": PRIMARY, "core": CORE, "task": TASK}[node.role]
        assert node.instance_type == group[0]
        assert node.market == group[2]
        assert node.start_s == pytest.approx(PROVISION_S, rel=REL)
        assert node.end_s is not None
        assert node.end_s - node.start_s == pytest.approx(life[node.role], rel=REL)
        faulted = node.role == "task" and fault_at is not None
        assert node.end_reason == ("fault" if faulted else "cluster_terminated")
        c_ec2, c_emr, c_ebs = _expected_cost(group, life[node.role])
        assert node.ec2_usd == pytest.approx(c_ec2, rel=REL)
        assert node.emr_usd == pytest.approx(c_emr, rel=REL)
        assert node.ebs_usd == pytest.approx(c_ebs, rel=REL)
        assert node.cost_usd == pytest.approx(c_ec2 + c_emr + c_ebs, rel=REL)


def test_node_hours_are_not_rounded_up_to_the_minimum() -> None:
    """nodes.node_hours measures time up, the billing minimum is a cost matter only."""
    summary = Simulation(_billing_scenario(10.0, 95.0)).run().summary
    # primary + 2 core live 40 s, the task node 35 s.
    assert summary["nodes"]["node_hours"] == pytest.approx((3 * 40 + 35) / 3600, rel=REL)
    assert summary["nodes"]["peak"] == 4
