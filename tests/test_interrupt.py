"""Ctrl-C during a run: a clean exit (130), a short message, no half-written files."""

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
    # Wait until the first run's files are there, then interrupt the next runs.
    deadline = time.monotonic() + 60
    while not (tmp_path / "run-0" / "jobs.csv").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "Traceback" not in err
    assert "interrupted" in err
    assert not list(tmp_path.rglob("*.tmp"))
    assert not (tmp_path / "summary.json").exists()
    assert (tmp_path / "run-0" / "jobs.csv").read_text().startswith("job_id,")


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
