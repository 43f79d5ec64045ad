"""capacity-scheduler.xml: a Hadoop ``<configuration>`` of ``yarn.scheduler.capacity.*`` keys.

The properties are read (the last of a repeated one counts, as in Hadoop; ``<description>``,
``<final>``, ``<source>`` and ``<tag>`` are read without a warning), the queue tree is built from
the ``queues`` keys, and every other key goes to the queue whose path it starts with, or is
yarn-wide.

Mapped, per queue (``<queue-path>.``): ``queues`` (the tree, recursively), ``capacity``,
``maximum-capacity`` (-1 = 100), ``user-limit-factor`` (-1 = no factor limit: a factor of 1e9,
or infinity in a queue of capacity 0), ``minimum-user-limit-percent``,
``maximum-am-resource-percent`` (a fraction in the XML, a percent in emrsim), ``ordering-policy``
(fifo | fair, leaf queues). Global: ``maximum-am-resource-percent`` ->
``yarn.maximum_am_resource_percent``, ``resource-calculator`` (Default -> memory, Dominant ->
drf) -> ``yarn.resource_calculator``.

Dropped (with a warning): ``ordering-policy`` of parent queues (utilization, or
priority-utilization with every priority 0: emrsim orders child queues by used / guaranteed); a
user limit or AM limit set on a parent queue (Hadoop applies them in leaf queues only).

Rejected: capacities as weights (``2w``) or absolute resources (``[memory=...]``), a missing
``capacity``, other ordering policies, wildcard templates, ``${...}`` substitution and keys
outside ``yarn.scheduler.capacity.``. A yarn-site style ``<configuration>`` of
``yarn.scheduler.fair.*`` keys (such as Hadoop SLS's sample ``fair-scheduler.xml``) is not an
allocation file: it is rejected with a pointer to the allocation file it names.

The keys emrsim has no field for are dropped or rejected by
:mod:`~emrsim.yarn.xml_import.capacity_unmapped`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from emrsim.yarn.xml_import import capacity_unmapped
from emrsim.yarn.xml_import.results import KeyPath, Origin, XmlImport
from emrsim.yarn.xml_import.xmlnodes import NOT_YET, QUEUE_NAME, Node, Reader

CS = "yarn.scheduler.capacity."
NO_USER_LIMIT_FACTOR = 1e9  # user-limit-factor -1: capacity x 1e9 is beyond any ceiling


@dataclass(frozen=True, slots=True)
class Prop:
    """A property's value and its line."""

    value: str
    line: int


