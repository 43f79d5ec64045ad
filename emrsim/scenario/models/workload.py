"""The workload: jobs and their stages, Spark executors, steps, streams, traces."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from emrsim.scenario.models.common import NAME as _NAME
from emrsim.scenario.values import (
    ActionOnFailureField,
    Distribution,
    Frozen,
    PositiveSeconds,
    Seconds,
)


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
