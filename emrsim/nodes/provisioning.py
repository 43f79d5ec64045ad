"""Keeping each instance group and fleet at its target: launches, spot fulfilment, replacement.

Each capacity target (:mod:`emrsim.nodes.plan`) has one request per market with a non-zero
target. A request launches instances, one at a time, until the units it holds (instances not
yet terminated, weighted) reach the target; the last instance may overshoot it (overage,
emr-facts 2). For each instance the market's allocation strategy orders the pools
(:mod:`emrsim.nodes.allocation`); an on-demand request is always fulfilled, a spot request in a
pool is fulfilled with the pool's ``spot_market.availability`` (default 1), and when no pool
fulfils it the request waits ``spot_market.retry_interval`` and tries again (the instance state
AWAITING_FULFILLMENT).

Replacement. A reclaimed spot instance is replaced: the request simply tops its units up again
(fleets with any of their types, emr-facts 3; for instance groups EMR's behaviour is not
documented, and this model replaces them too unless ``spot_market.replace_interrupted`` is
false). Instances lost to injected faults are not replaced: the target drops by their weight.

Spot timeout (fleets, initial provisioning only, emr-facts 2): if a fleet's spot units are not
all fulfilled ``spot_timeout.duration`` after launch, ``switch_to_on_demand`` moves the missing
units to the on-demand target and ``terminate_cluster`` ends the cluster with
INSTANCE_FLEET_TIMEOUT.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np
import simpy

from emrsim.events import call_at
from emrsim.hdfs.capacity import node_storage_gb
from emrsim.nodes.allocation import PoolQuote, pool_order
from emrsim.nodes.cluster import PROVISIONING, TERMINATED, Instance, Instances, LaunchSpec
from emrsim.nodes.plan import CapacityTarget
from emrsim.nodes.spot import availability, capacity_score, interruption_rate_per_hour
from emrsim.pricing.prices import rates_for
from emrsim.recorder import Recorder
from emrsim.scenario.models import Scenario
from emrsim.scenario.values import Market, Role


class Request:
    """What one target wants in one market, and what it holds."""

    __slots__ = ("launched", "market", "quotes", "retry_armed", "specs", "target", "units")

    def __init__(self, target: CapacityTarget, market: Market, units: int) -> None:
        self.target = target
        self.market = market
        self.units = units
        self.launched: list[Instance] = []
        self.retry_armed = False
        self.specs: dict[str, LaunchSpec] = {}
        self.quotes: list[PoolQuote] = []

    def held_units(self) -> int:
        """Units of the instances launched, not terminated and not being removed."""
        return sum(i.weight for i in self.launched if i.state != TERMINATED and not i.leaving)

    def launched_units(self) -> dict[str, int]:
        """Units held per instance type (what the diversified strategy balances)."""
        held: dict[str, int] = {}
        for inst in self.launched:
            if inst.state != TERMINATED and not inst.leaving:
                held[inst.itype.name] = held.get(inst.itype.name, 0) + inst.weight
        return held

    @property
    def strategy(self) -> str:
        """The allocation strategy of this market."""
        t = self.target
        return t.spot_strategy if self.market is Market.SPOT else t.on_demand_strategy


class Provisioner:
    """Launches and replaces the instances of every capacity target."""

    def __init__(
        self,
        env: simpy.Environment,
        scenario: Scenario,
        targets: list[CapacityTarget],
        instances: Instances,
        fulfil_rng: Callable[[int], np.random.Generator],
        recorder: Recorder,
        on_timeout: Callable[[CapacityTarget], None],
    ) -> None:
        self.env = env
        self.scenario = scenario
        self.instances = instances
        self.recorder = recorder
        self.on_timeout = on_timeout
        self.requests: dict[tuple[str, Market], Request] = {}
        self._rngs: dict[str, np.random.Generator] = {}
        self._fulfil_rng = fulfil_rng
        for k, target in enumerate(targets):
            for market in (Market.ON_DEMAND, Market.SPOT):
                request = Request(target, market, target.units(market))
                self._price(request)
                self.requests[(target.name, market)] = request
            self._rngs[target.name] = fulfil_rng(k)
        self.unfulfilled_attempts = 0

    def _price(self, request: Request) -> None:
        s = self.scenario
        for option in request.target.options:
            itype = option.itype
            if request.units == 0 and not self._may_grow(request):
                # Empty now: priced if it can be (scaling may grow it), else left out.
                try:
                    rates_for(s, itype, request.market, option.ebs_gb)
                    if request.market is Market.SPOT:
                        interruption_rate_per_hour(s, itype.name)
                except LookupError:
                    continue
            rates = rates_for(s, itype, request.market, option.ebs_gb)
            storage = (
                node_storage_gb(s, itype.name, option.ebs_gb)
                if request.target.role is Role.CORE
                else 0.0
            )
            request.specs[itype.name] = LaunchSpec(
                request.target.name,
                request.target.role,
                request.market,
                itype,
                rates,
                storage,
                option.weight,
            )
            score = 1.0
            if request.market is Market.SPOT:
                score = capacity_score(
                    availability(s, itype.name), interruption_rate_per_hour(s, itype.name)
                )
            request.quotes.append(
                PoolQuote(
                    itype.name,
                    option.weight,
                    rates.ec2_usd_per_hr,
                    score,
                    option.priority,
                    option.order,
                )
            )

    @staticmethod
    def _may_grow(request: Request) -> bool:
        """An empty on-demand request grows when its fleet's spot timeout switches to it."""
        t = request.target
        return request.market is Market.ON_DEMAND and t.spot_timeout_action == "switch_to_on_demand"

    # ----------------------------------------------------------------------- launching
    def start(self) -> None:
        """Request every target's initial capacity; arm the fleets' spot timeouts."""
        for request in self.requests.values():
            self.fill(request)
            t = request.target
            if request.market is Market.SPOT and t.spot_timeout_s is not None and request.units:
                call_at(self.env, t.spot_timeout_s, partial(self._timeout, request))

    def fill(self, request: Request) -> None:
        """Launch instances until the request holds its target units (or a spot request waits).

        Instances chosen one after another from the same pool are launched as one batch, so
        their provisioning and bootstrap times come from the boot stream in the same order
        however the request is split.
        """
        held = request.launched_units()
        units = sum(held.values())
        picks: list[LaunchSpec] = []
        waiting = False
        while units < request.units:
            spec = self._choose(request, held)
            if spec is None:
                waiting = True
                break
            picks.append(spec)
            held[spec.itype.name] = held.get(spec.itype.name, 0) + spec.weight
            units += spec.weight
        start = 0
        for k in range(1, len(picks) + 1):
            if k == len(picks) or picks[k] is not picks[start]:
                request.launched += self.instances.launch(picks[start], k - start)
                start = k
        if waiting:
            self.recorder.event(
                self.env.now,
                "spot_request_unfulfilled",
                group=request.target.name,
                units_missing=request.units - units,
            )
            if not request.retry_armed:
                request.retry_armed = True
                call_at(
                    self.env,
                    self.scenario.spot_market.retry_interval,
                    lambda: self._retry(request),
                )

    def _retry(self, request: Request) -> None:
        request.retry_armed = False
        if not self.instances.closed:
            self.fill(request)

    def _choose(self, request: Request, held: dict[str, int]) -> LaunchSpec | None:
        """The pool the next instance comes from, or None when no spot pool fulfils it."""
        if not request.quotes:
            return None  # no priced type in this market (validation allows only empty ones)
        spot = request.market is Market.SPOT
        for quote in pool_order(request.strategy, request.quotes, held):
            if spot:
                p = availability(self.scenario, quote.instance_type)
                if p < 1.0 and self._rngs[request.target.name].random() >= p:
                    self.unfulfilled_attempts += 1
                    continue
            return request.specs[quote.instance_type]
        return None

    def _timeout(self, request: Request) -> None:
        missing = request.units - request.held_units()
        if missing <= 0 or self.instances.closed:
            return
        target = request.target
        self.recorder.event(
            self.env.now,
            "spot_timeout",
            group=target.name,
            units_missing=missing,
            action=target.spot_timeout_action,
        )
        request.units -= missing
        if target.spot_timeout_action == "switch_to_on_demand":
            on_demand = self.requests[(target.name, Market.ON_DEMAND)]
            on_demand.units += missing
            self.fill(on_demand)
        else:
            self.on_timeout(target)

    # -------------------------------------------------------------------------- losses
    def lost(self, inst: Instance, replace: bool) -> None:
        """An instance of a target is gone: replace it, or lower the target by its weight."""
        request = self.requests.get((inst.group, inst.market))
        if request is None or self.instances.closed:
            return
        if replace:
            self.fill(request)
        else:
            self.lower(inst)

    def lower(self, inst: Instance) -> None:
        """The target no longer counts on ``inst`` (it is being removed on purpose, or lost
        for good)."""
        request = self.requests.get((inst.group, inst.market))
        if request is not None:
            request.units = max(0, request.units - inst.weight)

    def targets_met(self, role: Role, *, running: bool = True) -> bool:
        """Whether every request of ``role`` holds instances for all its units: RUNNING ones
        (``running``), or ones past PROVISIONING; instances under notice do not count."""
        for request in self.requests.values():
            if request.target.role is not role or request.units == 0:
                continue
            held = sum(
                i.weight
                for i in request.launched
                if not i.noticed
                and i.state != TERMINATED
                and (i.running if running else i.state != PROVISIONING)
            )
            if held < request.units:
                return False
        return True