class CapacityReader(Reader):
    """Reads one capacity-scheduler.xml (see the module)."""

    kind = "capacity"

    def __init__(self, root: Node) -> None:
        super().__init__()
        self.root = root
        self.props: dict[str, Prop] = {}
        self.tree: dict[str, dict[str, Any]] = {}  # queue path -> the queue's yarn mapping
        self.wheres: dict[str, KeyPath] = {}  # queue path -> its key path in yarn

    def run(self) -> XmlImport:
        self.read_properties()
        if not any(k.startswith(CS) for k in self.props):
            if any(k.startswith("yarn.scheduler.fair.") for k in self.props):
                self.reject(None, _yarn_site_fair_message(self.props))
            else:
                self.reject(
                    self.root.line,
                    "no yarn.scheduler.capacity.* property: this is not a "
                    "capacity-scheduler.xml (nor a Fair Scheduler allocation file)",
                )
            return self.result({})
        if CS + "root.queues" not in self.props:
            self.reject(None, f"{CS}root.queues is missing: the file defines no queues")
            return self.result({})
        yarn: dict[str, Any] = {"scheduler": "capacity", "queues": self.children("root", ())}
        self.queue_keys()
        self.global_keys(yarn)
        return self.result(yarn)

    def read_properties(self) -> None:
        for node in self.root.children:
            if node.tag != "property":
                self.reject(
                    node.line,
                    f"<{node.tag}>: only <property> elements are read (XInclude is "
                    f"{NOT_YET}: merge the files)",
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
            elif value is None:
                self.reject(node.line, f"{name}: the property has no <value>")
            elif "${" in value:
                self.reject(node.line, f"{name}: ${{...}} substitution is {NOT_YET}")
            else:
                if name in self.props:
                    self.drop(
                        self.props[name].line,
                        name,
                        f"given again on line {node.line}; the last one counts, as in Hadoop",
                    )
                self.props[name] = Prop(value, node.line)

    # ------------------------------------------------------------------- queues
    def children(self, path: str, where: KeyPath) -> list[dict[str, Any]] | None:
        """The queues listed in ``<path>.queues``, recursively; ``where`` is the queue's key
        path in yarn (``()`` for root)."""
        key = f"{CS}{path}.queues"
        prop = self.props.get(key)
        if prop is None:
            return None
        names = [n.strip() for n in prop.value.split(",") if n.strip()]
        if not names:
            return None
        where = (*where, "queues")
        self.origins[where] = Origin(key, prop.line)
        out: list[dict[str, Any]] = []
        for name in names:
            full = f"{path}.{name}"
            if not QUEUE_NAME.match(name):
                self.reject(
                    prop.line,
                    f"{key}: queue name {name!r} may contain only letters, digits, '_' and '-'",
                )
                continue
            if full in self.tree:
                self.reject(prop.line, f"{key}: queue {name!r} is listed twice")
                continue
            here = (*where, len(out))
            self.origins[here] = Origin(f"queue {full} (listed in {key})", prop.line)
            queue: dict[str, Any] = {"name": name}
            self.tree[full] = queue
            self.wheres[full] = here
            out.append(queue)
            kids = self.children(full, here)
            if kids is not None:
                queue["queues"] = kids
        return out

    def queue_keys(self) -> None:
        """Every ``root.*`` key: to the queue of the longest path it starts with."""
        paths = sorted(["root", *self.tree], key=len, reverse=True)
        leaves = {p for p in self.tree if not any(q.startswith(p + ".") for q in self.tree)}
        for key, prop in self.props.items():
            if not key.startswith(CS + "root."):
                continue
            owner = next(p for p in paths if key.startswith(f"{CS}{p}."))
            suffix = key[len(f"{CS}{owner}.") :]
            if suffix == "queues":
                continue  # the tree, read by children()
            if "*" in key:
                self.reject(prop.line, f"{key}: wildcard queue templates are {NOT_YET}")
                continue
            self.queue_key(key, suffix, prop, owner, owner in leaves)
        self._unlimited_users()
        for full, queue in self.tree.items():
            if "capacity" not in queue and not self._has_problem_for(full):
                self.reject(
                    self.origins[self.wheres[full]].line,
                    f"{CS}{full}.capacity is missing (Hadoop requires a capacity for every queue)",
                )

    def _unlimited_users(self) -> None:
        """user-limit-factor -1 (no factor limit; the queue's ceiling and the minimum user limit
        percent still apply, as in Hadoop): a factor so large it never binds, or infinity for
        a queue of capacity 0, where no finite factor would do."""
        for queue in self.tree.values():
            if queue.get("user_limit_factor") == NO_USER_LIMIT_FACTOR and not queue.get("capacity"):
                queue["user_limit_factor"] = math.inf

    def _has_problem_for(self, full: str) -> bool:
        return any(f"{CS}{full}.capacity:" in p.message for p in self.problems)

    def queue_key(self, key: str, suffix: str, prop: Prop, owner: str, leaf: bool) -> None:
        """One key of the queue ``owner`` (root included, which is never a leaf)."""
        value, line = prop.value.strip(), prop.line
        low = value.lower()
        queue = self.tree.get(owner)  # None for root

        def put(field_name: str, mapped: Any) -> None:
            if queue is not None:
                queue[field_name] = mapped
                self.origins[(*self.wheres[owner], field_name)] = Origin(key, line)

        if suffix in ("capacity", "maximum-capacity"):
            maximum = suffix == "maximum-capacity"
            cap = self.percent(key, value, line, minus_one=maximum)
            if cap is None:
                return
            if queue is None:
                if cap != 100 and maximum:
                    self.reject(line, f"{key}: a root maximum-capacity below 100 is {NOT_YET}")
                elif cap != 100:
                    self.reject(line, f"{key}: the root queue's capacity must be 100")
                return
            put("max_capacity" if maximum else "capacity", cap)
            self._check_max(key, queue, line)
        elif suffix in ("user-limit-factor", "minimum-user-limit-percent"):
            num = self.number(line, key, value)
            if num is None:
                return
            if suffix == "user-limit-factor":
                if num == -1:
                    num = NO_USER_LIMIT_FACTOR  # see _unlimited_users
                elif num <= 0:
                    self.reject(line, f"{key}: must be > 0 (or -1 for no limit)")
                    return
            elif not 0 < num <= 100:
                self.reject(line, f"{key}: must be > 0 and <= 100")
                return
            if not leaf:
                self.drop(line, key, "a user limit applies in leaf queues only")
                return
            put(suffix.replace("-", "_"), num)
        elif suffix == "maximum-am-resource-percent":
            percent = self.am_percent(key, value, line)
            if percent is not None and not leaf:
                self.drop(line, key, "the AM limit applies in leaf queues only")
            elif percent is not None:
                put("maximum_am_resource_percent", percent)
        elif suffix == "ordering-policy":
            if leaf and low in ("fifo", "fair"):
                put("ordering_policy", low)
            elif leaf:
                self.reject(line, f"{key}: ordering policy {value!r} is {NOT_YET}")
            elif low in ("utilization", "priority-utilization"):
                self.drop(
                    line,
                    key,
                    "emrsim orders child queues by used / guaranteed capacity, which is "
                    "utilization ordering (and priority-utilization when every priority is 0)",
                )
            else:
                self.reject(line, f"{key}: parent ordering policy {value!r} is {NOT_YET}")
        else:
            capacity_unmapped.queue_key(self, key, suffix, value, line)

    def _check_max(self, key: str, queue: dict[str, Any], line: int) -> None:
        cap, top = queue.get("capacity"), queue.get("max_capacity")
        if cap is not None and top is not None and top < cap:
            self.reject(
                line,
                f"{key}: maximum-capacity ({top:g}) must be >= capacity ({cap:g}) "
                f"for queue {queue['name']!r}",
            )

    # -------------------------------------------------------------- global keys
    def global_keys(self, yarn: dict[str, Any]) -> None:
        for key, prop in self.props.items():
            if key.startswith(CS + "root."):
                continue
            value, line = prop.value.strip(), prop.line
            if not key.startswith(CS):
                self.reject(
                    line,
                    f"{key}: not a capacity scheduler key (only yarn.scheduler.capacity.* is "
                    "read; give other settings in the scenario)",
                )
                continue
            suffix = key[len(CS) :]
            if suffix == "maximum-am-resource-percent":
                percent = self.am_percent(key, value, line)
                if percent is not None:
                    yarn["maximum_am_resource_percent"] = percent
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
                    self.reject(line, f"{key}: resource calculator {value!r} is {NOT_YET}")
            else:
                capacity_unmapped.global_key(self, key, suffix, value, line)

    # ------------------------------------------------------------------- values
    def percent(self, key: str, value: str, line: int, *, minus_one: bool) -> float | None:
        if re.fullmatch(r"[0-9]*\.?[0-9]+\s*[wW]", value):
            self.reject(
                line, f"{key}: capacity as a weight ({value!r}) is {NOT_YET}; give a percentage"
            )
            return None
        if value.startswith("["):
            self.reject(
                line,
                f"{key}: capacity as absolute resources ({value!r}) is {NOT_YET}; give a "
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

    def am_percent(self, key: str, value: str, line: int) -> float | None:
        """maximum-am-resource-percent, a fraction in the XML, as emrsim's percent."""
        num = self.number(line, key, value)
        if num is not None and not 0 < num <= 1:
            self.reject(line, f"{key}: must be a fraction > 0 and <= 1 (0.1 is 10%)")
            return None
        return None if num is None else round(num * 100, 9)


def _yarn_site_fair_message(props: dict[str, Prop]) -> str:
    alloc = props.get("yarn.scheduler.fair.allocation.file")
    named = f" ({alloc.value.strip()})" if alloc is not None else ""
    text = (
        "this is a yarn-site style Fair Scheduler configuration (yarn.scheduler.fair.*), not "
        f"a queue allocation file: give from_xml the allocation file{named}"
    )
    preemption = props.get("yarn.scheduler.fair.preemption")
    if preemption is not None and preemption.value.strip().lower() == "true":
        text += f"; note that it turns preemption on, which is {NOT_YET}"
    return text
