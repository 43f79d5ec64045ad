"""The scheduler's queue policy as pure functions (emrsim.yarn.policy; Hadoop CapacityScheduler)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emrsim.scenario import scenario_from_data
from emrsim.yarn.policy import (
    UNLIMITED,
    QueueConfig,
    QueueSnapshot,
    am_limit_mb,
    may_activate,
    may_allocate,
    queue_configs,
    queue_limit_mb,
    service_order,
    user_limit_mb,
)

CLUSTER_MB = 100_000.0


def _config(
    capacity: float = 0.5,
    maximum: float = 1.0,
    ulf: float = 1.0,
    am: float | None = 0.1,
    name: str = "q",
) -> QueueConfig:
    return QueueConfig(name, capacity, maximum, ulf, am)


# -------------------------------------------------------------------------- service_order
def test_most_under_served_queue_first() -> None:
    queues = [
        QueueSnapshot(used_mb=60, guaranteed_mb=100),  # 0.6
        QueueSnapshot(used_mb=10, guaranteed_mb=100),  # 0.1
        QueueSnapshot(used_mb=90, guaranteed_mb=300),  # 0.3
    ]
    assert service_order(queues) == [1, 2, 0]


def test_ratio_not_absolute_use_decides() -> None:
    # Queue 0 holds less memory but is further over its (small) guarantee.
    queues = [QueueSnapshot(50, 50), QueueSnapshot(400, 1000)]
    assert service_order(queues) == [1, 0]


def test_ties_keep_configuration_order() -> None:
    queues = [QueueSnapshot(0, 10), QueueSnapshot(0, 20), QueueSnapshot(5, 10), QueueSnapshot(0, 5)]
    assert service_order(queues) == [0, 1, 3, 2]


def test_queue_without_guarantee_comes_last() -> None:
    queues = [QueueSnapshot(0, 0), QueueSnapshot(500, 100), QueueSnapshot(0, 0)]
    assert service_order(queues) == [1, 0, 2]


snapshots = st.lists(
    st.builds(
        QueueSnapshot,
        used_mb=st.integers(min_value=0, max_value=200_000).map(float),
        guaranteed_mb=st.one_of(
            st.just(0.0), st.floats(min_value=1.0, max_value=200_000.0, allow_nan=False)
        ),
    ),
    min_size=1,
    max_size=8,
)


@given(snapshots)
def test_service_order_is_a_sorted_permutation(queues: list[QueueSnapshot]) -> None:
    order = service_order(queues)
    assert sorted(order) == list(range(len(queues)))

    def ratio(i: int) -> float:
        q = queues[i]
        return q.used_mb / q.guaranteed_mb if q.guaranteed_mb > 0 else UNLIMITED

    for a, b in itertools.pairwise(order):
        assert ratio(a) <= ratio(b)
        if ratio(a) == ratio(b):
            assert a < b  # stable: configuration order among equals
    # The first queue is one of the most under-served.
    assert ratio(order[0]) == min(ratio(i) for i in range(len(queues)))


# ----------------------------------------------------------------------------- the limits
@pytest.mark.parametrize(
    ("capacity", "maximum", "ulf", "expected_frac"),
    [
        (0.3, 0.5, 1.0, 0.3),  # one user: the queue's capacity
        (0.3, 0.5, 1.5, 0.45),  # capacity x factor
        (0.3, 0.5, 2.0, 0.5),  # ... never above max capacity
        (0.7, 1.0, 2.0, 1.0),
        (0.5, 0.5, 0.5, 0.25),  # a factor below 1 keeps a user below the capacity
    ],
)
def test_user_limit(capacity: float, maximum: float, ulf: float, expected_frac: float) -> None:
    config = _config(capacity, maximum, ulf)
    # The limit with the queue at its ceiling (a single active user may grow that far).
    full = config.max_frac * CLUSTER_MB
    assert user_limit_mb(config, CLUSTER_MB, full) == pytest.approx(expected_frac * CLUSTER_MB)
    # Below its guarantee, the queue's current capacity is the guarantee itself.
    assert user_limit_mb(config, CLUSTER_MB, 0.0) == pytest.approx(
        min(expected_frac, config.capacity_frac) * CLUSTER_MB
    )


def test_user_limit_unlimited() -> None:
    assert user_limit_mb(_config(1.0, 1.0, UNLIMITED, None), CLUSTER_MB) == UNLIMITED


@given(
    capacity=st.floats(min_value=0.0, max_value=1.0),
    extra=st.floats(min_value=0.0, max_value=1.0),
    ulf=st.floats(min_value=0.01, max_value=100.0),
    cluster=st.integers(min_value=0, max_value=10_000_000).map(float),
)
def test_user_limit_formula(capacity: float, extra: float, ulf: float, cluster: float) -> None:
    maximum = min(1.0, capacity + extra)
    config = _config(capacity, maximum, ulf)
    limit = user_limit_mb(config, cluster, maximum * cluster)
    assert limit == pytest.approx(min(capacity * ulf, maximum) * cluster, rel=1e-12, abs=1e-9)
    assert limit <= queue_limit_mb(config, cluster) + 1e-9
    if ulf >= 1.0:
        assert limit >= capacity * cluster - 1e-9


def test_minimum_user_limit_percent_splits_between_active_users() -> None:
    # capacity 0.5, ceiling 1.0, ulf 2: the queue may grow to the whole cluster.
    config = _config(capacity=0.5, maximum=1.0, ulf=2.0)
    split = QueueConfig(config.name, 0.5, 1.0, 2.0, 0.1, min_user_limit_frac=0.25)
    full = CLUSTER_MB
    # MULP 100 (default): every user may use the queue's current capacity.
    assert user_limit_mb(config, CLUSTER_MB, full, active_users=4) == pytest.approx(full)
    # MULP 25 with 2 users: half each; with 8 users: never below 25 %.
    assert user_limit_mb(split, CLUSTER_MB, full, active_users=2) == pytest.approx(full / 2)
    assert user_limit_mb(split, CLUSTER_MB, full, active_users=8) == pytest.approx(full / 4)


def test_queue_and_am_limits() -> None:
    config = _config(capacity=0.4, maximum=0.8, am=0.1)
    assert queue_limit_mb(config, CLUSTER_MB) == pytest.approx(80_000)
    assert am_limit_mb(config, CLUSTER_MB) == pytest.approx(4_000)  # 10 % of the guarantee
    assert am_limit_mb(_config(am=None), CLUSTER_MB) == UNLIMITED


def test_may_allocate_boundaries() -> None:
    config = _config(capacity=0.5, maximum=0.8, ulf=1.0)
    # Queue ceiling 80 000, user limit 50 000 (checked on what the user holds before the
    # request, as Hadoop's LeafQueue.canAssignToUser does: one container may cross it).
    assert may_allocate(config, CLUSTER_MB, 0, 0, 50_000)
    assert may_allocate(config, CLUSTER_MB, 50_000, 50_000, 10_000)  # at the limit: one more
    assert not may_allocate(config, CLUSTER_MB, 50_001, 50_001, 1)  # over the user limit
    assert may_allocate(config, CLUSTER_MB, 70_000, 40_000, 10_000)  # exactly at the ceiling
    assert not may_allocate(config, CLUSTER_MB, 75_000, 0, 6_000)  # the queue ceiling
    two_users = _config(capacity=0.5, maximum=0.8, ulf=2.0)  # user limit = ceiling = 80 000
    assert may_allocate(two_users, CLUSTER_MB, 0, 0, 80_000)
    assert not may_allocate(two_users, CLUSTER_MB, 0, 0, 80_032)


@given(
    queue_used=st.integers(min_value=0, max_value=200_000),
    user_share=st.floats(min_value=0.0, max_value=1.0),
    request=st.integers(min_value=1, max_value=50_000),
    capacity=st.floats(min_value=0.01, max_value=1.0),
    extra=st.floats(min_value=0.0, max_value=1.0),
    ulf=st.floats(min_value=0.1, max_value=10.0),
)
def test_may_allocate_matches_the_limits(
    queue_used: int, user_share: float, request: int, capacity: float, extra: float, ulf: float
) -> None:
    config = _config(capacity, min(1.0, capacity + extra), ulf)
    user_used = int(queue_used * user_share)
    allowed = may_allocate(config, CLUSTER_MB, queue_used, user_used, request)
    # Slack to the tighter of the two limits; float rounding only matters within 1e-6 of it.
    slack = min(
        queue_limit_mb(config, CLUSTER_MB) - (queue_used + request),
        user_limit_mb(config, CLUSTER_MB, queue_used, 1, request) - user_used,
    )
    if slack >= 1e-6:
        assert allowed
    elif slack <= -1e-6:
        assert not allowed


# ---------------------------------------------------------------------------- may_activate
def test_first_application_always_activates() -> None:
    config = _config(capacity=0.1, am=0.1)  # AM limit 1 000 MB
    assert am_limit_mb(config, CLUSTER_MB) == pytest.approx(1_000)
    assert may_activate(config, CLUSTER_MB, 0, 6_144, active_apps=0)
    assert not may_activate(config, CLUSTER_MB, 6_144, 6_144, active_apps=1)


def test_am_limit_boundary() -> None:
    config = _config(capacity=0.5, am=0.1)  # AM limit 5 000 MB
    assert may_activate(config, CLUSTER_MB, 3_000, 2_000, active_apps=2)
    assert not may_activate(config, CLUSTER_MB, 3_000, 2_001, active_apps=2)


@given(
    am_used=st.integers(min_value=0, max_value=100_000),
    am=st.integers(min_value=0, max_value=50_000),
    active=st.integers(min_value=0, max_value=50),
    capacity=st.floats(min_value=0.0, max_value=1.0),
    am_frac=st.one_of(st.none(), st.floats(min_value=0.01, max_value=1.0)),
)
def test_may_activate_property(
    am_used: int, am: int, active: int, capacity: float, am_frac: float | None
) -> None:
    config = _config(capacity=capacity, am=am_frac)
    ok = may_activate(config, CLUSTER_MB, am_used, am, active)
    if active == 0 or am_frac is None:
        assert ok
    else:
        slack = am_frac * capacity * CLUSTER_MB - (am_used + am)
        if slack >= 1e-6:
            assert ok
        elif slack <= -1e-6:
            assert not ok


# --------------------------------------------------------------------------- queue_configs
def _yarn(yarn: dict[str, Any]) -> list[QueueConfig]:
    s = scenario_from_data(
        {
            "name": "q",
            "cluster": {
                "instance_groups": [
                    {"role": "primary", "instance_type": "m5.xlarge", "count": 1},
                    {"role": "core", "instance_type": "m5.xlarge", "count": 1},
                ]
            },
            "yarn": yarn,
        }
    )
    return queue_configs(s)


def test_fifo_has_one_unlimited_queue() -> None:
    [q] = _yarn({"scheduler": "fifo"})
    assert (q.name, q.capacity_frac, q.max_frac) == ("default", 1.0, 1.0)
    assert q.user_limit_factor == UNLIMITED
    assert q.am_resource_frac is None
    assert user_limit_mb(q, CLUSTER_MB) == UNLIMITED
    assert may_activate(q, CLUSTER_MB, 90_000, 20_000, active_apps=5)


def test_capacity_without_queues_is_hadoop_default() -> None:
    [q] = _yarn({"scheduler": "capacity"})
    assert (q.name, q.capacity_frac, q.max_frac, q.user_limit_factor) == ("default", 1, 1, 1)
    assert q.am_resource_frac == pytest.approx(0.1)  # maximum-am-resource-percent 0.1


def test_capacity_queues_with_defaults() -> None:
    queues = _yarn(
        {
            "scheduler": "capacity",
            "maximum_am_resource_percent": 20,
            "queues": [
                {"name": "default", "capacity": 70, "max_capacity": 90, "user_limit_factor": 2},
                {"name": "adhoc", "capacity": 30, "maximum_am_resource_percent": 50},
            ],
        }
    )
    default, adhoc = queues
    assert (default.capacity_frac, default.max_frac) == (pytest.approx(0.7), pytest.approx(0.9))
    assert default.user_limit_factor == 2
    assert default.am_resource_frac == pytest.approx(0.2)
    assert (adhoc.capacity_frac, adhoc.max_frac) == (pytest.approx(0.3), pytest.approx(1.0))
    assert adhoc.user_limit_factor == 1  # Hadoop's default
    assert adhoc.am_resource_frac == pytest.approx(0.5)
