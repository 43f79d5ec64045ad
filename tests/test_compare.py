"""``emrsim compare``: paired differences with common random numbers, and what independent
seeds cost (Welch intervals)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from scipy import stats

import emrsim
from emrsim.cli import INDEPENDENT_SEED_OFFSET, main
from emrsim.report.compare import (
    COMPARED,
    PAIRED,
    WELCH,
    independent_comparison,
    paired_comparison,
    welch_interval,
)

QUICKSTART = "scenarios/quickstart.yaml"
REPLICATIONS = 8


@cache
def _runs(core_nodes: int, seed: int) -> list[dict[str, Any]]:
    scenario = emrsim.load_scenario(QUICKSTART, [f"cluster.instance_groups.1.count={core_nodes}"])
    document, _ = emrsim.simulate(scenario.model_copy(update={"seed": seed}), REPLICATIONS)
    runs: list[dict[str, Any]] = document["runs"]
    return runs


@pytest.mark.parametrize("metric", ["cost_usd.total", "makespan_s", "jobs.mean_runtime_s"])
def test_common_random_numbers_narrow_the_interval(metric: str) -> None:
    """3 against 4 core nodes: the same seeds for both give a narrower interval of B - A than
    independent seeds for B, and both see that the bigger cluster finishes sooner."""
    seed = 1
    paired = paired_comparison(_runs(3, seed), _runs(4, seed))[metric]
    independent = independent_comparison(_runs(3, seed), _runs(4, seed + INDEPENDENT_SEED_OFFSET))[
        metric
    ]
    assert paired["method"] == PAIRED and independent["method"] == WELCH
    assert paired["half_width"] < 0.8 * independent["half_width"]
    assert paired["n"] == independent["n"] == REPLICATIONS
    if metric != "cost_usd.total":
        for d in (paired, independent):
            assert d["ci95"][1] < 0
            assert d["verdict"].startswith("B is lower by")


def test_a_scenario_against_itself_differs_by_exactly_nothing() -> None:
    result = CliRunner().invoke(main, ["compare", QUICKSTART, QUICKSTART, "-r", "3", "--json"])
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["pairing"] == "common_random_numbers"
    assert document["seed_a"] == document["seed_b"] == document["seed"] == 1
    assert set(document["differences"]) == set(COMPARED)
    for d in document["differences"].values():
        assert d["mean_difference"] == 0.0
        assert d["ci95"] == [0.0, 0.0] and d["half_width"] == 0.0
        assert d["mean_a"] == d["mean_b"]
        assert d["verdict"] == "no significant difference (B - A = 0 +/- 0)"


def test_independent_option_in_the_document_and_the_text() -> None:
    runner = CliRunner()
    result = runner.invoke(
        main, ["compare", QUICKSTART, QUICKSTART, "-r", "3", "--independent", "--json"]
    )
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["pairing"] == "independent"
    assert document["seed_b"] == document["seed_a"] + INDEPENDENT_SEED_OFFSET
    makespan = document["differences"]["makespan_s"]
    assert makespan["method"] == WELCH
    assert makespan["mean_difference"] != 0.0  # other seeds, other runs
    assert makespan["ci95"][0] < 0 < makespan["ci95"][1]  # the same scenario: no difference
    assert makespan["verdict"].startswith("no significant difference")

    text = runner.invoke(main, ["compare", QUICKSTART, QUICKSTART, "-r", "2", "--independent"])
    assert text.exit_code == 0
    assert "independent seeds: A 1, B 2" in " ".join(text.stdout.split())
    assert "makespan_s: no significant difference" in text.stdout


def test_compare_human_output_has_a_table_and_one_verdict_per_metric(tmp_path: Path) -> None:
    bigger = tmp_path / "bigger.yaml"
    bigger.write_text(
        Path(QUICKSTART).read_text(encoding="utf-8").replace("count: 3", "count: 4"),
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["compare", QUICKSTART, str(bigger), "-r", "4"])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "4 replications each; same seeds (common random numbers)" in " ".join(
        result.stdout.split()
    )
    assert any("makespan (s)" in line for line in lines)
    verdicts = [line for line in lines if line.split(":")[0] in COMPARED]
    assert len(verdicts) == len(COMPARED)
    assert "makespan_s: B is lower by" in result.stdout


def test_compare_bad_input_exits_2() -> None:
    result = CliRunner().invoke(main, ["compare", QUICKSTART, "no/such/file.yaml"])
    assert result.exit_code == 2
    result = CliRunner().invoke(main, ["compare", QUICKSTART, QUICKSTART, "-r", "1"])
    assert result.exit_code == 2


def test_welch_interval_against_scipy() -> None:
    a = [10.0, 12.0, 9.5, 11.0, 13.5]
    b = [14.0, 15.5, 13.0, 18.0]
    low, high = welch_interval(a, b)  # type: ignore[misc]
    test = stats.ttest_ind(b, a, equal_var=False)
    ci = test.confidence_interval(0.95)
    assert low == pytest.approx(ci.low) and high == pytest.approx(ci.high)
    assert welch_interval([1.0], b) is None
    assert welch_interval([2.0, 2.0], [3.0, 3.0]) == (1.0, 1.0)
    assert np.mean(b) - np.mean(a) == pytest.approx((low + high) / 2)
