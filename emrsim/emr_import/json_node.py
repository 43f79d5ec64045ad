"""Reading the AWS CLI's JSON: :class:`Node` (a value with its file and key path) and the error."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from emrsim.scenario.source import dotted


class EmrImportError(Exception):
    """Input that cannot be imported: which file, where in it, and why."""

    def __init__(self, file: str, path: tuple[str | int, ...], message: str) -> None:
        self.file, self.path, self.message = file, path, message
        where = f"{file}: {dotted(path)}" if path else file
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Node:
    """A JSON value with the file and key path it came from (for error messages)."""

    file: str
    path: tuple[str | int, ...]
    value: Any

    def fail(self, message: str) -> NoReturn:
        """Raise :class:`EmrImportError` at this node's file and key path."""
        raise EmrImportError(self.file, self.path, message)

    def _mapping(self) -> Mapping[str, Any]:
        if not isinstance(self.value, dict):
            self.fail(f"expected a JSON object, got {_kind(self.value)}")
        return self.value

    def has(self, key: str) -> bool:
        """Whether this object has ``key`` with a value other than null."""
        return self._mapping().get(key) is not None

    def get(self, key: str) -> Node:
        """The value at ``key``; a missing (or null) key is an error."""
        mapping = self._mapping()
        if mapping.get(key) is None:
            Node(self.file, (*self.path, key), None).fail("missing key")
        return Node(self.file, (*self.path, key), mapping[key])

    def opt(self, key: str) -> Node | None:
        """The value at ``key``, or None where it is missing or null."""
        return self.get(key) if self.has(key) else None

    def items(self) -> list[Node]:
        """The elements of this list, each with its index in the key path."""
        if not isinstance(self.value, list):
            self.fail(f"expected a JSON list, got {_kind(self.value)}")
        return [Node(self.file, (*self.path, i), v) for i, v in enumerate(self.value)]

    def text(self) -> str:
        """This value as a non-empty string."""
        if not isinstance(self.value, str) or not self.value:
            self.fail(f"expected a non-empty string, got {_kind(self.value)}")
        return self.value

    def number(self) -> float:
        """This value as a number (not a boolean)."""
        if isinstance(self.value, bool) or not isinstance(self.value, (int, float)):
            self.fail(f"expected a number, got {_kind(self.value)}")
        return float(self.value)

    def integer(self, minimum: int = 0) -> int:
        """This value as a whole number of at least ``minimum``."""
        number = self.number()
        if not number.is_integer() or number < minimum:
            self.fail(f"expected a whole number >= {minimum}, got {self.value!r}")
        return int(number)

    def boolean(self) -> bool:
        """This value as true or false."""
        if not isinstance(self.value, bool):
            self.fail(f"expected true or false, got {_kind(self.value)}")
        return self.value

    def choice(self, allowed: Mapping[str, str]) -> str:
        """Our spelling of this string, which must be one of the keys of ``allowed``."""
        text = self.text()
        if text not in allowed:
            self.fail(f"unknown value {text!r}; expected one of {', '.join(allowed)}")
        return allowed[text]


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    for kind, name in names.items():
        if isinstance(value, kind):
            return f"{name} ({value!r})" if kind in (str, bool) else name
    return f"a number ({value!r})" if isinstance(value, (int, float)) else type(value).__name__


def read_json(path: str | Path) -> Node:
    """Read one JSON document; unreadable or malformed files raise :class:`EmrImportError`."""
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise EmrImportError(file, (), "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise EmrImportError(file, (), f"cannot read the file: {exc}") from None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise EmrImportError(
            f"{file}:{exc.lineno}", (), f"not valid JSON: {exc.msg} (column {exc.colno})"
        ) from None
    node = Node(file, (), value)
    node._mapping()
    return node
