"""emrsim: a discrete-event simulator of Amazon EMR clusters.

Library use::

    import emrsim
    scenario = emrsim.load_scenario("scenarios/quickstart.yaml")
    document, results = emrsim.simulate(scenario, replications=5)
    document["aggregate"]["cost_usd.total"]
"""

__version__ = "0.1.0"

from emrsim.engine import Simulation
from emrsim.result import JobRecord, NodeRecord, RunResult, StepRecord
from emrsim.scenario import Scenario, ScenarioError, load_scenario, scenario_from_text
from emrsim.sweep.replications import simulate

__all__ = [
    "JobRecord",
    "NodeRecord",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "Simulation",
    "StepRecord",
    "__version__",
    "load_scenario",
    "scenario_from_text",
    "simulate",
]
