"""Command-line options shared by several commands (same names, meanings and help)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])
Decorator = Callable[[F], F]

json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON document on stdout."
)
"""``--json``: one JSON document on stdout and nothing else there."""

out_option = click.option(
    "--out", type=click.Path(file_okay=False), help="Write result files here."
)
"""``--out DIR``: where result files go."""

force_option = click.option(
    "--force", is_flag=True, help="Allow --out to write into a non-empty directory."
)
"""``--force``: write into a non-empty ``--out``."""


def quiet_option(what: str = "No progress bar.") -> Decorator[Any]:
    """``--quiet``/``-q``: no progress display (``what`` says which)."""
    return click.option("--quiet", "-q", is_flag=True, help=what)


def set_option(scope: str = "of the file") -> Decorator[Any]:
    """``--set KEY.PATH=VALUE``, repeatable; ``scope`` says what it overrides."""
    return click.option(
        "--set",
        "overrides",
        multiple=True,
        metavar="KEY.PATH=VALUE",
        help=f"Override one key {scope} (value read as YAML); repeatable.",
    )
