"""Bad command-line flags: every one gets a message naming the flag and exit status 2, never a
traceback, and nothing is written.

The scenario-file corpus is in bad_inputs/ beside this file (test_bad_input.py); this is its
counterpart for flags, run in-process through click's runner so that it stays fast.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from emrsim.cli import main

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = str(ROOT / "scenarios" / "quickstart.yaml")
COUNT = "cluster.instance_groups.1.count"

CASES: list[tuple[list[str], str]] = [
    (["run", QUICKSTART, "-r", "0"], "--replications"),
    (["run", QUICKSTART, "-r", "abc"], "--replications"),
    (["run", QUICKSTART, "--seed", "-1"], "--seed"),
    (["run", QUICKSTART, "--seed", "1e3"], "--seed"),
    (["run", QUICKSTART, "--set", "nokey=1"], "nokey: unknown key"),
    (["run", QUICKSTART, "--set", "cluster.instance_groups.9.count=1"], "no such list item"),
    (["run", QUICKSTART, "--set", "x"], "expected key.path=value"),
    (["run", QUICKSTART, "--set", f"{COUNT}=-1"], f"{COUNT}: must be >= 0"),
    (["run", QUICKSTART, "--set", f"{COUNT}=abc"], f"{COUNT}: must be a valid integer"),
    (["run", QUICKSTART, "--target-ci", "makespan=5%"], "unknown metric 'makespan'"),
    (["run", QUICKSTART, "--target-ci", "makespan_s=5%", "--max-replications", "1"], "--max"),
    (["run", "/nonexistent/scenario.yaml"], "no such file"),
    (["run", "/etc"], "is a directory"),
    (["run", QUICKSTART, "--out", "/etc/passwd/out"], "--out /etc/passwd/out: cannot create"),
    (["run", QUICKSTART, "--no-such-flag"], "No such option"),
    (["validate", QUICKSTART, "--set", "horizon=-5m"], "horizon"),
    (["compare", QUICKSTART, "/nonexistent/b.yaml"], "no such file"),
    (["compare", QUICKSTART, QUICKSTART, "-r", "1"], "--replications"),
    (["sweep", QUICKSTART, "--grid", "a"], "--grid 'a': expected key.path=v1,v2"),
    (["sweep", QUICKSTART, "--grid", "cluster.nokey=1,2"], "cluster.nokey: unknown key"),
    (["sweep", QUICKSTART, "--grid", "seed=1,2", "--workers", "0"], "--workers"),
    (["sweep", QUICKSTART, "--grid", "seed=1,2", "--out", "/etc/passwd/x"], "cannot write"),
    (["sweep", QUICKSTART, "--grid", "seed=1,2", "--resume", "/nonexistent/s"], "--resume"),
    (["plan", QUICKSTART, "--vary", f"{COUNT}=2", "--seed", "-1"], "--seed"),
    (["plan", QUICKSTART, "--vary", f"{COUNT}=2", "--sla", "p95(makespan_s) <<= 4h"], "--sla"),
    (["schema", "--bogus"], "No such option"),
]


@pytest.mark.parametrize(("args", "needle"), CASES, ids=[" ".join(a[2:]) for a, _ in CASES])
def test_bad_flag_exits_2_with_a_message(args: list[str], needle: str) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), "a traceback, not a clean exit"
    assert "Traceback" not in result.output
    assert needle in result.output


def test_no_file_is_written_on_bad_input(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", QUICKSTART, "--set", "x", "--out", str(out)])
    assert result.exit_code == 2
    assert not out.exists() or not any(out.iterdir())
