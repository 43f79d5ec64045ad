"""Every JSON output names the emrsim version, the seed and the resolved configuration, so a
result can always be traced back to what produced it."""

from __future__ import annotations

import json
from typing import Any

from click.testing import CliRunner

from emrsim import __version__
from emrsim.cli import main
from tests.reliability.test_cli_flags import COUNT, QUICKSTART


def _json(*args: str) -> dict[str, Any]:
    result = CliRunner().invoke(main, [*args, "--json"])
    assert result.exit_code in (0, 1), result.output  # plan exits 1 when no point fits
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def _is_config(config: Any, seed: int) -> None:
    assert isinstance(config, dict)
    assert config["seed"] == seed
    assert config["cluster"]["instance_groups"], "the resolved cluster"


def test_run_compare_sweep_and_plan_carry_version_seed_and_config() -> None:
    run = _json("run", QUICKSTART, "--seed", "5", "--set", f"{COUNT}=3")
    assert (run["emrsim_version"], run["seed"]) == (__version__, 5)
    _is_config(run["config"], 5)
    assert run["config"]["cluster"]["instance_groups"][1]["count"] == 3

    compare = _json("compare", QUICKSTART, QUICKSTART, "-r", "2", "--seed", "6")
    assert (compare["emrsim_version"], compare["seed"]) == (__version__, 6)
    _is_config(compare["config"]["a"], 6)
    _is_config(compare["config"]["b"], 6)

    sweep = _json("sweep", QUICKSTART, "--grid", f"{COUNT}=2,3", "-r", "1", "--workers", "1")
    assert sweep["emrsim_version"] == __version__
    _is_config(sweep["config"], sweep["seed"])

    plan = _json(
        "plan", QUICKSTART, "--vary", f"{COUNT}=2,3", "-r", "2", "--sla", "p95(makespan_s) <= 4h"
    )
    assert plan["emrsim_version"] == __version__
    chosen = plan["chosen"]
    _is_config(chosen["config"], plan["seed"])
    assert chosen["config"]["cluster"]["instance_groups"][1]["count"] == 2  # the cheaper one
