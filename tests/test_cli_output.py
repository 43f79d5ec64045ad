"""`python -m emrsim run` output against the contract: the JSON document and the --out files."""

from __future__ import annotations

import csv
import itertools
import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from cli_support import run_cli

ROOT = Path(__file__).resolve().parents[1]
QUICKSTART = "scenarios/quickstart.yaml"

# The contract's columns, then emrsim's own additions.
JOB_COLUMNS = ["job_id", "name", "queue", "submit_s", "start_s", "end_s", "state", "containers"]
JOB_EXTRA_COLUMNS = ["source", "reason"]
NODE_COLUMNS = [
    "instance_id",
    "instance_type",
    "role",
    "market",
    "group",
    "start_s",
    "end_s",
    "end_reason",
    "cost_usd",
]
METRICS = [
    "YARNMemoryAvailablePercentage",
    "ContainerAllocated",
    "ContainerPending",
    "AppsRunning",
    "AppsPending",
    "HDFSUtilization",
    "CoreNodesRunning",
    "TaskNodesRunning",
    "IsIdle",
]
END_REASONS = {"cluster_terminated", "spot_interruption", "scale_down", "fault", "running"}

# Dotted paths every run must hold (the contract's "one run holds at least").
RUN_FIELDS = [
    "seed",
    "makespan_s",
    "cluster_lifetime_s",
    "cluster_state",
    "cost_usd.total",
    "cost_usd.ec2",
    "cost_usd.emr",
    "cost_usd.ebs",
    "cost_usd.by_role.primary",
    "cost_usd.by_role.core",
    "cost_usd.by_role.task",
    "cost_usd.by_market.on_demand",
    "cost_usd.by_market.spot",
    "jobs.submitted",
    "jobs.completed",
    "jobs.failed",
    "jobs.mean_wait_s",
    "jobs.p95_wait_s",
    "jobs.mean_runtime_s",
    "jobs.p95_runtime_s",
    "steps",
    "containers.launched",
    "containers.completed",
    "containers.lost",
    "spot.interruptions",
    "spot.lost_container_s",
    "hdfs.replication",
    "hdfs.blocks_lost",
    "hdfs.max_utilization_pct",
    "nodes.peak",
    "nodes.node_hours",
    "yarn.mean_memory_utilization_pct",
    "yarn.queues",
]
QUEUE_FIELDS = ["mean_running_containers", "mean_allocated_memory_mb", "mean_allocated_vcores"]
STEP_FIELDS = ["name", "state", "start_s", "end_s"]
IDENTIFYING = {"seed", "replication"}  # top-level run fields that name a run, not measure it


def run_json(*args: str) -> tuple[str, dict[str, Any]]:
    proc = run_cli("run", QUICKSTART, "--json", *args)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout, json.loads(proc.stdout)


@cache
def _baseline() -> tuple[str, dict[str, Any]]:
    return run_json()


@pytest.fixture
def baseline() -> tuple[str, dict[str, Any]]:
    return _baseline()


def lookup(document: dict[str, Any], path: str) -> Any:
    value: Any = document
    for key in path.split("."):
        assert isinstance(value, dict), f"{path}: {key!r} is not under a mapping"
        assert key in value, f"missing {path}"
        value = value[key]
    return value


def numeric_leaves(run: dict[str, Any], prefix: str = "") -> list[str]:
    paths = []
    for key, value in run.items():
        if not prefix and key in IDENTIFYING:
            continue
        if isinstance(value, dict):
            paths += numeric_leaves(value, f"{prefix}{key}.")
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            paths.append(f"{prefix}{key}")
    return paths


# ------------------------------------------------------------------------------- --json
def test_stdout_is_one_json_document(baseline: tuple[str, dict[str, Any]]) -> None:
    stdout, document = baseline
    # json.loads accepted the whole stdout: nothing but the document (and whitespace) is there.
    assert stdout.lstrip().startswith("{")
    assert stdout.rstrip().endswith("}")
    decoder = json.JSONDecoder()
    _, end = decoder.raw_decode(stdout.lstrip())
    assert stdout.lstrip()[end:].strip() == ""
    assert isinstance(document, dict)


def test_document_has_the_contract_fields(baseline: tuple[str, dict[str, Any]]) -> None:
    _, document = baseline
    assert document["scenario"] == "quickstart"
    assert isinstance(document["emrsim_version"], str) and document["emrsim_version"]
    assert isinstance(document["runs"], list) and len(document["runs"]) == 1
    assert isinstance(document["aggregate"], dict)
    run = document["runs"][0]
    for path in RUN_FIELDS:
        lookup(run, path)
    for path in RUN_FIELDS:
        if path not in ("cluster_state", "steps", "yarn.queues"):
            value = lookup(run, path)
            assert isinstance(value, (int, float)) and not isinstance(value, bool), path
    assert run["cluster_state"] == "TERMINATED"
    assert len(run["steps"]) == 2
    for step in run["steps"]:
        for key in STEP_FIELDS:
            assert key in step, f"steps[].{key}"
        assert step["state"] == "COMPLETED"
    assert "default" in run["yarn"]["queues"]
    for name, queue in run["yarn"]["queues"].items():
        for key in QUEUE_FIELDS:
            assert isinstance(queue[key], (int, float)), f"yarn.queues.{name}.{key}"


