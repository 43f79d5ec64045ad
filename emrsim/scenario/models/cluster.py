"""The cluster: instance types, instance groups and fleets, startup timings, scaling, faults."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator

from emrsim.scenario.values import (
    Distribution,
    Frozen,
    Market,
    MarketField,
    PositiveSeconds,
    RoleField,
    Seconds,
)


# ------------------------------------------------------------------------------- catalogue
class InstanceTypeSpec(Frozen):
    """A catalogue entry added or overridden by the scenario (unset fields keep the catalogue's)."""

    vcpu: int | None = Field(default=None, ge=1)
    memory_gb: float | None = Field(default=None, gt=0)
    yarn_memory_mb: int | None = Field(default=None, ge=32)
    yarn_vcores: int | None = Field(default=None, ge=1)
    map_memory_mb: int | None = Field(default=None, ge=32)
    reduce_memory_mb: int | None = Field(default=None, ge=32)
    am_memory_mb: int | None = Field(default=None, ge=32)
    instance_store_gb: float | None = Field(default=None, ge=0)
    ebs_default_gb: float | None = Field(default=None, ge=0)
    on_demand_usd_per_hr: float | None = Field(default=None, ge=0)
    emr_usd_per_hr: float | None = Field(default=None, ge=0)


# --------------------------------------------------------------------------------- cluster
def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


class ScalingConstraints(Frozen):
    """AutoScalingPolicy.Constraints: the group's instance count stays within these."""

    min_capacity: int = Field(ge=0)
    max_capacity: int = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> ScalingConstraints:
        if self.min_capacity > self.max_capacity:
            raise ValueError(
                f"min_capacity ({self.min_capacity}) must be <= max_capacity ({self.max_capacity})"
            )
        return self


class ScalingAction(Frozen):
    """SimpleScalingPolicyConfiguration: how much to change the group, then wait."""

    adjustment_type: Annotated[
        Literal["CHANGE_IN_CAPACITY", "PERCENT_CHANGE_IN_CAPACITY", "EXACT_CAPACITY"],
        BeforeValidator(_upper),
    ] = "CHANGE_IN_CAPACITY"
    scaling_adjustment: int
    cool_down: Seconds = 0.0


class ScalingTrigger(Frozen):
    """CloudWatchAlarmDefinition over one of the metrics emrsim publishes each minute."""

    metric: str
    comparison_operator: Annotated[
        Literal["GREATER_THAN_OR_EQUAL", "GREATER_THAN", "LESS_THAN", "LESS_THAN_OR_EQUAL"],
        BeforeValidator(_upper),
    ]
    threshold: float
    period: PositiveSeconds = 300.0
    evaluation_periods: int = Field(default=1, ge=1)
    statistic: Annotated[
        Literal["AVERAGE", "MINIMUM", "MAXIMUM", "SUM", "SAMPLE_COUNT"], BeforeValidator(_upper)
    ] = "AVERAGE"

    @field_validator("period")
    @classmethod
    def _whole_minutes(cls, value: float) -> float:
        if value % 60:
            raise ValueError("must be a whole number of minutes (the metrics are per minute)")
        return value


class ScalingRule(Frozen):
    """One rule of an AutoScalingPolicy: when the alarm fires, take the action."""

    name: str
    action: ScalingAction
    trigger: ScalingTrigger


class AutoScalingPolicy(Frozen):
    """EMR's custom automatic scaling policy of one instance group (emr-facts 6)."""

    constraints: ScalingConstraints
    rules: list[ScalingRule] = Field(min_length=1)


class InstanceGroup(Frozen):
    """An EMR instance group: one type, one market, a count."""

    role: RoleField
    instance_type: str
    count: int = Field(ge=0)
    market: MarketField = Market.ON_DEMAND
    name: str | None = None
    ebs_gb: float | None = Field(default=None, ge=0)
    auto_scaling: AutoScalingPolicy | None = None


MAX_FLEET_TYPES = 30
"""Instance types per fleet: EMR's maximum with an allocation strategy (emr-facts 2)."""


class FleetInstanceType(Frozen):
    """One instance type a fleet may launch, with its weight."""

    instance_type: str
    weighted_capacity: int = Field(default=1, ge=1)
    priority: int | None = Field(default=None, ge=0)
    ebs_gb: float | None = Field(default=None, ge=0)


class SpotTimeout(Frozen):
    """SpotSpecification.TimeoutDurationMinutes and TimeoutAction.

    EMR accepts 5 to 1440 minutes (emr-facts 2).
    """

    duration: PositiveSeconds
    action: Annotated[
        Literal["switch_to_on_demand", "terminate_cluster"],
        BeforeValidator(lambda v: v.lower() if isinstance(v, str) else v),
    ]

    @field_validator("duration")
    @classmethod
    def _emr_range(cls, duration: float) -> float:
        if not 5 * 60 <= duration <= 1440 * 60:
            raise ValueError(
                "must be between 5 and 1440 minutes (EMR's TimeoutDurationMinutes range; "
                f"got {duration / 60:g} min)"
            )
        return duration


class InstanceFleet(Frozen):
    """An EMR instance fleet: targets in weighted units over several instance types."""

    role: RoleField
    name: str | None = None
    target_on_demand_capacity: int = Field(default=0, ge=0)
    target_spot_capacity: int = Field(default=0, ge=0)
    instance_types: list[FleetInstanceType] = Field(
        min_length=1, json_schema_extra={"maxItems": MAX_FLEET_TYPES}
    )
    spot_allocation_strategy: Literal[
        "capacity-optimized",
        "price-capacity-optimized",
        "lowest-price",
        "diversified",
        "capacity-optimized-prioritized",
    ] = "price-capacity-optimized"
    on_demand_allocation_strategy: Literal["lowest-price", "prioritized"] = "lowest-price"
    spot_timeout: SpotTimeout | None = None

    @field_validator("instance_types")
    @classmethod
    def _at_most_30(cls, types: list[FleetInstanceType]) -> list[FleetInstanceType]:
        if len(types) > MAX_FLEET_TYPES:
            raise ValueError(
                f"a fleet lists at most {MAX_FLEET_TYPES} instance types (EMR's limit with an "
                f"allocation strategy; got {len(types)})"
            )
        return types


class Startup(Frozen):
    """Timing models of instance provisioning, bootstrap and termination (seconds).

    Defaults: provision uniform 60-180 s and bootstrap 60 s (the contract's example; EMR documents
    only "a few minutes", emr-facts 7 UNCONFIRMED); terminate 0 s (billing stops at the request).
    """

    provision: Distribution = Field(
        default={"dist": "uniform", "low": 60, "high": 180}, validate_default=True
    )
    bootstrap: Distribution = Field(default=60.0, validate_default=True)
    terminate: Distribution = Field(default=0.0, validate_default=True)


class Cluster(Frozen):
    """The cluster: instance groups (or fleets), timings and lifecycle options."""

    instance_groups: list[InstanceGroup] | None = None
    instance_fleets: list[InstanceFleet] | None = None
    startup: Startup = Field(default_factory=Startup)
    keep_alive: bool = False
    idle_timeout: PositiveSeconds | None = None
    step_concurrency: int = Field(default=1, ge=1, le=256)

    @model_validator(mode="after")
    def _groups_or_fleets(self) -> Cluster:
        if (self.instance_groups is None) == (self.instance_fleets is None):
            raise ValueError("give exactly one of instance_groups or instance_fleets")
        return self


# ---------------------------------------------------------------------------------- faults
class Fault(Frozen):
    """An injected failure at ``at`` (from time zero) on ``count`` running instances of ``role``.

    ``decommission`` removes them gracefully, as a shrinking resize does (YARN drains, core
    nodes move their HDFS replicas first; EMR's limits apply). ``terminate`` ends them
    abruptly (an instance failure); ``spot_interruption`` gives running
    spot instances EC2's two-minute interruption notice, as a reclaim wave would.
    """

    at: Seconds
    action: Literal["terminate", "spot_interruption", "decommission"] = "terminate"
    role: RoleField
    count: int = Field(default=1, ge=1)
    group: str | None = None


# --------------------------------------------------------------------------------- scaling
class ManagedScaling(Frozen):
    """EMR managed scaling: its ComputeLimits, and the knobs of this model's demand rule
    (AWS does not publish its formula; see :mod:`emrsim.scaling.managed`)."""

    unit_type: Literal["instances", "vcpu", "instance_fleet_units"] = "instances"
    minimum_capacity_units: int = Field(ge=0)
    maximum_capacity_units: int = Field(ge=1)
    maximum_on_demand_capacity_units: int | None = Field(default=None, ge=0)
    maximum_core_capacity_units: int | None = Field(default=None, ge=0)
    evaluation_interval: PositiveSeconds = 10.0
    """How often demand is evaluated (EMR: every 5-10 s, emr-facts 6)."""
    target_utilization_pct: float = Field(default=100.0, gt=0, le=100)
    """Size the cluster so that demand fills this share of its YARN memory and vcores."""
    scale_in_delay: Seconds = 300.0
    """Demand must stay below the running capacity this long before nodes are removed."""
    shuffle_aware: Literal["auto"] | bool = "auto"
    """Avoid removing nodes holding shuffle output a running job still needs, for up to
    ``shuffle_wait``; ``auto`` follows the release (on from EMR 5.34.0 and 6.4.0,
    emr-facts 6)."""
    shuffle_wait: Seconds = 1800.0

    @model_validator(mode="after")
    def _ordered(self) -> ManagedScaling:
        if self.minimum_capacity_units > self.maximum_capacity_units:
            raise ValueError(
                f"minimum_capacity_units ({self.minimum_capacity_units}) must be <= "
                f"maximum_capacity_units ({self.maximum_capacity_units})"
            )
        return self


class Scaling(Frozen):
    """Automatic scaling of the cluster."""

    managed: ManagedScaling | None = None
