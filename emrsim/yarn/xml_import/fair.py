"""Fair Scheduler allocation files (``<allocations>``).

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
created at submission, which emrsim never creates); ``weight``, ``minResources``, ``maxAMShare``
and ``maxChildResources`` of the root queue (no effect there); a placement policy of
``specified`` then ``default`` (root.default), which is how emrsim places jobs.

Accepted on a condition on the scenario (see :mod:`emrsim.yarn.xml_import`):
``userMaxAppsDefault``, a user's ``maxRunningApps``, the root's ``maxRunningApps``,
``queueMaxAppsDefault`` as the root's limit; a placement policy that may send applications
submitted to ``default`` elsewhere than ``root.default``, or no placement policy.

Rejected: percentages of the cluster in resources, ``queueMaxResourcesDefault``,
``maxContainerAllocation``, reservations, ``type="parent"`` queues without children, weight 0,
fifo on the root or on any parent queue (Hadoop rejects it too), a ``queuePlacementPolicy``
whose first rule is not ``specified``, and any element not listed here.

The values (policies, shares, resources) are read by :mod:`~emrsim.yarn.xml_import.fair_values`.
"""

from __future__ import annotations

from typing import Any

from emrsim.yarn.xml_import import fair_values
from emrsim.yarn.xml_import.results import AppLimit, KeyPath, Origin, XmlImport
from emrsim.yarn.xml_import.xmlnodes import ACL, NOT_YET, QUEUE_NAME, Node, Reader

_PREEMPTION_OFF = (
    "preemption is switched on in yarn-site.xml, and emrsim does not preempt under the fair "
    "scheduler (it rejects yarn.preemption there), so this has no effect"
)
# queue elements dropped whatever their value: in every queue, and in the root queue
_DROPPED = {
    **dict.fromkeys(
        (
            "aclSubmitApps",
            "aclAdministerApps",
            "aclAdministerReservations",
            "aclListReservations",
            "aclSubmitReservations",
        ),
        ACL,
    ),
    **dict.fromkeys(
        (
            "minSharePreemptionTimeout",
            "fairSharePreemptionTimeout",
            "fairSharePreemptionThreshold",
            "allowPreemptionFrom",
        ),
        _PREEMPTION_OFF,
    ),
}
_DROPPED_IN_QUEUES = {
    **_DROPPED,
    "maxChildResources": "applies to ad hoc child queues created at submission, which emrsim "
    "never creates",
}
_DROPPED_IN_ROOT = {
    **_DROPPED,
    **dict.fromkeys(
        ("weight", "minResources", "maxAMShare", "maxChildResources"),
        "has no effect on the root queue",
    ),
}


def _element(node: Node) -> Origin:
    return Origin(f"<{node.tag}>", node.line)


