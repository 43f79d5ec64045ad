"""Whole-scenario checks of the cluster: instance groups and fleets, the spot market, prices,
container fits, HDFS and injected faults.

Wherever a rule applies to instance groups and instance fleets alike it works on their
:class:`~emrsim.nodes.plan.CapacityTarget` (emr-facts 2): an instance group is a target of one
type of weight 1 in one market. Each check returns :class:`Problem` objects; nothing here raises.
Section numbers (``emr-facts N``) refer to the EMR reference notes the simulator follows.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping, Sequence

from emrsim.nodes.catalogue import InstanceType
from emrsim.nodes.plan import (
    GROUP,
    CapacityTarget,
    capacity_targets,
    core_target,
    fleet_name,
    group_name,
)
from emrsim.scenario.models import Job, Scenario
from emrsim.scenario.source import Path, Problem
from emrsim.scenario.values import Market, Role

FLEETS_SINCE = (4, 8, 0)
"""Instance fleets need EMR 4.8.0 or later, and not 5.0.x (emr-facts 2)."""

SPOT_TIMEOUT_MIN = (5, 1440)
"""SpotSpecification.TimeoutDurationMinutes: EMR's allowed range (emr-facts 2)."""


def targets_of(s: Scenario) -> tuple[dict[str, InstanceType], list[CapacityTarget]]:
    """The resolved instance types and the groups or fleets as capacity targets.

    Only for a scenario whose instance types are all known (:func:`instance_type_problems`).
    """
    from emrsim.nodes.resolve import resolve_instance_types

    types = resolve_instance_types(s)
    return types, capacity_targets(s, types)


def option_path(target: CapacityTarget, k: int) -> Path:
    """The key path of a target's ``k``-th instance type."""
    if target.kind == GROUP:
        return (*target.where, "instance_type")
    return (*target.where, "instance_types", k, "instance_type")


def _kind(target: CapacityTarget) -> str:
    return "group" if target.kind == GROUP else "fleet"


# ------------------------------------------------------------------------ instance types
def instance_type_problems(s: Scenario) -> tuple[bool, list[Problem]]:
    """Every instance type named anywhere must be catalogued or defined under instance_types.

    Returns (all known, problems); the checks that need the types resolved run only when all are.
    """
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
                    unknown_type(group.instance_type, known),
                )
            )
    for i, fleet in enumerate(s.cluster.instance_fleets or []):
        for k, option in enumerate(fleet.instance_types):
            if option.instance_type not in known:
                problems.append(
                    Problem(
                        ("cluster", "instance_fleets", i, "instance_types", k, "instance_type"),
                        unknown_type(option.instance_type, known),
                    )
                )
    for key in ("price_fraction", "interruptions", "availability"):
        for name in getattr(s.spot_market, key):
            if name not in known:
                problems.append(Problem(("spot_market", key, name), unknown_type(name, known)))
    for name in s.pricing.instances:
        if name not in known:
            problems.append(Problem(("pricing", "instances", name), unknown_type(name, known)))
    return not problems, problems


def unknown_type(name: str, known: set[str]) -> str:
    """The message for an instance type neither catalogued nor defined, with a did-you-mean."""
    close = difflib.get_close_matches(name, sorted(known), n=3)
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    return (
        f"unknown instance type {name!r}{hint}; add it under instance_types with vcpu, "
        "memory_gb and yarn_memory_mb"
    )


# ---------------------------------------------------------------------- groups and fleets
def group_problems(s: Scenario) -> Iterator[Problem]:
    """One primary group of 1 (or 3) instances, one core group, at most 48 task groups
    (emr-facts 1 and 2), unique names."""
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


