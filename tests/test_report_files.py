"""The plots (PNG) and report.html written by ``simulate(..., out=DIR)``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import emrsim
from emrsim import load_scenario
from emrsim.report.html import fmt
from emrsim.report.plots import write_run_plots
from emrsim.result import JobRecord, NodeRecord, RunResult

ROOT = Path(__file__).resolve().parents[1]
QUICKSTART = ROOT / "scenarios" / "quickstart.yaml"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
RUN_PLOTS = {"cluster_size.png", "yarn_memory.png", "queue_memory.png", "cost.png"}


def _check_png(path: Path) -> None:
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, path
    assert len(data) > 5_000, f"{path} is suspiciously small ({len(data)} bytes)"


def _no_external_resources(html: str) -> None:
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.IGNORECASE)
    assert "http://" not in html
    assert "https://" not in html


@pytest.fixture(scope="module")
def single(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    out = tmp_path_factory.mktemp("single")
    document, _ = emrsim.simulate(load_scenario(QUICKSTART), replications=1, out=out)
    return document, out


def test_single_run_writes_valid_pngs(single: tuple[dict, Path]) -> None:
    _, out = single
    pngs = {p.name for p in out.glob("*.png")}
    assert pngs >= RUN_PLOTS | {"jobs_gantt.png"}
    assert not any(p.startswith("replications_") for p in pngs)
    assert not list(out.glob(".*.tmp"))
    for path in out.glob("*.png"):
        _check_png(path)


def test_single_run_report(single: tuple[dict, Path]) -> None:
    document, out = single
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert document["scenario"] == "quickstart"
    assert "<h1>quickstart</h1>" in html
    assert f"seed {document['seed']}" in html
    assert f"emrsim {document['emrsim_version']}" in html
    assert html.count("data:image/png;base64,") == len(list(out.glob("*.png")))
    _no_external_resources(html)
    # The steps and the resolved configuration are there.
    assert "wordcount" in html and "<details>" in html and "Resolved configuration" in html
    assert "95% interval" not in html
    # A number in the report matches summary.json.
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    total = summary["runs"][0]["cost_usd"]["total"]
    assert f"<td>{fmt(total, ' USD')}</td>" in html
    makespan = summary["runs"][0]["makespan_s"]
    assert f"<td>{fmt(makespan, ' s')}</td>" in html


@pytest.mark.slow
def test_replications_report_and_histograms(tmp_path: Path) -> None:
    document, _ = emrsim.simulate(load_scenario(QUICKSTART), replications=3, out=tmp_path)
    for name in ("replications_makespan.png", "replications_cost.png"):
        _check_png(tmp_path / name)
    pngs = list(tmp_path.glob("*.png"))
    for i in range(3):
        run_pngs = list((tmp_path / f"run-{i}").glob("*.png"))
        assert {p.name for p in run_pngs} >= RUN_PLOTS
        assert not (tmp_path / f"run-{i}" / "report.html").exists()
        pngs += run_pngs
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<th>95% interval</th>" in html and "<th>p50</th>" in html and "<th>p95</th>" in html
    assert html.count("data:image/png;base64,") == len(pngs)
    _no_external_resources(html)
    stats = document["aggregate"]["cost_usd.total"]
    assert f"<td>{fmt(stats['mean'], ' USD')}</td>" in html


def _node(i: int, role: str, market: str, start: float, end: float, reason: str) -> NodeRecord:
    return NodeRecord(
        f"i-{i}", "m5.xlarge", role, market, role, start, end, reason, 0.01, 0.008, 0.002, 0.0
    )


@pytest.mark.slow
def test_synthetic_run_faults_many_jobs_and_hdfs(tmp_path: Path) -> None:
    """Markers for faults, histograms past 200 jobs, the HDFS plot when HDFS is used."""
    nodes = [
        _node(1, "primary", "on_demand", 0, 3600, "cluster_terminated"),
        _node(2, "core", "on_demand", 0, 1800, "fault"),
        _node(3, "task", "spot", 60, 90, "spot_interruption"),
        _node(4, "task", "spot", 60, 3600, "running"),
    ]
    jobs = [
        JobRecord(
            i, f"j{i}", "default", "workload", i * 10.0, i * 10.0 + 5, i * 10.0 + 60, "COMPLETED", 1
        )
        for i in range(250)
    ]
    metrics = [
        {
            "time_s": t * 60.0,
            "MemoryTotalMB": 8192,
            "MemoryAllocatedMB": 4096,
            "ContainerPending": t % 5,
            "HDFSUtilization": t / 2,
        }
        for t in range(61)
    ]
    queue_metrics = [
        {"time_s": t * 60.0, "queue": q, "allocated_mb": 1024 * (t % 3)}
        for t in range(61)
        for q in ("etl", "adhoc")
    ]
    result = RunResult(
        summary={"makespan_s": 3600.0, "cluster_lifetime_s": 3600.0},
        jobs=jobs,
        nodes=nodes,
        metrics=metrics,
        queue_metrics=queue_metrics,
    )
    paths = write_run_plots(result, tmp_path)
    names = {p.name for p in paths}
    assert names == RUN_PLOTS | {"job_times.png", "hdfs.png"}
    for path in paths:
        _check_png(path)