class FairReader(Reader):
    """Reads one Fair Scheduler allocation file (see the module)."""

    kind = "fair"

    def __init__(self, root: Node) -> None:
        super().__init__()
        self.root = root
        self.default_policy: tuple[str, Origin] | None = None
        self.root_policy: tuple[str, Origin] | None = None
        self.fill_policy: tuple[str, Origin] | None = None  # for queues without their own
        self.max_apps_default: tuple[int, Origin] | None = None
        self.am_share_default: tuple[float, Origin] | None = None

    @property
    def default_policy_name(self) -> str:
        return self.default_policy[0] if self.default_policy else "fair"

    def run(self) -> XmlImport:
        queue_nodes: list[Node] = []
        placement: Node | None = None
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
                self.app_limit(line, f"<{tag}>", node.text, "(applications each user runs at once)")
            elif tag in ("queueMaxAppsDefault", "queueMaxJobsDefault", "poolMaxJobsDefault"):
                limit = self.count(line, f"<{tag}>", node.text)
                if limit is not None and limit >= 0:
                    self.max_apps_default = (limit, _element(node))
                    self.app_limits.append(
                        AppLimit(f"<{tag}> (applied to the root queue too)", limit, line)
                    )
                elif limit is not None:
                    self.reject(line, f"<{tag}>: must be >= 0")
            elif tag == "queueMaxAMShareDefault":
                share = fair_values.am_share(self, node)
                if share is not None:
                    self.am_share_default = (share, _element(node))
            elif tag in ("defaultQueueSchedulingPolicy", "defaultQueueSchedulingMode"):
                policy = fair_values.policy(self, node)
                if policy is not None:
                    self.default_policy = (policy, _element(node))
            elif tag in (
                "defaultFairSharePreemptionTimeout",
                "defaultMinSharePreemptionTimeout",
                "defaultFairSharePreemptionThreshold",
                "fairSharePreemptionTimeout",
            ):
                self.drop(line, f"<{tag}>", _PREEMPTION_OFF)
            elif tag == "queuePlacementPolicy":
                placement = node
            elif tag == "queueMaxResourcesDefault":
                self.reject(line, f"<{tag}>: {NOT_YET}; give <maxResources> on each queue instead")
            elif tag in ("reservation-agent", "reservation-policy", "reservation-planner"):
                self.reject(line, f"<{tag}>: reservations are {NOT_YET}")
            else:
                self.unknown(line, f"<{tag}>: unknown allocation file element")
        queues: list[dict[str, Any]] = []
        for node in queue_nodes:
            queue = self.queue(node, ("queues", len(queues)), "root")
            if queue is not None:
                queues.append(queue)
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

    # ------------------------------------------------------------------- queues
    def root_queue(self, node: Node) -> list[Node]:
        """The settings of ``<queue name="root">``; returns its child queues."""
        children: list[Node] = []
        for child in node.children:
            tag, line = child.tag, child.line
            key = f"<{tag}> of the root queue"
            if tag in ("queue", "pool"):
                children.append(child)
            elif tag in ("schedulingPolicy", "schedulingMode"):
                policy = fair_values.policy(self, child)
                if policy is not None:
                    self.root_policy = (policy, Origin(key, line))
            elif tag in ("maxRunningApps", "maxRunningJobs"):
                self.app_limit(line, key, child.text)
            elif tag in _DROPPED_IN_ROOT:
                self.drop(line, key, _DROPPED_IN_ROOT[tag])
            else:
                self.reject(line, f"{key}: {NOT_YET}")
        return children

    def queue(self, node: Node, where: KeyPath, parent: str) -> dict[str, Any] | None:
        name = node.attrs.get("name", "").strip()
        if not name:
            self.reject(node.line, f"<{node.tag}> without a name attribute")
            return None
        full = f"{parent}.{name}"
        if not QUEUE_NAME.match(name):
            self.reject(
                node.line,
                f"queue {full}: a name may contain only letters, digits, '_' and '-'",
            )
            return None
        self.origins[where] = Origin(f'queue {full} (<{node.tag} name="{name}">)', node.line)
        queue: dict[str, Any] = {"name": name}
        kids: list[dict[str, Any]] = []
        for child in node.children:
            tag, line = child.tag, child.line
            key = f"<{tag}> of queue {full}"

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
                    self.reject(line, f"{key}: weight 0 (served last) is {NOT_YET}")
                elif weight is not None:
                    put("weight", weight)
            elif tag in ("minResources", "maxResources"):
                resources = fair_values.resources(self, child, key, maximum=tag == "maxResources")
                if resources is not None:
                    put("min_resources" if tag == "minResources" else "max_resources", resources)
            elif tag in ("maxRunningApps", "maxRunningJobs"):
                limit = self.count(line, key, child.text)
                if limit is not None and limit < 0:
                    self.reject(line, f"{key}: must be >= 0")
                elif limit is not None:
                    put("max_running_apps", limit)
            elif tag == "maxAMShare":
                share = fair_values.am_share(self, child, key)
                if share is not None:
                    put("max_am_share", share)
            elif tag in ("schedulingPolicy", "schedulingMode"):
                policy = fair_values.policy(self, child, key)
                if policy is not None:
                    put("scheduling_policy", policy)
            elif tag in _DROPPED_IN_QUEUES:
                self.drop(line, key, _DROPPED_IN_QUEUES[tag])
            elif tag == "maxContainerAllocation":
                self.reject(line, f"{key}: per-queue maximum container sizes are {NOT_YET}")
            elif tag == "reservation":
                self.reject(line, f"{key}: reservations are {NOT_YET}")
            else:
                self.unknown(line, f"{key}: unknown queue element")
        kind = node.attrs.get("type", "").strip().lower()
        if kind == "parent" and not kids:
            self.reject(
                node.line,
                f'queue {full}: type="parent" without child queues (ad hoc child queues) '
                f"is {NOT_YET}",
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
        if chosen is None:
            return
        policy, origin = chosen
        yarn["default_scheduling_policy"] = policy
        self.origins[("default_scheduling_policy",)] = origin
        if policy == "fifo":
            self.reject(
                origin.line,
                f"{origin.key}: fifo is for leaf queues only, and this policy applies to the "
                "root queue (Hadoop rejects it too)",
            )
        if chosen is self.root_policy and self.default_policy_name != policy:
            self.fill_policy = (
                self.default_policy
                if self.default_policy
                else ("fair", Origin("Hadoop's default scheduling policy (fair)", None))
            )

    def apply_defaults(self, queues: list[dict[str, Any]], where: KeyPath) -> None:
        """Write the file's per-queue defaults into the queues that do not set their own."""
        for i, queue in enumerate(queues):
            here = (*where, i)
            leaf = "queues" not in queue
            defaults: list[tuple[str, tuple[Any, Origin] | None]] = [
                ("scheduling_policy", self.fill_policy),
                ("max_running_apps", self.max_apps_default),
                ("max_am_share", self.am_share_default if leaf else None),
            ]
            for field_name, default in defaults:
                if default is not None and field_name not in queue:
                    queue[field_name], self.origins[(*here, field_name)] = default
            if leaf:
                continue
            if queue.get("scheduling_policy", self.default_policy_name) == "fifo":
                origin = self.origins.get((*here, "scheduling_policy"))
                if origin is None:
                    default_origin = self.default_policy[1] if self.default_policy else None
                    origin = default_origin or Origin("schedulingPolicy", None)
                self.reject(
                    origin.line,
                    f"{origin.key}: fifo is for leaf queues only, and {queue['name']!r} has "
                    "child queues (Hadoop rejects it too)",
                )
            self.apply_defaults(queue["queues"], (*here, "queues"))

    def placement(self, node: Node | None) -> None:
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
                f"{NOT_YET}",
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

    def user(self, node: Node) -> None:
        name = node.attrs.get("name", "").strip() or "?"
        for child in node.children:
            key = f"<{child.tag}> of user {name!r}"
            if child.tag in ("maxRunningApps", "maxRunningJobs"):
                self.app_limit(child.line, key, child.text)
            else:
                self.reject(child.line, f"{key}: {NOT_YET}")
