"""NodeManagers: the memory and vcores each worker node offers to YARN."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from emrsim.nodes.cluster import Instance
    from emrsim.yarn.apps import Container


class NodeManager:
    """A YARN NodeManager on one core or task instance."""

    __slots__ = (
        "am_ok",
        "containers",
        "decommissioning",
        "index",
        "instance",
        "memory_free_mb",
        "memory_mb",
        "vcores",
        "vcores_free",
    )

    def __init__(self, instance: Instance, memory_mb: int, vcores: int, am_ok: bool) -> None:
        self.instance = instance
        self.index = instance.index
        self.memory_mb = memory_mb
        self.vcores = vcores
        self.memory_free_mb = memory_mb
        self.vcores_free = vcores
        self.am_ok = am_ok
        self.containers: set[Container] = set()
        self.decommissioning = False

    def fits(self, memory_mb: int, vcores: int, check_vcores: bool) -> bool:
        """Whether a container of this size fits now."""
        return self.memory_free_mb >= memory_mb and (not check_vcores or self.vcores_free >= vcores)
