"""YARN's metrics at one instant, read from the ResourceManager: the CloudWatch-style cluster
figures of metrics.csv and the per-queue rows of queue_metrics.csv (one pass over the
applications in all)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emrsim.yarn.apps import RUNNING

if TYPE_CHECKING:
    from emrsim.yarn.rm import ResourceManager


def queue_metrics(rm: ResourceManager) -> list[dict[str, Any]]:
    """Per leaf queue now: allocated resources, containers, applications (queue_metrics.csv)."""
    # One pass over the applications (not one per queue): [pending containers, running
    # apps, other apps] per queue name.
    counts: dict[str, list[int]] = {}
    for a in rm.apps.values():
        c = counts.get(a.queue)
        if c is None:
            c = counts[a.queue] = [0, 0, 0]
        c[0] += a.pending_containers()
        c[1 if a.state == RUNNING else 2] += 1
    rows = []
    for q in rm.queues:
        pending, running, waiting = counts.get(q.config.name, (0, 0, 0))
        rows.append(
            {
                "queue": q.config.name,
                "allocated_mb": q.used_mb,
                "allocated_vcores": q.used_vcores,
                "running_containers": q.running,
                "pending_containers": pending,
                "running_apps": running,
                "pending_apps": waiting,
            }
        )
    return rows


def yarn_metrics(rm: ResourceManager, queue_rows: list[dict[str, Any]]) -> dict[str, Any]:
    """CloudWatch-style YARN metrics now (emr-facts 9), summed from this instant's
    :func:`queue_metrics` rows (every application is in a leaf queue)."""
    pending = 0
    running = 0
    allocated = 0
    for r in queue_rows:
        pending += r["pending_containers"]
        running += r["running_apps"]
        allocated += r["running_containers"]
    total = rm.cluster_mb
    available = 100.0 * (total - rm.allocated_mb) / total if total else 0.0
    return {
        "YARNMemoryAvailablePercentage": available,
        "MemoryTotalMB": total,
        "MemoryAllocatedMB": rm.allocated_mb,
        "ContainerAllocated": allocated,
        "ContainerPending": pending,
        "AppsRunning": running,
        "AppsPending": len(rm.apps) - running,
    }
