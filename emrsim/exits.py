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
