"""The scenario file as frozen pydantic models: the public contract, key for key.

Only the shape and the local ranges of values are checked here; rules that need the whole
scenario or the instance catalogue (unknown types, unknown queues, containers that fit no node)
live in :mod:`emrsim.scenario.checks`.

Split by subject into modules (cluster, markets, yarn, hdfs, workload); every model is importable
from here, as ``emrsim.scenario.models.X``.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field

from emrsim.scenario.models.cluster import (
    MAX_FLEET_TYPES,
    AutoScalingPolicy,
    Cluster,
    Fault,
    FleetInstanceType,
    InstanceFleet,
    InstanceGroup,
    InstanceTypeSpec,
    ManagedScaling,
    Scaling,
    ScalingAction,
    ScalingConstraints,
    ScalingRule,
    ScalingTrigger,
    SpotTimeout,
    Startup,
)
from emrsim.scenario.models.hdfs import (
    Hdfs,
)
from emrsim.scenario.models.markets import (
    PriceOverride,
    Pricing,
    ReclaimWaves,
    SpotInterruption,
    SpotMarket,
)
from emrsim.scenario.models.workload import (
    TRACE_FORMATS,
    TRACE_OPTIONS,
    ContainerSize,
    DynamicExecutors,
    Executors,
    Job,
    Stage,
    Step,
    Stream,
    Trace,
    Workload,
    stage_dependencies,
)
from emrsim.scenario.models.yarn import (
    Preemption,
    Queue,
    Resources,
    Yarn,
)
from emrsim.scenario.values import Frozen, PositiveSeconds

# -------------------------------------------------------------------------------- scenario
_RELEASE = re.compile(r"^emr-(\d+)\.(\d+)\.(\d+)$")


class Scenario(Frozen):
    """A whole scenario file."""

    name: str = Field(min_length=1)
    description: str = ""
    seed: int = Field(default=0, ge=0)
    replications: int = Field(default=1, ge=1)
    horizon: PositiveSeconds | None = None
    release_label: Annotated[str, Field(pattern=_RELEASE.pattern)] = "emr-7.5.0"
    region: str = "us-east-1"
    instance_types: dict[str, InstanceTypeSpec] = Field(default_factory=dict)
    cluster: Cluster
    spot_market: SpotMarket = Field(default_factory=SpotMarket)
    yarn: Yarn = Field(default_factory=Yarn)
    hdfs: Hdfs = Field(default_factory=Hdfs)
    faults: list[Fault] = Field(default_factory=list)
    scaling: Scaling = Field(default_factory=Scaling)
    pricing: Pricing = Field(default_factory=Pricing)
    workload: Workload = Field(default_factory=Workload)

    @property
    def release(self) -> tuple[int, int, int]:
        """The release label as (major, minor, patch)."""
        match = _RELEASE.match(self.release_label)
        assert match is not None  # guaranteed by the field pattern
        return int(match.group(1)), int(match.group(2)), int(match.group(3))


__all__ = [
    "MAX_FLEET_TYPES",
    "TRACE_FORMATS",
    "TRACE_OPTIONS",
    "AutoScalingPolicy",
    "Cluster",
    "ContainerSize",
    "DynamicExecutors",
    "Executors",
    "Fault",
    "FleetInstanceType",
    "Hdfs",
    "InstanceFleet",
    "InstanceGroup",
    "InstanceTypeSpec",
    "Job",
    "ManagedScaling",
    "Preemption",
    "PriceOverride",
    "Pricing",
    "Queue",
    "ReclaimWaves",
    "Resources",
    "Scaling",
    "ScalingAction",
    "ScalingConstraints",
    "ScalingRule",
    "ScalingTrigger",
    "Scenario",
    "SpotInterruption",
    "SpotMarket",
    "SpotTimeout",
    "Stage",
    "Startup",
    "Step",
    "Stream",
    "Trace",
    "Workload",
    "Yarn",
    "stage_dependencies",
]
