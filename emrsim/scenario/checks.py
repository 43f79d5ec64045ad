"""Whole-scenario checks: the rules that need more than one key, or the instance catalogue.

Each check returns :class:`Problem` objects; nothing here raises. Parts of the contract that a
later version implements are rejected here with "not supported yet", never silently ignored.
"""

from __future__ import annotations

from collections.abc import Iterator

from emrsim.scenario.models import Job, Scenario
from emrsim.scenario.source import Path, Problem
from emrsim.scenario.values import ActionOnFailure, Constant, Role

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
    types_ok, type_problems = _instance_types(scenario)
    problems += type_problems
    problems += _groups(scenario)
    queue_problems = _queues(scenario)
    problems += queue_problems
    if not queue_problems:
        problems += _workload(scenario)
    if types_ok:
        problems += _prices(scenario)
        problems += _fits(scenario)
        problems += _hdfs(scenario)
    problems += _faults(scenario)
    return problems


def _unsupported(s: Scenario) -> Iterator[Problem]:
    if s.cluster.instance_fleets is not None:
        yield Problem(
            ("cluster", "instance_fleets"), f"instance fleets: {NOT_YET}; use instance_groups"
        )
    if s.spot_market.interruptions:
        yield Problem(("spot_market", "interruptions"), f"spot interruptions: {NOT_YET}")
    if s.scaling.managed is not None:
        yield Problem(("scaling", "managed"), f"managed scaling: {NOT_YET}")
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
    for i, trace in enumerate(s.workload.traces):
        yield Problem(("workload", "traces", i), f"{trace.format} trace replay: {NOT_YET}")
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


def _instance_types(s: Scenario) -> tuple[bool, list[Problem]]:
    from emrsim.nodes.catalogue import load_catalogue
    from emrsim.nodes.resolve import REQUIRED_NEW_FIELDS

    catalogue = load_catalogue(s.region)
    known = set(catalogue)
    problems: list[Problem] = []
    for name, spec in s.instance_types.items():
        if name not in catalogue:
            missing = [f for f in REQUIRED_NEW_FIELDS if getattr(spec, f) is None]
            if missing:
                problems.append(
                    Problem(
                        ("instance_types", name), "a new instance type needs " + ", ".join(missing)
                    )
                )
                continue
        known.add(name)
    for i, group in enumerate(s.cluster.instance_groups or []):
        if group.instance_type not in known:
            problems.append(
                Problem(
                    ("cluster", "instance_groups", i, "instance_type"),
                    _unknown_type(group.instance_type, known),
                )
            )
    for key in ("price_fraction", "interruptions"):
        for name in getattr(s.spot_market, key):
            if name not in known:
                problems.append(Problem(("spot_market", key, name), _unknown_type(name, known)))
    for name in s.pricing.instances:
        if name not in known:
            problems.append(Problem(("pricing", "instances", name), _unknown_type(name, known)))
    return not problems, problems


