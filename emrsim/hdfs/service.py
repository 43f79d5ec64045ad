"""HDFS as the jobs see it: the preloaded data, stage outputs as files, and what each task reads.

Data flow (a model choice; the scenario gives sizes, not file names):

- ``hdfs.preload_gb`` is written when the cluster is ready, from outside the cluster (so its
  first replicas are random, not on one writer).
- A task of a stage with ``output_gb`` writes its share when it finishes; the blocks it writes
  belong to the stage's output.
- A stage with ``input_gb`` reads, when it is released, its parents' HDFS output if they wrote
  any; otherwise ``input_gb`` of the data in HDFS (preload and every output so far), a window of
  consecutive blocks at a random offset. The stage fails at once if HDFS does not hold that much
  readable data. Task ``i`` of ``T`` reads the ``i``-th ``1/T`` of the stage's blocks when it
  starts; if any of them has no readable replica the attempt fails (a BlockMissingException),
  and after ``max_task_attempts`` such failures the job fails.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np
import simpy

from emrsim.hdfs.blocks import BlockMap
from emrsim.hdfs.namenode import NameNode
from emrsim.recorder import Recorder
from emrsim.scenario.models import Hdfs


class StageIO(Protocol):
    """What HDFS needs of a stage (yarn.apps.StageRun has it)."""

    tasks: int
    input_gb: float
    output_gb_per_task: float
    input_blocks: np.ndarray | None
    output_blocks: list[range]

    @property
    def parents(self) -> Sequence[StageIO]:
        """The stages this one depends on."""


class HdfsService:
    """One cluster's HDFS: block map, NameNode, and the reads and writes of its jobs."""

    def __init__(
        self,
        env: simpy.Environment,
        settings: Hdfs,
        replication: int,
        placement_rng: np.random.Generator,
        namenode_rng: np.random.Generator,
        input_rng: Callable[[int], np.random.Generator],
        recorder: Recorder,
        on_decommissioned: Callable[[int], None],
    ) -> None:
        self.settings = settings
        self.blocks = BlockMap(replication, settings.block_size_mb, placement_rng)
        self.namenode = NameNode(
            env, self.blocks, settings, namenode_rng, recorder, on_decommissioned
        )
        self._input_rng = input_rng
        self.read_gb = 0.0
        self.failed_reads = 0
        self._metrics_version = -1
        self._metrics: dict[str, float] = {}

    @property
    def replication(self) -> int:
        """dfs.replication."""
        return self.blocks.replication

    def start(self, replication: int) -> str:
        """The cluster is ready: fix dfs.replication, write the preloaded data. Returns a
        warning when the preload does not fit (placement needs ``replication`` distinct
        DataNodes with room for every block, so a nearly full HDFS can refuse it)."""
        self.blocks.set_replication(replication)
        preload = self.settings.preload_gb
        if preload <= 0:
            return ""
        written = self.blocks.write(preload)
        if written is not None:
            return ""
        raw_gb = self.blocks.raw_capacity_mb / 1024.0
        return (
            f"hdfs.preload_gb ({preload:g} GB) could not be written: {raw_gb:.0f} GB raw on "
            f"{len(self.blocks.capacity_mb)} DataNodes at replication {replication} has no "
            "room for every block; HDFS starts empty"
        )

    @property
    def max_utilization_pct(self) -> float:
        """The highest HDFSUtilization so far (the block map tracks it on every change)."""
        return self.blocks.peak_utilization_pct

    # ------------------------------------------------------------------ jobs' I/O
    def write_output(self, stage: StageIO, writer: int | None) -> bool:
        """A task of ``stage`` on DataNode ``writer`` (None: not a DataNode) writes its share;
        False when HDFS has no room."""
        written = self.blocks.write(stage.output_gb_per_task, writer)
        if written is None:
            return False
        if len(written):
            stage.output_blocks.append(written)
        return True

    def assign_input(self, stage: StageIO, key: int) -> str:
        """Choose the blocks ``stage`` reads: '' when the data is there, else why not."""
        b = self.blocks
        produced = [r for parent in stage.parents for r in parent.output_blocks]
        if produced:
            stage.input_blocks = np.concatenate([np.arange(r.start, r.stop) for r in produced])
        else:
            stored = b.stored_gb()
            if stage.input_gb > stored + 1e-9:
                return f"input of {stage.input_gb:g} GB is not in HDFS ({stored:.1f} GB readable)"
            n = min(b.n_blocks, math.ceil(stage.input_gb * 1024.0 / b.block_size_mb - 1e-9))
            offset = int(self._input_rng(key).integers(b.n_blocks)) if b.n_blocks else 0
            stage.input_blocks = (offset + np.arange(n)) % max(b.n_blocks, 1)
        self.read_gb += stage.input_gb
        return ""

    def readable(self, stage: StageIO, task: int) -> bool:
        """Whether task ``task`` of ``stage`` can read its input split now."""
        blocks = stage.input_blocks
        if blocks is None or len(blocks) == 0:
            return True
        n = len(blocks)
        split = blocks[task * n // stage.tasks : (task + 1) * n // stage.tasks]
        if self.blocks.readable(split):
            return True
        self.failed_reads += 1
        return False

    # ----------------------------------------------------------------------- metrics
    def metrics(self) -> dict[str, float]:
        """The HDFS metrics EMR publishes (emr-facts 9), now (cached while nothing changes)."""
        b = self.blocks
        if self._metrics_version == b.version:
            return self._metrics
        self._metrics_version = b.version
        self._metrics = {
            "HDFSUtilization": b.utilization_pct(),
            "CapacityRemainingGB": b.remaining_gb(),
            "MissingBlocks": float(b.missing_blocks()),
            "UnderReplicatedBlocks": float(b.under_replicated()),
            "LiveDataNodes": self.namenode.live_datanodes_pct(),
        }
        return self._metrics