def fleet_problems(s: Scenario) -> Iterator[Problem]:
    """The shape EMR requires of instance fleets (emr-facts 2).

    One primary fleet whose targets total exactly 1 over types of weight 1; one core fleet with
    a target of at least 1; at most one task fleet; each type once per fleet; a spot timeout
    only where there is a spot target; fleets from emr-4.8.0 (not 5.0.x).
    """
    fleets = s.cluster.instance_fleets
    if fleets is None:
        return
    where = ("cluster", "instance_fleets")
    release = s.release
    if release < FLEETS_SINCE or release[:2] == (5, 0):
        yield Problem(
            ("release_label",),
            f"instance fleets need emr-4.8.0 or later, and not 5.0.x (got {s.release_label}); "
            "use instance_groups or a later release",
        )
    by_role = {role: [i for i, f in enumerate(fleets) if f.role is role] for role in Role}
    for role, what in ((Role.PRIMARY, "primary (MASTER)"), (Role.CORE, "core")):
        if not by_role[role]:
            yield Problem(where, f"give exactly one {what} instance fleet (EMR allows one)")
    limits = {Role.PRIMARY: "exactly one", Role.CORE: "exactly one", Role.TASK: "at most one"}
    for role, indices in by_role.items():
        for i in indices[1:]:
            yield Problem(
                (*where, i, "role"),
                f"a second {role.value} fleet (the first is instance_fleets.{indices[0]}): "
                f"EMR allows {limits[role]} {role.value} instance fleet",
            )
    for i, fleet in enumerate(fleets):
        at = (*where, i)
        od, spot = fleet.target_on_demand_capacity, fleet.target_spot_capacity
        if fleet.role is Role.PRIMARY:
            if od + spot != 1:
                key = "target_spot_capacity" if spot else "target_on_demand_capacity"
                yield Problem(
                    (*at, key) if od + spot else at,
                    "a primary fleet launches exactly one instance: target_on_demand_capacity + "
                    f"target_spot_capacity must total 1 (got {od} + {spot})",
                )
            for k, option in enumerate(fleet.instance_types):
                if option.weighted_capacity != 1:
                    yield Problem(
                        (*at, "instance_types", k, "weighted_capacity"),
                        f"must be 1 in a primary fleet (got {option.weighted_capacity}): the "
                        "primary fleet is one instance, whichever type EMR picks",
                    )
        elif fleet.role is Role.CORE and od + spot < 1:
            yield Problem(
                at,
                "a core fleet needs a target of at least 1 unit: set target_on_demand_capacity "
                "or target_spot_capacity (core nodes run HDFS and YARN)",
            )
        first: dict[str, int] = {}
        for k, option in enumerate(fleet.instance_types):
            name = option.instance_type
            if name in first:
                yield Problem(
                    (*at, "instance_types", k, "instance_type"),
                    f"{name} is listed twice in this fleet (also at instance_types.{first[name]})"
                    ": give each instance type once",
                )
            else:
                first[name] = k
        if fleet.spot_timeout is not None and spot == 0:
            yield Problem(
                (*at, "spot_timeout"),
                "a spot timeout applies to the spot target, and this fleet's "
                "target_spot_capacity is 0: set target_spot_capacity above 0 or remove "
                "spot_timeout",
            )
    names = [fleet_name(s, i) for i in range(len(fleets))]
    for i, name in enumerate(names):
        if names.index(name) != i:
            yield Problem((*where, i, "name"), f"duplicate instance fleet name {name!r}")


# ----------------------------------------------------------------------------------- spot
def spot_problems(s: Scenario, targets: Sequence[CapacityTarget]) -> Iterator[Problem]:
    """Spot capacity that can be simulated and can be had (emr-facts 2 and 3).

    Every type that may run on spot needs an interruption hazard: ``spot_market.interruptions``
    or the Spot Advisor snapshot for the region. A spot primary or core that can never be
    fulfilled (availability 0) would keep the cluster from ever starting (EMR waits for all of
    a spot core group, emr-facts 2); a spot task group would never get an instance.
    """
    from emrsim.nodes.catalogue import load_spot_advisor

    advisor = load_spot_advisor()
    market = s.spot_market
    for t in targets:
        if t.spot_units == 0:
            continue
        for k, option in enumerate(t.options):
            name = option.itype.name
            if name in market.interruptions:
                continue
            if advisor.interruption_bucket(s.region, name) is None:
                yield Problem(
                    option_path(t, k),
                    f"no spot interruption data for {name} in {s.region}: give "
                    f"spot_market.interruptions.{name} (rate_per_hour or advisor_bucket)",
                )
        if any(market.availability.get(o.itype.name, 1.0) > 0 for o in t.options):
            continue
        if t.kind == GROUP:
            name = t.options[0].itype.name
            never = (
                "this spot task group would never get an instance"
                if t.role is Role.TASK
                else f"this spot {t.role.value} group would never be fulfilled, so the cluster "
                "would never start"
            )
            yield Problem(
                (*t.where, "market"),
                f"spot_market.availability.{name} is 0 (no spot request for {name} is ever "
                f"fulfilled): {never}; use market on_demand or an availability above 0",
            )
        elif t.role is not Role.TASK and t.spot_timeout_s is None:
            yield Problem(
                (*t.where, "target_spot_capacity"),
                f"every instance type of this {t.role.value} fleet has spot_market.availability"
                " 0, so its spot target is never met and the cluster would never be ready: add "
                "a spot_timeout (e.g. action switch_to_on_demand) or a type whose availability "
                "is above 0",
            )


