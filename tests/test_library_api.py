"""Library use: ``emrsim.run`` returns the summary and the run's tables as pandas DataFrames."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

import emrsim
from emrsim.report.files import JOB_COLUMNS, METRIC_COLUMNS, NODE_COLUMNS, QUEUE_COLUMNS

ROOT = Path(__file__).resolve().parents[1]
QUICKSTART = ROOT / "scenarios" / "quickstart.yaml"


def test_frames_have_the_csv_columns_and_one_row_per_record() -> None:
    with emrsim.run(str(QUICKSTART)) as run:
        result = run.result
        assert run.summary is result.summary and run.warnings == result.warnings
        assert run.summary["cluster_state"] == "TERMINATED"
        for frame, columns, records in (
            (run.jobs, JOB_COLUMNS, result.jobs),
            (run.nodes, NODE_COLUMNS, result.nodes),
            (run.metrics, METRIC_COLUMNS, result.metrics),
            (run.queues, QUEUE_COLUMNS, result.queue_metrics),
        ):
            assert list(frame.columns) == list(columns)
            assert len(frame) == len(records) > 0
        assert run.jobs["state"].tolist() == ["COMPLETED", "COMPLETED"]
        assert run.nodes["cost_usd"].sum() == pytest.approx(run.summary["cost_usd"]["total"])
        assert run.metrics["time_s"].is_monotonic_increasing
        assert run.jobs is run.jobs  # built once

        events = run.events
        assert list(events.columns[:2]) == ["time_s", "event"]
        assert events["time_s"].is_monotonic_increasing
        assert {"cluster_state", "container_started"} <= set(events["event"])
        assert events["time_s"].iloc[-1] <= run.summary["cluster_lifetime_s"] + 1e-6
        path = run.events_path
        assert path is not None
        with path.open(encoding="utf-8") as fh:
            assert len(events) == sum(1 for _ in fh)
    assert not path.exists()  # the with block deleted the trace
    assert len(run.events) > 0  # the frame built before stays


def test_frames_match_the_csv_files_and_the_replications(tmp_path: Path) -> None:
    """Replication 1 from the library is run 1 of ``emrsim run -r 2``; its frames hold the
    rows and headers of the CSV files ``--out`` writes."""
    from emrsim.report.files import write_run_files

    scenario = emrsim.load_scenario(str(QUICKSTART))
    run = emrsim.run(scenario, replication=1, events=False)
    document, _ = emrsim.simulate(scenario, 2)
    assert run.summary == document["runs"][1]
    write_run_files(run.result, tmp_path)
    for name, frame in (("jobs", run.jobs), ("nodes", run.nodes), ("metrics", run.metrics)):
        with (tmp_path / f"{name}.csv").open(encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        assert rows[0] == list(frame.columns)
        assert len(rows) - 1 == len(frame)
    with (tmp_path / "jobs.csv").open(encoding="utf-8") as fh:
        jobs = list(csv.DictReader(fh))
    assert [r["name"] for r in jobs] == run.jobs["name"].tolist()
    assert [float(r["end_s"]) for r in jobs] == pytest.approx(run.jobs["end_s"].tolist())


def test_without_events_there_is_no_trace() -> None:
    run = emrsim.run(QUICKSTART, events=False)
    assert run.events_path is None
    assert len(run.jobs) == 2
    with pytest.raises(ValueError, match="events=False"):
        _ = run.events
    assert "quickstart" in repr(run)


def test_bad_arguments() -> None:
    with pytest.raises(emrsim.ScenarioError):
        emrsim.run(ROOT / "no-such-file.yaml")
    with pytest.raises(ValueError, match="replication must be >= 0"):
        emrsim.run(QUICKSTART, replication=-1)


def test_pandas_is_imported_only_when_a_frame_is_asked_for() -> None:
    code = (
        "import sys, emrsim\n"
        f"run = emrsim.run({str(QUICKSTART)!r})\n"
        "assert 'pandas' not in sys.modules, 'pandas imported while simulating'\n"
        "run.nodes\n"
        "assert 'pandas' in sys.modules\n"
    )
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