def _unknown_type(name: str, known: set[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, sorted(known), n=3)
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    return (
        f"unknown instance type {name!r}{hint}; add it under instance_types with vcpu, "
        "memory_gb and yarn_memory_mb"
    )


def _groups(s: Scenario) -> Iterator[Problem]:
    groups = s.cluster.instance_groups
    if groups is None:
        return
    where = ("cluster", "instance_groups")
    by_role = {role: [i for i, g in enumerate(groups) if g.role is role] for role in Role}
    if len(by_role[Role.PRIMARY]) != 1:
        yield Problem(where, "give exactly one primary (MASTER) instance group")
    for i in by_role[Role.PRIMARY]:
        if groups[i].count not in (1, 3):
            yield Problem(
                (*where, i, "count"),
                "a primary group has 1 instance (or 3 for high availability, EMR 5.23.0+)",
            )
    if len(by_role[Role.CORE]) != 1:
        yield Problem(where, "give exactly one core instance group (EMR allows one)")
    for i in by_role[Role.CORE]:
        if groups[i].count < 1:
            yield Problem((*where, i, "count"), "must be >= 1: the core group runs HDFS and YARN")
    if len(by_role[Role.TASK]) > 48:
        yield Problem(where, "EMR allows at most 48 task instance groups")
    names = [group_name(s, i) for i in range(len(groups))]
    for i, name in enumerate(names):
        if names.index(name) != i:
            yield Problem((*where, i, "name"), f"duplicate instance group name {name!r}")


def group_name(s: Scenario, index: int) -> str:
    """A group's name: its ``name``, else its role (numbered when a role has several groups)."""
    groups = s.cluster.instance_groups or []
    group = groups[index]
    if group.name:
        return group.name
    same = [i for i, g in enumerate(groups) if g.role is group.role and not g.name]
    return group.role.value if len(same) == 1 else f"{group.role.value}-{same.index(index) + 1}"


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
    source = s.workload.steps[index] if kind == "steps" else s.workload.streams[index]
    return source.job.queue or source.queue or "default"


def _unknown_queue(name: str, names: list[str]) -> str:
    leaves = [n for n in names if not n.startswith("root.")]
    return f"unknown queue {name!r}; leaf queues are: {', '.join(leaves)}"


def _prices(s: Scenario) -> Iterator[Problem]:
    from emrsim.nodes.resolve import resolve_instance_types
    from emrsim.pricing.prices import PriceError, rates_for

    types = resolve_instance_types(s)
    for i, group in enumerate(s.cluster.instance_groups or []):
        try:
            rates_for(s, types[group.instance_type], group.market, group.ebs_gb)
        except PriceError as exc:
            yield Problem(("cluster", "instance_groups", i, "instance_type"), str(exc))


def _fits(s: Scenario) -> Iterator[Problem]:
    """Every container (task and AM) must fit some node that may run it."""
    from emrsim.nodes.resolve import resolve_instance_types
    from emrsim.yarn.sizing import am_node_filter, am_request, normalise, stage_request

    types = resolve_instance_types(s)
    workers = [g for g in s.cluster.instance_groups or [] if g.role is not Role.PRIMARY]
    if not any(g.role is Role.CORE for g in workers):
        return  # reported by _groups; default sizes come from the core type
    sizes = [
        (types[g.instance_type].yarn_memory_mb, types[g.instance_type].yarn_vcores) for g in workers
    ]
    max_mb = max(m for m, _ in sizes)
    max_vc = max(v for _, v in sizes)
    allowed_am = am_node_filter(s)
    am_sizes = [
        (types[g.instance_type].yarn_memory_mb, types[g.instance_type].yarn_vcores)
        for g in workers
        if allowed_am(g.role, g.market)
    ]
    for where, job in _jobs(s):
        for k, _stage in enumerate(job.stages if job.type != "spark" else []):
            mem, vc = stage_request(s, types, job, k)
            if mem > max_mb or vc > max_vc:
                yield Problem(
                    (*where, "stages", k, "container"),
                    f"a {mem} MB / {vc} vcore container fits no node: the largest "
                    f"NodeManager offers {max_mb} MB / {max_vc} vcores "
                    "(yarn.scheduler.maximum-allocation)",
                )
        if job.type == "spark" and job.executors is not None:
            mem, vc = normalise(job.executors.memory_mb, job.executors.vcores, s)
            if mem > max_mb or vc > max_vc:
                yield Problem(
                    (*where, "executors"),
                    f"a {mem} MB / {vc} vcore executor fits no node: the largest "
                    f"NodeManager offers {max_mb} MB / {max_vc} vcores "
                    "(yarn.scheduler.maximum-allocation)",
                )
        am = am_request(s, types, job)
        if am is None:
            continue
        if not am_sizes:
            yield Problem(
                (*where, "am"),
                "no instance group may host application masters "
                f"under am_placement {s.yarn.am_placement!r}",
            )
        elif not any(am[0] <= m and am[1] <= v for m, v in am_sizes):
            yield Problem(
                (*where, "am"), f"a {am[0]} MB / {am[1]} vcore AM fits no node allowed to host AMs"
            )


def _hdfs(s: Scenario) -> Iterator[Problem]:
    from emrsim.hdfs.capacity import hdfs_capacity_gb, replication_for

    groups = s.cluster.instance_groups or []
    core = [g for g in groups if g.role is Role.CORE]
    if not core or core[0].count < 1:
        return
    replication = replication_for(s.hdfs.replication, core[0].count)
    capacity = hdfs_capacity_gb(s, replication)
    if s.hdfs.preload_gb > capacity:
        yield Problem(
            ("hdfs", "preload_gb"),
            f"{s.hdfs.preload_gb:g} GB does not fit: HDFS "
            f"holds {capacity:.0f} GB (raw core storage / replication {replication})",
        )
    if s.hdfs.replication != "auto" and s.hdfs.replication > core[0].count:
        yield Problem(
            ("hdfs", "replication"),
            f"replication {s.hdfs.replication} needs at "
            f"least {s.hdfs.replication} core nodes (the core group has "
            f"{core[0].count})",
        )


def _faults(s: Scenario) -> Iterator[Problem]:
    groups = s.cluster.instance_groups or []
    names = [group_name(s, i) for i in range(len(groups))]
    for i, fault in enumerate(s.faults):
        where = ("faults", i)
        if fault.group is not None:
            if fault.group not in names:
                yield Problem(
                    (*where, "group"),
                    f"unknown instance group {fault.group!r}; groups are: {', '.join(names)}",
                )
                continue
            group = groups[names.index(fault.group)]
            if group.role is not fault.role:
                yield Problem(
                    (*where, "role"), f"group {fault.group!r} is a {group.role.value} group"
                )
            available = group.count
        else:
            available = sum(g.count for g in groups if g.role is fault.role)
        if fault.count > available:
            yield Problem(
                (*where, "count"),
                f"asks for {fault.count} {fault.role.value} "
                f"instances but the cluster starts with {available}",
            )
