"""EMR steps and the cluster state machine, end to end (emr-facts 7).

Every scenario uses constant timings, so each instant below is computed by hand: instances are
provisioned at 60 s, bootstrapped at 90 s (the cluster is ready), and each step's job is one
task container (``am: none``) of a constant duration.
"""

from __future__ import annotations

from typing import Any

import pytest

from emrsim import RunResult, Simulation
from emrsim.scenario import scenario_from_data

PROVISION_S, BOOTSTRAP_S = 60.0, 30.0
READY_S = PROVISION_S + BOOTSTRAP_S
MAX_ATTEMPTS = 2
FAIL_TASK_S = 50.0  # each attempt of the failing task
TASK_S = 40.0  # the healthy steps' task


def _job(duration: float, fail: float = 0.0) -> dict[str, Any]:
    return {
        "type": "container",
        "am": "none",
        "max_task_attempts": MAX_ATTEMPTS,
        "stages": [
            {
                "name": "work",
                "tasks": 1,
                "duration": duration,
                "container": {"memory_mb": 2048},
                "task_failure_probability": fail,
            }
        ],
    }


def _scenario(
    steps: list[dict[str, Any]],
    *,
    cluster: dict[str, Any] | None = None,
    core: int = 1,
    **extra: Any,
) -> Any:
    data: dict[str, Any] = {
        "name": "steps",
        "cluster": {
            "instance_groups": [
                {"role": "primary", "instance_type": "m5.xlarge", "count": 1},
                {"role": "core", "instance_type": "m5.xlarge", "count": core},
            ],
            "startup": {"provision": PROVISION_S, "bootstrap": BOOTSTRAP_S},
            **(cluster or {}),
        },
        "workload": {"steps": steps},
        **extra,
    }
    return scenario_from_data(data)


def _run(scenario: Any) -> RunResult:
    return Simulation(scenario).run()


def _three_steps(action: str | None) -> list[dict[str, Any]]:
    first: dict[str, Any] = {"name": "bad", "job": _job(FAIL_TASK_S, fail=1.0)}
    if action is not None:
        first["action_on_failure"] = action
    return [
        first,
        {"name": "second", "job": _job(TASK_S)},
        {"name": "third", "job": _job(TASK_S)},
    ]


def _states(result: RunResult) -> list[str]:
    return [s["state"] for s in result.summary["steps"]]


def _check_failed_first_step(result: RunResult) -> None:
    summary = result.summary
    step = summary["steps"][0]
    assert step["state"] == "FAILED"
    # Two attempts of the one task, back to back, then the job fails.
    fail_end = READY_S + MAX_ATTEMPTS * FAIL_TASK_S
    assert step["start_s"] == pytest.approx(READY_S)
    assert step["end_s"] == pytest.approx(fail_end)
    assert summary["jobs"]["failed"] == 1
    bad = next(j for j in result.jobs if j.name == "bad")
    assert bad.state == "FAILED"
    assert bad.containers == MAX_ATTEMPTS
    assert bad.end_s == pytest.approx(fail_end)


# ------------------------------------------------------------------------ ActionOnFailure
@pytest.mark.parametrize("spelling", ["continue", "CONTINUE"])
def test_continue_runs_the_later_steps(spelling: str) -> None:
    result = _run(_scenario(_three_steps(spelling)))
    summary = result.summary
    _check_failed_first_step(result)
    assert _states(result) == ["FAILED", "COMPLETED", "COMPLETED"]
    fail_end = READY_S + MAX_ATTEMPTS * FAIL_TASK_S
    second, third = summary["steps"][1], summary["steps"][2]
    assert second["start_s"] == pytest.approx(fail_end)
    assert second["end_s"] == pytest.approx(fail_end + TASK_S)
    assert third["start_s"] == pytest.approx(fail_end + TASK_S)
    assert third["end_s"] == pytest.approx(fail_end + 2 * TASK_S)
    assert summary["jobs"]["submitted"] == 3
    assert summary["jobs"]["completed"] == 2
    assert summary["containers"]["failed"] == MAX_ATTEMPTS
    assert summary["containers"]["launched"] == MAX_ATTEMPTS + 2
    assert summary["containers"]["completed"] == 2
    assert summary["cluster_state"] == "TERMINATED"
    assert summary["cluster_lifetime_s"] == pytest.approx(fail_end + 2 * TASK_S)
    assert summary["makespan_s"] == pytest.approx(fail_end + 2 * TASK_S)


