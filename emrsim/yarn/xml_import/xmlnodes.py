"""Reading XML with line numbers, and the bookkeeping both scheduler readers share.

:func:`parse` turns the file into a small element tree (:class:`Node`) that keeps the line of
every element, refusing entity declarations. :class:`Reader` collects, while one file is read,
the problems, the dropped keys, where each value came from and the conditions left for the
scenario, and checks numbers; :meth:`Reader.result` turns them into an
:class:`~emrsim.yarn.xml_import.results.XmlImport` or raises
:class:`~emrsim.yarn.xml_import.results.XmlImportError`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any
from xml.parsers import expat

from emrsim.yarn.xml_import.results import (
    AppLimit,
    Dropped,
    KeyPath,
    Origin,
    XmlImport,
    XmlImportError,
    XmlProblem,
)

NOT_YET = "not supported yet in this version of emrsim"
QUEUE_NAME = re.compile(r"^[A-Za-z0-9_\-]+$")
ACL = "access control decides who may submit or administer, not how resources are shared"


@dataclass(slots=True)
class Node:
    """An XML element: its tag, attributes, line, child elements and text."""

    tag: str
    attrs: dict[str, str]
    line: int
    children: list[Node] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.parts).strip()


def parse(data: bytes) -> Node:
    """A small element tree with the line of every element (expat, no external entities)."""
    parser = expat.ParserCreate()
    stack: list[Node] = []
    top: list[Node] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        node = Node(tag, dict(attrs), parser.CurrentLineNumber)
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


class Reader:
    """Problems, drops, origins and conditions collected while reading one file."""

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

    def unknown(self, line: int | None, what: str) -> None:
        """Reject a key or element that emrsim does not know."""
        self.reject(
            line,
            f"{what}; emrsim cannot tell whether it changes the scheduling: remove it to import "
            "the file",
        )

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

    def app_limit(self, line: int | None, key: str, text: str, note: str = "") -> None:
        """A limit on the number of applications, left for the workload to meet."""
        limit = self.count(line, key, text)
        if limit is not None:
            self.app_limits.append(AppLimit(f"{key} {note}" if note else key, limit, line))
