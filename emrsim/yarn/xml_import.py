"""Importing a Hadoop scheduler configuration: ``yarn: {from_xml: capacity-scheduler.xml}``.

:func:`yarn_from_xml` reads a ``capacity-scheduler.xml`` (a Hadoop ``<configuration>`` of
``yarn.scheduler.capacity.*`` properties) or a Fair Scheduler allocation file (``<allocations>``)
and returns the scenario's ``yarn`` mapping as plain data (``scheduler``, nested ``queues`` and
the yarn-wide keys the file sets), to be validated by :mod:`emrsim.scenario.models` like any
scenario, and a list of warnings naming every key that was read but dropped. The scenario
loader (:mod:`emrsim.scenario.load`) uses :func:`import_scheduler_xml`, which also keeps where
each value came from, so that later errors point at the XML line.

The rule: every key is mapped, dropped or rejected; none is skipped silently. A key may be
dropped only when it cannot change which application gets which resources in emrsim; a key
that would, and that emrsim cannot honour, is rejected with its line and the reason.

Capacity scheduler (``yarn.scheduler.capacity.`` + ...)
  Mapped, per queue (``<queue-path>.``): ``queues`` (the tree, recursively), ``capacity``,
  ``maximum-capacity`` (-1 = 100), ``user-limit-factor`` (-1 = no factor limit: a factor of
  1e9, or infinity in a queue of capacity 0), ``minimum-user-limit-percent``,
  ``maximum-am-resource-percent`` (a fraction in the XML, a percent in emrsim),
  ``ordering-policy`` (fifo | fair, leaf queues). Global: ``maximum-am-resource-percent`` ->
  ``yarn.maximum_am_resource_percent``, ``resource-calculator`` (Default -> memory, Dominant ->
  drf) -> ``yarn.resource_calculator``.
  Dropped (with a warning): ACLs (``acl_*``); ``state`` RUNNING; ``accessible-node-labels`` "*"
  or blank and a blank ``default-node-label-expression``; ``priority`` 0; application lifetimes
  <= 0 (none); ``default-application-priority`` (every emrsim application has the same
  priority, so the order is unchanged); ``disable_preemption`` and ``lazy-preemption-enabled``
  false (the defaults); ``intra-queue-preemption.*`` (emrsim preempts between queues only);
  disabled queue auto-creation and its templates; ``ordering-policy`` of parent queues
  (utilization, or priority-utilization with every priority 0: emrsim orders child queues by
  used / guaranteed); ``ordering-policy.fair.enable-size-based-weight`` false; ``reservable``
  false; blank queue and workflow-priority mappings and their override switches; data-locality
  delays (``node-locality-delay``, ``rack-locality-*``: emrsim's requests carry no locality);
  the heartbeat pacing keys (``per-node-heartbeat.*`` with multiple assignments on,
  ``schedule-asynchronously.*``, ``reservations-continue-look-all-nodes``: emrsim has no
  NodeManager heartbeats, one scheduling pass assigns every container that fits); a user limit
  or AM limit set on a parent queue (Hadoop applies them in leaf queues only); properties of
  queues that are not in the tree (Hadoop ignores them too); ``application.fail-fast``.
  Rejected: capacities as weights (``2w``) or absolute resources (``[memory=...]``), a missing
  ``capacity``, node labels, non-zero queue priorities, STOPPED queues, queue and workflow
  mappings, per-queue maximum allocations, positive application lifetimes, per-user weights,
  queue auto-creation, reservations, wildcard templates, ``${...}`` substitution, one container
  per heartbeat, keys outside ``yarn.scheduler.capacity.``, and any key not listed here.

Fair scheduler allocation file (``<allocations>``)
  Mapped: ``<queue>``/``<pool>`` (nested; a top-level ``<queue name="root">`` is unwrapped),
  ``weight``, ``minResources``, ``maxResources`` ("1024 mb, 1 vcores" or "memory-mb=1024,
  vcores=1"; an unlisted resource is 0 in a minimum and unbounded in a maximum, as in Hadoop),
  ``maxRunningApps`` (``maxRunningJobs``), ``maxAMShare``, ``schedulingPolicy``
  (``schedulingMode``; fair | drf | fifo or their policy classes). The root queue's policy
  (``defaultQueueSchedulingPolicy``, or the root queue's own ``schedulingPolicy``) becomes
  ``yarn.default_scheduling_policy``; when the root's own policy differs from the default, the
  default is written into every queue without a policy. ``queueMaxAppsDefault`` and
  ``queueMaxAMShareDefault`` are written into every queue (leaf queue) without its own value.
  The Fair Scheduler always has ``root.default``: it is added, with no settings, when the file
  does not declare it.
  Dropped (with a warning): ACLs (``acl*``); preemption timeouts and thresholds and
  ``allowPreemptionFrom`` (preemption is switched on in yarn-site.xml, and emrsim rejects
  ``yarn.preemption`` with the fair scheduler); ``maxChildResources`` (applies to ad hoc queues
  created at submission, which emrsim never creates); ``weight``, ``minResources``,
  ``maxAMShare`` and ``maxChildResources`` of the root queue (no effect there); a placement
  policy of ``specified`` then ``default`` (root.default), which is how emrsim places jobs.
  Rejected: percentages of the cluster in resources, ``queueMaxResourcesDefault``,
  ``maxContainerAllocation``, reservations, ``type="parent"`` queues without children, weight 0,
  fifo on the root or on any parent queue (Hadoop rejects it too), a ``queuePlacementPolicy``
  whose first rule is not ``specified``, and any element not listed here.

Accepted on a condition that the loader checks against the scenario (rejected otherwise):
- limits on the number of applications, which emrsim does not enforce (capacity
  ``maximum-applications`` and ``max-parallel-apps``; fair ``userMaxAppsDefault``, a user's
  ``maxRunningApps``, the root's ``maxRunningApps``, ``queueMaxAppsDefault`` as the root's
  limit): they can never bind when the whole workload submits at most that many jobs;
- a placement policy that would send applications submitted to ``default`` anywhere but
  ``root.default``, or no placement policy (Hadoop's choice then depends on yarn-site.xml's
  ``user-as-default-queue``): honoured when no job is submitted to ``default``;
- capacity ``disable_preemption`` true and ``lazy-preemption-enabled`` true: honoured when
  ``yarn.preemption`` is off.

Read without a warning, having no scheduling effect: XML comments and the ``<description>``,
``<final>``, ``<source>`` and ``<tag>`` of a property.

A yarn-site style ``<configuration>`` of ``yarn.scheduler.fair.*`` keys (such as Hadoop SLS's
sample ``fair-scheduler.xml``) is not an allocation file: it is rejected with a pointer to the
allocation file it names.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.parsers import expat

if TYPE_CHECKING:
    from emrsim.scenario.models import Scenario

KeyPath = tuple[str | int, ...]

CS = "yarn.scheduler.capacity."
_NAME = re.compile(r"^[A-Za-z0-9_\-]+$")
_UNBOUNDED_MB = 2**63 - 1  # Hadoop's Resources.unbounded(): Long.MAX_VALUE memory
_UNBOUNDED_VCORES = 2**31 - 1  # and Integer.MAX_VALUE vcores
_NOT_YET = "not supported yet in this version of emrsim"
_NO_USER_LIMIT_FACTOR = 1e9  # user-limit-factor -1: capacity x 1e9 is beyond any ceiling


# ---------------------------------------------------------------------------------- results
@dataclass(frozen=True, slots=True)
class XmlProblem:
    """One reason the file cannot be imported: its line (if known) and what is wrong."""

    line: int | None
    message: str


class XmlImportError(Exception):
    """The file cannot be imported; ``problems`` says why, with lines."""

    def __init__(self, problems: list[XmlProblem]):
        self.problems = problems
        super().__init__("; ".join(_render(None, p.line, p.message) for p in problems))


@dataclass(frozen=True, slots=True)
class Origin:
    """Where an imported value came from: the Hadoop key or element, and its line."""

    key: str
    line: int | None


@dataclass(frozen=True, slots=True)
class Dropped:
    """A key that was read and dropped, and why that cannot change the scheduling."""

    line: int | None
    key: str
    why: str


@dataclass(frozen=True, slots=True)
class AppLimit:
    """A limit on the number of applications that emrsim cannot enforce."""

    key: str
    limit: int
    line: int | None


@dataclass(frozen=True, slots=True)
class XmlImport:
    """Everything read from one scheduler XML file."""

    kind: str  # "capacity" | "fair"
    yarn: dict[str, Any]
    dropped: list[Dropped] = field(default_factory=list)
    origins: dict[KeyPath, Origin] = field(default_factory=dict)
    app_limits: list[AppLimit] = field(default_factory=list)
    default_queue_rule: Origin | None = None  # jobs must not be submitted to 'default'
    needs_no_preemption: list[Origin] = field(default_factory=list)  # yarn.preemption off

    def warnings(self, name: str) -> list[str]:
        """One line per dropped key and per condition left for the workload to meet."""
        dropped = sorted(self.dropped, key=lambda d: d.line or 0)
        out = [_render(name, d.line, f"{d.key}: dropped: {d.why}") for d in dropped]
        out += [
            _render(
                name,
                lim.line,
                f"{lim.key} = {lim.limit}: not enforced by emrsim; accepted only for "
                f"workloads of at most {lim.limit} applications",
            )
            for lim in self.app_limits
        ]
        if self.default_queue_rule is not None:
            rule = self.default_queue_rule
            out.append(
                _render(
                    name,
                    rule.line,
                    f"{rule.key}: accepted only for workloads that submit no job to 'default'",
                )
            )
        out += [
            _render(name, o.line, f"{o.key}: accepted only with yarn.preemption off")
            for o in self.needs_no_preemption
        ]
        return out

    def origin(self, path: KeyPath) -> Origin | None:
        """The origin of the yarn-relative key path, or of its nearest ancestor that has one."""
        key = tuple(path)
        while key:
            if key in self.origins:
                return self.origins[key]
            key = key[:-1]
        return None

    def xml_message(self, message: str) -> str:
        """A model or check message with emrsim key names replaced by the XML's names."""
        names = _CAPACITY_NAMES if self.kind == "capacity" else _FAIR_NAMES
        for ours, theirs in names.items():
            message = re.sub(rf"\b{ours}\b", theirs, message)
        return message


