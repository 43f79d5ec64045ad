"""Instance fleets in a running cluster: weighted targets with overage, allocation strategies on a
price and capacity table built for the test, spot timeouts, replacement after reclaims.

The spot table (prices through ``pricing.instances``; capacity scores from the interruption
rates, availability 1, so every request is fulfilled):

=============  ======  ================  ====================  ========
type           weight  spot $/h (/unit)  rate/h -> score       priority
=============  ======  ================  ====================  ========
m5.xlarge      1       0.060             0     -> 1.000        2
r5.xlarge      1       0.050             1e-4  -> 0.931        0
c5.xlarge      1       0.030             5e-4  -> 0.698        1
m5.2xlarge     2       0.110 (0.055)     0     -> 1.000        3
=============  ======  ================  ====================  ========
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from emrsim import Simulation
from emrsim.nodes.spot import NOTICE_S
from emrsim.scenario import scenario_from_data

TABLE = [
    ("m5.xlarge", 1, 0.060, 0.0, 2),
    ("r5.xlarge", 1, 0.050, 1e-4, 0),
    ("c5.xlarge", 1, 0.030, 5e-4, 1),
    ("m5.2xlarge", 2, 0.110, 0.0, 3),
]


def _fleet_scenario(task: dict[str, Any], **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "fleets",
        "seed": 2,
        "release_label": "emr-6.15.0",
        "cluster": {
            "instance_fleets": [
                {
                    "role": "primary",
                    "target_on_demand_capacity": 1,
                    "instance_types": [{"instance_type": "m5.xlarge"}],
                },
                {
                    "role": "core",
                    "target_on_demand_capacity": 2,
                    "instance_types": [{"instance_type": "m5.xlarge"}],
                },
                {"role": "task", **task},
            ],
            "startup": {"provision": 60, "bootstrap": 30},
        },
        "pricing": {
            "instances": {name: {"spot_usd_per_hr": price} for name, _, price, _, _ in TABLE}
        },
        "spot_market": {
            "interruptions": {name: {"rate_per_hour": rate} for name, _, _, rate, _ in TABLE}
        },
        "workload": {
            "steps": [
                {"name": "s", "job": {"stages": [{"name": "map", "tasks": 20, "duration": 300}]}}
            ]
        },
    }
    data.update(changes)
    return data


def _task_types(**fleet: Any) -> dict[str, Any]:
    return {
        "instance_types": [
            {"instance_type": name, "weighted_capacity": w, "priority": p}
            for name, w, _, _, p in TABLE
        ],
        **fleet,
    }


def _run(data: dict[str, Any], tmp_path: Path | None = None) -> tuple[Any, Any]:
    events = tmp_path / "events.jsonl" if tmp_path else None
    sim = Simulation(scenario_from_data(data), events_path=events)
    return sim, sim.run()


def _initial(sim: Any, role: str, market: str) -> Counter[str]:
    return Counter(
        i.itype.name
        for i in sim.instances.instances
        if i.role.value == role and i.market.value == market and i.request_s == 0.0
    )


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [
        ("lowest-price", {"c5.xlarge": 4}),
        ("capacity-optimized", {"m5.xlarge": 4}),
        ("price-capacity-optimized", {"m5.2xlarge": 2}),
        ("capacity-optimized-prioritized", {"m5.xlarge": 4}),
        ("diversified", {"m5.xlarge": 1, "r5.xlarge": 1, "c5.xlarge": 1, "m5.2xlarge": 1}),
    ],
)
def test_spot_strategy_picks_by_its_definition(strategy: str, expected: dict[str, int]) -> None:
    data = _fleet_scenario(_task_types(target_spot_capacity=4, spot_allocation_strategy=strategy))
    sim, result = _run(data)
    assert _initial(sim, "task", "spot") == Counter(expected)
    assert result.summary["jobs"]["completed"] == 1


@pytest.mark.parametrize(
    ("strategy", "expected"),
    # Catalogue on-demand prices per unit: c5.xlarge 0.170 is the cheapest; r5.xlarge has
    # priority 0.
    [("lowest-price", {"c5.xlarge": 3}), ("prioritized", {"r5.xlarge": 3})],
)
def test_on_demand_strategy_picks_by_its_definition(
    strategy: str, expected: dict[str, int]
) -> None:
    data = _fleet_scenario(
        _task_types(target_on_demand_capacity=3, on_demand_allocation_strategy=strategy)
    )
    sim, _ = _run(data)
    assert _initial(sim, "task", "on_demand") == Counter(expected)


def test_weighted_target_met_with_overage() -> None:
    task = {
        "target_spot_capacity": 5,
        "instance_types": [{"instance_type": "m5.2xlarge", "weighted_capacity": 2}],
    }
    sim, result = _run(_fleet_scenario(task))
    assert _initial(sim, "task", "spot") == Counter({"m5.2xlarge": 3})  # 6 units for 5
    rows = [n for n in result.nodes if n.role == "task"]
    assert all(n.group == "task" and n.market == "spot" for n in rows)


def test_mixed_targets_in_one_fleet() -> None:
    sim, _ = _run(
        _fleet_scenario(
            _task_types(
                target_on_demand_capacity=2,
                target_spot_capacity=3,
                spot_allocation_strategy="lowest-price",
            )
        )
    )
    assert _initial(sim, "task", "on_demand") == Counter({"c5.xlarge": 2})
    assert _initial(sim, "task", "spot") == Counter({"c5.xlarge": 3})


def test_replication_follows_the_core_fleet_size() -> None:
    data = _fleet_scenario(_task_types(target_spot_capacity=1))
    data["cluster"]["instance_fleets"][1]["target_on_demand_capacity"] = 4
    _, result = _run(data)
    assert result.summary["hdfs"]["replication"] == 2  # 4-9 core nodes (emr-facts 4)


# ------------------------------------------------------------------------------- timeouts
def _unfulfillable(action: str) -> dict[str, Any]:
    data = _fleet_scenario(
        _task_types(
            target_spot_capacity=4,
            spot_allocation_strategy="lowest-price",
            spot_timeout={"duration": "5m", "action": action},
        )
    )
    data["spot_market"]["availability"] = {name: 0.0 for name, *_ in TABLE}
    return data


def test_spot_timeout_switches_to_on_demand() -> None:
    sim, result = _run(_unfulfillable("switch_to_on_demand"))
    task = [i for i in sim.instances.instances if i.role.value == "task"]
    assert task and all(i.market.value == "on_demand" for i in task)
    assert {i.request_s for i in task} == {300.0}
    assert sum(i.weight for i in task) >= 4
    assert result.summary["cluster_state"] == "TERMINATED"
    assert result.summary["spot"]["unfulfilled_requests"] > 0


def test_spot_timeout_terminates_the_cluster() -> None:
    _, result = _run(_unfulfillable("terminate_cluster"))
    assert result.summary["cluster_state"] == "TERMINATED_WITH_ERRORS"
    assert result.summary["state_change_reason"] == "INSTANCE_FLEET_TIMEOUT"
    assert result.summary["cluster_lifetime_s"] == pytest.approx(300.0)


def test_spot_timeout_is_quiet_when_the_target_is_met(tmp_path: Path) -> None:
    data = _fleet_scenario(
        _task_types(
            target_spot_capacity=4,
            spot_timeout={"duration": "5m", "action": "terminate_cluster"},
        )
    )
    _, result = _run(data, tmp_path)
    assert result.summary["cluster_state"] == "TERMINATED"
    assert "spot_timeout" not in (tmp_path / "events.jsonl").read_text()


# ---------------------------------------------------------------------------- replacement
def test_reclaimed_fleet_capacity_is_replaced_to_target() -> None:
    data = _fleet_scenario(
        _task_types(target_spot_capacity=6, spot_allocation_strategy="diversified"),
        faults=[{"at": 200, "action": "spot_interruption", "role": "task", "count": 2}],
    )
    sim, result = _run(data)
    reclaimed = [i for i in sim.instances.instances if i.end_reason == "spot_interruption"]
    assert len(reclaimed) == 2
    replaced = [i for i in sim.instances.instances if i.request_s == 200 + NOTICE_S]
    assert replaced
    live = [i for i in sim.instances.instances if i.role.value == "task" and i not in reclaimed]
    assert sum(i.weight for i in live) >= 6
    units = Counter()
    for i in live:
        units[i.itype.name] += i.weight
    assert max(units.values()) - min(units.values()) <= 2  # still spread over the pools
    assert result.summary["spot"]["interruptions"] == 2
