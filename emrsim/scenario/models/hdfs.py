"""HDFS settings: replication, block size, preload, the NameNode's throttles."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from emrsim.scenario.values import (
    Frozen,
    PositiveSeconds,
)


# ------------------------------------------------------------------------------------ hdfs
class Hdfs(Frozen):
    """HDFS settings: dfs.replication, dfs.blocksize, data present at start, and the NameNode's
    dead-node and re-replication throttles (Hadoop's defaults, emr-facts 4)."""

    replication: Literal["auto"] | Annotated[int, Field(ge=1, le=3)] = "auto"
    block_size_mb: int = Field(default=128, ge=1)
    preload_gb: float = Field(default=0.0, ge=0)
    dead_node_timeout: PositiveSeconds = 630.0
    """2 x dfs.namenode.heartbeat.recheck-interval (300 s) + 10 x dfs.heartbeat.interval (3 s)."""
    redundancy_interval: PositiveSeconds = 3.0
    """dfs.namenode.redundancy.interval.seconds: how often re-replication work is scheduled."""
    replication_work_multiplier: int = Field(default=2, ge=1)
    """dfs.namenode.replication.work.multiplier.per.iteration: blocks per live DataNode per
    interval."""
    max_replication_streams: int = Field(default=2, ge=1)
    """dfs.namenode.replication.max-streams: copies one source DataNode serves at a time."""
    replication_streams_hard_limit: int = Field(default=4, ge=1)
    """dfs.namenode.replication.max-streams-hard-limit: the same for highest-priority blocks."""
    node_bandwidth_mb_s: float = Field(default=250.0, gt=0)
    """Throughput of one DataNode's block copies, shared by its streams (a model default: the
    order of an EBS gp3 volume's 250 MB/s, well under the network's)."""
    decommission_check_interval: PositiveSeconds = 30.0
    """dfs.namenode.decommission.interval: how often decommissioning nodes are checked."""

    @model_validator(mode="after")
    def _limits(self) -> Hdfs:
        if self.replication_streams_hard_limit < self.max_replication_streams:
            raise ValueError(
                "replication_streams_hard_limit must be >= max_replication_streams "
                f"({self.max_replication_streams})"
            )
        return self