# --------------------------------------------------------------------------------- prices
def price_problems(s: Scenario, targets: Sequence[CapacityTarget]) -> Iterator[Problem]:
    """Every type of every target has a price in each market it may launch in.

    A fleet whose spot timeout switches to on-demand may launch on-demand too (emr-facts 2).
    """
    from emrsim.pricing.prices import PriceError, rates_for

    seen: set[Problem] = set()
    for t in targets:
        markets = t.markets()
        if t.spot_timeout_action == "switch_to_on_demand" and Market.ON_DEMAND not in markets:
            markets.insert(0, Market.ON_DEMAND)
        for market in markets:
            for k, option in enumerate(t.options):
                try:
                    rates_for(s, option.itype, market, option.ebs_gb)
                except PriceError as exc:
                    problem = Problem(option_path(t, k), str(exc))
                    if problem not in seen:
                        seen.add(problem)
                        yield problem


# ----------------------------------------------------------------------------------- fits
def fit_problems(
    s: Scenario,
    types: Mapping[str, InstanceType],
    targets: Sequence[CapacityTarget],
    jobs: Sequence[tuple[Path, Job]],
) -> Iterator[Problem]:
    """Every container (task, executor, AM) fits at least one worker type that may run it.

    Workers are the core and task groups or fleets, any of their types; AMs only on the
    nodes ``am_placement`` allows (emr-facts 1). Default sizes come from the core type.
    """
    from emrsim.yarn.sizing import am_node_filter, am_request, normalise, stage_request

    workers = [t for t in targets if t.role is not Role.PRIMARY]
    if not any(t.role is Role.CORE and _markets(s, t) for t in workers):
        return  # reported by the group or fleet checks; default sizes come from the core type
    sizes = {(o.itype.yarn_memory_mb, o.itype.yarn_vcores) for t in workers for o in t.options}
    allowed_am = am_node_filter(s)
    am_sizes = {
        (o.itype.yarn_memory_mb, o.itype.yarn_vcores)
        for t in workers
        for market in _markets(s, t)
        if allowed_am(t.role, market)
        for o in t.options
    }
    for where, job in jobs:
        for k in range(len(job.stages) if job.type != "spark" else 0):
            mem, vc = stage_request(s, types, job, k)
            if not _fits(mem, vc, sizes):
                yield Problem(
                    (*where, "stages", k, "container"), _no_fit("container", mem, vc, sizes)
                )
        if job.type == "spark" and job.executors is not None:
            mem, vc = normalise(job.executors.memory_mb, job.executors.vcores, s)
            if not _fits(mem, vc, sizes):
                yield Problem((*where, "executors"), _no_fit("executor", mem, vc, sizes))
        am = am_request(s, types, job)
        if am is None:
            continue
        if not am_sizes:
            yield Problem(
                (*where, "am"),
                "no instance group or fleet may host application masters "
                f"under am_placement {s.yarn.am_placement!r}",
            )
        elif not _fits(am[0], am[1], am_sizes):
            yield Problem(
                (*where, "am"), f"a {am[0]} MB / {am[1]} vcore AM fits no node allowed to host AMs"
            )


def _markets(s: Scenario, t: CapacityTarget) -> list[Market]:
    """The markets a target's nodes may be in: a group's market whatever its count."""
    if t.kind == GROUP:
        return [(s.cluster.instance_groups or [])[t.index].market]
    return t.markets()


