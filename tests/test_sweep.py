"""`emrsim sweep`: grids, --zip, seeds, executors, incremental files, resume, bad input."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from emrsim.sweep.grid import Grid, GridError, SweepSpec, split_values
from emrsim.sweep.outputs import MAIN_METRICS, STATS, pareto_front, run_sweep
from tests.cli_support import ROOT, run_cli

QUICKSTART = str(ROOT / "scenarios" / "quickstart.yaml")
COUNT = "cluster.instance_groups.1.count"
TYPE = "cluster.instance_groups.1.instance_type"
GRID = ("--grid", f"{COUNT}=2,4", "--grid", f"{TYPE}=m5.xlarge,m5.2xlarge", "-r", "2")


@pytest.fixture(scope="module")
def serial_json() -> str:
    result = run_cli("sweep", QUICKSTART, *GRID, "--workers", "1", "--json")
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_grid_is_the_cartesian_product_with_the_contract_shape(serial_json: str) -> None:
    doc = json.loads(serial_json)
    assert {"scenario", "emrsim_version", "seed", "replications", "grid", "points"} <= set(doc)
    assert doc["scenario"] == "quickstart" and doc["seed"] == 1 and doc["replications"] == 2
    assert doc["grid"] == {COUNT: [2, 4], TYPE: ["m5.xlarge", "m5.2xlarge"]}
    assert [p["overrides"] for p in doc["points"]] == [
        {COUNT: 2, TYPE: "m5.xlarge"},
        {COUNT: 2, TYPE: "m5.2xlarge"},
        {COUNT: 4, TYPE: "m5.xlarge"},
        {COUNT: 4, TYPE: "m5.2xlarge"},
    ]
    for point in doc["points"]:
        assert len(point["runs"]) == 2
        assert set(point["aggregate"]["makespan_s"]) >= {"mean", "ci95", "p50", "p95"}
        assert "cost_usd.total" in point["aggregate"]
        assert [r["replication"] for r in point["runs"]] == [0, 1]


@pytest.mark.slow
def test_runs_are_those_of_run_with_set(serial_json: str) -> None:
    """Common random numbers: point p, replication i == `run --set ... -r R`'s run i."""
    doc = json.loads(serial_json)
    result = run_cli(
        "run", QUICKSTART, "--set", f"{COUNT}=4", "--set", f"{TYPE}=m5.2xlarge", "-r", "2", "--json"
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["runs"] == doc["points"][3]["runs"]


@pytest.mark.slow
def test_local_processes_give_byte_identical_json(serial_json: str) -> None:
    result = run_cli("sweep", QUICKSTART, *GRID, "--workers", "2", "--json")
    assert result.returncode == 0, result.stderr
    assert result.stdout == serial_json


def test_zip_pairs_lists() -> None:
    result = run_cli(
        "sweep",
        QUICKSTART,
        "--zip",
        f"{COUNT}=2,4",
        "--zip",
        f"{TYPE}=m5.xlarge,m5.2xlarge",
        "-r",
        "1",
        "--workers",
        "1",
        "--json",
    )
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert [p["overrides"] for p in doc["points"]] == [
        {COUNT: 2, TYPE: "m5.xlarge"},
        {COUNT: 4, TYPE: "m5.2xlarge"},
    ]
    assert doc["zip"] == [COUNT, TYPE]


def test_zip_of_different_lengths_exits_2() -> None:
    result = run_cli("sweep", QUICKSTART, "--zip", f"{COUNT}=2,4", "--zip", f"{TYPE}=m5.xlarge")
    assert result.returncode == 2
    assert "same length" in result.stderr and "Traceback" not in result.stderr


def test_grid_parsing() -> None:
    assert split_values("1,[2,3],{a: 1, b: 2},'x,y'") == ["1", "[2,3]", "{a: 1, b: 2}", "'x,y'"]
    grid = Grid.parse(["a=1,2", "b=[1,2],[3]"], ["c=x,y", "d=true,false"])
    assert grid.points() == [
        {"a": a, "b": b, "c": c, "d": d}
        for a in (1, 2)
        for b in ([1, 2], [3])
        for c, d in (("x", True), ("y", False))
    ]
    for bad in (["a"], ["=1"], ["a=1,,2"], ["a=1", "a=2"], ["a=[1"]):
        with pytest.raises(GridError):
            Grid.parse(bad)


def test_bad_grid_value_exits_2_before_writing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_cli("sweep", QUICKSTART, "--grid", f"{COUNT}=2,-1", "--out", str(out))
    assert result.returncode == 2
    assert f"quickstart.yaml (--grid): {COUNT}: must be >= 0" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_bad_grid_key_exits_2_before_writing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_cli(
        "sweep", QUICKSTART, "--grid", "cluster.instance_groups.1.cunt=2,3", "--out", str(out)
    )
    assert result.returncode == 2
    assert "cluster.instance_groups.1.cunt: unknown key (did you mean 'count'?)" in result.stderr
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--grid", "nokey"), "expected key.path=v1,v2"),
        ((), "at least one --grid"),
        (("--grid", "seed=1,2", "--workers", "2", "--dask", "tcp://127.0.0.1:1"), "--workers"),
        (("--grid", "seed=[1"), "not valid YAML"),
    ],
)
def test_bad_flags_exit_2(args: tuple[str, ...], message: str) -> None:
    result = run_cli("sweep", QUICKSTART, *args)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_swept_seed_wins(tmp_path: Path) -> None:
    result = run_cli(
        "sweep",
        QUICKSTART,
        "--grid",
        "seed=5,6",
        "--seed",
        "9",
        "-r",
        "1",
        "--workers",
        "1",
        "--json",
    )
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert [p["runs"][0]["seed"] for p in doc["points"]] == [5, 6]
    assert doc["seed"] == 9


