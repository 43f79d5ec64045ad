"""Whole-scenario checks: the rules that need more than one key, or the instance catalogue.

Each check returns :class:`Problem` objects; nothing here raises. Parts of the contract that a
later version implements are rejected here with "not supported yet", never silently ignored.
This module holds the workload and queue rules; the cluster's (instance groups and fleets, the
spot market, prices, container fits, HDFS, faults) are in :mod:`emrsim.scenario.checks_cluster`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

from emrsim.nodes.plan import group_name
from emrsim.scenario import checks_cluster as cluster
from emrsim.scenario.checks_scaling import scaling_problems
from emrsim.scenario.models import Job, Scenario, Step, Stream, Trace
from emrsim.scenario.source import Path, Problem
from emrsim.scenario.values import ActionOnFailure, Constant

if TYPE_CHECKING:
    from emrsim.nodes.catalogue import InstanceType
    from emrsim.nodes.plan import CapacityTarget

__all__ = ["NOT_YET", "check_scenario", "group_name", "job_queue", "queue_names"]

NOT_YET = "not supported yet in this version of emrsim"


def check_scenario(scenario: Scenario) -> list[Problem]:
    """Every problem found in a parsed scenario (empty when it can run)."""
    from emrsim.nodes.catalogue import load_spot_advisor

    problems: list[Problem] = []
    advisor = load_spot_advisor()
    if scenario.region not in advisor.regions():
        problems.append(
            Problem(
                ("region",),
                f"unknown region {scenario.region!r} (e.g. us-east-1, "
                "eu-west-1); see the Spot Advisor snapshot for the list",
            )
        )
        return problems
    problems += _unsupported(scenario)
    types_ok, type_problems = cluster.instance_type_problems(scenario)
    problems += type_problems
    problems += cluster.group_problems(scenario)
    problems += cluster.fleet_problems(scenario)
    queue_problems = _queues(scenario)
    problems += queue_problems
    trace_problems: list[Problem] = []
    if not queue_problems:
        problems += _workload(scenario)
        trace_problems = list(_traces(scenario))
        problems += trace_problems
    if types_ok:
        types, targets = cluster.targets_of(scenario)
        problems += cluster.spot_problems(scenario, targets)
        problems += cluster.price_problems(scenario, targets)
        problems += cluster.fit_problems(scenario, types, targets, list(_jobs(scenario)))
        if not queue_problems and not trace_problems:
            problems += _trace_fits(scenario, types, targets)
        problems += cluster.hdfs_problems(scenario, targets)
        problems += cluster.fault_problems(scenario, targets)
    problems += scaling_problems(scenario)
    if types_ok and not problems:
        # Checked once all else is right: it needs the queues, the sizes and the limits.
        from emrsim.scenario.checks_queues import ceiling_problems, trace_ceiling_problems

        jobs = [(where, job, job_queue(scenario, where)) for where, job in _jobs(scenario)]
        problems += ceiling_problems(scenario, types, targets, jobs)
        problems += trace_ceiling_problems(scenario, types, targets)
    return problems


def _unsupported(s: Scenario) -> Iterator[Problem]:
    if s.yarn.preemption.enabled and s.yarn.scheduler == "fifo":
        yield Problem(("yarn", "preemption"), "preemption needs queues: use scheduler: capacity")
    if s.yarn.from_xml is not None:
        # The loader (emrsim.scenario.load) imports the file and removes the key, so only a
        # Scenario built around the loader gets here: its queues were never read.
        yield Problem(
            ("yarn", "from_xml"),
            "was not imported: load the scenario with load_scenario or scenario_from_data, "
            "which read the XML file",
        )
    for where, job in _jobs(s):
        if job.type == "spark":
            yield from _spark_job(where, job)
        elif job.executors is not None:
            yield Problem((*where, "executors"), "executors are for spark jobs only")


def _spark_job(where: Path, job: Job) -> Iterator[Problem]:
    """A Spark job names its executors, has an AM (its driver) and sizes no task containers."""
    if job.am == "none":
        yield Problem(
            (*where, "am"),
            "a spark application always has an AM (its driver in cluster mode, the "
            "ExecutorLauncher in client mode): give its size or leave am out",
        )
    for k, stage in enumerate(job.stages):
        if stage.container is not None:
            yield Problem(
                (*where, "stages", k, "container"),
                "spark tasks run in executor slots, not containers of their own: "
                "size the executors (executors.memory_mb, executors.vcores) instead",
            )
    executors = job.executors
    if executors is None:
        yield Problem(
            where,
            "a spark job needs executors: {count: N, memory_mb: .., vcores: ..} or "
            "{dynamic: {min: .., max: ..}, memory_mb: .., vcores: ..}",
        )
        return
    if (executors.count is None) == (executors.dynamic is None):
        yield Problem(
            (*where, "executors"),
            "give exactly one of count (a fixed number of executors) or dynamic "
            "(dynamic allocation)",
        )
    dynamic = executors.dynamic
    if dynamic is None:
        return
    at = (*where, "executors", "dynamic")
    if dynamic.min > dynamic.max:
        yield Problem((*at, "min"), f"must be <= max ({dynamic.max})")
    elif dynamic.initial is not None and not dynamic.min <= dynamic.initial <= dynamic.max:
        yield Problem((*at, "initial"), f"must be between min ({dynamic.min}) and max")


def _jobs(s: Scenario) -> Iterator[tuple[Path, Job]]:
    for i, step in enumerate(s.workload.steps):
        yield ("workload", "steps", i, "job"), step.job
    for i, stream in enumerate(s.workload.streams):
        yield ("workload", "streams", i, "job"), stream.job
    for i, trace in enumerate(s.workload.traces):
        if trace.job is not None and trace.format == "arrivals_csv":
            yield ("workload", "traces", i, "job"), trace.job


def _traces(s: Scenario) -> Iterator[Problem]:
    """Each trace: its options, its file (read and checked now: a missing file or a
    malformed row is an error of the scenario), the queues it names."""
    from emrsim.workload.traces import trace_problems

    names = queue_names(s)
    for i, trace in enumerate(s.workload.traces):
        yield from trace_problems(trace, i, names, s.hdfs.preload_gb)


def _trace_fits(
    s: Scenario, types: Mapping[str, InstanceType], targets: Sequence[CapacityTarget]
) -> Iterator[Problem]:
    """The containers of trace jobs fit a node: the default MapReduce sizes (map, reduce and
    AM of the core type) and the sizes a trace file asks for (syn)."""
    from emrsim.workload.traces import parse
    from emrsim.workload.traces.build import shown

    one_task = {"tasks": 1, "duration": 1}
    default = Job.model_validate(
        {"stages": [{"name": "map", **one_task}, {"name": "reduce", **one_task}]}
    )
    for i, trace in enumerate(s.workload.traces):
        where: Path = ("workload", "traces", i)
        if trace.format == "arrivals_csv":
            continue  # its job is checked with the scenario's jobs
        jobs: list[tuple[Path, Job]] = [(where, default)]
        labels = {0: "default MapReduce containers"}
        for k, use in enumerate(parse(trace).containers, start=1):
            container = {"memory_mb": use.memory_mb, "vcores": use.vcores}
            stage = {"name": "task", **one_task, "container": container}
            job = Job.model_validate({"type": "container", "am": "none", "stages": [stage]})
            jobs.append(((*where, k), job))
            labels[k] = f"{shown(trace.path)}: {use.where}"
        seen = set()
        for problem in cluster.fit_problems(s, types, targets, jobs):
            part = problem.path[3] if len(problem.path) > 3 else 0
            message = f"{labels[part if isinstance(part, int) else 0]}: {problem.message}"
            if message not in seen:
                seen.add(message)
                yield Problem(where, message)


def queue_names(s: Scenario) -> list[str]:
    """The names jobs may submit to (leaf queues, by full or unique short name)."""
    from emrsim.yarn.queues import leaf_names

    return list(leaf_names(s))


def _queues(s: Scenario) -> list[Problem]:
    from emrsim.yarn.queues import queue_problems

    return queue_problems(s)


def _workload(s: Scenario) -> Iterator[Problem]:
    names = queue_names(s)
    if s.cluster.keep_alive and s.cluster.idle_timeout is None and s.horizon is None:
        yield Problem(
            ("cluster", "keep_alive"),
            "with keep_alive: true the cluster waits (and "
            "bills) forever: set cluster.idle_timeout or a scenario horizon",
        )
    where: Path
    for i, step in enumerate(s.workload.steps):
        where = ("workload", "steps", i)
        if step.queue is not None and step.queue not in names:
            yield Problem((*where, "queue"), _unknown_queue(step.queue, names))
        aof = step.action_on_failure
        if s.cluster.step_concurrency > 1 and aof not in (None, ActionOnFailure.CONTINUE):
            yield Problem(
                (*where, "action_on_failure"), "with step_concurrency > 1 EMR accepts only continue"
            )
    if len(s.workload.steps) > 256 and s.cluster.step_concurrency > 1:
        yield Problem(("workload", "steps"), "EMR allows at most 256 pending or running steps")
    for i, stream in enumerate(s.workload.streams):
        where = ("workload", "streams", i)
        if stream.queue is not None and stream.queue not in names:
            yield Problem((*where, "queue"), _unknown_queue(stream.queue, names))
        if stream.count is None and stream.until is None and s.horizon is None:
            yield Problem(
                where, "give count or until (or a scenario horizon): this stream would never end"
            )
        ia = stream.interarrival
        if isinstance(ia, Constant) and ia.value == 0 and stream.count is None:
            yield Problem((*where, "interarrival"), "a zero inter-arrival time needs a count")
        if stream.until is not None and stream.until < stream.start:
            yield Problem((*where, "until"), "must be >= start")
    for where, job in _jobs(s):
        if job.queue is not None and job.queue not in names:
            yield Problem((*where, "queue"), _unknown_queue(job.queue, names))
        elif job_queue(s, where) == "default" and "default" not in names:
            yield Problem(
                where,
                "no queue given and there is no queue named 'default'; "
                f"queues are: {', '.join(names)}",
            )
        for k, stage in enumerate(job.stages):
            if stage.container is None and job.type == "container":
                yield Problem(
                    (*where, "stages", k, "container"),
                    "required for container jobs (mapreduce jobs default to EMR's "
                    "map/reduce sizes)",
                )


def job_queue(s: Scenario, where: Path) -> str:
    """The queue a job at ``where`` (a step's or stream's job) is submitted to."""
    kind, index = str(where[1]), int(where[2])
    source: Step | Stream | Trace
    if kind == "steps":
        source = s.workload.steps[index]
    elif kind == "streams":
        source = s.workload.streams[index]
    else:
        source = s.workload.traces[index]
    job = source.job
    assert job is not None  # only traces with a job are checked as jobs
    return job.queue or source.queue or "default"


def _unknown_queue(name: str, names: list[str]) -> str:
    leaves = [n for n in names if not n.startswith("root.")]
    return f"unknown queue {name!r}; leaf queues are: {', '.join(leaves)}"
