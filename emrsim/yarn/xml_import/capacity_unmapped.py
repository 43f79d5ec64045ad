"""The capacity scheduler keys emrsim has no field for: which are dropped, which are rejected.

Dropped (with a warning): ACLs (``acl_*``); ``state`` RUNNING; ``accessible-node-labels`` "*" or
blank and a blank ``default-node-label-expression``; ``priority`` 0; application lifetimes <= 0
(none); ``default-application-priority`` (every emrsim application has the same priority, so
the order is unchanged); ``disable_preemption`` and ``lazy-preemption-enabled`` false (the
defaults); ``intra-queue-preemption.*`` (emrsim preempts between queues only); disabled queue
auto-creation and its templates; ``ordering-policy.fair.enable-size-based-weight`` false;
``reservable`` false; blank queue and workflow-priority mappings and their override switches;
data-locality delays (``node-locality-delay``, ``rack-locality-*``: emrsim's requests carry no
locality); the heartbeat pacing keys (``per-node-heartbeat.*`` with multiple assignments on,
``schedule-asynchronously.*``, ``reservations-continue-look-all-nodes``: emrsim has no
NodeManager heartbeats, one scheduling pass assigns every container that fits); properties of
queues that are not in the tree (Hadoop ignores them too); ``application.fail-fast``.

Accepted on a condition on the scenario (see :mod:`emrsim.yarn.xml_import`):
``maximum-applications`` and ``max-parallel-apps``; ``disable_preemption`` and
``lazy-preemption-enabled`` true.

Rejected: node labels, non-zero queue priorities, STOPPED queues, queue and workflow mappings,
per-queue maximum allocations, positive application lifetimes, per-user weights, queue
auto-creation, size-based weights, reservations, one container per heartbeat, and any key not
listed here or in :mod:`~emrsim.yarn.xml_import.capacity`.
"""

from __future__ import annotations

from emrsim.yarn.xml_import.results import Origin
from emrsim.yarn.xml_import.xmlnodes import ACL, NOT_YET, Reader

_NO_INTRA_QUEUE = (
    "emrsim preempts between queues only; intra-queue preemption (off unless yarn-site.xml "
    "turns it on) is not modelled, so its per-queue switch has no effect"
)
_NO_LOCALITY = "emrsim's container requests carry no data locality, so there is nothing to delay"
_NO_HEARTBEATS = (
    "emrsim has no NodeManager heartbeats: one scheduling pass assigns every container that fits"
)
_NO_MAPPINGS = "there are no mappings to override with"
# yarn-wide keys (after yarn.scheduler.capacity.) dropped whatever their value
_DROPPED_GLOBAL_KEYS = {
    "node-locality-delay": _NO_LOCALITY,
    "rack-locality-additional-delay": _NO_LOCALITY,
    "rack-locality-full-reset": _NO_LOCALITY,
    "queue-mappings-override.enable": _NO_MAPPINGS,
    "workflow-priority-mappings-override.enable": _NO_MAPPINGS,
    "reservations-continue-look-all-nodes": _NO_HEARTBEATS,
    "application.fail-fast": "only matters for unknown queues, which emrsim rejects at load",
}
# queue keys (after the queue's path) honoured only when false: (why dropped, what is rejected)
_OFF_SWITCHES = {
    "ordering-policy.fair.enable-size-based-weight": (
        "false is the default",
        "size-based weights are",
    ),
    "auto-create-child-queue.enabled": ("queue auto-creation is off", "queue auto-creation is"),
    "auto-queue-creation-v2.enabled": ("queue auto-creation is off", "queue auto-creation is"),
    "reservable": ("not reservable", "reservations are"),
}


