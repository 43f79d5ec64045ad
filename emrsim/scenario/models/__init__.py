"""The scenario file as frozen pydantic models: the public contract, key for key.

Only the shape and the local ranges of values are checked here; rules that need the whole
scenario or the instance catalogue (unknown types, unknown queues, containers that fit no node)
live in :mod:`emrsim.scenario.checks`.

Split by subject into modules (cluster, markets, yarn, hdfs, workload); every model is importable
from here, as ``emrsim.scenario.models.X``.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

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

FIRST_RELEASE = (4, 0, 0)
"""EMR's first release label, emr-4.0.0: earlier clusters (EMR 2.x and 3.x) were chosen by AMI
version, and the release-dependent rules emrsim follows start there (emr-facts 2 and 6: custom
automatic scaling 4.0+, fleets 4.8.0+, managed scaling 5.30.0+)."""

LAST_MAJOR = 7
"""The newest EMR release series emrsim knows (emr-facts 1: AM placement of 5.x, 6.x, 7.x)."""

MAX_SEED = 2**63 - 1
"""The largest seed: any non-negative integer seeds numpy's SeedSequence, but a seed is also
written to summary.json and runs.jsonl, and 64 bits keep it exact in every reader that holds it
in a signed 64-bit integer (pandas, Parquet, SQL)."""


def seed_problem(seed: object) -> str | None:
    """What is wrong with ``seed`` (from the file or ``--seed``), or None."""
    if isinstance(seed, bool) or not isinstance(seed, int):
        return f"must be a whole number from 0 to 2**63 - 1 (got {seed!r})"
    if not 0 <= seed <= MAX_SEED:
        return f"must be a whole number from 0 to 2**63 - 1 = {MAX_SEED} (got {seed})"
    return None


def _seed(value: Any) -> Any:
    problem = seed_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def _release_label(value: Any) -> Any:
    """An EMR release label emrsim knows: emr-4.0.0 to emr-7.x."""
    known = f"emrsim knows emr-4.0.0 to emr-{LAST_MAJOR}.x"
    match = _RELEASE.match(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(
            f"{value!r} is not an EMR release label: give emr-MAJOR.MINOR.PATCH, e.g. "
            f"emr-7.5.0 ({known})"
        )
    release = tuple(int(part) for part in match.groups())
    if release < FIRST_RELEASE:
        raise ValueError(
            f"{value} is older than EMR's first release label, emr-4.0.0 (EMR 2.x and 3.x "
            f"clusters were chosen by AMI version); {known}"
        )
    if release[0] > LAST_MAJOR:
        raise ValueError(
            f"{value} is not an EMR release emrsim knows: its release-dependent defaults (AM "
            f"placement, managed scaling, shuffle awareness) cover emr-4.0.0 to "
            f"emr-{LAST_MAJOR}.x"
        )
    return value


class Scenario(Frozen):
    """A whole scenario file."""

    name: str = Field(min_length=1)
    description: str = ""
    seed: Annotated[int, BeforeValidator(_seed), Field(ge=0, le=MAX_SEED)] = 0
    replications: int = Field(default=1, ge=1)
    horizon: PositiveSeconds | None = None
    release_label: Annotated[
        str, BeforeValidator(_release_label), Field(pattern=_RELEASE.pattern)
    ] = "emr-7.5.0"
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
    "FIRST_RELEASE",
    "LAST_MAJOR",
    "MAX_FLEET_TYPES",
    "MAX_SEED",
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
    "seed_problem",
    "stage_dependencies",
]
