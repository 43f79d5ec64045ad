"""EC2 instances of a cluster and their lifecycle: provisioning, bootstrap, termination.

Instance states follow EMR's names (emr-facts 2): AWAITING_FULFILLMENT -> PROVISIONING ->
BOOTSTRAPPING -> RUNNING -> TERMINATED. Billing runs from the moment the EC2 instance is
running (the end of provisioning, bootstrap included) until it is terminated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np
import simpy

from emrsim.events import NODE_LOSS, call_at
from emrsim.nodes.catalogue import InstanceType
from emrsim.pricing.prices import Rates
from emrsim.scenario.values import Market, Role
from emrsim.workload.distributions import Dist, sample

PROVISIONING, BOOTSTRAPPING, RUNNING, TERMINATED = (
    "PROVISIONING",
    "BOOTSTRAPPING",
    "RUNNING",
    "TERMINATED",
)

# Why an instance ended, as nodes.csv reports it.
END_CLUSTER, END_SPOT, END_SCALE_DOWN, END_FAULT, END_RUNNING = (
    "cluster_terminated",
    "spot_interruption",
    "scale_down",
    "fault",
    "running",
)


class Instance:
    """One EC2 instance of the cluster."""

    __slots__ = (
        "end_reason",
        "end_s",
        "group",
        "id",
        "index",
        "itype",
        "leaving",
        "market",
        "noticed",
        "rates",
        "ready_s",
        "request_s",
        "role",
        "start_s",
        "state",
        "storage_gb",
        "weight",
    )

    def __init__(self, index: int, spec: LaunchSpec, request_s: float) -> None:
        self.index = index
        self.id = f"i-{index:05d}"
        self.itype = spec.itype
        self.role = spec.role
        self.market = spec.market
        self.group = spec.name
        self.rates = spec.rates
        self.storage_gb = spec.storage_gb
        self.weight = spec.weight
        self.request_s = request_s
        self.noticed = False  # a spot interruption notice (or rebalance) arrived
        self.leaving = False  # being removed on purpose (decommissioning): off its target
        self.state = PROVISIONING
        self.start_s: float | None = None  # billing starts
        self.ready_s: float | None = None  # bootstrapped, RUNNING
        self.end_s: float | None = None
        self.end_reason = END_RUNNING

    @property
    def billed(self) -> bool:
        """Whether the instance ever started (and so is billed)."""
        return self.start_s is not None

    @property
    def running(self) -> bool:
        """Whether the instance is RUNNING (bootstrapped, not terminated)."""
        return self.state == RUNNING


@dataclass(frozen=True, slots=True)
class LaunchSpec:
    """What one instance of a group or fleet is: type, role, market, rates, HDFS storage."""

    name: str
    """The instance group's or fleet's name."""
    role: Role
    market: Market
    itype: InstanceType
    rates: Rates
    storage_gb: float
    """Raw HDFS storage (core nodes; 0 for others)."""
    weight: int = 1
    """Weighted capacity units (fleets; 1 for instance groups)."""


class Instances:
    """All instances of the cluster, launching and terminating them on the SimPy clock."""

    def __init__(
        self,
        env: simpy.Environment,
        boot_rng: np.random.Generator,
        provision: Dist,
        bootstrap: Dist,
        on_running: Callable[[Instance], None],
        on_lost: Callable[[Instance], None],
        on_provisioned: Callable[[Instance], None] | None = None,
    ) -> None:
        self.env = env
        self.boot_rng = boot_rng
        self.provision = provision
        self.bootstrap = bootstrap
        self.on_running = on_running
        self.on_lost = on_lost
        self.on_provisioned = on_provisioned
        self.instances: list[Instance] = []
        self.closed = False  # the cluster is terminating: no more launches
        # Bumped whenever an instance is launched or changes state, so per-minute metrics
        # derived from the instances are recomputed only when something changed.
        self.version = 0

    def launch(self, spec: LaunchSpec, count: int) -> list[Instance]:
        """Request ``count`` instances of ``spec`` now; each provisions then bootstraps."""
        provision = sample(self.provision, self.boot_rng, count)
        bootstrap = sample(self.bootstrap, self.boot_rng, count)
        launched = []
        for k in range(count):
            inst = Instance(len(self.instances) + 1, spec, self.env.now)
            self.instances.append(inst)
            self.version += 1
            launched.append(inst)
            boot = float(bootstrap[k])
            call_at(self.env, float(provision[k]), partial(self._provisioned, inst, boot))
        return launched

    def _provisioned(self, inst: Instance, bootstrap_s: float) -> None:
        if inst.state == TERMINATED:
            return
        inst.state = BOOTSTRAPPING
        self.version += 1
        inst.start_s = self.env.now
        if self.on_provisioned is not None:
            self.on_provisioned(inst)
        call_at(self.env, bootstrap_s, lambda: self._bootstrapped(inst))

    def _bootstrapped(self, inst: Instance) -> None:
        if inst.state == TERMINATED:
            return
        inst.state = RUNNING
        self.version += 1
        inst.ready_s = self.env.now
        self.on_running(inst)

    def running(self, role: Role | None = None) -> list[Instance]:
        """Instances now RUNNING (of one role, if given), in launch order."""
        return [
            i for i in self.instances if i.state == RUNNING and (role is None or i.role is role)
        ]

    def terminate(self, inst: Instance, reason: str) -> None:
        """Terminate one instance now (billing stops) and tell ``on_lost``, whatever its state."""
        if inst.state == TERMINATED:
            return
        inst.state = TERMINATED
        self.version += 1
        inst.end_reason = reason
        if inst.start_s is not None:
            inst.end_s = self.env.now
        self.on_lost(inst)

    def terminate_all(self, reason: str, delay_s: float = 0.0) -> None:
        """Terminate every instance ``delay_s`` from now (billing runs until then)."""
        self.closed = True

        def finish() -> None:
            self.version += 1
            for inst in self.instances:
                if inst.state != TERMINATED:
                    inst.state = TERMINATED
                    inst.end_reason = reason
                    if inst.start_s is not None:
                        inst.end_s = self.env.now

        call_at(self.env, delay_s, finish, NODE_LOSS)
