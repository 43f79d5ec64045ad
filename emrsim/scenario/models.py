"""The scenario file as frozen pydantic models: the public contract, key for key.

Only the shape and the local ranges of values are checked here; rules that need the whole
scenario or the instance catalogue (unknown types, unknown queues, containers that fit no node)
live in :mod:`emrsim.scenario.checks`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator

from emrsim.scenario.values import (
    ActionOnFailureField,
    Distribution,
    Frozen,
    Market,
    MarketField,
    PositiveSeconds,
    RoleField,
    Seconds,
)

_NAME = r"^[A-Za-z0-9_.\-]+$"


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


# ------------------------------------------------------------------------------------ spot
class SpotInterruption(Frozen):
    """An interruption hazard for one instance type: a rate, or a Spot Advisor bucket."""

    rate_per_hour: float | None = Field(default=None, ge=0)
    advisor_bucket: Literal["<5%", "5-10%", "10-15%", "15-20%", ">20%"] | None = None

    @model_validator(mode="after")
    def _one_of(self) -> SpotInterruption:
        if (self.rate_per_hour is None) == (self.advisor_bucket is None):
            raise ValueError("give exactly one of rate_per_hour or advisor_bucket")
        return self


def _fraction(what: str, above_0: bool) -> Any:
    """A check of a number in (0, 1] (``above_0``) or [0, 1] whose message says what it is."""
    allowed = "above 0 and at most 1" if above_0 else "between 0 and 1"

    def check(value: Any) -> Any:
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if number and (value > 1 or value < 0 or (above_0 and value == 0)):
            raise ValueError(f"must be {allowed}: {what} (got {value:g})")
        return value

    return check


class ReclaimWaves(Frozen):
    """Correlated reclaims: part of the hazard arrives as waves that hit a whole capacity pool.

    A pool is one instance type in the cluster's Availability Zone (a cluster lives in one AZ,
    emr-facts 2). ``share`` of each instance's hazard comes from waves; each wave reclaims every
    spot instance of its pool independently with probability ``pool_fraction``. The mean rate
    per instance-hour is unchanged; the variance of interruptions per run grows.
    """

    share: Annotated[
        float,
        Field(gt=0, le=1),
        BeforeValidator(_fraction("the share of the hazard that arrives in waves", above_0=True)),
    ]
    pool_fraction: Annotated[
        float,
        Field(gt=0, le=1),
        BeforeValidator(_fraction("the chance a wave reclaims each instance of its pool", True)),
    ]


class SpotMarket(Frozen):
    """Spot prices, interruption hazards and capacity per instance type (pool)."""

    interruptions: dict[str, SpotInterruption] = Field(default_factory=dict)
    price_fraction: dict[
        str,
        Annotated[
            float,
            Field(gt=0, le=1),
            BeforeValidator(_fraction("the spot price as a fraction of on-demand", True)),
        ],
    ] = Field(default_factory=dict)
    availability: dict[
        str,
        Annotated[
            float,
            Field(ge=0, le=1),
            BeforeValidator(
                _fraction("the probability a spot request is fulfilled at one attempt", False)
            ),
        ],
    ] = Field(default_factory=dict)
    """Probability that a spot request in a pool is fulfilled at one attempt (default 1)."""
    retry_interval: PositiveSeconds = 300.0
    """Time between attempts of an unfulfilled spot request (a model default)."""
    advisor_window: PositiveSeconds = 30 * 86400.0
    """The span a Spot Advisor bucket refers to ("the trailing month"): bucket -> hazard."""
    reclaim_waves: ReclaimWaves | None = None
    rebalance_lead: Seconds | None = None
    """When set, a rebalance recommendation arrives this long before the interruption notice and
    the node stops taking new containers then (a what-if: EMR does not act on it by itself)."""
    replace_interrupted: bool = True
    """Groups and fleets request replacements for reclaimed spot instances (emr-facts 3)."""


# ------------------------------------------------------------------------------------ yarn
class Resources(Frozen):
    """An amount of YARN resources (fair scheduler minResources / maxResources).

    A resource left out is unconstrained: 0 in min_resources, unlimited in max_resources (as
    Hadoop parses a maxResources value without it).
    """

    memory_mb: int = Field(ge=0)
    vcores: int | None = Field(default=None, ge=0)


class Queue(Frozen):
    """A scheduler queue: capacity scheduler keys or fair scheduler keys, and child queues.

    Hierarchy: nested ``queues:``, or dotted names (``etl.nightly``) whose parent (``etl``) is
    listed too. Capacities are percentages of the parent; siblings' capacities sum to 100.
    """

    name: Annotated[str, Field(pattern=_NAME)]
    queues: list[Queue] | None = None
    # Capacity scheduler keys.
    capacity: float | None = Field(default=None, ge=0, le=100)
    max_capacity: float | None = Field(default=None, ge=0, le=100)
    user_limit_factor: float = Field(default=1.0, gt=0)
    minimum_user_limit_percent: float = Field(default=100, gt=0, le=100)
    maximum_am_resource_percent: float | None = Field(default=None, gt=0, le=100)
    ordering_policy: Literal["fifo", "fair"] = "fifo"
    # Fair scheduler keys.
    weight: float | None = Field(default=None, gt=0)
    min_resources: Resources | None = None
    max_resources: Resources | None = None
    max_running_apps: int | None = Field(default=None, ge=0)
    max_am_share: float | None = Field(default=None, ge=-1, le=1)
    min_share_preemption_timeout: Seconds | None = None
    fair_share_preemption_timeout: Seconds | None = None
    fair_share_preemption_threshold: float | None = Field(default=None, ge=0, le=1)
    scheduling_policy: Literal["fair", "drf", "fifo"] | None = None

    @model_validator(mode="after")
    def _max_above_capacity(self) -> Queue:
        if (
            self.capacity is not None
            and self.max_capacity is not None
            and self.max_capacity < self.capacity
        ):
            raise ValueError(
                f"max_capacity ({self.max_capacity:g}) must be >= capacity ({self.capacity:g})"
            )
        return self


class Preemption(Frozen):
    """Preemption settings, with Hadoop's defaults.

    Capacity scheduler (ProportionalCapacityPreemptionPolicy): a round every
    ``monitoring_interval`` (3 s), ``max_wait_before_kill``, ``total_preemption_per_round``,
    ``max_ignored_over_capacity``, ``natural_termination_factor``. Fair scheduler: starvation is
    checked every ``monitoring_interval`` (default the update interval, 0.5 s) against each
    queue's min-share and fair-share timeouts (per queue, or the ``default_*`` here; by default
    never, as Hadoop's Long.MAX_VALUE), only while the cluster is at least
    ``cluster_utilization_threshold`` allocated; containers are killed ``max_wait_before_kill``
    after they are chosen.
    """

    enabled: bool = True
    monitoring_interval: PositiveSeconds | None = None
    max_wait_before_kill: Seconds = 15.0
    total_preemption_per_round: float = Field(default=0.1, gt=0, le=1)
    max_ignored_over_capacity: float = Field(default=0.1, ge=0)
    natural_termination_factor: float = Field(default=0.2, gt=0, le=1)
    cluster_utilization_threshold: float = Field(default=0.8, ge=0, le=1)
    default_min_share_preemption_timeout: Seconds | None = None
    default_fair_share_preemption_timeout: Seconds | None = None
    default_fair_share_preemption_threshold: float = Field(default=0.5, ge=0, le=1)

    def interval_s(self, scheduler: str) -> float:
        """The monitoring interval in force for ``scheduler``."""
        if self.monitoring_interval is not None:
            return self.monitoring_interval
        return 0.5 if scheduler == "fair" else 3.0


def _preemption(value: Any) -> Any:
    if isinstance(value, bool):
        return {"enabled": value}
    return value


class Yarn(Frozen):
    """The YARN ResourceManager: scheduler, queues, allocation limits, AM policy."""

    scheduler: Literal["capacity", "fair", "fifo"] = "capacity"
    resource_calculator: Literal["memory", "drf"] = "memory"
    queues: list[Queue] | None = None
    preemption: Annotated[Preemption, BeforeValidator(_preemption)] = Field(
        default_factory=lambda: Preemption(enabled=False)
    )
    am_placement: Literal["auto", "core", "any", "on_demand"] = "auto"
    graceful_decommission_timeout: Seconds = 3600.0
    max_am_attempts: int = Field(default=2, ge=1)
    minimum_allocation_mb: int = Field(default=32, ge=1)
    minimum_allocation_vcores: int = Field(default=1, ge=1)
    maximum_am_resource_percent: float = Field(default=10.0, gt=0, le=100)
    default_scheduling_policy: Literal["fair", "drf", "fifo"] = "fair"
    from_xml: str | None = None
    import_notes: list[str] = Field(
        default=[], description="What the XML import dropped, and why; filled by the loader."
    )

    @field_validator("queues")
    @classmethod
    def _unique_names(cls, queues: list[Queue] | None) -> list[Queue] | None:
        if queues is not None:
            if not queues:
                raise ValueError("give at least one queue, or leave queues out")
            names = [q.name for q in queues]
            dupes = sorted({n for n in names if names.count(n) > 1})
            if dupes:
                raise ValueError(f"duplicate queue names: {', '.join(dupes)}")
        return queues


# ------------------------------------------------------------------------------------ hdfs
class Hdfs(Frozen):
    """HDFS settings: dfs.replication, dfs.blocksize, data present at start, and the NameNode's
    dead-node and re-replication throttles (Hadoop's defaults, emr-facts 4)."""

    replication: Literal["auto"] | Annotated[int, Field(ge=1, le=3)] = "auto"
    block_size_mb: int = Field(default=128, ge=1)
    preload_gb: float = Field(default=0.0, ge=0)
    dead_node_timeout: PositiveSeconds = 630.0
    """2 x dfs.namenode.heartbeat.recheck-interval (300 s) + 10 x dfs.heartbeat.interval (3 s)."""
    redundancy_interval: PositiveSeconds = 3.0
    """dfs.namenode.redundancy.interval.seconds: how often re-replication work is scheduled."""
    replication_work_multiplier: int = Field(default=2, ge=1)
    """dfs.namenode.replication.work.multiplier.per.iteration: blocks per live DataNode per
    interval."""
    max_replication_streams: int = Field(default=2, ge=1)
    """dfs.namenode.replication.max-streams: copies one source DataNode serves at a time."""
    replication_streams_hard_limit: int = Field(default=4, ge=1)
    """dfs.namenode.replication.max-streams-hard-limit: the same for highest-priority blocks."""
    node_bandwidth_mb_s: float = Field(default=250.0, gt=0)
    """Throughput of one DataNode's block copies, shared by its streams (a model default: the
    order of an EBS gp3 volume's 250 MB/s, well under the network's)."""
    decommission_check_interval: PositiveSeconds = 30.0
    """dfs.namenode.decommission.interval: how often decommissioning nodes are checked."""

    @model_validator(mode="after")
    def _limits(self) -> Hdfs:
        if self.replication_streams_hard_limit < self.max_replication_streams:
            raise ValueError(
                "replication_streams_hard_limit must be >= max_replication_streams "
                f"({self.max_replication_streams})"
            )
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


# --------------------------------------------------------------------------------- pricing
class PriceOverride(Frozen):
    """Prices for one instance type, USD per hour."""

    on_demand_usd_per_hr: float | None = Field(default=None, ge=0)
    emr_usd_per_hr: float | None = Field(default=None, ge=0)
    spot_usd_per_hr: float | None = Field(default=None, ge=0)


class Pricing(Frozen):
    """Price overrides. EBS default: gp2 at 0.10 USD per GB-month (emr-facts 8 example)."""

    instances: dict[str, PriceOverride] = Field(default_factory=dict)
    ebs_usd_per_gb_month: float = Field(default=0.10, ge=0)


# -------------------------------------------------------------------------------- workload
class ContainerSize(Frozen):
    """A container request: memory and vcores."""

    memory_mb: int = Field(ge=1)
    vcores: int = Field(default=1, ge=1)


def _am_none(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lower() == "none":
        return "none"
    if value is not None and not isinstance(value, (dict, ContainerSize)):
        raise ValueError(
            f"an AM is {{memory_mb: .., vcores: ..}} or 'none' (no AM) (got {value!r})"
        )
    return value


class Stage(Frozen):
    """A stage of a job: ``tasks`` containers, each running for a drawn ``duration``."""

    name: Annotated[str, Field(pattern=_NAME)]
    tasks: int = Field(ge=1)
    duration: Distribution
    container: ContainerSize | None = None
    input_gb: float = Field(default=0.0, ge=0)
    output_gb: float = Field(default=0.0, ge=0)
    depends_on: list[str] | None = None
    task_failure_probability: float = Field(default=0.0, ge=0, le=1)


class DynamicExecutors(Frozen):
    """Spark dynamic allocation (spark.dynamicAllocation.*): ``min``/``max``/``initial``
    executors (initial defaults to min), executorIdleTimeout, and the scheduler backlog
    timeouts after which more executors are asked for (1, 2, 4, ... at a time)."""

    min: int = Field(default=0, ge=0)
    max: int = Field(ge=1)
    initial: int | None = Field(default=None, ge=0)
    idle_timeout: Seconds = 60.0
    scheduler_backlog_timeout: PositiveSeconds = 1.0
    sustained_scheduler_backlog_timeout: PositiveSeconds = 1.0


class Executors(Frozen):
    """Spark executors: a fixed ``count`` or ``dynamic`` allocation; each executor is a YARN
    container of ``memory_mb`` and ``vcores``, and runs ``vcores`` tasks at once."""

    count: int | None = Field(default=None, ge=1)
    dynamic: DynamicExecutors | None = None
    memory_mb: int = Field(ge=1)
    vcores: int = Field(default=1, ge=1)


class Job(Frozen):
    """A YARN application: an optional AM and stages of task containers.

    ``reduce_slowstart`` is mapreduce.job.reduce.slowstart.completedmaps (Hadoop's default 0.05):
    in a mapreduce job, a stage with dependencies asks for its containers once that fraction of
    its parents' tasks has finished; its tasks hold their containers and begin their work when
    the parents complete (the shuffle). 1.0 waits for the parents to finish.
    """

    type: Literal["mapreduce", "spark", "container"] = "mapreduce"
    name: str | None = None
    queue: str | None = None
    user: str | None = None
    am: Annotated[ContainerSize | Literal["none"] | None, BeforeValidator(_am_none)] = None
    stages: list[Stage] = Field(min_length=1)
    executors: Executors | None = None
    max_task_attempts: int = Field(default=4, ge=1)
    reduce_slowstart: float = Field(default=0.05, ge=0, le=1)

    @model_validator(mode="after")
    def _stage_graph(self) -> Job:
        names = [s.name for s in self.stages]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate stage names: {', '.join(dupes)}")
        for stage in self.stages:
            for dep in stage.depends_on or []:
                if dep not in names:
                    raise ValueError(f"stage {stage.name!r} depends on unknown stage {dep!r}")
                if dep == stage.name:
                    raise ValueError(f"stage {stage.name!r} depends on itself")
        _check_acyclic(self.stages)
        return self


def _check_acyclic(stages: list[Stage]) -> None:
    deps = {s.name: stage_dependencies(stages, i) for i, s in enumerate(stages)}
    state: dict[str, int] = {}

    def visit(name: str) -> None:
        if state.get(name) == 1:
            raise ValueError(f"stages form a dependency cycle through {name!r}")
        if state.get(name) == 2:
            return
        state[name] = 1
        for dep in deps[name]:
            visit(dep)
        state[name] = 2

    for name in deps:
        visit(name)


def stage_dependencies(stages: list[Stage], index: int) -> list[str]:
    """The stages that stage ``index`` waits for: its depends_on, else the stage before it."""
    stage = stages[index]
    if stage.depends_on is not None:
        return list(stage.depends_on)
    return [stages[index - 1].name] if index > 0 else []


class Step(Frozen):
    """An EMR step: a job run in submission order after the cluster is ready.

    ``action_on_failure`` defaults to cancel_and_wait when steps run one at a time (later steps
    are cancelled after a failure, emr-facts 7) and to continue with step_concurrency > 1, the
    only action EMR accepts there.
    """

    name: str
    action_on_failure: ActionOnFailureField | None = None
    queue: str | None = None
    job: Job


class Stream(Frozen):
    """An open arrival process of jobs."""

    name: str
    queue: str | None = None
    start: Seconds = 0.0
    interarrival: Distribution
    count: int | None = Field(default=None, ge=0)
    until: Seconds | None = None
    job: Job


TRACE_FORMATS = ("swim", "rumen", "sls", "syn", "arrivals_csv")
"""The trace formats emrsim reads (see :mod:`emrsim.workload.traces`)."""


class Trace(Frozen):
    """A workload trace to replay: a file of jobs (or of arrival times) submitted on its own clock.

    Common keys:

    - ``format``: ``swim`` (SWIM's Facebook days, tab-separated), ``rumen`` (Hadoop Rumen job
      histories), ``sls`` (Hadoop SLS JSON, also its ``dag`` AM), ``syn`` (the SLS synthetic
      generator's JSON) or ``arrivals_csv`` (arrival timestamps from a CSV column).
    - ``path``: the file. A relative path is resolved against the scenario file's directory;
      ``emrsim:traces/...`` names a file shipped inside emrsim (``emrsim/data/traces/``).
    - ``queue``: every job's queue; default: the queue the file names for the job (rumen,
      sls, syn), else ``default`` (swim, and arrivals_csv's ``job.queue`` first).
    - ``name``: prefix of the jobs' names where the file has none (arrivals_csv); default the
      file's name without extension.
    - ``start``: offset from cluster ready of the trace's first job (default 0). Every job keeps
      its distance from the first: it is submitted ``start + time_scale * (t - t_first)`` after
      the cluster is ready.
    - ``limit``: replay only the first N jobs (default: all): in the file's order (an SLS
      ``job.count`` makes that many jobs), for ``syn`` the first N drawn by submit time.
    - ``time_scale``: multiply the trace's times (default 1; 0.5 replays twice as fast).

    ``swim`` options (task durations are bytes over a per-task throughput):

    - ``task_mb_per_s`` (default 20): MB (2^20 bytes) one task reads plus writes per second.
      A model default: the TeraGen maps of the shipped Rumen history wrote 416.7 MB in a
      median 19.3 s (21.6 MB/s); Scout's Hadoop terasort and wordcount runs on EC2 c4/m4/r4
      average 9-10 MB/s per vCPU of whole-job bytes, waits and waves included (a lower bound).
    - ``task_overhead_s`` (default 0): seconds added to every task (e.g. JVM start-up).
    - ``reduce_mb_per_task`` (default ``hdfs.block_size_mb``): shuffle MB per reduce task;
      SWIM's README: "roughly the same as HDFS block size".
    - ``scale_to_nodes`` (default: no scaling) and ``original_nodes`` (default 600, FB-2009's
      cluster; FB-2010 had 3000): every size is multiplied by scale_to_nodes / original_nodes,
      as SWIM's GenerateReplayScript does.
    - ``hdfs`` (default false): when true, maps read the job's input from HDFS (so
      ``hdfs.preload_gb`` must hold the largest input) and the job writes its output there;
      false because SWIM's replay deletes each output when its job ends and emrsim's HDFS keeps
      every output.

    ``arrivals_csv`` options: ``column`` (header name or 0-based index; default
    ``timestamp``), ``unit`` (``us``, ``ms`` or ``s``; default ``s``), ``drop_zero`` (default
    true: rows at time 0 are jobs that existed before a Google trace began) and ``job`` (the
    job each arrival submits, as a stream's; required).
    """

    format: Literal["swim", "rumen", "sls", "syn", "arrivals_csv"]
    path: Annotated[str, Field(min_length=1)]
    queue: str | None = None
    name: Annotated[str, Field(pattern=_NAME)] | None = None
    start: Seconds = 0.0
    limit: int | None = Field(default=None, ge=1)
    time_scale: float = Field(default=1.0, ge=0)
    # swim
    task_mb_per_s: float = Field(default=20.0, gt=0)
    task_overhead_s: Seconds = 0.0
    reduce_mb_per_task: float | None = Field(default=None, gt=0)
    scale_to_nodes: int | None = Field(default=None, ge=1)
    original_nodes: int = Field(default=600, ge=1)
    hdfs: bool = False
    # arrivals_csv
    column: str | Annotated[int, Field(ge=0)] = "timestamp"
    unit: Literal["us", "ms", "s"] = "s"
    drop_zero: bool = True
    job: Job | None = None


TRACE_OPTIONS: dict[str, frozenset[str]] = {
    "swim": frozenset(
        {
            "task_mb_per_s",
            "task_overhead_s",
            "reduce_mb_per_task",
            "scale_to_nodes",
            "original_nodes",
            "hdfs",
        }
    ),
    "rumen": frozenset(),
    "sls": frozenset(),
    "syn": frozenset(),
    "arrivals_csv": frozenset({"column", "unit", "drop_zero", "job"}),
}
"""The keys of :class:`Trace` that only one format takes; the others take all the rest."""


class Workload(Frozen):
    """What the cluster runs: EMR steps, open streams of jobs, traces."""

    steps: list[Step] = Field(default_factory=list)
    streams: list[Stream] = Field(default_factory=list)
    traces: list[Trace] = Field(default_factory=list)


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
