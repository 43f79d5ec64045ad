"""Ctrl-C during a run: a clean exit (130), a short message, no half-written files."""

from __future__ import annotations

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
