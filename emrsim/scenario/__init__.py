"""Scenario files: YAML -> frozen pydantic models, with errors as ``file:line: key.path: msg``."""

from emrsim.scenario.load import (
    apply_overrides,
    load_scenario,
    scenario_from_data,
    scenario_from_text,
)
from emrsim.scenario.models import Job, Scenario, Stage, Step, Stream
from emrsim.scenario.source import Problem, ScenarioError

__all__ = [
    "Job",
    "Problem",
    "Scenario",
    "ScenarioError",
    "Stage",
    "Step",
    "Stream",
    "apply_overrides",
    "load_scenario",
    "scenario_from_data",
    "scenario_from_text",
]