def _fits(mem: int, vcores: int, sizes: set[tuple[int, int]]) -> bool:
    return any(mem <= m and vcores <= v for m, v in sizes)


def _no_fit(what: str, mem: int, vcores: int, sizes: set[tuple[int, int]]) -> str:
    max_mb = max(m for m, _ in sizes)
    max_vc = max(v for _, v in sizes)
    text = f"a {mem} MB / {vcores} vcore {what} fits no node: "
    if mem <= max_mb and vcores <= max_vc:
        return text + (
            f"no worker instance type offers both {mem} MB and {vcores} vcores "
            "(yarn.nodemanager.resource.*)"
        )
    return text + (
        f"the largest NodeManager offers {max_mb} MB / {max_vc} vcores "
        "(yarn.scheduler.maximum-allocation)"
    )


# ----------------------------------------------------------------------------------- hdfs
def hdfs_problems(s: Scenario, targets: Sequence[CapacityTarget]) -> Iterator[Problem]:
    """Preloaded data fits HDFS, and dfs.replication has enough core nodes (emr-facts 4).

    For a core fleet, both hold for the smallest core the fleet may launch.
    """
    from emrsim.hdfs.capacity import hdfs_capacity_gb, lowest_core_storage, replication_for

    try:
        core = core_target(list(targets))
    except LookupError:
        return  # reported by the group or fleet checks
    fewest = core.min_instances()
    if fewest < 1:
        return  # reported by the group or fleet checks
    _, instances = lowest_core_storage(s)
    replication = replication_for(s.hdfs.replication, instances)
    capacity = hdfs_capacity_gb(s, replication)
    if s.hdfs.preload_gb > capacity:
        when = ""
        if core.kind != GROUP:
            plural = "instance" if instances == 1 else "instances"
            when = (
                " when the core fleet launches its mix of types with the least storage "
                f"({instances} {plural})"
            )
        yield Problem(
            ("hdfs", "preload_gb"),
            f"{s.hdfs.preload_gb:g} GB does not fit: HDFS holds {capacity:.0f} GB "
            f"(raw core storage / replication {replication}){when}",
        )
    wanted = s.hdfs.replication
    if wanted != "auto" and wanted > fewest:
        if core.kind == GROUP:
            have = f"(the core group has {fewest})"
        else:
            plural = "instance" if fewest == 1 else "instances"
            have = f"(the core fleet may launch as few as {fewest} {plural})"
        yield Problem(
            ("hdfs", "replication"),
            f"replication {wanted} needs at least {wanted} core nodes {have}",
        )


# --------------------------------------------------------------------------------- faults
def fault_problems(s: Scenario, targets: Sequence[CapacityTarget]) -> Iterator[Problem]:
    """Injected faults name an existing group or fleet of their role, and ask for no more
    instances than it can have (a fleet: at most its largest launch)."""
    names = [t.name for t in targets]
    kinds = "groups" if s.cluster.instance_groups is not None else "fleets"
    for i, fault in enumerate(s.faults):
        where = ("faults", i)
        if fault.action == "decommission" and fault.role is Role.PRIMARY:
            yield Problem(
                (*where, "role"),
                "EMR never shrinks the primary group: decommission core or task instances "
                "(or use action terminate for a primary failure)",
            )
            continue
        chosen = [t for t in targets if t.role is fault.role]
        if fault.group is not None:
            if fault.group not in names:
                yield Problem(
                    (*where, "group"),
                    f"unknown instance group or fleet {fault.group!r}; {kinds} are: "
                    f"{', '.join(names)}",
                )
                continue
            target = targets[names.index(fault.group)]
            if target.role is not fault.role:
                yield Problem(
                    (*where, "role"),
                    f"{_kind(target)} {fault.group!r} is a {target.role.value} {_kind(target)}",
                )
            chosen = [target]
        available = sum(t.max_instances() for t in chosen)
        if fault.count > available:
            has = (
                f"the cluster starts with {available}"
                if kinds == "groups"
                else f"the cluster launches at most {available}"
            )
            yield Problem(
                (*where, "count"),
                f"asks for {fault.count} {fault.role.value} instances but {has}",
            )
