"""Reading scenario YAML while remembering the line of every key, and reporting errors.

Errors are reported as ``file:line: key.path: message``; the line is the one where the key (or
list item) stands, else the nearest enclosing one that has a line.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a scenario: where (key path) and what."""

    path: Path
    message: str


def dotted(path: Sequence[str | int]) -> str:
    """``('cluster', 'instance_groups', 1, 'count')`` -> ``cluster.instance_groups.1.count``."""
    return ".".join(str(p) for p in path) if path else "(top level)"


@dataclass
class SourceMap:
    """Which line each key path of a YAML document stands on (1-based)."""

    lines: dict[Path, int] = field(default_factory=dict)
    overridden: set[Path] = field(default_factory=set)

    def line_of(self, path: Sequence[str | int]) -> int | None:
        """The line of ``path`` or of its nearest ancestor that has one."""
        key = tuple(path)
        while True:
            if key in self.lines:
                return self.lines[key]
            if not key:
                return None
            key = key[:-1]

    def from_override(self, path: Sequence[str | int]) -> bool:
        """True when ``path`` (or an ancestor) was set from the command line."""
        key = tuple(path)
        return any(key[: len(o)] == o for o in self.overridden)


class ScenarioError(Exception):
    """A scenario that cannot be used, with every problem found and where it is."""

    def __init__(self, source: str, problems: Iterable[Problem], sources: SourceMap | None = None):
        self.source = source
        self.problems = list(problems)
        self.sources = sources or SourceMap()
        super().__init__(self.render())

    def lines(self) -> list[str]:
        """One ``file:line: key.path: message`` line per problem."""
        out = []
        for problem in self.problems:
            where = self.source
            if self.sources.from_override(problem.path):
                where += " (--set)"
            else:
                line = self.sources.line_of(problem.path)
                if line is not None:
                    where += f":{line}"
            out.append(f"{where}: {dotted(problem.path)}: {problem.message}")
        return out

    def render(self) -> str:
        """All problems, one per line."""
        return "\n".join(self.lines())


class YamlSyntaxError(ScenarioError):
    """The file is not valid YAML."""

    def __init__(self, source: str, line: int | None, what: str):
        self.line = line
        self.what = what
        super().__init__(source, [])

    def lines(self) -> list[str]:
        """The single syntax error line."""
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        return [f"{where}: (yaml): {self.what}"]


def parse_yaml(text: str, source: str) -> tuple[Any, SourceMap]:
    """Parse YAML text into plain data and a map of key paths to lines."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise YamlSyntaxError(
            source, mark.line + 1 if mark is not None else None, exc.problem or str(exc)
        ) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(source, None, str(exc)) from None
    if node is None:
        raise ScenarioError(source, [Problem((), "the file is empty: a scenario is a mapping")])
    sources = SourceMap()
    loader = yaml.SafeLoader("")
    try:
        data = _build(node, (), sources, loader)
    except _DuplicateKey as dup:
        raise ScenarioError(source, [Problem(dup.path, "duplicate key")], sources) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise YamlSyntaxError(
            source, mark.line + 1 if mark is not None else None, exc.problem or str(exc)
        ) from None
    return data, sources


class _DuplicateKey(Exception):
    def __init__(self, path: Path):
        self.path = path


def _build(node: yaml.Node, path: Path, sources: SourceMap, loader: yaml.SafeLoader) -> Any:
    sources.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # resolve YAML merge keys (<<)
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            child = (*path, str(key))
            if key in out:
                sources.lines[child] = key_node.start_mark.line + 1
                raise _DuplicateKey(child)
            sources.lines[child] = key_node.start_mark.line + 1
            out[key] = _build(value_node, child, sources, loader)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, i), sources, loader) for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)