@pytest.mark.slow
def test_out_files_csv_and_plots(tmp_path: Path, serial_json: str) -> None:
    out = tmp_path / "out"
    result = run_cli("sweep", QUICKSTART, *GRID, "--workers", "1", "--out", str(out), "-q")
    assert result.returncode == 0, result.stderr
    assert (out / "summary.json").read_text() == serial_json
    with (out / "sweep.csv").open(newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == [COUNT, TYPE, *(f"{m}.{s}" for m in MAIN_METRICS for s in STATS), "pareto"]
    assert [r[:2] for r in rows[1:]] == [
        ["2", "m5.xlarge"],
        ["2", "m5.2xlarge"],
        ["4", "m5.xlarge"],
        ["4", "m5.2xlarge"],
    ]
    doc = json.loads(serial_json)
    assert float(rows[1][2]) == doc["points"][0]["aggregate"]["cost_usd.total"]["mean"]
    for name in ("sweep_pareto.png", f"sweep_by_{COUNT}.png", f"sweep_by_{TYPE}.png"):
        assert (out / name).read_bytes()[:4] == b"\x89PNG"
    assert len((out / "runs.jsonl").read_text().splitlines()) == 8
    assert json.loads((out / "sweep.json").read_text())["points"] == 4
    again = run_cli("sweep", QUICKSTART, *GRID, "--workers", "1", "--out", str(out))
    assert again.returncode == 2 and "not empty" in again.stderr


@pytest.mark.slow
def test_resume_after_an_interruption_gives_the_same_json(tmp_path: Path, serial_json: str) -> None:
    out = tmp_path / "out"
    full = run_cli("sweep", QUICKSTART, *GRID, "--workers", "1", "--out", str(out), "-q")
    assert full.returncode == 0, full.stderr
    lines = (out / "runs.jsonl").read_text().splitlines(keepends=True)
    # As if killed after 3 runs, in the middle of writing the 4th.
    (out / "runs.jsonl").write_text("".join(lines[:3]) + lines[3][:40])
    for name in ("summary.json", "sweep.csv"):
        (out / name).unlink()
    resumed = run_cli("sweep", QUICKSTART, *GRID, "--workers", "1", "--resume", str(out), "--json")
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout == serial_json
    assert (out / "summary.json").read_text() == serial_json
    assert len((out / "runs.jsonl").read_text().splitlines()) == 8


@pytest.mark.slow
def test_resume_refuses_another_sweep(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert (
        run_cli(
            "sweep",
            QUICKSTART,
            "--grid",
            "seed=1,2",
            "-r",
            "1",
            "--workers",
            "1",
            "--out",
            str(out),
            "-q",
        ).returncode
        == 0
    )
    other = run_cli("sweep", QUICKSTART, "--grid", "seed=1,3", "-r", "1", "--resume", str(out))
    assert other.returncode == 2
    assert "differs" in other.stderr and "grid" in other.stderr


@pytest.mark.slow
def test_interrupted_sweep_keeps_finished_runs_and_resumes(tmp_path: Path) -> None:
    """Ctrl-C inside the Python API: runs.jsonl keeps what finished; resume completes it."""
    spec = SweepSpec.from_file(QUICKSTART, Grid.parse([f"{COUNT}=2,3,4"]), 2)
    out = tmp_path / "out"

    def stop(done: int, total: int) -> None:
        if done == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep(spec, out=out, workers=1, progress=stop)
    assert len((out / "runs.jsonl").read_text().splitlines()) == 3
    assert not (out / "summary.json").exists()
    seen: list[int] = []
    resumed = run_sweep(spec, out=out, resume=True, workers=1, progress=lambda d, t: seen.append(d))
    assert seen == [3, 4, 5, 6]
    assert resumed == run_sweep(spec, workers=1)


def test_pareto_front() -> None:
    def point(cost: float, p95: float) -> dict[str, object]:
        return {"aggregate": {"cost_usd.total": {"mean": cost}, "makespan_s": {"p95": p95}}}

    points = [point(1, 10), point(2, 5), point(2, 12), point(3, 5), point(0.5, 20)]
    assert pareto_front(points) == [0, 1, 4]
