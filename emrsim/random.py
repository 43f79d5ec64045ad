"""Randomness: one seed in, a SeedSequence per replication, a named stream per subsystem.

Streams are addressed by a subsystem name and optional integer keys (for example the index of a
workload source), so adding a stream never shifts another: two scenarios run with the same seed
see the same arrivals and job sizes (common random numbers). Nothing in emrsim uses global
random state.
"""

from __future__ import annotations

import numpy as np

SUBSYSTEMS: tuple[str, ...] = (
    "arrivals",
    "durations",
    "spot",
    "boot",
    "placement",
    "faults",
    "failures",
)
"""The subsystems that draw random numbers; each has its own child SeedSequence."""


class RunStreams:
    """The random streams of one replication of one scenario."""

    def __init__(self, seed: int, replication: int = 0) -> None:
        self.seed = seed
        self.replication = replication
        self._root = np.random.SeedSequence(seed).spawn(replication + 1)[replication]

    def stream(self, subsystem: str, *key: int) -> np.random.Generator:
        """A fresh generator for ``subsystem`` (and sub-keys such as a source index)."""
        if subsystem not in SUBSYSTEMS:
            raise KeyError(f"unknown random subsystem {subsystem!r}")
        child = np.random.SeedSequence(
            self._root.entropy,
            spawn_key=(*self._root.spawn_key, SUBSYSTEMS.index(subsystem), *key),
        )
        return np.random.Generator(np.random.PCG64(child))
