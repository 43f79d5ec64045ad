"""Malformed scenarios are rejected with ``file:line: key.path: message``, never a traceback.

Every file in ``bad_inputs/*.yaml`` beside this module is a small scenario with exactly one
thing wrong and a header saying what the error must look like::

    # expect: <dotted.key.path> | <substring of the message>
    # line: <N>            (optional: the line the error must point at)

The same corpus is checked through :func:`load_scenario` and through ``emrsim validate``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from cli_support import run_cli

from emrsim.scenario import ScenarioError, load_scenario

ROOT = Path(__file__).resolve().parents[2]
CORPUS = Path(__file__).resolve().parent / "bad_inputs"
GOOD = CORPUS / "good" / "quick.yaml"

_EXPECT = re.compile(r"^#\s*expect:\s*(?P<path>[^|]+?)\s*\|\s*(?P<message>.+?)\s*$", re.M)
_LINE = re.compile(r"^#\s*line:\s*(?P<line>\d+)\s*$", re.M)


@dataclass(frozen=True)
class Expected:
    """What the header of a corpus file says the error looks like."""

    file: Path
    path: str
    message: str
    line: int | None


def _expected(file: Path) -> Expected:
    text = file.read_text(encoding="utf-8")
    expect = _EXPECT.search(text)
    assert expect is not None, f"{file.name}: no '# expect: key.path | message' header"
    line = _LINE.search(text)
    return Expected(file, expect["path"], expect["message"], int(line["line"]) if line else None)


FILES = sorted(CORPUS.glob("*.yaml"))
CASES = [pytest.param(_expected(f), id=f.stem) for f in FILES]


def _matches(rendered: str, source: str, exp: Expected) -> bool:
    """True when one ``file[:line]: key.path: message`` line is the one expected."""
    where = re.escape(source) + (rf":{exp.line}" if exp.line is not None else r"(?::\d+)?")
    pattern = rf"^{where}: {re.escape(exp.path)}: .*{re.escape(exp.message)}"
    return re.search(pattern, rendered) is not None


def test_corpus_is_big_enough() -> None:
    assert len(FILES) >= 25


@pytest.mark.parametrize("exp", CASES)
def test_load_scenario_rejects(exp: Expected) -> None:
    source = str(exp.file)
    with pytest.raises(ScenarioError) as info:
        load_scenario(exp.file)
    lines = info.value.lines()
    assert any(_matches(line, source, exp) for line in lines), (
        f"expected {exp.path}: ...{exp.message}... (line {exp.line}); got:\n" + "\n".join(lines)
    )
    # One thing is wrong in each file, so exactly one error: no follow-on noise.
    assert len(lines) == 1, "\n".join(lines)


# Every case through the command line is slow (one process each); a sample runs always.
CLI_SAMPLE = {"typo_key", "yaml_syntax", "unknown_instance_type", "empty", "spark_job"}


@pytest.mark.parametrize(
    "exp",
    [
        pytest.param(
            _expected(f),
            id=f.stem,
            marks=() if f.stem in CLI_SAMPLE else (pytest.mark.slow,),
        )
        for f in FILES
    ],
)
def test_cli_validate_rejects(exp: Expected) -> None:
    arg = str(exp.file.relative_to(ROOT))
    proc = run_cli("validate", arg)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stdout, proc.stdout
    assert proc.returncode == 2, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    assert f"{arg}:" in proc.stderr, proc.stderr
    assert any(_matches(line, arg, exp) for line in proc.stderr.splitlines()), proc.stderr
    assert f"{exp.path}:" in proc.stderr and exp.message in proc.stderr, proc.stderr


def test_cli_validate_accepts_good_file() -> None:
    proc = run_cli("validate", str(GOOD.relative_to(ROOT)))
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    assert "ok" in proc.stdout.split(), proc.stdout
    assert "Traceback" not in proc.stderr, proc.stderr


def test_good_file_loads() -> None:
    scenario = load_scenario(GOOD)
    assert scenario.name == "quick"


# ``--seed`` is checked as the file's seed is: a whole number from 0 to 2**63 - 1.
SEED_FLAGS = [
    pytest.param(("run", "-1"), id="run-negative"),
    pytest.param(("run", str(2**63)), id="run-huge", marks=pytest.mark.slow),
    pytest.param(("sweep", "-1"), id="sweep-negative", marks=pytest.mark.slow),
    pytest.param(("plan", "-1"), id="plan-negative", marks=pytest.mark.slow),
]


@pytest.mark.parametrize("command", SEED_FLAGS)
def test_cli_seed_flag_rejects(command: tuple[str, str]) -> None:
    name, seed = command
    good = str(GOOD.relative_to(ROOT))
    extra = {"run": (), "sweep": ("--grid", "seed=1,2"), "plan": ("--vary", "seed=1,2")}[name]
    proc = run_cli(name, good, *extra, "--seed", seed)
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    assert proc.returncode == 2, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    assert f"--seed: must be a whole number from 0 to 2**63 - 1 = {2**63 - 1} (got {seed})" in (
        proc.stderr
    ), proc.stderr
