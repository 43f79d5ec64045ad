"""Replications from the command line: ``--target-ci``/``--max-replications``, the progress bar
(never when stderr is not a terminal) and ``--quiet``."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from cli_support import run_cli
from click.testing import CliRunner
from rich.console import Console

import emrsim
from emrsim.cli import main
from emrsim.report.terminal import ProgressDisplay, progress_wanted
from emrsim.scenario import scenario_from_data
from emrsim.sweep.replications import Monitor, simulate
from emrsim.sweep.target import TargetCI, TargetStatus, check_metric, metric_paths

QUICKSTART = "scenarios/quickstart.yaml"


def _invoke(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _json(*args: str) -> dict[str, Any]:
    result = _invoke("run", QUICKSTART, "--json", *args)
    assert result.exit_code == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


# ------------------------------------------------------------------------------ --target-ci
def test_target_reached_stops_at_the_first_replication_that_meets_it() -> None:
    document = _json("--target-ci", "makespan_s=8%", "--max-replications", "40")
    block = document["target_ci"]
    n = document["replications"]
    assert block["reached"] is True
    assert 2 <= n < 40
    assert block["replications"] == n == len(document["runs"])
    assert block["metric"] == "makespan_s" and block["relative"] is True
    assert block["target_half_width"] == pytest.approx(0.08)
    assert block["relative_half_width"] <= 0.08
    assert block["half_width"] == pytest.approx(block["relative_half_width"] * block["mean"])
    agg = document["aggregate"]["makespan_s"]
    assert block["mean"] == pytest.approx(agg["mean"])
    assert block["half_width"] == pytest.approx((agg["ci95"][1] - agg["ci95"][0]) / 2)
    # one run fewer was not enough
    target = TargetCI.parse("makespan_s=8%")
    assert not target.status(document["runs"][: n - 1], 40).reached or n == 2


def test_target_not_reached_stops_at_the_cap_with_the_runs_of_a_plain_run() -> None:
    document = _json("-r", "2", "--target-ci", "makespan_s=0.01%", "--max-replications", "4")
    plain = _json("-r", "4")
    block = document["target_ci"]
    assert block["reached"] is False
    assert document["replications"] == block["replications"] == block["max_replications"] == 4
    assert document["runs"] == plain["runs"]  # replication i always gets the i-th child seed
    assert [r["replication"] for r in document["runs"]] == [0, 1, 2, 3]


def test_target_absolute_and_human_output() -> None:
    result = _invoke(
        "run", QUICKSTART, "--target-ci", "cost_usd.total=0.0001", "--max-replications", "3"
    )
    assert result.exit_code == 0
    assert "NOT reached" in result.stdout and "cap of 3 replications" in result.stdout
    result = _invoke("run", QUICKSTART, "--target-ci", "cost_usd.total=1")
    assert result.exit_code == 0
    assert "reached after 2 replications" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--target-ci", "makespan=5%"], "unknown metric 'makespan' (did you mean 'makespan_s'?)"),
        (["--target-ci", "makespan_s"], "expected METRIC=HALF_WIDTH"),
        (["--target-ci", "makespan_s="], "expected METRIC=HALF_WIDTH"),
        (["--target-ci", "makespan_s=abc%"], "'abc%' is not a number"),
        (["--target-ci", "makespan_s=-1"], "must be a number > 0"),
        (["--target-ci", "makespan_s=0%"], "must be a number > 0"),
        (["--target-ci", "makespan_s=nan"], "must be a number > 0"),
        (["--target-ci", "cluster_state=1"], "unknown metric 'cluster_state'"),
        (["--max-replications", "5"], "--max-replications: only with --target-ci"),
        (
            ["-r", "8", "--target-ci", "makespan_s=5%", "--max-replications", "4"],
            "below the 8 replications to start from",
        ),
    ],
)
def test_bad_target_exits_2_with_a_message(args: list[str], message: str) -> None:
    result = _invoke("run", QUICKSTART, *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_bad_target_from_a_real_process_has_no_traceback(tmp_path: Any) -> None:
    out = tmp_path / "out"
    proc = run_cli("run", QUICKSTART, "--target-ci", "mkespan_s=5%", "--out", str(out))
    assert proc.returncode == 2
    assert "--target-ci: unknown metric 'mkespan_s'" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists()  # checked before anything is written


def test_target_parse_and_text() -> None:
    relative = TargetCI.parse(" makespan_s = 5% ")
    assert relative == TargetCI("makespan_s", 0.05, True)
    assert str(relative) == "makespan_s=5%"
    absolute = TargetCI.parse("cost_usd.total=0.5")
    assert absolute == TargetCI("cost_usd.total", 0.5, False)
    assert str(absolute) == "cost_usd.total=0.5"


def test_target_status_edge_cases() -> None:
    target = TargetCI("x", 0.1, relative=True)
    assert target.status([{"x": 5.0}], 10).half_width is None  # one value: no interval
    zero = target.status([{"x": 0.0}, {"x": 0.0}], 10)
    assert zero.reached and zero.relative_half_width == 0.0
    missing = target.status([{"y": 1.0}, {"y": 2.0}], 10)
    assert not missing.reached and missing.mean is None


def test_metric_names_are_known_before_running() -> None:
    scenario = emrsim.load_scenario("scenarios/shared-analytics.yaml")
    paths = metric_paths(scenario)
    for path in ("makespan_s", "cost_usd.total", "jobs.mean_wait_s", "cluster_ready_s"):
        assert path in paths
    assert any(p.startswith("yarn.queues.") for p in paths)
    assert "seed" not in paths and "cluster_state" not in paths
    with pytest.raises(ValueError, match="did you mean"):
        check_metric(scenario, "cost_usd.totl")


def test_library_target_ci() -> None:
    scenario = emrsim.load_scenario(QUICKSTART)
    document, results = emrsim.simulate(scenario, target_ci="cost_usd.total=1")
    assert document["target_ci"]["reached"] and len(results) == 2
    with pytest.raises(ValueError, match="unknown metric"):
        emrsim.simulate(scenario, target_ci="nope=1")
    with pytest.raises(ValueError, match="below the 3 replications"):
        emrsim.simulate(scenario, 3, target_ci="makespan_s=1%", max_replications=2)


# ------------------------------------------------------------------------------ progress
class _Ticks(Monitor):
    clock_period_s = 60.0

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def begin(self, name: str, planned: int, cap: int) -> None:
        self.calls.append(("begin", (name, planned, cap)))

    def run_started(self, index: int) -> None:
        self.calls.append(("start", index))

    def clock(self, time_s: float, jobs_done: int, jobs_submitted: int) -> None:
        self.calls.append(("clock", (time_s, jobs_done, jobs_submitted)))

    def run_finished(self, index: int, status: TargetStatus | None) -> None:
        self.calls.append(("finish", index))

    def end(self) -> None:
        self.calls.append(("end", None))


BURSTY_SHORT = [  # custom scaling rules (background timers), a keep-alive cluster, idle timeout
    "horizon=null",
    "cluster.idle_timeout=30m",
    "workload.streams=[{name: t, start: 0, until: 2h, interarrival: {dist: exponential, "
    "mean: 600}, job: {stages: [{name: map, tasks: 200, duration: 120}]}}]",
]
STUCK = {  # both core nodes fail and AMs may only run there: work that can never be placed
    "name": "stuck",
    "seed": 5,
    "cluster": {
        "instance_groups": [
            {"role": "primary", "instance_type": "m5.xlarge", "count": 1},
            {"role": "core", "instance_type": "m5.xlarge", "count": 2},
            {"role": "task", "instance_type": "m5.xlarge", "count": 2, "market": "spot"},
        ],
    },
    "yarn": {"am_placement": "core"},
    "spot_market": {"interruptions": {"m5.xlarge": {"rate_per_hour": 0.5}}},
    "faults": [{"at": 1000, "role": "core", "count": 2}],
    "workload": {
        "steps": [
            {"name": "etl", "job": {"stages": [{"name": "map", "tasks": 60, "duration": 400}]}}
        ]
    },
}


def _scenario(name: str) -> emrsim.Scenario:
    if name == "bursty-short":
        return emrsim.load_scenario("scenarios/bursty-day.yaml", BURSTY_SHORT)
    if name == "stuck":
        return scenario_from_data(STUCK)
    return emrsim.load_scenario(f"scenarios/{name}.yaml")


@pytest.mark.parametrize("name", ["quickstart", "core-node-loss", "bursty-short", "stuck"])
def test_clock_ticks_do_not_change_the_runs(name: str) -> None:
    """The progress hook is a background timer: the same runs, and a run still stops when
    nothing but background timers is left (``stuck``)."""
    scenario = _scenario(name)
    plain, _ = simulate(scenario, 1)
    ticks = _Ticks()
    watched, _ = simulate(scenario, 1, monitor=ticks)
    assert watched["runs"] == plain["runs"]
    assert watched["warnings"] == plain["warnings"]
    assert plain["runs"][0]["stalled"] is (name == "stuck")
    kinds = [kind for kind, _ in ticks.calls]
    assert kinds[:2] == ["begin", "start"] and kinds[-2:] == ["finish", "end"]
    times = [value[0] for kind, value in ticks.calls if kind == "clock"]
    assert times and times == sorted(times)
    assert times[-1] <= plain["runs"][0]["cluster_lifetime_s"] + 60.0
    done = [value[1] for kind, value in ticks.calls if kind == "clock"]
    assert done == sorted(done)


def test_progress_display_draws_on_a_terminal() -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=120)
    scenario = emrsim.load_scenario(QUICKSTART)
    with ProgressDisplay(console, min_interval_s=0.0) as display:
        simulate(scenario, 2, monitor=display, target_ci="makespan_s=0.01%", max_replications=3)
    text = buffer.getvalue()
    assert "quickstart" in text
    assert "run 1 at 00:" in text and "/2 jobs" in text
    assert "makespan_s ±" in text and "(≤0.01%)" in text


class _Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def test_progress_only_on_a_terminal_without_quiet_or_json() -> None:
    assert progress_wanted(False, False, _Stream(True))
    assert not progress_wanted(True, False, _Stream(True))
    assert not progress_wanted(False, True, _Stream(True))
    assert not progress_wanted(False, False, _Stream(False))


def test_no_progress_output_when_stderr_is_not_a_terminal() -> None:
    result = _invoke("run", QUICKSTART, "-r", "2")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert "quickstart" in result.stdout and "\r" not in result.stdout


def test_quiet_is_accepted() -> None:
    result = _invoke("run", QUICKSTART, "--quiet", "-r", "2")
    assert result.exit_code == 0
    assert "quickstart" in result.stdout and result.stderr == ""
    result = _invoke("compare", QUICKSTART, QUICKSTART, "-q", "-r", "2", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["replications"] == 2
