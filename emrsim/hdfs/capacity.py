"""HDFS replication and capacity rules (plain functions over the scenario)."""

from __future__ import annotations

from typing import Literal

from emrsim.nodes.resolve import resolve_instance_types
from emrsim.scenario.models import Scenario
from emrsim.scenario.values import Role


def replication_for(setting: Literal["auto"] | int, core_nodes: int) -> int:
    """dfs.replication: EMR's rule by core node count (1 below 4, 2 for 4-9, 3 from 10)."""
    if setting != "auto":
        return int(setting)
    if core_nodes < 4:
        return 1
    return 2 if core_nodes < 10 else 3


def node_storage_gb(scenario: Scenario, instance_type: str, ebs_gb: float | None) -> float:
    """Raw HDFS storage of one core node: instance store plus data EBS volumes."""
    itype = resolve_instance_types(scenario)[instance_type]
    ebs = itype.ebs_default_gb if ebs_gb is None else ebs_gb
    return itype.instance_store_gb + ebs


def hdfs_capacity_gb(scenario: Scenario, replication: int) -> float:
    """Usable HDFS capacity: raw core storage / replication (emr-facts 4)."""
    raw = sum(
        g.count * node_storage_gb(scenario, g.instance_type, g.ebs_gb)
        for g in scenario.cluster.instance_groups or []
        if g.role is Role.CORE
    )
    return raw / replication