@pytest.mark.parametrize("action", ["cancel_and_wait", "CANCEL_AND_WAIT", None])
def test_cancel_and_wait_cancels_later_steps(action: str | None) -> None:
    """None: EMR's default with one step at a time cancels the later steps too."""
    result = _run(_scenario(_three_steps(action)))
    summary = result.summary
    _check_failed_first_step(result)
    assert _states(result) == ["FAILED", "CANCELLED", "CANCELLED"]
    for step in summary["steps"][1:]:
        assert step["start_s"] is None and step["end_s"] is None
    assert summary["jobs"]["submitted"] == 1  # cancelled steps never submit a job
    assert summary["containers"]["failed"] == MAX_ATTEMPTS
    assert summary["containers"]["launched"] == MAX_ATTEMPTS
    # keep_alive false: nothing is left to do, so the cluster terminates, without errors.
    assert summary["cluster_state"] == "TERMINATED"
    assert summary["cluster_lifetime_s"] == pytest.approx(READY_S + MAX_ATTEMPTS * FAIL_TASK_S)


def test_cancel_and_wait_keeps_a_kept_alive_cluster_waiting() -> None:
    horizon = 1000.0
    result = _run(
        _scenario(_three_steps("cancel_and_wait"), cluster={"keep_alive": True}, horizon=horizon)
    )
    assert _states(result) == ["FAILED", "CANCELLED", "CANCELLED"]
    assert result.summary["cluster_state"] == "WAITING"
    assert result.summary["cluster_lifetime_s"] == pytest.approx(horizon)


@pytest.mark.parametrize("keep_alive", [False, True])
def test_terminate_cluster_ends_with_errors(keep_alive: bool) -> None:
    # A kept-alive cluster needs an end: a horizon far beyond the work.
    horizon = {"horizon": "1d"} if keep_alive else {}
    result = _run(
        _scenario(_three_steps("terminate_cluster"), cluster={"keep_alive": keep_alive}, **horizon)
    )
    summary = result.summary
    _check_failed_first_step(result)
    assert _states(result) == ["FAILED", "CANCELLED", "CANCELLED"]
    assert summary["containers"]["failed"] == MAX_ATTEMPTS
    assert summary["cluster_state"] == "TERMINATED_WITH_ERRORS"
    assert summary["state_change_reason"] == "STEP_FAILURE"
    assert summary["cluster_lifetime_s"] == pytest.approx(READY_S + MAX_ATTEMPTS * FAIL_TASK_S)


# ----------------------------------------------------------------------- step concurrency
def test_step_concurrency_two_runs_two_steps_at_once() -> None:
    steps = [
        {"name": "long", "job": _job(100.0)},
        {"name": "short", "job": _job(40.0)},
        {"name": "last", "job": _job(30.0)},
    ]
    result = _run(_scenario(steps, cluster={"step_concurrency": 2}))
    summary = result.summary
    assert _states(result) == ["COMPLETED"] * 3
    long, short, last = summary["steps"]
    # The first two start together when the cluster is ready and overlap.
    assert long["start_s"] == pytest.approx(READY_S)
    assert short["start_s"] == pytest.approx(READY_S)
    assert long["start_s"] < short["end_s"] and short["start_s"] < long["end_s"]
    assert long["end_s"] == pytest.approx(READY_S + 100.0)
    assert short["end_s"] == pytest.approx(READY_S + 40.0)
    # The third takes the first free slot, while "long" still runs.
    assert last["start_s"] == pytest.approx(READY_S + 40.0)
    assert last["end_s"] == pytest.approx(READY_S + 70.0)
    assert summary["cluster_lifetime_s"] == pytest.approx(READY_S + 100.0)