def queue_key(reader: Reader, key: str, suffix: str, value: str, line: int) -> None:
    """A key of a queue (``suffix`` follows the queue's path) that emrsim has no field for."""
    low = value.lower()
    if suffix in _OFF_SWITCHES:
        _off_switch(reader, key, low, line, *_OFF_SWITCHES[suffix])
    elif suffix.startswith("acl_"):
        reader.drop(line, key, ACL)
    elif suffix == "state":
        if low == "running":
            reader.drop(line, key, "RUNNING is the normal state")
        else:
            reader.reject(line, f"{key}: a {value} queue accepts no applications: {NOT_YET}")
    elif suffix == "disable_preemption":
        _preemption_switch(reader, key, low, line)
    elif suffix.startswith("intra-queue-preemption."):
        reader.drop(line, key, _NO_INTRA_QUEUE)
    elif suffix == "accessible-node-labels" and low in ("*", ""):
        reader.drop(line, key, "no node labels are configured")
    elif suffix == "default-node-label-expression" and low == "":
        reader.drop(line, key, "blank: no node label")
    elif suffix in (
        "accessible-node-labels",
        "default-node-label-expression",
    ) or suffix.startswith("accessible-node-labels."):
        reader.reject(
            line,
            f"{key}: node labels (partitions) are {NOT_YET}; emrsim places AMs by "
            "yarn.am_placement",
        )
    elif suffix == "priority":
        if _is_zero(value):
            reader.drop(line, key, "priority 0 is the default")
        else:
            reader.reject(line, f"{key}: queue priorities are {NOT_YET}")
    elif suffix in ("maximum-applications", "max-parallel-apps"):
        reader.app_limit(line, key, value)
    elif suffix in ("maximum-allocation-mb", "maximum-allocation-vcores", "maximum-allocation"):
        reader.reject(line, f"{key}: per-queue maximum allocations are {NOT_YET}")
    elif suffix in ("maximum-application-lifetime", "default-application-lifetime"):
        num = reader.number(line, key, value)
        if num is not None and num > 0:
            reader.reject(line, f"{key}: application lifetimes (kills) are {NOT_YET}")
        elif num is not None:
            reader.drop(line, key, "no lifetime limit")
    elif suffix == "default-application-priority":
        reader.drop(
            line, key, "every emrsim application gets the same priority, so the order is unchanged"
        )
    elif suffix.startswith(("leaf-queue-template.", "auto-queue-creation-v2.")):
        reader.drop(line, key, "used only for auto-created queues (creation must be off)")
    elif suffix.startswith("user-settings."):
        reader.reject(line, f"{key}: per-user weights are {NOT_YET}")
    elif "." in suffix:
        reader.drop(line, key, "for a queue that is not in the queue tree (Hadoop ignores it too)")
    else:
        reader.unknown(line, f"{key}: unknown capacity scheduler queue key {suffix!r}")


def global_key(reader: Reader, key: str, suffix: str, value: str, line: int) -> None:
    """A yarn-wide key (``suffix`` follows yarn.scheduler.capacity.) emrsim has no field for."""
    if suffix in ("maximum-applications", "max-parallel-apps"):
        reader.app_limit(line, key, value)
    elif suffix in _DROPPED_GLOBAL_KEYS:
        reader.drop(line, key, _DROPPED_GLOBAL_KEYS[suffix])
    elif suffix in ("queue-mappings", "workflow-priority-mappings"):
        if value:
            reader.reject(line, f"{key}: queue mappings are {NOT_YET}; name each job's queue")
        else:
            reader.drop(line, key, "no mappings")
    elif suffix == "per-node-heartbeat.multiple-assignments-enabled":
        if value.lower() == "false":
            reader.reject(line, f"{key}: one container per heartbeat is {NOT_YET}")
        else:
            reader.drop(line, key, _NO_HEARTBEATS)
    elif suffix.startswith(("per-node-heartbeat.", "schedule-asynchronously.")):
        reader.drop(line, key, _NO_HEARTBEATS)
    elif suffix == "lazy-preemption-enabled":
        _preemption_switch(reader, key, value.lower(), line)
    elif suffix.startswith("root") or "*" in suffix:
        reader.reject(line, f"{key}: not a key of a queue in the tree ({NOT_YET})")
    else:
        reader.unknown(line, f"{key}: unknown capacity scheduler key")


def _off_switch(reader: Reader, key: str, low: str, line: int, why_off: str, what: str) -> None:
    """A switch emrsim honours only when false: dropped then, else rejected."""
    if low == "false":
        reader.drop(line, key, why_off)
    else:
        reader.reject(line, f"{key}: {what} {NOT_YET}")


def _preemption_switch(reader: Reader, key: str, low: str, line: int) -> None:
    """false is the default; anything else is accepted only with yarn.preemption off."""
    if low == "false":
        reader.drop(line, key, "false is the default")
    else:
        reader.needs_no_preemption.append(Origin(key, line))


def _is_zero(value: str) -> bool:
    try:
        return float(value) == 0
    except ValueError:
        return False