_CAPACITY_NAMES = {
    "max_capacity": "maximum-capacity",
    "user_limit_factor": "user-limit-factor",
    "minimum_user_limit_percent": "minimum-user-limit-percent",
    "maximum_am_resource_percent": "maximum-am-resource-percent",
    "ordering_policy": "ordering-policy",
}
_FAIR_NAMES = {
    "min_resources": "minResources",
    "max_resources": "maxResources",
    "max_running_apps": "maxRunningApps",
    "max_am_share": "maxAMShare",
    "scheduling_policy": "schedulingPolicy",
}


def _render(name: str | None, line: int | None, message: str) -> str:
    where = name or ""
    if line is not None:
        where = f"{where}:{line}" if where else f"line {line}"
    return f"{where}: {message}" if where else message


# ------------------------------------------------------------------------------- public API
def yarn_from_xml(path: str | Path) -> tuple[dict[str, Any], list[str]]:
    """The ``yarn`` mapping imported from a scheduler XML file, and warnings for every key
    that was read and dropped (or accepted on a condition on the workload).

    Raises :class:`XmlImportError` when the file cannot be read, is not well-formed, or sets
    something that changes the scheduling and that emrsim cannot honour.
    """
    imported = import_scheduler_xml(path)
    return imported.yarn, imported.warnings(str(path))


