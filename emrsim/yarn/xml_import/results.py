"""What importing one scheduler XML file yields: the ``yarn`` data, where each value came from,
the keys that were dropped and the conditions left for the scenario; and the error raised when
the file cannot be imported."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

KeyPath = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class XmlProblem:
    """One reason the file cannot be imported: its line (if known) and what is wrong."""

    line: int | None
    message: str


class XmlImportError(Exception):
    """The file cannot be imported; ``problems`` says why, with lines."""

    def __init__(self, problems: list[XmlProblem]):
        self.problems = problems
        super().__init__("; ".join(render(None, p.line, p.message) for p in problems))


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
        out = [render(name, d.line, f"{d.key}: dropped: {d.why}") for d in dropped]
        out += [
            render(
                name,
                lim.line,
                f"{lim.key} = {lim.limit}: not enforced by emrsim; accepted only for "
                f"workloads of at most {lim.limit} applications",
            )
            for lim in self.app_limits
        ]
        if (rule := self.default_queue_rule) is not None:
            out.append(
                render(
                    name,
                    rule.line,
                    f"{rule.key}: accepted only for workloads that submit no job to 'default'",
                )
            )
        out += [
            render(name, o.line, f"{o.key}: accepted only with yarn.preemption off")
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


def render(name: str | None, line: int | None, message: str) -> str:
    """``name:line: message``, leaving out what is unknown (``line N: message`` without a name)."""
    where = name or ""
    if line is not None:
        where = f"{where}:{line}" if where else f"line {line}"
    return f"{where}: {message}" if where else message
