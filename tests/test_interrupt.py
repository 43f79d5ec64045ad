"""Ctrl-C during a run: a clean exit (130), a short message, no half-written files, and a
summary of the replications that finished."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_ctrl_c_leaves_no_half_written_files(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "emrsim",
            "run",
            "scenarios/shared-analytics.yaml",
            "-r",
            "500",
            "--out",
            str(tmp_path),
        ],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Wait until the first run is done (the second has begun), then interrupt the next runs.
    deadline = time.monotonic() + 60
    while len(list(tmp_path.glob("run-*"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "Traceback" not in err
    assert "interrupted" in err
    assert not list(tmp_path.rglob("*.tmp"))
    assert (tmp_path / "run-0" / "jobs.csv").read_text().startswith("job_id,")
    # What it had: a summary of the finished replications, saying it was interrupted, and
    # a directory for each of them (the unfinished run's is gone).
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["interrupted"] is True
    done = summary["replications"]
    assert 1 <= done < 500 and len(summary["runs"]) == done
    runs = sorted(p.name for p in tmp_path.glob("run-*"))
    assert len(runs) == done
    assert all((tmp_path / r / "events.jsonl").exists() for r in runs)
    assert f"covers the {done} replication(s)" in err


@pytest.mark.slow
def test_ctrl_c_before_a_run_finishes_writes_nothing(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "emrsim", "run", "scenarios/swim-day.yaml", "--out", str(tmp_path)],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not list(tmp_path.rglob(".events.jsonl.tmp")) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "Traceback" not in err
    assert "interrupted: no summary written" in err
    assert not (tmp_path / "summary.json").exists()
    assert not list(tmp_path.rglob("*.tmp"))