def import_scheduler_xml(path: str | Path) -> XmlImport:
    """Read a capacity-scheduler.xml or a Fair Scheduler allocation file (see the module)."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise XmlImportError([XmlProblem(None, "no such file")]) from None
    except OSError as exc:
        raise XmlImportError([XmlProblem(None, f"cannot read the file: {exc.strerror}")]) from None
    root = _parse(data)
    if root.tag == "allocations":
        return _Fair(root).run()
    if root.tag == "configuration":
        return _Capacity(root).run()
    raise XmlImportError(
        [
            XmlProblem(
                root.line,
                f"expected <configuration> (capacity-scheduler.xml) or <allocations> (a Fair "
                f"Scheduler allocation file), found <{root.tag}>",
            )
        ]
    )


def scenario_problems(imported: XmlImport, scenario: Scenario) -> list[XmlProblem]:
    """The conditions of :class:`XmlImport` (on the workload, on preemption) that this
    scenario does not meet."""
    workload = scenario.workload
    jobs: int | None = len(workload.steps)
    for stream in workload.streams:
        jobs = None if jobs is None or stream.count is None else jobs + stream.count
    if workload.traces:
        jobs = None
    problems: list[XmlProblem] = []
    for lim in imported.app_limits:
        if jobs is None or jobs > lim.limit:
            many = "an unbounded number of" if jobs is None else str(jobs)
            problems.append(
                XmlProblem(
                    lim.line,
                    f"{lim.key} = {lim.limit}: emrsim cannot enforce this limit on "
                    f"applications, and this workload may submit {many} jobs; remove it from "
                    f"the file or submit at most {lim.limit} jobs",
                )
            )
    rule = imported.default_queue_rule
    if rule is not None:
        submitted = [s.job.queue or s.queue or "default" for s in workload.steps]
        submitted += [s.job.queue or s.queue or "default" for s in workload.streams]
        if any(q in ("default", "root.default") for q in submitted):
            problems.append(
                XmlProblem(
                    rule.line,
                    f"{rule.key}: Hadoop may place applications submitted to 'default' "
                    "elsewhere, emrsim runs them in 'default': give every job its queue, or "
                    'make the placement policy <rule name="specified"/><rule name="default"/>',
                )
            )
    if scenario.yarn.preemption.enabled:
        problems += [
            XmlProblem(
                o.line,
                f"{o.key}: with yarn.preemption on this changes which containers are "
                f"preempted, and that is {_NOT_YET}",
            )
            for o in imported.needs_no_preemption
        ]
    return problems


# ------------------------------------------------------------------------------ XML reading
@dataclass(slots=True)
class _Node:
    tag: str
    attrs: dict[str, str]
    line: int
    children: list[_Node] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.parts).strip()


def _parse(data: bytes) -> _Node:
    """A small element tree with the line of every element (expat, no external entities)."""
    parser = expat.ParserCreate()
    stack: list[_Node] = []
    top: list[_Node] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        node = _Node(tag, dict(attrs), parser.CurrentLineNumber)
        (stack[-1].children if stack else top).append(node)
        stack.append(node)

    def end(_tag: str) -> None:
        stack.pop()

    def chars(text: str) -> None:
        if stack:
            stack[-1].parts.append(text)

    def no_entities(name: str, *_args: Any) -> None:
        raise XmlImportError(
            [XmlProblem(parser.CurrentLineNumber, f"entity declarations are not accepted ({name})")]
        )

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    parser.EntityDeclHandler = no_entities
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        what = expat.ErrorString(exc.code) if exc.code is not None else str(exc)
        raise XmlImportError(
            [XmlProblem(exc.lineno, f"not well-formed XML: {what} (column {exc.offset + 1})")]
        ) from None
    if not top:
        raise XmlImportError([XmlProblem(None, "the file has no XML element")])
    return top[0]


# ----------------------------------------------------------------------- shared machinery
class _Reader:
    """Problems, drops and origins collected while reading one file."""

    kind = ""

    def __init__(self) -> None:
        self.problems: list[XmlProblem] = []
        self.dropped: list[Dropped] = []
        self.origins: dict[KeyPath, Origin] = {}
        self.app_limits: list[AppLimit] = []
        self.default_queue_rule: Origin | None = None
        self.needs_no_preemption: list[Origin] = []

    def reject(self, line: int | None, message: str) -> None:
        self.problems.append(XmlProblem(line, message))

    def drop(self, line: int | None, key: str, why: str) -> None:
        self.dropped.append(Dropped(line, key, why))

    def result(self, yarn: dict[str, Any]) -> XmlImport:
        if self.problems:
            raise XmlImportError(sorted(self.problems, key=lambda p: (p.line or 0, p.message)))
        return XmlImport(
            self.kind,
            yarn,
            self.dropped,
            self.origins,
            self.app_limits,
            self.default_queue_rule,
            self.needs_no_preemption,
        )

    def number(self, line: int | None, key: str, text: str) -> float | None:
        try:
            value = float(text)
        except ValueError:
            self.reject(line, f"{key}: {text!r} is not a number")
            return None
        if not math.isfinite(value):
            self.reject(line, f"{key}: {text!r} is not a finite number")
            return None
        return value

    def count(self, line: int | None, key: str, text: str) -> int | None:
        if not re.fullmatch(r"-?\d+", text):
            self.reject(line, f"{key}: {text!r} is not a whole number")
            return None
        return int(text)


_FAIR_PREEMPTION_OFF = (
    "preemption is switched on in yarn-site.xml, and emrsim does not preempt under the fair "
    "scheduler (it rejects yarn.preemption there), so this has no effect"
)
_NO_INTRA_QUEUE = (
    "emrsim preempts between queues only; intra-queue preemption (off unless yarn-site.xml "
    "turns it on) is not modelled, so its per-queue switch has no effect"
)
_NO_LOCALITY = "emrsim's container requests carry no data locality, so there is nothing to delay"
_NO_HEARTBEATS = (
    "emrsim has no NodeManager heartbeats: one scheduling pass assigns every container that fits"
)
_ACL = "access control decides who may submit or administer, not how resources are shared"


# ------------------------------------------------------------------- capacity scheduler
@dataclass(frozen=True, slots=True)
class _Prop:
    value: str
    line: int


class _Capacity(_Reader):
    kind = "capacity"

    def __init__(self, root: _Node) -> None:
        super().__init__()
        self.root = root
        self.props: dict[str, _Prop] = {}
        self.used: set[str] = set()

    # -------------------------------------------------------------- properties
    def read_properties(self) -> None:
        for node in self.root.children:
            if node.tag != "property":
                self.reject(
                    node.line,
                    f"<{node.tag}>: only <property> elements are read (XInclude is "
                    f"{_NOT_YET}: merge the files)",
                )
                continue
            name = value = None
            for child in node.children:
                if child.tag == "name":
                    name = child.text
                elif child.tag == "value":
                    value = child.text
                elif child.tag not in ("description", "final", "source", "tag"):
                    self.reject(child.line, f"<{child.tag}>: unexpected in a <property>")
            if not name:
                self.reject(node.line, "a <property> without a <name>")
                continue
            if value is None:
                self.reject(node.line, f"{name}: the property has no <value>")
                continue
            if "${" in value:
                self.reject(node.line, f"{name}: ${{...}} substitution is {_NOT_YET}")
                continue
            if name in self.props:
                self.drop(
                    self.props[name].line,
                    name,
                    f"given again on line {node.line}; the last one counts, as in Hadoop",
                )
            self.props[name] = _Prop(value, node.line)

    def take(self, key: str) -> _Prop | None:
        self.used.add(key)
        return self.props.get(key)

    # ----------------------------------------------------------------- the run
    def run(self) -> XmlImport:
        self.read_properties()
        keys = list(self.props)
        if not any(k.startswith(CS) for k in keys):
            fair = [k for k in keys if k.startswith("yarn.scheduler.fair.")]
            if fair:
                self.reject(None, _yarn_site_fair_message(self.props))
            else:
                self.reject(
                    self.root.line,
                    "no yarn.scheduler.capacity.* property: this is not a "
                    "capacity-scheduler.xml (nor a Fair Scheduler allocation file)",
                )
            return self.result({})
        yarn: dict[str, Any] = {"scheduler": "capacity"}
        root_queues = self.props.get(CS + "root.queues")
        if root_queues is None:
            self.reject(None, f"{CS}root.queues is missing: the file defines no queues")
            return self.result({})
        tree: dict[str, dict[str, Any]] = {}
        yarn["queues"] = self.children("root", ("queues",), tree)
        leaves = {p for p in tree if not any(q.startswith(p + ".") for q in tree)}
        self.queue_keys(tree, leaves, yarn["queues"])
        self.global_keys(yarn)
        return self.result(yarn)

    def children(
        self, path: str, where: KeyPath, tree: dict[str, dict[str, Any]]
    ) -> list[dict[str, Any]] | None:
        key = f"{CS}{path}.queues"
        prop = self.take(key)
        if prop is None:
            return None
        names = [n.strip() for n in prop.value.split(",") if n.strip()]
        if not names:
            return None
        self.origins[where] = Origin(key, prop.line)
        out: list[dict[str, Any]] = []
        for i, name in enumerate(names):
            full = f"{path}.{name}"
            if not _NAME.match(name):
                self.reject(
                    prop.line,
                    f"{key}: queue name {name!r} may contain only letters, digits, '_' and '-'",
                )
                continue
            if full in tree:
                self.reject(prop.line, f"{key}: queue {name!r} is listed twice")
                continue
            here = (*where, i)
            self.origins[here] = Origin(f"queue {full} (listed in {key})", prop.line)
            queue: dict[str, Any] = {"name": name}
            tree[full] = queue
            out.append(queue)
            kids = self.children(full, (*here, "queues"), tree)
            if kids is not None:
                queue["queues"] = kids
        return out

    # ----------------------------------------------------------- queue keys
    def queue_keys(
        self, tree: dict[str, dict[str, Any]], leaves: set[str], top: list[dict[str, Any]] | None
    ) -> None:
        paths = sorted(["root", *tree], key=len, reverse=True)
        wheres = self._wheres(top)
        for key in list(self.props):
            if key in self.used or not key.startswith(CS + "root."):
                continue
            prop = self.props[key]
            owner = next(p for p in paths if key.startswith(f"{CS}{p}."))
            suffix = key[len(f"{CS}{owner}.") :]
            if "*" in key:
                self.reject(prop.line, f"{key}: wildcard queue templates are {_NOT_YET}")
                continue
            if not _known_queue_suffix(suffix):
                if "." in suffix:
                    self.drop(
                        prop.line,
                        key,
                        "for a queue that is not in the queue tree (Hadoop ignores it too)",
                    )
                else:
                    self.reject(
                        prop.line,
                        f"{key}: unknown capacity scheduler queue key {suffix!r}; emrsim cannot "
                        "tell whether it changes the scheduling: remove it to import the file",
                    )
                continue
            self.used.add(key)
            is_root = owner == "root"
            queue = None if is_root else tree[owner]
            self.queue_key(
                key, suffix, prop, queue, wheres.get(owner, ()), is_root, owner in leaves
            )
        self._unlimited_users(tree)
        for full, queue in tree.items():
            if "capacity" not in queue and not self._has_problem_for(full):
                self.reject(
                    self.origins[wheres[full]].line,
                    f"{CS}{full}.capacity is missing (Hadoop requires a capacity for every queue)",
                )

    @staticmethod
    def _unlimited_users(tree: dict[str, dict[str, Any]]) -> None:
        """user-limit-factor -1 (no factor limit; the queue's ceiling and the minimum user limit
        percent still apply, as in Hadoop): a factor so large it never binds, or infinity for
        a queue of capacity 0, where no finite factor would do."""
        for queue in tree.values():
            if queue.get("user_limit_factor") == _NO_USER_LIMIT_FACTOR and not queue.get(
                "capacity"
            ):
                queue["user_limit_factor"] = math.inf

    def _has_problem_for(self, full: str) -> bool:
        return any(f"{CS}{full}.capacity:" in p.message for p in self.problems)

    def _wheres(self, top: list[dict[str, Any]] | None) -> dict[str, KeyPath]:
        out: dict[str, KeyPath] = {}

        def walk(queues: list[dict[str, Any]] | None, prefix: str, where: KeyPath) -> None:
            for i, q in enumerate(queues or []):
                full = f"{prefix}.{q['name']}"
                out[full] = (*where, i)
                walk(q.get("queues"), full, (*where, i, "queues"))

        walk(top, "root", ("queues",))
        return out

    def queue_key(
        self,
        key: str,
        suffix: str,
        prop: _Prop,
        queue: dict[str, Any] | None,
        where: KeyPath,
        is_root: bool,
        leaf: bool,
    ) -> None:
        value, line = prop.value.strip(), prop.line
        low = value.lower()

        def put(field_name: str, mapped: Any) -> None:
            if queue is None:
                return
            queue[field_name] = mapped
            self.origins[(*where, field_name)] = Origin(key, line)

        if suffix == "capacity":
            cap = self.percent(key, value, line, minus_one=False)
            if cap is None:
                return
            if is_root:
                if cap != 100:
                    self.reject(line, f"{key}: the root queue's capacity must be 100")
                return
            put("capacity", cap)
            self._check_max(key, queue, line)
        elif suffix == "maximum-capacity":
            cap = self.percent(key, value, line, minus_one=True)
            if cap is None:
                return
            if is_root:
                if cap != 100:
                    self.reject(line, f"{key}: a root maximum-capacity below 100 is {_NOT_YET}")
                return
            put("max_capacity", cap)
            self._check_max(key, queue, line)
        elif suffix in ("user-limit-factor", "minimum-user-limit-percent"):
            num = self.number(line, key, value)
            if num is None:
                return
            if suffix == "user-limit-factor":
                if num == -1:
                    num = _NO_USER_LIMIT_FACTOR  # see _unlimited_users
                elif num <= 0:
                    self.reject(line, f"{key}: must be > 0 (or -1 for no limit)")
                    return
            elif not 0 < num <= 100:
                self.reject(line, f"{key}: must be > 0 and <= 100")
                return
            if is_root or not leaf:
                self.drop(line, key, "a user limit applies in leaf queues only")
                return
            put(suffix.replace("-", "_"), num)
        elif suffix == "maximum-am-resource-percent":
            num = self.number(line, key, value)
            if num is None:
                return
            if not 0 < num <= 1:
                self.reject(line, f"{key}: must be a fraction > 0 and <= 1 (0.1 is 10%)")
                return
            if is_root or not leaf:
                self.drop(line, key, "the AM limit applies in leaf queues only")
                return
            put("maximum_am_resource_percent", round(num * 100, 9))
        elif suffix == "ordering-policy":
            if leaf and not is_root:
                if low in ("fifo", "fair"):
                    put("ordering_policy", low)
                else:
                    self.reject(line, f"{key}: ordering policy {value!r} is {_NOT_YET}")
            elif low in ("utilization", "priority-utilization"):
                self.drop(
                    line,
                    key,
                    "emrsim orders child queues by used / guaranteed capacity, which is "
                    "utilization ordering (and priority-utilization when every priority is 0)",
                )
            else:
                self.reject(line, f"{key}: parent ordering policy {value!r} is {_NOT_YET}")
        else:
            self.extra_queue_key(key, suffix, value, line)

    def _check_max(self, key: str, queue: dict[str, Any] | None, line: int) -> None:
        if queue is None:
            return
        cap, top = queue.get("capacity"), queue.get("max_capacity")
        if cap is not None and top is not None and top < cap:
            self.reject(
                line,
                f"{key}: maximum-capacity ({top:g}) must be >= capacity ({cap:g}) "
                f"for queue {queue['name']!r}",
            )

    def percent(self, key: str, value: str, line: int, *, minus_one: bool) -> float | None:
        if re.fullmatch(r"[0-9]*\.?[0-9]+\s*[wW]", value):
            self.reject(
                line, f"{key}: capacity as a weight ({value!r}) is {_NOT_YET}; give a percentage"
            )
            return None
        if value.startswith("["):
            self.reject(
                line,
                f"{key}: capacity as absolute resources ({value!r}) is {_NOT_YET}; give a "
                "percentage",
            )
            return None
        num = self.number(line, key, value)
        if num is None:
            return None
        if minus_one and num == -1:
            return 100.0
        if not 0 <= num <= 100:
            self.reject(line, f"{key}: must be a percentage from 0 to 100 (got {value})")
            return None
        return num

    def extra_queue_key(self, key: str, suffix: str, value: str, line: int) -> None:
        """A queue key emrsim has no field for: drop it when it cannot matter, else reject."""
        low = value.lower()
        if suffix.startswith("acl_"):
            self.drop(line, key, _ACL)
        elif suffix == "state":
            if low == "running":
                self.drop(line, key, "RUNNING is the normal state")
            else:
                self.reject(line, f"{key}: a {value} queue accepts no applications: {_NOT_YET}")
        elif suffix == "disable_preemption":
            if low == "false":
                self.drop(line, key, "false is the default")
            else:
                self.needs_no_preemption.append(Origin(key, line))
        elif suffix.startswith("intra-queue-preemption."):
            self.drop(line, key, _NO_INTRA_QUEUE)
        elif suffix == "accessible-node-labels" and low in ("*", ""):
            self.drop(line, key, "no node labels are configured")
        elif suffix == "default-node-label-expression" and low == "":
            self.drop(line, key, "blank: no node label")
        elif suffix.startswith(("accessible-node-labels", "default-node-label-expression")):
            self.reject(
                line,
                f"{key}: node labels (partitions) are {_NOT_YET}; emrsim places AMs by "
                "yarn.am_placement",
            )
        elif suffix == "priority":
            if self._is_zero(value):
                self.drop(line, key, "priority 0 is the default")
            else:
                self.reject(line, f"{key}: queue priorities are {_NOT_YET}")
        elif suffix in ("maximum-applications", "max-parallel-apps"):
            limit = self.count(line, key, value)
            if limit is not None:
                self.app_limits.append(AppLimit(key, limit, line))
        elif suffix.startswith("maximum-allocation"):
            self.reject(line, f"{key}: per-queue maximum allocations are {_NOT_YET}")
        elif suffix in ("maximum-application-lifetime", "default-application-lifetime"):
            num = self.number(line, key, value)
            if num is not None and num > 0:
                self.reject(line, f"{key}: application lifetimes (kills) are {_NOT_YET}")
            elif num is not None:
                self.drop(line, key, "no lifetime limit")
        elif suffix == "default-application-priority":
            self.drop(
                line,
                key,
                "every emrsim application gets the same priority, so the order is unchanged",
            )
        elif suffix == "ordering-policy.fair.enable-size-based-weight":
            if low == "false":
                self.drop(line, key, "false is the default")
            else:
                self.reject(line, f"{key}: size-based weights are {_NOT_YET}")
        elif suffix in ("auto-create-child-queue.enabled", "auto-queue-creation-v2.enabled"):
            if low == "false":
                self.drop(line, key, "queue auto-creation is off")
            else:
                self.reject(line, f"{key}: queue auto-creation is {_NOT_YET}")
        elif suffix.startswith(("leaf-queue-template.", "auto-queue-creation-v2.")):
            self.drop(line, key, "used only for auto-created queues (creation must be off)")
        elif suffix == "reservable":
            if low == "false":
                self.drop(line, key, "not reservable")
            else:
                self.reject(line, f"{key}: reservations are {_NOT_YET}")
        elif suffix.startswith("user-settings."):
            self.reject(line, f"{key}: per-user weights are {_NOT_YET}")
        else:  # pragma: no cover - _known_queue_suffix lists exactly the cases above
            self.reject(line, f"{key}: {_NOT_YET}")

    @staticmethod
    def _is_zero(value: str) -> bool:
        try:
            return float(value) == 0
        except ValueError:
            return False

    # ---------------------------------------------------------- global keys
    def global_keys(self, yarn: dict[str, Any]) -> None:
        for key, prop in self.props.items():
            if key in self.used or key.startswith(CS + "root."):
                continue
            value, line = prop.value.strip(), prop.line
            low = value.lower()
            if not key.startswith(CS):
                self.reject(
                    line,
                    f"{key}: not a capacity scheduler key (only yarn.scheduler.capacity.* is "
                    "read; give other settings in the scenario)",
                )
                continue
            suffix = key[len(CS) :]
            if suffix == "maximum-am-resource-percent":
                num = self.number(line, key, value)
                if num is not None and not 0 < num <= 1:
                    self.reject(line, f"{key}: must be a fraction > 0 and <= 1 (0.1 is 10%)")
                elif num is not None:
                    yarn["maximum_am_resource_percent"] = round(num * 100, 9)
                    self.origins[("maximum_am_resource_percent",)] = Origin(key, line)
            elif suffix == "resource-calculator":
                simple = value.rsplit(".", 1)[-1]
                calculators = {
                    "DefaultResourceCalculator": "memory",
                    "DominantResourceCalculator": "drf",
                }
                if simple in calculators:
                    yarn["resource_calculator"] = calculators[simple]
                    self.origins[("resource_calculator",)] = Origin(key, line)
                else:
                    self.reject(line, f"{key}: resource calculator {value!r} is {_NOT_YET}")
            elif suffix in ("maximum-applications", "max-parallel-apps"):
                limit = self.count(line, key, value)
                if limit is not None:
                    self.app_limits.append(AppLimit(key, limit, line))
            elif suffix in (
                "node-locality-delay",
                "rack-locality-additional-delay",
                "rack-locality-full-reset",
            ):
                self.drop(line, key, _NO_LOCALITY)
            elif suffix in ("queue-mappings", "workflow-priority-mappings"):
                if value:
                    self.reject(
                        line, f"{key}: queue mappings are {_NOT_YET}; name each job's queue"
                    )
                else:
                    self.drop(line, key, "no mappings")
            elif suffix in (
                "queue-mappings-override.enable",
                "workflow-priority-mappings-override.enable",
            ):
                self.drop(line, key, "there are no mappings to override with")
            elif suffix == "per-node-heartbeat.multiple-assignments-enabled":
                if low == "false":
                    self.reject(line, f"{key}: one container per heartbeat is {_NOT_YET}")
                else:
                    self.drop(line, key, _NO_HEARTBEATS)
            elif suffix.startswith(
                ("per-node-heartbeat.", "schedule-asynchronously.")
            ) or suffix in ("reservations-continue-look-all-nodes",):
                self.drop(line, key, _NO_HEARTBEATS)
            elif suffix == "lazy-preemption-enabled":
                if low == "false":
                    self.drop(line, key, "false is the default")
                else:
                    self.needs_no_preemption.append(Origin(key, line))
            elif suffix == "application.fail-fast":
                self.drop(
                    line, key, "only matters for unknown queues, which emrsim rejects at load"
                )
            elif suffix.startswith("root") or "*" in suffix:
                self.reject(line, f"{key}: not a key of a queue in the tree ({_NOT_YET})")
            else:
                self.reject(
                    line,
                    f"{key}: unknown capacity scheduler key; emrsim cannot tell whether it "
                    "changes the scheduling: remove it to import the file",
                )


_QUEUE_SUFFIXES = {
    "queues",
    "capacity",
    "maximum-capacity",
    "user-limit-factor",
    "minimum-user-limit-percent",
    "maximum-am-resource-percent",
    "ordering-policy",
    "state",
    "disable_preemption",
    "accessible-node-labels",
    "default-node-label-expression",
    "priority",
    "maximum-applications",
    "max-parallel-apps",
    "maximum-allocation-mb",
    "maximum-allocation-vcores",
    "maximum-allocation",
    "maximum-application-lifetime",
    "default-application-lifetime",
    "default-application-priority",
    "ordering-policy.fair.enable-size-based-weight",
    "auto-create-child-queue.enabled",
    "auto-queue-creation-v2.enabled",
    "reservable",
}
_QUEUE_PREFIXES = (
    "acl_",
    "intra-queue-preemption.",
    "accessible-node-labels.",
    "leaf-queue-template.",
    "auto-queue-creation-v2.",
    "user-settings.",
)


def _known_queue_suffix(suffix: str) -> bool:
    return suffix in _QUEUE_SUFFIXES or suffix.startswith(_QUEUE_PREFIXES)


def _yarn_site_fair_message(props: dict[str, _Prop]) -> str:
    alloc = props.get("yarn.scheduler.fair.allocation.file")
    named = f" ({alloc.value.strip()})" if alloc is not None else ""
    text = (
        "this is a yarn-site style Fair Scheduler configuration (yarn.scheduler.fair.*), not "
        f"a queue allocation file: give from_xml the allocation file{named}"
    )
    preemption = props.get("yarn.scheduler.fair.preemption")
    if preemption is not None and preemption.value.strip().lower() == "true":
        text += f"; note that it turns preemption on, which is {_NOT_YET}"
    return text


# ----------------------------------------------------------------------- fair scheduler
_POLICIES = {
    "fair": "fair",
    "drf": "drf",
    "fifo": "fifo",
    "fairsharepolicy": "fair",
    "dominantresourcefairnesspolicy": "drf",
    "fifopolicy": "fifo",
}
_FAIR_PREEMPTION = {
    "minSharePreemptionTimeout",
    "fairSharePreemptionTimeout",
    "fairSharePreemptionThreshold",
    "allowPreemptionFrom",
}
_FAIR_ACLS = {
    "aclSubmitApps",
    "aclAdministerApps",
    "aclAdministerReservations",
    "aclListReservations",
    "aclSubmitReservations",
}


class _Fair(_Reader):
    kind = "fair"

    def __init__(self, root: _Node) -> None:
        super().__init__()
        self.root = root
        self.default_policy: tuple[str, _Node] | None = None
        self.max_apps_default: tuple[int, _Node] | None = None
        self.am_share_default: tuple[float, _Node] | None = None
        self.root_policy: tuple[str, _Node] | None = None
        self.fill_policy: tuple[str, Origin] | None = None

    def run(self) -> XmlImport:
        queue_nodes: list[_Node] = []
        placement: _Node | None = None
        for node in self.root.children:
            tag, line = node.tag, node.line
            if tag in ("queue", "pool"):
                if node.attrs.get("name", "").strip() == "root":
                    queue_nodes += self.root_queue(node)
                else:
                    queue_nodes.append(node)
            elif tag == "user":
                self.user(node)
            elif tag in ("userMaxAppsDefault", "userMaxJobsDefault"):
                limit = self.count(line, f"<{tag}>", node.text)
                if limit is not None:
                    self.app_limits.append(
                        AppLimit(f"<{tag}> (applications each user runs at once)", limit, line)
                    )
            elif tag in ("queueMaxAppsDefault", "queueMaxJobsDefault", "poolMaxJobsDefault"):
                limit = self.count(line, f"<{tag}>", node.text)
                if limit is not None and limit >= 0:
                    self.max_apps_default = (limit, node)
                    self.app_limits.append(
                        AppLimit(f"<{tag}> (applied to the root queue too)", limit, line)
                    )
                elif limit is not None:
                    self.reject(line, f"<{tag}>: must be >= 0")
            elif tag == "queueMaxAMShareDefault":
                share = self.am_share(node)
                if share is not None:
                    self.am_share_default = (share, node)
            elif tag in ("defaultQueueSchedulingPolicy", "defaultQueueSchedulingMode"):
                policy = self.policy(node)
                if policy is not None:
                    self.default_policy = (policy, node)
            elif tag in (
                "defaultFairSharePreemptionTimeout",
                "defaultMinSharePreemptionTimeout",
                "defaultFairSharePreemptionThreshold",
                "fairSharePreemptionTimeout",
            ):
                self.drop(line, f"<{tag}>", _FAIR_PREEMPTION_OFF)
            elif tag == "queuePlacementPolicy":
                placement = node
            elif tag == "queueMaxResourcesDefault":
                self.reject(line, f"<{tag}>: {_NOT_YET}; give <maxResources> on each queue instead")
            elif tag in ("reservation-agent", "reservation-policy", "reservation-planner"):
                self.reject(line, f"<{tag}>: reservations are {_NOT_YET}")
            else:
                self.reject(
                    line,
                    f"<{tag}>: unknown allocation file element; emrsim cannot tell whether it "
                    "changes the scheduling: remove it to import the file",
                )
        queues = [
            q
            for i, n in enumerate(queue_nodes)
            if (q := self.queue(n, ("queues", i), "root")) is not None
        ]
        if not any(q["name"] == "default" for q in queues):
            self.origins[("queues", len(queues))] = Origin(
                "queue root.default (which the Fair Scheduler always creates)", None
            )
            queues.append({"name": "default"})
        yarn: dict[str, Any] = {"scheduler": "fair", "queues": queues}
        self.policies(yarn)
        self.apply_defaults(queues, ("queues",))
        self.placement(placement)
        self.origins.setdefault(("queues",), Origin("<allocations>", self.root.line))
        return self.result(yarn)

    # ----------------------------------------------------------------- queues
    def root_queue(self, node: _Node) -> list[_Node]:
        children: list[_Node] = []
        where = "of the root queue"
        for child in node.children:
            tag, line = child.tag, child.line
            if tag in ("queue", "pool"):
                children.append(child)
            elif tag in ("schedulingPolicy", "schedulingMode"):
                policy = self.policy(child)
                if policy is not None:
                    self.root_policy = (policy, child)
            elif tag in _FAIR_ACLS:
                self.drop(line, f"<{tag}> {where}", _ACL)
            elif tag in _FAIR_PREEMPTION:
                self.drop(line, f"<{tag}> {where}", _FAIR_PREEMPTION_OFF)
            elif tag in ("maxRunningApps", "maxRunningJobs"):
                limit = self.count(line, f"<{tag}> {where}", child.text)
                if limit is not None:
                    self.app_limits.append(AppLimit(f"<{tag}> {where}", limit, line))
            elif tag in ("weight", "minResources", "maxAMShare", "maxChildResources"):
                self.drop(line, f"<{tag}> {where}", "has no effect on the root queue")
            else:
                self.reject(line, f"<{tag}> {where}: {_NOT_YET}")
        return children

    def queue(self, node: _Node, where: KeyPath, parent: str) -> dict[str, Any] | None:
        name = node.attrs.get("name", "").strip()
        if not name:
            self.reject(node.line, f"<{node.tag}> without a name attribute")
            return None
        full = f"{parent}.{name}"
        if not _NAME.match(name):
            self.reject(
                node.line,
                f"queue {full}: a name may contain only letters, digits, '_' and '-'",
            )
            return None
        self.origins[where] = Origin(f'queue {full} (<{node.tag} name="{name}">)', node.line)
        queue: dict[str, Any] = {"name": name}
        kids: list[dict[str, Any]] = []
        of = f"of queue {full}"
        for child in node.children:
            tag, line = child.tag, child.line
            key = f"<{tag}> {of}"

            def put(field_name: str, value: Any, key: str = key, line: int = line) -> None:
                queue[field_name] = value
                self.origins[(*where, field_name)] = Origin(key, line)

            if tag in ("queue", "pool"):
                kid = self.queue(child, (*where, "queues", len(kids)), full)
                if kid is not None:
                    kids.append(kid)
            elif tag == "weight":
                weight = self.number(line, key, child.text)
                if weight is not None and weight < 0:
                    self.reject(line, f"{key}: must be >= 0")
                elif weight == 0:
                    self.reject(line, f"{key}: weight 0 (served last) is {_NOT_YET}")
                elif weight is not None:
                    put("weight", weight)
            elif tag in ("minResources", "maxResources"):
                resources = self.resources(child, key, maximum=tag == "maxResources")
                if resources is not None:
                    put("min_resources" if tag == "minResources" else "max_resources", resources)
            elif tag in ("maxRunningApps", "maxRunningJobs"):
                limit = self.count(line, key, child.text)
                if limit is not None and limit < 0:
                    self.reject(line, f"{key}: must be >= 0")
                elif limit is not None:
                    put("max_running_apps", limit)
            elif tag == "maxAMShare":
                share = self.am_share(child, key)
                if share is not None:
                    put("max_am_share", share)
            elif tag in ("schedulingPolicy", "schedulingMode"):
                policy = self.policy(child, key)
                if policy is not None:
                    put("scheduling_policy", policy)
            elif tag in _FAIR_ACLS:
                self.drop(line, key, _ACL)
            elif tag in _FAIR_PREEMPTION:
                self.drop(line, key, _FAIR_PREEMPTION_OFF)
            elif tag == "maxChildResources":
                self.drop(
                    line,
                    key,
                    "applies to ad hoc child queues created at submission, which emrsim never "
                    "creates",
                )
            elif tag == "maxContainerAllocation":
                self.reject(line, f"{key}: per-queue maximum container sizes are {_NOT_YET}")
            elif tag == "reservation":
                self.reject(line, f"{key}: reservations are {_NOT_YET}")
            else:
                self.reject(
                    line,
                    f"{key}: unknown queue element; emrsim cannot tell whether it changes the "
                    "scheduling: remove it to import the file",
                )
        kind = node.attrs.get("type", "").strip().lower()
        if kind == "parent" and not kids:
            self.reject(
                node.line,
                f'queue {full}: type="parent" without child queues (ad hoc child queues) '
                f"is {_NOT_YET}",
            )
        elif kind not in ("", "parent", "leaf"):
            self.reject(node.line, f"queue {full}: unknown type {kind!r}")
        elif kind == "leaf" and kids:
            self.reject(node.line, f'queue {full}: type="leaf" but it has child queues')
        if kids:
            queue["queues"] = kids
            self.origins[(*where, "queues")] = self.origins[where]
        return queue

    def policies(self, yarn: dict[str, Any]) -> None:
        """The root's policy is emrsim's ``default_scheduling_policy``; queues without their own
        get Hadoop's default policy written in when that differs from the root's."""
        chosen = self.root_policy or self.default_policy
        self.fill_policy = None
        if chosen is None:
            return
        policy, node = chosen
        of_root = chosen is self.root_policy
        yarn["default_scheduling_policy"] = policy
        key = f"<{node.tag}>" + (" of the root queue" if of_root else "")
        self.origins[("default_scheduling_policy",)] = Origin(key, node.line)
        if policy == "fifo":
            self.reject(
                node.line,
                f"{key}: fifo is for leaf queues only, and this policy applies to the root "
                "queue (Hadoop rejects it too)",
            )
        default = self.default_policy
        if of_root and (default[0] if default else "fair") != policy:
            origin = (
                Origin(f"<{default[1].tag}>", default[1].line)
                if default
                else Origin("Hadoop's default scheduling policy (fair)", None)
            )
            self.fill_policy = (default[0] if default else "fair", origin)

    def apply_defaults(self, queues: list[dict[str, Any]], where: KeyPath) -> None:
        """Write the file's per-queue defaults into the queues that do not set their own."""
        default_policy = self.default_policy[0] if self.default_policy else "fair"
        for i, queue in enumerate(queues):
            here = (*where, i)
            leaf = "queues" not in queue
            defaults: list[tuple[str, Any, Origin]] = []
            if self.fill_policy is not None:
                defaults.append(("scheduling_policy", *self.fill_policy))
            if self.max_apps_default is not None:
                limit, node = self.max_apps_default
                defaults.append(("max_running_apps", limit, Origin(f"<{node.tag}>", node.line)))
            if self.am_share_default is not None and leaf:
                share, node = self.am_share_default
                defaults.append(("max_am_share", share, Origin(f"<{node.tag}>", node.line)))
            for field_name, value, origin in defaults:
                if field_name not in queue:
                    queue[field_name] = value
                    self.origins[(*here, field_name)] = origin
            if not leaf:
                if queue.get("scheduling_policy", default_policy) == "fifo":
                    origin_or_none = self.origins.get((*here, "scheduling_policy"))
                    if origin_or_none is None and self.default_policy is not None:
                        node = self.default_policy[1]
                        origin_or_none = Origin(f"<{node.tag}>", node.line)
                    self.reject(
                        origin_or_none.line if origin_or_none else None,
                        f"{origin_or_none.key if origin_or_none else 'schedulingPolicy'}: fifo "
                        f"is for leaf queues only, and {queue['name']!r} has child queues "
                        "(Hadoop rejects it too)",
                    )
                self.apply_defaults(queue["queues"], (*here, "queues"))

    def placement(self, node: _Node | None) -> None:
        if node is None:
            self.default_queue_rule = Origin(
                "no <queuePlacementPolicy> (Hadoop then follows yarn.scheduler.fair."
                "user-as-default-queue, true by default: a queue per user)",
                None,
            )
            return
        rules = [r for r in node.children if r.tag == "rule"]
        for other in node.children:
            if other.tag != "rule":
                self.reject(other.line, f"<{other.tag}>: unexpected in <queuePlacementPolicy>")
        names = [r.attrs.get("name", "").strip() for r in rules]
        if not names or names[0] != "specified":
            self.reject(
                node.line,
                "<queuePlacementPolicy>: emrsim runs each job in the queue it names, so the "
                'first rule must be <rule name="specified"/>; other placement rules are '
                f"{_NOT_YET}",
            )
            return
        rest = [r for r, n in zip(rules, names, strict=True) if n != "specified"]
        if rest and rest[0].attrs.get("name") == "default":
            target = rest[0].attrs.get("queue", "root.default").strip()
            if target in ("default", "root.default"):
                self.drop(
                    node.line,
                    "<queuePlacementPolicy>",
                    "specified, then root.default: how emrsim places jobs",
                )
                return
        self.default_queue_rule = Origin(
            "<queuePlacementPolicy> (rules after 'specified' place jobs submitted to 'default')",
            node.line,
        )

    # ------------------------------------------------------------------ values
    def user(self, node: _Node) -> None:
        name = node.attrs.get("name", "").strip() or "?"
        for child in node.children:
            if child.tag in ("maxRunningApps", "maxRunningJobs"):
                key = f"<{child.tag}> of user {name!r}"
                limit = self.count(child.line, key, child.text)
                if limit is not None:
                    self.app_limits.append(AppLimit(key, limit, child.line))
            else:
                self.reject(child.line, f"<{child.tag}> of user {name!r}: {_NOT_YET}")

    def policy(self, node: _Node, key: str | None = None) -> str | None:
        text = node.text
        simple = text.rsplit(".", 1)[-1].lower()
        if simple in _POLICIES:
            return _POLICIES[simple]
        self.reject(node.line, f"{key or f'<{node.tag}>'}: unknown scheduling policy {text!r}")
        return None

    def am_share(self, node: _Node, key: str | None = None) -> float | None:
        key = key or f"<{node.tag}>"
        share = self.number(node.line, key, node.text)
        if share is not None and share != -1 and not 0 <= share <= 1:
            self.reject(node.line, f"{key}: must be a fraction from 0 to 1, or -1 (no limit)")
            return None
        return share

    def resources(self, node: _Node, key: str, *, maximum: bool) -> dict[str, int] | None:
        text, line = node.text, node.line
        low = text.lower()
        if "%" in low:
            self.reject(
                line,
                f"{key}: resources as percentages of the cluster ({text!r}) are {_NOT_YET}; "
                "give amounts ('1024 mb, 1 vcores')",
            )
            return None
        missing = (_UNBOUNDED_MB, _UNBOUNDED_VCORES) if maximum else (0, 0)
        if "=" in low:
            memory: int | None = None
            vcores: int | None = None
            for part in (p.strip() for p in text.split(",") if p.strip()):
                name, _, raw = (s.strip() for s in part.partition("="))
                if name.lower() in ("memory-mb", "memory"):
                    memory = self.memory_mb(raw, key, line)
                    if memory is None:
                        return None
                elif name.lower() == "vcores":
                    if not re.fullmatch(r"\d+", raw):
                        self.reject(line, f"{key}: vcores={raw!r} is not a whole number")
                        return None
                    vcores = int(raw)
                else:
                    self.reject(line, f"{key}: resource type {name!r} is {_NOT_YET}")
                    return None
            return {
                "memory_mb": missing[0] if memory is None else memory,
                "vcores": missing[1] if vcores is None else vcores,
            }
        mb = re.search(r"(\d+)(\.\d*)?\s*mb", low)
        vc = re.search(r"(\d+)(\.\d*)?\s*vcores", low)
        if mb is None or vc is None:
            lacking = " and ".join(u for u, m in (("mb", mb), ("vcores", vc)) if m is None)
            self.reject(
                line,
                f"{key}: {text!r} gives no {lacking}; write '1024 mb, 1 vcores' or "
                "'memory-mb=1024, vcores=1'",
            )
            return None
        return {"memory_mb": int(mb.group(1)), "vcores": int(vc.group(1))}

    def memory_mb(self, raw: str, key: str, line: int) -> int | None:
        match = re.fullmatch(r"(\d+)\s*(Ki|Mi|Gi|Ti)?", raw)
        if match is None:
            self.reject(line, f"{key}: memory {raw!r} is not a whole number of MiB")
            return None
        scale = {None: 1.0, "Ki": 1 / 1024, "Mi": 1.0, "Gi": 1024.0, "Ti": 1024.0**2}
        return int(int(match.group(1)) * scale[match.group(2)])
