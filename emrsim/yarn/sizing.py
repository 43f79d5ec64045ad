"""Container sizes as YARN sees them: defaults from EMR's per-type table, normalised requests,
and where application masters may run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from emrsim.nodes.catalogue import InstanceType
from emrsim.nodes.plan import capacity_targets, core_target, smallest_type
from emrsim.scenario.models import Job, Scenario
from emrsim.scenario.values import Market, Role


def normalise(memory_mb: int, vcores: int, scenario: Scenario) -> tuple[int, int]:
    """Round a request up to a multiple of the scheduler's minimum allocation (as YARN does)."""
    step_mb = scenario.yarn.minimum_allocation_mb
    step_vc = scenario.yarn.minimum_allocation_vcores
    mem = -(-memory_mb // step_mb) * step_mb
    vc = -(-vcores // step_vc) * step_vc
    return mem, vc


def core_type(scenario: Scenario, types: Mapping[str, InstanceType]) -> InstanceType:
    """The core instance type whose table gives EMR's MapReduce and AM defaults.

    A core group's type; for a core fleet, its type with the least YARN memory, so the default
    container sizes fit every core node the fleet may launch (emr-facts 2 and 5).
    """
    return smallest_type(core_target(capacity_targets(scenario, types)))


def stage_request(
    scenario: Scenario, types: Mapping[str, InstanceType], job: Job, index: int
) -> tuple[int, int]:
    """(memory_mb, vcores) of one task container of stage ``index``, normalised.

    Without ``container:``, a mapreduce stage takes EMR's defaults for the core instance type:
    mapreduce.reduce.memory.mb for stages named reduce*, mapreduce.map.memory.mb otherwise.
    """
    stage = job.stages[index]
    if stage.container is not None:
        return normalise(stage.container.memory_mb, stage.container.vcores, scenario)
    core = core_type(scenario, types)
    memory = (
        core.reduce_memory_mb if stage.name.lower().startswith("reduce") else (core.map_memory_mb)
    )
    return normalise(memory, 1, scenario)


def am_request(
    scenario: Scenario, types: Mapping[str, InstanceType], job: Job
) -> tuple[int, int] | None:
    """(memory_mb, vcores) of the job's AM container, or None for ``am: none``.

    Default: yarn.app.mapreduce.am.resource.mb of the core instance type, 1 vcore (EMR's table).
    """
    if job.am == "none":
        return None
    if job.am is not None:
        return normalise(job.am.memory_mb, job.am.vcores, scenario)
    return normalise(core_type(scenario, types).am_memory_mb, 1, scenario)


def am_placement(scenario: Scenario) -> str:
    """Where AMs may run: ``core``, ``on_demand`` or ``any``.

    ``auto`` follows the release as EMR does (emr-facts 1): 5.x puts AMs on CORE-labelled nodes
    (node labels on by default from 5.19.0, a code patch before); 6.x and 7.x place them anywhere
    (7.x can opt in to CORE or ON_DEMAND, which here is am_placement core or on_demand).
    """
    if scenario.yarn.am_placement != "auto":
        return scenario.yarn.am_placement
    return "core" if scenario.release[0] < 6 else "any"


def am_node_filter(scenario: Scenario) -> Callable[[Role, Market], bool]:
    """A predicate over (role, market) telling whether a node may host an AM."""
    where = am_placement(scenario)
    if where == "core":
        return lambda role, market: role is Role.CORE
    if where == "on_demand":
        return lambda role, market: market is Market.ON_DEMAND
    return lambda role, market: True