def test_step_concurrency_one_runs_steps_in_order() -> None:
    steps = [{"name": f"s{i}", "job": _job(40.0)} for i in range(3)]
    summary = _run(_scenario(steps)).summary
    for i, step in enumerate(summary["steps"]):
        assert step["start_s"] == pytest.approx(READY_S + 40.0 * i)
        assert step["end_s"] == pytest.approx(READY_S + 40.0 * (i + 1))


# -------------------------------------------------------------------- keep alive and idle
def test_idle_timeout_terminates_after_the_last_step() -> None:
    steps = [{"name": "a", "job": _job(70.0)}, {"name": "b", "job": _job(TASK_S)}]
    result = _run(_scenario(steps, cluster={"keep_alive": True, "idle_timeout": "10m"}))
    summary = result.summary
    assert _states(result) == ["COMPLETED", "COMPLETED"]
    last_end = max(s["end_s"] for s in summary["steps"])
    assert last_end == pytest.approx(READY_S + 70.0 + TASK_S)
    assert summary["cluster_state"] == "TERMINATED"
    assert summary["cluster_lifetime_s"] == pytest.approx(last_end + 600.0, abs=1e-6)
    for node in result.nodes:
        assert node.end_reason == "cluster_terminated"
        assert node.end_s == pytest.approx(last_end + 600.0, abs=1e-6)


def test_keep_alive_without_work_waits_for_idle_timeout() -> None:
    """Idle from the moment the cluster is ready (no steps, no streams)."""
    result = _run(_scenario([], cluster={"keep_alive": True, "idle_timeout": 120}))
    assert result.summary["cluster_state"] == "TERMINATED"
    assert result.summary["cluster_lifetime_s"] == pytest.approx(READY_S + 120.0, abs=1e-6)


def test_no_work_and_no_keep_alive_terminates_when_ready() -> None:
    result = _run(_scenario([]))
    assert result.summary["cluster_state"] == "TERMINATED"
    assert result.summary["cluster_lifetime_s"] == pytest.approx(READY_S)


# ------------------------------------------------------------------------------- failures
def test_losing_the_primary_terminates_with_errors() -> None:
    fault_at = READY_S + 30.0
    steps = [{"name": "a", "job": _job(100.0)}, {"name": "b", "job": _job(100.0)}]
    result = _run(_scenario(steps, faults=[{"at": fault_at, "role": "primary"}]))
    summary = result.summary
    assert summary["cluster_state"] == "TERMINATED_WITH_ERRORS"
    assert summary["state_change_reason"] == "INSTANCE_FAILURE"
    assert summary["cluster_lifetime_s"] == pytest.approx(fault_at)
    # The running step cannot finish; the pending one never starts.
    assert summary["steps"][0]["state"] not in ("COMPLETED", "PENDING", "RUNNING")
    assert summary["steps"][0]["end_s"] == pytest.approx(fault_at)
    assert summary["steps"][1]["state"] == "CANCELLED"
    assert summary["jobs"]["completed"] == 0
    reasons = {n.role: n.end_reason for n in result.nodes}
    assert reasons == {"primary": "fault", "core": "cluster_terminated"}


def test_horizon_before_the_work_ends_leaves_the_cluster_running() -> None:
    horizon = READY_S + 50.0
    steps = [{"name": "a", "job": _job(100.0)}, {"name": "b", "job": _job(100.0)}]
    result = _run(_scenario(steps, horizon=horizon))
    summary = result.summary
    assert summary["cluster_state"] == "RUNNING"
    assert summary["cluster_lifetime_s"] == pytest.approx(horizon)
    assert _states(result) == ["RUNNING", "PENDING"]
    assert summary["jobs"]["completed"] == 0
    assert [j.state for j in result.jobs] == ["RUNNING"]
    assert {n.end_reason for n in result.nodes} == {"running"}
    for node in result.nodes:
        assert node.end_s == pytest.approx(horizon)
