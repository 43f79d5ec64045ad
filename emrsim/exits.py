"""How the command line ends on bad input: the messages on stderr, exit status 2."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import NoReturn

import click

EXIT_BAD_INPUT = 2
"""Exit status for bad input (scenario, flag or file): never a traceback."""


def fail(lines: Sequence[str]) -> NoReturn:
    """Print ``lines`` on stderr and exit with :data:`EXIT_BAD_INPUT`."""
    for line in lines:
        click.echo(line, err=True)
    sys.exit(EXIT_BAD_INPUT)


def check_seed(seed: int | None) -> None:
    """``--seed N``: exit with the problem unless N could be the file's seed too."""
    from emrsim.scenario.models import seed_problem

    problem = None if seed is None else seed_problem(seed)
    if problem is not None:
        fail([f"--seed: {problem}"])
