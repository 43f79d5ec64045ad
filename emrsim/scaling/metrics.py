"""Managed scaling's CloudWatch metrics (emr-facts 9): units and nodes requested and running."""

from __future__ import annotations

from typing import TYPE_CHECKING

from emrsim.nodes.cluster import RUNNING, TERMINATED
from emrsim.scenario.values import Market, Role

if TYPE_CHECKING:
    from emrsim.engine import Simulation


def unit_metrics(sim: Simulation) -> dict[str, float]:
    """{Total,Core,Task}{Units,Nodes}{Requested,Running} now.

    Units are the managed scaling unit type (instances when managed scaling is off).
    Requested counts what the groups and fleets want; running counts RUNNING instances.
    """
    scaler = sim.autoscaler
    out: dict[str, float] = {}
    for role, label in ((Role.CORE, "Core"), (Role.TASK, "Task")):
        requested_units = 0.0
        requested_nodes = 0
        for request in sim.provisioner.requests.values():
            if request.target.role is role:
                requested_units += request.units * scaler.per_request_unit(request)
                requested_nodes += sum(1 for i in request.launched if i.state != TERMINATED)
        running = [i for i in sim.instances.instances if i.role is role and i.state == RUNNING]
        out[f"{label}UnitsRequested"] = requested_units
        out[f"{label}UnitsRunning"] = float(sum(scaler.unit_of(i) for i in running))
        out[f"{label}NodesRequested"] = float(requested_nodes)
        out[f"{label}NodesRunning"] = float(len(running))
    for kind in ("UnitsRequested", "UnitsRunning", "NodesRequested", "NodesRunning"):
        out[f"Total{kind}"] = out[f"Core{kind}"] + out[f"Task{kind}"]
    # Not EMR metrics: the running nodes split by role and market, for plots and reports.
    for role, r_label in ((Role.CORE, "Core"), (Role.TASK, "Task")):
        for market, m_label in ((Market.ON_DEMAND, "OnDemand"), (Market.SPOT, "Spot")):
            out[f"{r_label}{m_label}NodesRunning"] = float(
                sum(
                    1
                    for i in sim.instances.instances
                    if i.role is role and i.market is market and i.state == RUNNING
                )
            )
    return out


class UnitMetrics:
    """:func:`unit_metrics` for the per-minute sampler, recomputed only when an instance was
    launched or changed state, or a request changed its units: an idle minute costs a
    comparison, not a scan of every instance."""

    __slots__ = ("_key", "_metrics", "sim")

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self._key: tuple[int, tuple[int, ...]] | None = None
        self._metrics: dict[str, float] = {}

    def now(self) -> dict[str, float]:
        """The metrics now (the same dict while nothing changed: callers copy, not mutate)."""
        sim = self.sim
        key = (sim.instances.version, tuple(r.units for r in sim.provisioner.requests.values()))
        if key != self._key:
            self._key = key
            self._metrics = unit_metrics(sim)
        return self._metrics
