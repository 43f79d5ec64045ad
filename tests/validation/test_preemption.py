"""Capacity scheduler preemption: a queue that becomes busy regains its guarantee within the
preemption timings; without preemption it waits for containers to finish."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emrsim.engine import Simulation
from emrsim.scenario.load import scenario_from_data
from emrsim.yarn.preemption import QueueDemand, ideal_assignment, to_preempt

SLOTS = 40  # 10 nodes x 4 one-GB containers
TASK_S = 600.0
B_ARRIVES_S = 60.0


def _stream(queue: str, start: float, tasks: int = 100) -> dict[str, Any]:
    return {
        "name": queue,
        "queue": queue,
        "start": start,
        "interarrival": 0.001,
        "count": 1,
        "job": {
            "type": "container",
            "am": "none",
            "user": queue,
            "stages": [
                {"name": "t", "tasks": tasks, "duration": TASK_S, "container": {"memory_mb": 1024}}
            ],
        },
    }


def _b_history(yarn: dict[str, Any], a_tasks: int = 100) -> list[tuple[float, int]]:
    """Run the two-queue scenario with this ``yarn`` section (queue a's job has ``a_tasks``
    tasks); (time, containers of b) changes."""
    data = {
        "name": "preemption",
        "instance_types": {
            "slot": {
                "vcpu": 4,
                "memory_gb": 8,
                "yarn_memory_mb": 4096,
                "yarn_vcores": 4,
                "on_demand_usd_per_hr": 0.1,
                "emr_usd_per_hr": 0.01,
            }
        },
        "cluster": {
            "instance_groups": [
                {"role": "primary", "instance_type": "m5.xlarge", "count": 1},
                {"role": "core", "instance_type": "slot", "count": 10},
            ],
            "startup": {"provision": 0, "bootstrap": 0},
        },
        "yarn": yarn,
        "workload": {"streams": [_stream("a", 0.0, a_tasks), _stream("b", B_ARRIVES_S)]},
    }
    sim = Simulation(scenario_from_data(data))
    history: list[tuple[float, int]] = []

    def observe(s: Simulation) -> None:
        running = s.rm.scheduler.by_name["b"].running
        if not history or history[-1][1] != running:
            history.append((s.env.now, running))

    sim.run(observe)
    return history


def _run(preemption: Any, a_tasks: int = 100) -> list[tuple[float, int]]:
    return _b_history(
        {
            "scheduler": "capacity",
            "preemption": preemption,
            "queues": [
                {"name": "a", "capacity": 30, "max_capacity": 100, "user_limit_factor": 4},
                {"name": "b", "capacity": 70, "max_capacity": 100, "user_limit_factor": 2},
            ],
        },
        a_tasks,
    )


def _held_at(history: list[tuple[float, int]], t: float) -> int:
    held = 0
    for time_s, running in history:
        if time_s <= t:
            held = running
    return held


GUARANTEE = int(0.7 * SLOTS)  # 28 containers


def test_without_preemption_the_busy_queue_waits_for_containers_to_end() -> None:
    history = _run(False)
    # a filled the cluster at time 0; b gets nothing until a's containers end at 600 s.
    assert _held_at(history, TASK_S - 1) == 0
    assert _held_at(history, TASK_S + 1) >= GUARANTEE


def test_with_preemption_the_queue_regains_its_guarantee_within_the_timings() -> None:
    history = _run(True)
    # Hadoop's defaults: a round every 3 s, kill 15 s after marking, 20 % of the excess per
    # round (natural termination factor), at most 10 % of the cluster per round.
    first = next(t for t, running in history if running > 0)
    assert B_ARRIVES_S < first <= B_ARRIVES_S + 3 + 15 + 3  # first round marks, kill 15 s later
    # Rounds shrink a's excess geometrically; b is within one container of its guarantee long
    # before a's containers would have ended on their own.
    assert _held_at(history, B_ARRIVES_S + 200) >= GUARANTEE - 1
    assert _held_at(history, TASK_S - 1) <= GUARANTEE  # never beyond the guarantee by taking


def test_an_application_asking_for_nothing_more_is_still_preempted() -> None:
    # a's job has one task per slot: it holds the whole cluster and wants nothing more. Its
    # containers are victims all the same (Hadoop takes them from every application of the
    # queue, youngest first).
    history = _run(True, a_tasks=SLOTS)
    first = next(t for t, running in history if running > 0)
    assert B_ARRIVES_S < first <= B_ARRIVES_S + 3 + 15 + 3
    assert _held_at(history, B_ARRIVES_S + 200) >= GUARANTEE - 1


def test_faster_rounds_preempt_sooner() -> None:
    slow = _run(True)
    fast = _run({"monitoring_interval": 1, "max_wait_before_kill": 5})
    first_slow = next(t for t, r in slow if r > 0)
    first_fast = next(t for t, r in fast if r > 0)
    assert first_fast < first_slow


# ------------------------------------------------------------------------- the policy
def test_ideal_assignment_gives_guarantees_then_shares_the_rest() -> None:
    queues = [
        QueueDemand(guaranteed_mb=30, maximum_mb=100, used_mb=100, pending_mb=100),
        QueueDemand(guaranteed_mb=70, maximum_mb=100, used_mb=0, pending_mb=10),
    ]
    assert ideal_assignment(queues, 100) == pytest.approx([90, 10])


def test_nothing_to_preempt_without_a_starving_queue() -> None:
    queues = [
        QueueDemand(guaranteed_mb=30, maximum_mb=100, used_mb=100, pending_mb=50),
        QueueDemand(guaranteed_mb=70, maximum_mb=100, used_mb=0, pending_mb=0),
    ]
    assert to_preempt(queues, 100) == [0.0, 0.0]


@given(
    used=st.lists(st.floats(0, 1000), min_size=2, max_size=5),
    pending=st.lists(st.floats(0, 1000), min_size=2, max_size=5),
    weights=st.lists(st.floats(0.1, 1.0), min_size=2, max_size=5),
)
def test_ideal_assignment_respects_demand_ceilings_and_total(
    used: list[float], pending: list[float], weights: list[float]
) -> None:
    n = min(len(used), len(pending), len(weights))
    total = 1000.0
    guaranteed = [w / sum(weights[:n]) * total for w in weights[:n]]
    queues = [
        QueueDemand(g, total, u, p) for g, u, p in zip(guaranteed, used, pending, strict=False)
    ]
    ideal = ideal_assignment(queues, total)
    assert sum(ideal) <= total + 1e-6
    for q, i in zip(queues, ideal, strict=True):
        assert i <= q.used_mb + q.pending_mb + 1e-6
        assert i >= min(q.guaranteed_mb, q.used_mb + q.pending_mb) - 1e-6
    per_round = to_preempt(queues, total)
    assert sum(per_round) <= 0.1 * total + 1e-6
    assert all(x >= 0 for x in per_round)


# ---------------------------------------------------------------- fair scheduler
def _run_fair(preemption: Any, b_queue: dict[str, Any]) -> list[tuple[float, int]]:
    return _b_history(
        {
            "scheduler": "fair",
            "preemption": preemption,
            "queues": [{"name": "a"}, {"name": "b", **b_queue}],
        }
    )


MIN_SHARE = {"min_resources": {"memory_mb": 12 * 1024}, "min_share_preemption_timeout": 2}


def test_fair_min_share_preemption_after_its_timeout() -> None:
    history = _run_fair(True, MIN_SHARE)
    first = next(t for t, running in history if running > 0)
    # Starved for 2 s (checked every 0.5 s), then marked, then killed 15 s later.
    assert B_ARRIVES_S + 2 + 15 <= first <= B_ARRIVES_S + 2 + 0.5 + 15 + 0.5 + 1e-6
    assert _held_at(history, B_ARRIVES_S + 30) == 12  # exactly its min share, no more
    assert _held_at(history, TASK_S - 1) == 12


def test_fair_share_preemption_up_to_the_fair_share() -> None:
    queue = {"fair_share_preemption_timeout": 5, "fair_share_preemption_threshold": 0.5}
    history = _run_fair(True, queue)
    # Equal weights: b's fair share is half the cluster (20 slots), and b takes it back.
    assert _held_at(history, B_ARRIVES_S + 60) == SLOTS // 2


def test_no_fair_preemption_without_timeouts_or_when_disabled() -> None:
    for preemption, queue in ((True, {}), (False, MIN_SHARE)):
        history = _run_fair(preemption, queue)
        assert _held_at(history, TASK_S - 1) == 0  # waits for a's containers to end