def test_aggregate_covers_every_numeric_run_field(baseline: tuple[str, dict[str, Any]]) -> None:
    _, document = baseline
    run = document["runs"][0]
    aggregate = document["aggregate"]
    expected = numeric_leaves(run)
    for path in RUN_FIELDS:  # the contract's numeric fields are among them
        value = lookup(run, path)
        if path != "seed" and isinstance(value, (int, float)) and not isinstance(value, bool):
            assert path in expected
    missing = [p for p in expected if p not in aggregate]
    assert not missing, f"aggregate lacks {missing}"
    for path in expected:
        entry = aggregate[path]
        for key in ("mean", "ci95", "p50", "p95"):
            assert key in entry, f"aggregate[{path!r}] has no {key}"
        # One replication: every statistic is the run's own value.
        assert entry["mean"] == pytest.approx(lookup(run, path))
        assert entry["p50"] == pytest.approx(lookup(run, path))


# ------------------------------------------------------------------------------- --out
def _rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


def _check_run_files(directory: Path, run: dict[str, Any]) -> None:
    columns, jobs = _rows(directory / "jobs.csv")
    assert columns == JOB_COLUMNS + JOB_EXTRA_COLUMNS
    assert len(jobs) == run["jobs"]["submitted"]
    assert {j["state"] for j in jobs} == {"COMPLETED"}

    columns, nodes = _rows(directory / "nodes.csv")
    assert columns == NODE_COLUMNS
    assert len(nodes) == run["nodes"]["peak"]
    assert {n["end_reason"] for n in nodes} <= END_REASONS
    assert sum(float(n["cost_usd"]) for n in nodes) == pytest.approx(run["cost_usd"]["total"])

    columns, metrics = _rows(directory / "metrics.csv")
    assert columns[0] == "time_s"
    assert set(METRICS) <= set(columns)
    times = [float(m["time_s"]) for m in metrics]
    assert len(times) >= 2
    assert all(b - a == pytest.approx(60.0) for a, b in itertools.pairwise(times))

    lines = (directory / "events.jsonl").read_text(encoding="utf-8").splitlines()
    assert lines
    for line in lines:
        event = json.loads(line)
        assert isinstance(event, dict)
        assert isinstance(event["time_s"], (int, float))
        assert isinstance(event["event"], str)


def test_out_writes_the_contract_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = run_cli("run", QUICKSTART, "--json", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    document = json.loads(proc.stdout)
    for name in ("summary.json", "jobs.csv", "nodes.csv", "metrics.csv", "events.jsonl"):
        assert (out / name).is_file(), name
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["runs"] == document["runs"]
    assert summary["aggregate"] == document["aggregate"]
    _check_run_files(out, document["runs"][0])


@pytest.mark.slow
def test_replications_write_one_directory_per_run(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = run_cli("run", QUICKSTART, "--json", "-r", "3", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    document = json.loads(proc.stdout)
    assert len(document["runs"]) == 3
    assert (out / "summary.json").is_file()
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["run-0", "run-1", "run-2"]
    for i, run in enumerate(document["runs"]):
        directory = out / f"run-{i}"
        assert not (directory / "summary.json").exists()
        _check_run_files(directory, run)
    assert not (out / "jobs.csv").exists()
    # Each replication has its own random numbers.
    assert len({r["makespan_s"] for r in document["runs"]}) > 1
    entry = document["aggregate"]["makespan_s"]
    low, high = entry["ci95"]
    assert low <= entry["mean"] <= high


def test_non_empty_out_without_force_exits_2(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine", encoding="utf-8")
    proc = run_cli("run", QUICKSTART, "--json", "--out", str(tmp_path))
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    assert (tmp_path / "keep.txt").read_text(encoding="utf-8") == "mine"
    assert not (tmp_path / "summary.json").exists()


# ------------------------------------------------------------------------ --set, --seed
def test_set_changes_the_run(baseline: tuple[str, dict[str, Any]]) -> None:
    _, base = baseline
    _, changed = run_json("--set", "cluster.instance_groups.1.count=4")
    before, after = base["runs"][0], changed["runs"][0]
    assert before["nodes"]["peak"] == 4
    assert after["nodes"]["peak"] == 5
    assert after["hdfs"]["replication"] == 2  # 4 core nodes: EMR's rule gives 2
    assert after["makespan_s"] != before["makespan_s"]


def test_seed_changes_results_and_is_reproducible(baseline: tuple[str, dict[str, Any]]) -> None:
    base_text, base = baseline
    first_text, first = run_json("--seed", "5")
    second_text, _ = run_json("--seed", "5")
    assert first_text == second_text  # byte-identical
    assert first["runs"][0]["seed"] == 5
    assert base["runs"][0]["seed"] == 1
    assert first["runs"][0]["makespan_s"] != base["runs"][0]["makespan_s"]
    assert first_text != base_text
