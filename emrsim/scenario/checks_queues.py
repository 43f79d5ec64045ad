"""Queue ceilings: a job whose containers can never fit its queue is an error of the scenario.

The scheduler never lets a queue cross its ceiling (:meth:`emrsim.yarn.scheduler.Scheduler.
may_allocate`), so a container bigger than the ceiling waits for ever, and the run with it.
This check mirrors that rule on the largest cluster the scenario can ever reach:

- Capacity (and FIFO) scheduler: the container, plus the job's AM, which holds its part of the
  queue for as long as the job runs, must be within ``max_frac x cluster MB`` of the leaf and
  of each parent (``max_frac`` is absolute: each queue's ``max_capacity`` multiplied down the
  tree). With ``resource_calculator: drf`` the comparison is of dominant shares against the
  cluster's memory and vcores, as the scheduler makes it.
- Fair scheduler: ``max_resources`` (memory and vcores) along the path to the root, which do
  not depend on the cluster; and a queue on the path with ``max_running_apps: 0`` never starts
  an application.

The user limit is not a ceiling of one container: a user's usage is compared before the new
container (Hadoop's LeafQueue.canAssignToUser), so with nothing running the check passes. But a
job's AM is its user's usage while the job runs: an AM already over the user limit (capacity x
user_limit_factor, with the job's user alone in the queue) keeps every task container of the
job out for ever, and that is reported too. The AM limit cannot block for ever: a queue's first
application always starts (:func:`emrsim.yarn.policy.may_activate`; FairScheduler's maxAMShare
likewise).

Jobs are those of steps, streams and arrival traces, with their task containers (or Spark
executors) and AMs; the jobs of swim, rumen and sls traces all have the core type's MapReduce
AM, which must fit each queue they go to (synthetic traces draw their sizes, so are left out).

The largest cluster (:func:`largest_cluster`) is an upper bound on the YARN memory and vcores of
the core and task NodeManagers at any one time, at the targets the scenario can set: initial
counts and fleet targets (with overage), custom automatic scaling's ``max_capacity``, and managed
scaling's limits in its unit type. The ceilings grow with the cluster, so a container that does
not fit at the bound never fits. Transients are not counted: a core node that has left HDFS but
still drains its containers while a scale-up launches its replacement (at most
``yarn.graceful_decommission_timeout``) is counted once.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from emrsim.nodes.catalogue import InstanceType
from emrsim.nodes.plan import CapacityTarget, TypeOption
from emrsim.scenario.models import Job, Scenario
from emrsim.scenario.source import Path, Problem
from emrsim.scenario.values import Market, Role
from emrsim.yarn.queues import QueueConfig

__all__ = ["ClusterBound", "ceiling_problems", "largest_cluster", "trace_ceiling_problems"]

_EPS = 1e-9


@dataclass(frozen=True, slots=True)
class ClusterBound:
    """At most this much YARN memory and these many vcores, over core and task nodes."""

    memory_mb: float
    vcores: float


# ---------------------------------------------------------------------- the largest cluster
Attr = Callable[[InstanceType], float]


def _memory(t: InstanceType) -> float:
    return float(t.yarn_memory_mb)


def _vcores(t: InstanceType) -> float:
    return float(t.yarn_vcores)


def _launched(options: Sequence[TypeOption], units: float, attr: Attr) -> float:
    """The most of ``attr`` a request of ``units`` can hold: instances are launched while it
    holds fewer units, so the last one may overshoot (overage, emr-facts 2)."""
    if units <= 0 or not options:
        return 0.0
    per_unit = max(attr(o.itype) / o.weight for o in options)
    largest = max(attr(o.itype) for o in options)
    return (math.ceil(units - _EPS) - 1) * per_unit + largest


def _quoted(s: Scenario, t: CapacityTarget, market: Market) -> list[TypeOption]:
    """The types a request may launch: those priced in its market (the provisioner's quotes)."""
    from emrsim.nodes.spot import interruption_rate_per_hour
    from emrsim.pricing.prices import rates_for

    out = []
    for option in t.options:
        try:
            rates_for(s, option.itype, market, option.ebs_gb)
            if market is Market.SPOT:
                interruption_rate_per_hour(s, option.itype.name)
        except LookupError:
            continue
        out.append(option)
    return out


def _initial_units(s: Scenario, t: CapacityTarget, market: Market) -> float:
    """A request's most units without managed scaling: its target, a custom automatic
    scaling policy's max_capacity, or (a fleet whose spot timeout switches) the spot units too."""
    units = float(t.units(market))
    if t.kind == "group":
        policy = (s.cluster.instance_groups or [])[t.index].auto_scaling
        if policy is not None and market is t.market:
            units = max(units, policy.constraints.max_capacity)
    elif market is Market.ON_DEMAND and t.spot_timeout_action == "switch_to_on_demand":
        units += t.spot_units
    return units


def largest_cluster(s: Scenario, targets: Sequence[CapacityTarget]) -> ClusterBound:
    """An upper bound on the YARN memory and vcores of the running core and task nodes."""
    workers = [t for t in targets if t.role is not Role.PRIMARY]
    bounds = []
    for attr in (_memory, _vcores):
        initial = sum(
            _launched(_quoted(s, t, m) or list(t.options), _initial_units(s, t, m), attr)
            for t in workers
            for m in (Market.ON_DEMAND, Market.SPOT)
        )
        managed = _managed_bound(s, workers, attr) if s.scaling.managed is not None else 0.0
        bounds.append(max(initial, managed))
    return ClusterBound(bounds[0], bounds[1])


def _managed_bound(s: Scenario, workers: Sequence[CapacityTarget], attr: Attr) -> float:
    """The most of ``attr`` managed scaling can have running (:mod:`emrsim.scaling.managed`).

    Scaling units go to core first (up to maximum_core_capacity_units), then task, as
    :func:`~emrsim.scaling.managed.resize` does from an empty cluster; the initial counts may
    exceed that until they are shrunk. Each request's units become whole instances (rounded
    up) of the types it may launch, with overage.
    """
    from emrsim.scaling.managed import Limits, Slot, resize

    m = s.scaling.managed
    assert m is not None
    limits = Limits(
        minimum=m.minimum_capacity_units,
        maximum=m.maximum_capacity_units,
        maximum_on_demand=(
            m.maximum_capacity_units
            if m.maximum_on_demand_capacity_units is None
            else m.maximum_on_demand_capacity_units
        ),
        maximum_core=(
            m.maximum_capacity_units
            if m.maximum_core_capacity_units is None
            else m.maximum_core_capacity_units
        ),
    )
    density = {Role.CORE: 0.0, Role.TASK: 0.0}
    initial = {Role.CORE: 0, Role.TASK: 0}
    slack = 0.0
    slots: list[Slot] = []
    for t in workers:
        for market in t.scalable_markets():
            options = _quoted(s, t, market)
            if not options:
                continue  # the controller leaves a request with no launchable type alone
            per = _scaling_units(m.unit_type, t.options[0])
            per_unit = max(attr(o.itype) / o.weight for o in options)
            largest = max(attr(o.itype) for o in options)
            density[t.role] = max(density[t.role], per_unit / per)
            whole = abs(1 / per - round(1 / per)) < _EPS  # scaling units -> whole units
            slack += (0.0 if whole else per_unit) + largest - per_unit
            initial[t.role] += math.ceil(t.units(market) * per - _EPS)
            slots.append(Slot(f"{t.name}/{len(slots)}", t.role, market, 0))
    grown = resize(slots, limits.maximum, limits)
    most = {
        role: max(initial[role], sum(x.units for x in grown if x.role is role))
        for role in (Role.CORE, Role.TASK)
    }
    room = max(limits.maximum, initial[Role.CORE] + initial[Role.TASK])
    value = 0.0
    for role in sorted(density, key=lambda r: -density[r]):
        take = min(most[role], room)
        value += take * density[role]
        room -= take
    return value + slack


def _scaling_units(unit_type: str, option: TypeOption) -> float:
    """Scaling units per provisioner unit of a request (as the controller counts them: from
    the target's first type)."""
    if unit_type == "vcpu":
        return option.itype.vcpu / option.weight
    if unit_type == "instance_fleet_units":
        return 1.0
    return 1.0 / option.weight


# ---------------------------------------------------------------------------- the ceilings
@dataclass(frozen=True, slots=True)
class _Request:
    """A container a job asks for, and where it is given in the scenario."""

    path: Path
    what: str
    memory_mb: int
    vcores: int
    asked_mb: int
    """The memory as the scenario gives it (before rounding up to the minimum allocation)."""


def ceiling_problems(
    s: Scenario,
    types: Mapping[str, InstanceType],
    targets: Sequence[CapacityTarget],
    jobs: Sequence[tuple[Path, Job, str]],
) -> Iterator[Problem]:
    """Every job container (with its AM) that can never fit its queue; ``jobs`` are (key path,
    job, queue name as the job gives it). Trace files' default AMs are checked too."""
    from emrsim.yarn.queues import build_queues, leaf_names

    configs = {c.name: c for c in build_queues(s)}
    names = leaf_names(s)
    bound = largest_cluster(s, targets)
    drf = s.yarn.resource_calculator == "drf" and s.yarn.scheduler != "fair"

    def lineage(queue: str) -> list[QueueConfig]:
        """The leaf and its parents below the root (whose ceiling is the whole cluster)."""
        out = [configs[names[queue]]]
        while out[-1].parent is not None and configs[out[-1].parent].parent is not None:
            out.append(configs[out[-1].parent])
        return out

    for where, job, queue in jobs:
        path = lineage(queue)
        if s.yarn.scheduler == "fair":
            stopped = next((c for c in path if c.max_running_apps < 1), None)
            if stopped is not None:
                yield Problem(
                    where,
                    f"queue {stopped.name!r} has max_running_apps 0, so no application "
                    f"ever starts in {names[queue]!r} and the job could never run",
                )
                continue
        am, requests = _requests(s, types, where, job)
        if am is not None:
            reason = _too_big(s, path, bound, drf, (am.memory_mb, am.vcores), (0, 0))
            if reason is not None:
                yield Problem(am.path, f"a {_size(am, s)} AM never fits queue {reason}")
                continue
        for r in requests:
            held = (am.memory_mb, am.vcores) if am is not None else (0, 0)
            reason = _too_big(s, path, bound, drf, (r.memory_mb, r.vcores), (0, 0))
            if reason is not None:
                yield Problem(r.path, f"a {_size(r, s)} {r.what} never fits queue {reason}")
            elif am is not None:
                reason = _too_big(s, path, bound, drf, (r.memory_mb, r.vcores), held)
                if reason is not None:
                    yield Problem(
                        r.path,
                        f"a {_size(r, s)} {r.what} together with its job's {_size(am, s)} AM "
                        f"(which holds its part of the queue while the job runs) never fits "
                        f"queue {reason}",
                    )
                    continue
                reason = _over_user_limit(s, path[0], bound, drf, (r.memory_mb, r.vcores), held)
                if reason is not None:
                    yield Problem(
                        r.path,
                        f"a {_size(r, s)} {r.what} could never start: its job's "
                        f"{_size(am, s)} AM is over the user limit of queue {reason}",
                    )


def _over_user_limit(
    s: Scenario,
    leaf: QueueConfig,
    bound: ClusterBound,
    drf: bool,
    request: tuple[int, int],
    held: tuple[int, int],
) -> str | None:
    """Why the job's user, holding its AM, may never get ``request`` in ``leaf``, or None.

    The scheduler gives a user no container once it holds more than its user limit
    (:func:`emrsim.yarn.policy.user_limit_mb`); with one user (the highest limit) holding the
    AM alone, that limit only grows with the cluster.
    """
    from emrsim.yarn.policy import user_limit_mb

    if s.yarn.scheduler == "fair":
        return None
    cm, cv = bound.memory_mb, bound.vcores

    def equivalent(mb: float, vc: float) -> float:
        if not drf:
            return mb
        return max(mb / cm if cm > 0 else 0.0, vc / cv if cv > 0 else 0.0) * cm

    used = equivalent(*held)
    limit = user_limit_mb(leaf, cm, used, 1, equivalent(*request))
    if used <= limit + _EPS:
        return None
    factor = leaf.user_limit_factor
    return (
        f"{leaf.name} (capacity {100 * leaf.capacity_frac:.4g}% x user_limit_factor "
        f"{factor:g} of at most {cm:.0f} MB of YARN memory: {limit:.0f} MB), and YARN gives a "
        "user no more containers once over its limit, so the job could never run; raise "
        "user_limit_factor or the queue's capacity"
    )


def trace_ceiling_problems(
    s: Scenario, types: Mapping[str, InstanceType], targets: Sequence[CapacityTarget]
) -> Iterator[Problem]:
    """Every job of a swim, rumen or sls trace has the core type's MapReduce AM: it must fit
    each queue the trace sends jobs to. (Synthetic traces draw their sizes, so may fit.)"""
    from emrsim.workload.traces import parse
    from emrsim.workload.traces.build import shown

    am = Job.model_validate({"stages": [{"name": "map", "tasks": 1, "duration": 1}]})
    jobs: list[tuple[Path, Job, str]] = []
    labels: dict[Path, str] = {}
    for i, trace in enumerate(s.workload.traces):
        if trace.format not in ("swim", "rumen", "sls"):
            continue
        if trace.queue is not None:
            uses = [(trace.queue, "every job")]
        else:
            parsed = parse(trace)
            uses = [(u.queue, u.where) for u in parsed.queues] or [("default", "every job")]
        seen = set()
        for queue, where in uses:
            if queue in seen:
                continue
            seen.add(queue)
            key: Path = ("workload", "traces", i, len(jobs))
            jobs.append((key, am, queue))
            labels[key] = f"{shown(trace.path)}: {where}: the default MapReduce AM"
    reported = set()
    for problem in ceiling_problems(s, types, targets, jobs):
        key = problem.path[:4]
        if problem.path[4:] != ("am",) or key[:3] in reported:
            continue  # only the AM is certain: a trace job need not have maps or reduces
        reported.add(key[:3])
        yield Problem(
            key[:3], f"{labels[key]} (yarn.app.mapreduce.am.resource.mb): " + problem.message
        )


def _requests(
    s: Scenario, types: Mapping[str, InstanceType], where: Path, job: Job
) -> tuple[_Request | None, list[_Request]]:
    """The job's AM (or None) and the other containers it asks for, normalised."""
    from emrsim.yarn.sizing import am_request, normalise, stage_request

    requests = []
    if job.type == "spark":
        if job.executors is not None:
            asked = job.executors.memory_mb
            mem, vc = normalise(asked, job.executors.vcores, s)
            requests.append(_Request((*where, "executors"), "executor", mem, vc, asked))
    else:
        for k in range(len(job.stages)):
            mem, vc = stage_request(s, types, job, k)
            container = job.stages[k].container
            asked = mem if container is None else container.memory_mb
            requests.append(
                _Request((*where, "stages", k, "container"), "container", mem, vc, asked)
            )
    am = am_request(s, types, job)
    if am is None:
        return None, requests
    asked = am[0] if job.am is None or job.am == "none" else job.am.memory_mb
    return _Request((*where, "am"), "AM", am[0], am[1], asked), requests


def _size(r: _Request, s: Scenario) -> str:
    text = f"{r.memory_mb} MB"
    if r.asked_mb != r.memory_mb:
        text = f"{r.asked_mb} MB (YARN rounds it up to {r.memory_mb} MB)"
    if s.yarn.resource_calculator == "drf" or s.yarn.scheduler == "fair":
        text += f" / {r.vcores} vcore"
    return text


def _too_big(
    s: Scenario,
    path: Sequence[QueueConfig],
    bound: ClusterBound,
    drf: bool,
    request: tuple[int, int],
    held: tuple[int, int],
) -> str | None:
    """Why ``request`` never fits the queue whose lineage is ``path`` while ``held`` (the
    job's AM) runs there: the rest of the message, or None when it may fit."""
    mb, vc = request[0] + held[0], request[1] + held[1]
    leaf = path[0].name
    if s.yarn.scheduler == "fair":
        for c in path:
            whose = "its" if c.name == leaf else f"its parent {c.name!r}'s"
            if mb > c.max_memory_mb + _EPS:
                return (
                    f"{leaf}: {whose} max_resources are {c.max_memory_mb:.0f} MB, so the job "
                    "could never run"
                )
            if vc > c.max_vcores + _EPS:
                return (
                    f"{leaf}: {whose} max_resources are {c.max_vcores:.0f} vcores, so the job "
                    "could never run"
                )
        return None
    cm, cv = bound.memory_mb, bound.vcores

    def share(m: float, v: float) -> float:
        return max(m / cm if cm > 0 else 0.0, v / cv if cv > 0 else 0.0)

    for c in path:
        if drf:
            # The leaf adds the shares of what it holds and of the request; parents take the
            # share of the sum (Scheduler.may_allocate).
            used = share(*request) + share(*held) if c.name == leaf else share(mb, vc)
            fits = used <= c.max_frac + _EPS
        else:
            fits = mb <= c.max_frac * cm + _EPS
        if fits:
            continue
        whose = "its ceiling" if c.name == leaf else f"the ceiling of its parent {c.name!r}"
        pct = f"{100 * c.max_frac:.4g}%"
        if c.parent is not None and c.parent != "root":
            pct += " (absolute: max_capacity multiplied down from the root)"
        if drf:
            of = (
                f"of at most {cm:.0f} MB and {cv:.0f} vcores of YARN resources, compared as "
                f"dominant shares (resource_calculator drf: {c.max_frac * cm:.0f} MB, "
                f"{c.max_frac * cv:.4g} vcores)"
            )
        else:
            of = f"of at most {cm:.0f} MB of YARN memory ({c.max_frac * cm:.0f} MB)"
        return f"{leaf}: {whose} is max_capacity {pct} {of}, so the job could never run"
    return None
