"""The points of a sweep: ``--grid key.path=v1,v2`` axes, ``--zip`` paired lists, and the
definition of a whole sweep (scenario text, overrides, replications) that a resume must match.

Values are read as YAML, like ``--set``. They are split at the commas that are not inside
brackets, braces or quotes, so ``--grid 'faults=[],[{at: 1h, action: terminate, role: core,
count: 1}]'`` has two values; a string holding a comma must be quoted (``'"a,b"'``).

Points are the cartesian product of the ``--grid`` axes, in the order given (the first one
varies slowest), then the ``--zip`` lists as one more axis whose values are taken together.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


class GridError(ValueError):
    """A malformed ``--grid`` or ``--zip`` option (the message names it)."""


def split_values(raw: str) -> list[str]:
    """Split ``v1,v2,...`` at the commas outside brackets, braces and quotes."""
    parts: list[str] = []
    depth = 0
    quote: str | None = None
    current: list[str] = []
    for char in raw:
        if quote is not None:
            current.append(char)
            if char == quote:
                quote = None
            continue
        if char in "\"'":
            quote = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return [p.strip() for p in parts]


def parse_axis(option: str, item: str) -> tuple[str, list[Any]]:
    """``key.path=v1,v2`` -> (``key.path``, [v1, v2]) with each value read as YAML."""
    key, sep, raw = item.partition("=")
    key = key.strip()
    if not sep or not key or any(p == "" for p in key.split(".")):
        raise GridError(f"{option} {item!r}: expected key.path=v1,v2,...")
    values: list[Any] = []
    for text in split_values(raw):
        if not text:
            raise GridError(
                f"{option} {item!r}: empty value (quote it: '\"\"' for an empty string)"
            )
        try:
            values.append(yaml.safe_load(text))
        except yaml.YAMLError as exc:
            what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise GridError(
                f"{option} {item!r}: value {text!r} is not valid YAML: {what}"
            ) from None
    return key, values


def value_text(value: Any) -> str:
    """A value as override text: JSON, which YAML reads back as the same value."""
    return json.dumps(value, sort_keys=False, allow_nan=False)


@dataclass(frozen=True)
class Grid:
    """The swept keys and the points they make."""

    axes: tuple[tuple[str, tuple[Any, ...]], ...] = ()
    zipped: tuple[tuple[str, tuple[Any, ...]], ...] = ()

    @classmethod
    def parse(cls, grids: Sequence[str], zips: Sequence[str] = ()) -> Grid:
        """From the ``--grid`` and ``--zip`` options; raises :class:`GridError`."""
        axes = [parse_axis("--grid", g) for g in grids]
        zipped = [parse_axis("--zip", z) for z in zips]
        if not axes and not zipped:
            raise GridError("--grid: give at least one --grid key.path=v1,v2,... (or --zip)")
        seen: set[str] = set()
        for key, _ in [*axes, *zipped]:
            if key in seen:
                raise GridError(f"{key}: swept twice (give each key in one --grid or --zip)")
            seen.add(key)
        lengths = {key: len(values) for key, values in zipped}
        if len(set(lengths.values())) > 1:
            sizes = ", ".join(f"{k} has {n}" for k, n in lengths.items())
            raise GridError(f"--zip: the lists must have the same length ({sizes})")
        return cls(tuple((k, tuple(v)) for k, v in axes), tuple((k, tuple(v)) for k, v in zipped))

    @property
    def keys(self) -> list[str]:
        """Every swept key, grid axes first, then the zipped keys."""
        return [k for k, _ in self.axes] + [k for k, _ in self.zipped]

    def as_json(self) -> dict[str, list[Any]]:
        """``{key: [values]}`` for every swept key."""
        return {k: list(v) for k, v in [*self.axes, *self.zipped]}

    def points(self) -> list[dict[str, Any]]:
        """Every point's overrides, ``{key: value}``, in sweep order."""
        choices: list[list[list[tuple[str, Any]]]] = [
            [[(key, v)] for v in values] for key, values in self.axes
        ]
        if self.zipped:
            count = len(self.zipped[0][1])
            choices.append([[(k, vs[i]) for k, vs in self.zipped] for i in range(count)])
        return [
            dict(pair for part in combo for pair in part) for combo in itertools.product(*choices)
        ]


@dataclass(frozen=True)
class SweepSpec:
    """Everything that defines a sweep's numbers: the scenario's text, the ``--set``
    overrides (``--seed`` is one of them), the grid and the replications."""

    text: str
    source: str
    base_dir: str | None
    grid: Grid
    replications: int
    overrides: tuple[str, ...] = ()
    points: list[dict[str, Any]] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "points", self.grid.points())

    @classmethod
    def from_file(
        cls, path: str, grid: Grid, replications: int, overrides: Sequence[str] = ()
    ) -> SweepSpec:
        """Read the scenario's text (OSError if it cannot be read)."""
        text = Path(path).read_text(encoding="utf-8")
        base = str(Path(path).resolve().parent)
        return cls(text, path, base, grid, replications, tuple(overrides))

    def point_overrides(self, point: int) -> tuple[str, ...]:
        """The ``key=value`` overrides of ``point``: the ``--set`` ones, then the grid's."""
        swept = tuple(f"{k}={value_text(v)}" for k, v in self.points[point].items())
        return self.overrides + swept

    def definition(self) -> dict[str, Any]:
        """What a resumed sweep must match (written to ``DIR/sweep.json``)."""
        from emrsim import __version__

        return {
            "scenario_file": self.source,
            "scenario_sha256": hashlib.sha256(self.text.encode("utf-8")).hexdigest(),
            "emrsim_version": __version__,
            "set": list(self.overrides),
            "grid": {k: list(v) for k, v in self.grid.axes},
            "zip": {k: list(v) for k, v in self.grid.zipped},
            "replications": self.replications,
            "points": len(self.points),
        }
