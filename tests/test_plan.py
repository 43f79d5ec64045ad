"""emrsim plan: SLA parsing, the racing search against exhaustive search, and the outputs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from emrsim.plan_cli import plan
from emrsim.scenario import load_scenario
from emrsim.scenario.load import scenario_from_data
from emrsim.sweep.grid import split_values
from emrsim.sweep.plan import Vary, grid, search
from emrsim.sweep.replications import simulate
from emrsim.sweep.sla import SLA

TINY = """\
name: tiny
seed: 3
replications: 6
release_label: emr-6.15.0
cluster:
  instance_groups:
    - {role: primary, instance_type: m5.xlarge, count: 1}
    - {role: core, instance_type: m5.xlarge, count: 2, ebs_gb: 64}
    - {role: task, instance_type: m5.xlarge, count: 0, market: spot}
  keep_alive: false
workload:
  steps:
    - name: wordcount
      job:
        type: mapreduce
        stages:
          - {name: map, tasks: 40, duration: {dist: lognormal, mean: 60, cv: 0.3}}
          - {name: reduce, tasks: 6, duration: {dist: uniform, low: 60, high: 120}}
"""
CORE = "cluster.instance_groups.1.count"
TASK = "cluster.instance_groups.2.count"


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY, encoding="utf-8")
    return path


def invoke(*args: str) -> Any:
    return CliRunner().invoke(plan, list(args), catch_exceptions=False)


# --------------------------------------------------------------------------------- SLAs
@pytest.mark.parametrize(
    ("text", "stat", "op", "bound"),
    [
        ("p95(makespan_s) <= 4h", "p95", "<=", 14400.0),
        ("mean(makespan_s)<90m", "mean", "<", 5400.0),
        ("  MAX( cluster_lifetime_s ) >= 1d ", "max", ">=", 86400.0),
        ("p50(jobs.mean_wait_s) > 30s", "p50", ">", 30.0),
        ("p99(makespan_s) <= 600", "p99", "<=", 600.0),
        ("p90(cost_usd.total) <= 1.5", "p90", "<=", 1.5),
        ("min(jobs.completed) >= 2", "min", ">=", 2.0),
    ],
)
def test_sla_parses_statistic_forms(text: str, stat: str, op: str, bound: float) -> None:
    sla = SLA.parse(text)
    assert (sla.stat, sla.op, sla.bound, sla.probability) == (stat, op, bound, None)


def test_sla_parses_probability_forms() -> None:
    sla = SLA.parse("P(makespan_s <= 4h) >= 0.9")
    assert (sla.metric, sla.op, sla.bound, sla.probability, sla.strict) == (
        "makespan_s",
        "<=",
        14400.0,
        0.9,
        False,
    )
    assert SLA.parse("p(cost_usd.total < 2) > 80%").probability == pytest.approx(0.8)
    assert SLA.parse("p(cost_usd.total < 2) > 80%").strict


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("p95 makespan_s <= 4h", "expected"),
        ("p42(makespan_s) <= 4h", "unknown statistic"),
        ("p95(makespan_s) == 4h", "expected"),
        ("p95(makespan_s) <= soon", "not a number or a duration"),
        ("p95(cost_usd.total) <= 4h", "only goes with a duration metric"),
        ("P(makespan_s <= 4h) >= 1.5", "between 0 and 1"),
        ("P(makespan_s <= 4h) <= 0.5", "needs >= or >"),
        ("P(makespan_s <= 4h) >= lots", "not a probability"),
    ],
)
def test_sla_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SLA.parse(text)


def test_sla_figures_and_verdicts() -> None:
    values = [100.0, 200.0, 300.0, 400.0, 500.0]
    assert SLA.parse("p95(makespan_s) <= 500").figure(values) == pytest.approx(
        float(np.percentile(values, 95))
    )
    prob = SLA.parse("P(makespan_s <= 300) >= 0.6")
    assert prob.figure(values) == pytest.approx(0.6)
    assert prob.holds(0.6)
    assert not SLA.parse("P(makespan_s <= 300) > 0.6").holds(0.6)
    assert SLA.parse("mean(makespan_s) < 300").shortfall(330.0) == pytest.approx(0.1, rel=1e-6)


def test_vary_splits_at_top_level_commas_only() -> None:
    assert split_values("1,[a, b],{x: 1, y: 2},'c,d'") == [
        "1",
        "[a, b]",
        "{x: 1, y: 2}",
        "'c,d'",
    ]
    vary = Vary.parse(f"{CORE}=2, 3,4")
    assert vary.values == (2, 3, 4)
    assert len(grid([vary, Vary.parse(f"{TASK}=0,2")])) == 6
    for bad in ("nokey", "=1,2", f"{CORE}=", f"{CORE}=1,,2", "a..b=1"):
        with pytest.raises(ValueError):
            Vary.parse(bad)
    with pytest.raises(ValueError, match="more than once"):
        grid([vary, vary])
    with pytest.raises(ValueError, match="empty"):
        grid([])


# ------------------------------------------------------------------------- pure search
def test_racing_prunes_surely_costlier_points_and_keeps_the_exact_answer() -> None:
    """Synthetic runs: cost = point + small noise, SLA excludes points 0 and 1."""
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 0.01, size=20)

    def run(point: int, replication: int) -> dict[str, Any]:
        return {"cost_usd": {"total": point + noise[replication]}, "makespan_s": 100 - point}

    slas = [SLA.parse("mean(makespan_s) <= 98")]
    racing = search(8, run, slas, "cost_usd.total", 20)
    exhaustive = search(8, run, slas, "cost_usd.total", 20, exhaustive=True)
    assert racing.chosen == exhaustive.chosen == 2
    assert racing.runs < exhaustive.runs == 160
    assert sum(s.pruned for s in racing.states) == 5


# ----------------------------------------------------------------------- end to end
def exhaustive_by_hand(path: Path, sla_s: float, r: int) -> tuple[int, int]:
    """Every point run with emrsim.simulate; p95(makespan_s) <= sla_s; least mean cost."""
    best: tuple[float, tuple[int, int]] | None = None
    for core in (2, 3, 4, 6):
        for task in (0, 2):
            scenario = load_scenario(path, [f"{CORE}={core}", f"{TASK}={task}"])
            document, _ = simulate(scenario, r)
            makespans = [run["makespan_s"] for run in document["runs"]]
            if float(np.percentile(makespans, 95)) > sla_s:
                continue
            cost = document["aggregate"]["cost_usd.total"]["mean"]
            if best is None or cost < best[0]:
                best = (cost, (core, task))
    assert best is not None
    return best[1]


def plan_args(path: Path, sla: str, r: int, *extra: str) -> list[str]:
    return [
        str(path),
        "--vary",
        f"{CORE}=2,3,4,6",
        "--vary",
        f"{TASK}=0,2",
        "--sla",
        sla,
        "-r",
        str(r),
        "--json",
        *extra,
    ]


def test_plan_finds_the_exhaustive_optimum(tiny: Path) -> None:
    expected = exhaustive_by_hand(tiny, 540.0, 6)
    result = invoke(*plan_args(tiny, "p95(makespan_s) <= 9m", 6))
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    chosen = document["chosen"]
    assert (chosen["overrides"][CORE], chosen["overrides"][TASK]) == expected
    assert document["search"]["method"] == "racing"
    assert document["search"]["runs"] < document["search"]["runs_exhaustive"] == 48
    assert len(document["points"]) == 8
    full = invoke(*plan_args(tiny, "p95(makespan_s) <= 9m", 6, "--exhaustive"))
    full_doc = json.loads(full.output)
    assert full_doc["chosen"]["overrides"] == chosen["overrides"]
    assert full_doc["search"]["runs"] == 48
    # Fully evaluated points have exactly the exhaustive figures (common random numbers).
    for row in document["points"]:
        if row["status"] == "evaluated":
            assert row["objective"] == full_doc["points"][row["index"]]["objective"]

    # create-cluster JSON of the chosen point
    cc = chosen["create_cluster"]
    assert cc["option"] == "--instance-groups"
    by_role = {g["InstanceRole"]: g for g in cc["json"]}
    assert by_role["MASTER"]["InstanceCount"] == 1
    assert by_role["CORE"]["InstanceCount"] == expected[0]
    assert by_role["CORE"]["Market"] == "ON_DEMAND"
    assert by_role["CORE"]["InstanceType"] == "m5.xlarge"
    ebs = by_role["CORE"]["EbsConfiguration"]["EbsBlockDeviceConfigs"][0]
    assert ebs == {
        "VolumeSpecification": {"VolumeType": "gp3", "SizeInGB": 64},
        "VolumesPerInstance": 1,
    }
    if expected[1]:
        assert by_role["TASK"]["InstanceCount"] == expected[1]
        assert by_role["TASK"]["Market"] == "SPOT"
    else:
        assert "TASK" not in by_role

    # the snippet, merged into the scenario, validates and gives the chosen counts
    data = yaml.safe_load(TINY)
    data["cluster"].update(chosen["snippet"]["cluster"])
    merged = scenario_from_data(data)
    assert merged.cluster.instance_groups is not None
    assert merged.cluster.instance_groups[1].count == expected[0]
    assert merged.cluster.instance_groups[2].count == expected[1]


def test_text_output_has_snippet_and_create_cluster_json(tiny: Path) -> None:
    args = [a for a in plan_args(tiny, "P(makespan_s <= 9m) >= 0.8", 4) if a != "--json"]
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    text = result.output
    snippet = text.split("scenario snippet:\n")[1].split("\n\naws emr")[0]
    assert "instance_groups" in yaml.safe_load(snippet)["cluster"]
    groups = json.loads(text.split("aws emr create-cluster --instance-groups:\n")[1])
    assert {g["InstanceRole"] for g in groups} >= {"MASTER", "CORE"}
    assert "chosen point:" in text


def test_no_point_meets_the_sla_exits_1_with_the_closest(tiny: Path) -> None:
    result = invoke(*plan_args(tiny, "p95(makespan_s) <= 1m", 3))
    assert result.exit_code == 1
    document = json.loads(result.output)
    assert document["chosen"] is None
    closest = document["closest"]
    # the fastest point: most nodes
    best = min(document["points"], key=lambda p: p["sla"][0]["value"])
    assert closest["index"] == best["index"]
    assert document["search"]["points_pruned"] == 0
    text = invoke(*[a for a in plan_args(tiny, "p95(makespan_s) <= 1m", 3) if a != "--json"])
    assert text.exit_code == 1
    assert "NO point meets every SLA" in text.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--vary", f"{CORE}=2,3", "--sla", "p95(makespan) <= 600"], "unknown metric"),
        (["--vary", f"{CORE}=2,3", "--minimize", "cost_usd.totl"], "unknown metric"),
        (["--vary", f"{CORE}=2,3", "--sla", "p95 makespan_s <= 4h"], "--sla"),
        (["--vary", f"{CORE}=2,x"], "grid point"),
        (["--vary", "cluster.instance_groups.1.cunt=2,3"], "unknown key"),
        (["--vary", f"{CORE}="], "--vary"),
        (["--vary", f"{CORE}=[1"], "not valid YAML"),
        (["--sla", "p95(makespan_s) <= 4h"], "grid is empty"),
        (["--vary", f"{CORE}=2", "--seed", "-1"], "--seed"),
    ],
)
def test_bad_input_exits_2_before_running(
    tiny: Path, args: list[str], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import emrsim.sweep.replications as replications

    def no_runs(*_: Any, **__: Any) -> Any:
        raise AssertionError("ran a simulation on bad input")

    monkeypatch.setattr(replications, "run_one", no_runs)
    result = CliRunner().invoke(plan, [str(tiny), *args])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, AssertionError)


def test_instance_fleets_give_instance_fleets_json() -> None:
    from emrsim.sweep.plan_output import create_cluster_instances

    cluster = {
        "instance_fleets": [
            {
                "role": "primary",
                "target_on_demand_capacity": 1,
                "target_spot_capacity": 0,
                "instance_types": [{"instance_type": "m5.xlarge", "weighted_capacity": 1}],
            },
            {
                "role": "core",
                "name": "workers",
                "target_on_demand_capacity": 2,
                "target_spot_capacity": 6,
                "instance_types": [
                    {"instance_type": "r5.2xlarge", "weighted_capacity": 2, "ebs_gb": 100},
                    {"instance_type": "r5.xlarge", "weighted_capacity": 1},
                ],
                "spot_allocation_strategy": "price-capacity-optimized",
                "spot_timeout": {"duration": 1200.0, "action": "switch_to_on_demand"},
            },
        ]
    }
    option, fleets = create_cluster_instances(cluster)
    assert option == "--instance-fleets"
    assert [f["InstanceFleetType"] for f in fleets] == ["MASTER", "CORE"]
    core = fleets[1]
    assert (core["Name"], core["TargetOnDemandCapacity"], core["TargetSpotCapacity"]) == (
        "workers",
        2,
        6,
    )
    assert core["InstanceTypeConfigs"][0]["WeightedCapacity"] == 2
    assert "EbsConfiguration" in core["InstanceTypeConfigs"][0]
    assert core["LaunchSpecifications"]["SpotSpecification"] == {
        "AllocationStrategy": "price-capacity-optimized",
        "TimeoutDurationMinutes": 20,
        "TimeoutAction": "SWITCH_TO_ON_DEMAND",
    }


@pytest.mark.slow
def test_plan_matches_exhaustive_on_quickstart_with_10_replications() -> None:
    quickstart = Path(__file__).resolve().parents[1] / "scenarios" / "quickstart.yaml"
    counts = (2, 3, 4, 6)
    best: tuple[float, int] | None = None
    for core in counts:
        document, _ = simulate(load_scenario(quickstart, [f"{CORE}={core}"]), 10)
        if document["aggregate"]["makespan_s"]["mean"] > 700:
            continue
        cost = document["aggregate"]["cost_usd.total"]["mean"]
        if best is None or cost < best[0]:
            best = (cost, core)
    assert best is not None
    result = invoke(
        str(quickstart),
        "--vary",
        f"{CORE}=2,3,4,6",
        "--sla",
        "mean(makespan_s) <= 700",
        "-r",
        "10",
        "--json",
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["chosen"]["overrides"][CORE] == best[1]


def test_plan_is_registered_on_the_command_line(tiny: Path) -> None:
    from cli_support import run_cli

    result = run_cli("plan", str(tiny), "--vary", f"{CORE}=2,3", "--sla", "p95(makespan) <= 1")
    assert result.returncode == 2
    assert "unknown metric 'makespan'" in result.stderr
    assert "Traceback" not in result.stderr
