"""Ctrl-C during a run or a sweep: a clean exit (130), a short message, no half-written files,
and what it had: a run's summary of the replications that finished, a sweep's runs.jsonl."""

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


def _sweep(*args: str, **popen: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "emrsim", "sweep", "scenarios/quickstart.yaml", *args],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,  # type: ignore[call-overload]
    )


@pytest.mark.slow
def test_ctrl_c_stops_a_sweep_cleanly_and_resume_finishes_it(tmp_path: Path) -> None:
    """A terminal's Ctrl-C reaches the sweep and its local worker processes (one process
    group): exit 130, one message and no traceback, runs.jsonl whole; --resume completes it
    with the numbers of an uninterrupted sweep."""
    grid = ("--grid", "seed=1,2,3,4", "-r", "10", "--workers", "2")
    out = tmp_path / "sweep"
    proc = _sweep(*grid, "--out", str(out), start_new_session=True)
    runs = out / "runs.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if runs.exists() and runs.read_text().count("\n") >= 1:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "ERROR" not in err, err
    assert f"continue with --resume {out}" in err
    lines = runs.read_text().splitlines()
    assert 1 <= len(lines) < 40
    assert all(json.loads(line)["summary"] for line in lines)
    assert not list(out.rglob("*.tmp*"))
    assert not (out / "summary.json").exists()

    resumed = _sweep(*grid, "--resume", str(out), "--json")
    done, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err
    whole = _sweep(*grid, "--json")
    expected, err = whole.communicate(timeout=300)
    assert whole.returncode == 0, err
    assert json.loads(done) == json.loads(expected)
    assert len(runs.read_text().splitlines()) == 40
