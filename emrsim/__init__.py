"""emrsim: a discrete-event simulator of Amazon EMR clusters.

Library use::

    import emrsim
    run = emrsim.run("scenarios/quickstart.yaml")     # one run, with pandas DataFrames
    run.summary["makespan_s"], run.jobs, run.nodes, run.metrics, run.events

    scenario = emrsim.load_scenario("scenarios/quickstart.yaml")
    document, results = emrsim.simulate(scenario, replications=5)
    document["aggregate"]["cost_usd.total"]
    document, _ = emrsim.simulate(scenario, target_ci="makespan_s=2%", max_replications=100)
    document["target_ci"]["reached"]
"""

__version__ = "0.1.0"

from typing import TYPE_CHECKING, Any

from emrsim.scenario import Scenario, ScenarioError, load_scenario, scenario_from_text

if TYPE_CHECKING:
    from emrsim.api import RunFrames, run
    from emrsim.engine import Simulation
    from emrsim.result import JobRecord, NodeRecord, RunResult, StepRecord
    from emrsim.sweep.replications import simulate
    from emrsim.sweep.target import TargetCI

_LAZY = {
    "RunFrames": "emrsim.api",
    "run": "emrsim.api",
    "TargetCI": "emrsim.sweep.target",
    "Simulation": "emrsim.engine",
    "JobRecord": "emrsim.result",
    "NodeRecord": "emrsim.result",
    "RunResult": "emrsim.result",
    "StepRecord": "emrsim.result",
    "simulate": "emrsim.sweep.replications",
}


def __getattr__(name: str) -> Any:
    """Import the simulation parts on first use, so the command line starts quickly."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'emrsim' has no attribute {name!r}")


__all__ = [
    "JobRecord",
    "NodeRecord",
    "RunFrames",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "Simulation",
    "StepRecord",
    "TargetCI",
    "__version__",
    "load_scenario",
    "run",
    "scenario_from_text",
    "simulate",
]
