"""Autoscaling on the clock: managed scaling and custom rules act through groups and fleets.

Managed scaling evaluates every ``evaluation_interval`` once the cluster is ready
(:mod:`emrsim.scaling.managed` decides); custom rules are evaluated at the end of each of their
periods (:mod:`emrsim.scaling.rules` decides). Growing raises a group's or fleet's target and
the provisioner launches; shrinking lowers it and decommissions instances gracefully through
:class:`emrsim.losses.NodeLosses` (YARN drain, HDFS drain for core nodes, EMR's limits):
instances not yet running first, then idle nodes, then those running the fewest containers;
with ``shuffle_aware`` nodes holding shuffle output a running job still needs wait (up to
``shuffle_wait``). New demand cancels removals still draining. Every decision goes to the event
trace with its reason and the figures it saw. Evaluations are background events: they never
keep a finished simulation alive.
"""

from __future__ import annotations

import math
from collections import deque
from functools import partial
from typing import TYPE_CHECKING, Any

from emrsim.nodes.cluster import END_SCALE_DOWN, RUNNING, TERMINATED, Instance
from emrsim.nodes.provisioning import Request
from emrsim.scaling import rules
from emrsim.scaling.managed import Demand, Limits, Slot, resize, scale_in_floor, target_units
from emrsim.scenario.models import AutoScalingPolicy
from emrsim.scenario.values import Market, Role

if TYPE_CHECKING:
    from emrsim.engine import Simulation


class Autoscaler:
    """Managed scaling and custom automatic scaling rules of one simulation."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        s = sim.scenario
        self.managed = s.scaling.managed
        self.policies: list[tuple[Request, AutoScalingPolicy]] = []
        for target in sim.targets:
            if target.kind != "group":
                continue
            group = (s.cluster.instance_groups or [])[target.index]
            if group.auto_scaling is not None:
                request = sim.provisioner.requests[(target.name, group.market)]
                self.policies.append((request, group.auto_scaling))
        self._recent: deque[tuple[float, int]] = deque()
        self._started_s = 0.0
        self._shuffle_since: dict[int, float] = {}
        self._cooldown_until: dict[str, float] = {}
        self._last_decision: dict[tuple[str, str], tuple[int, int]] = {}
        self.decisions = 0

    @property
    def shuffle_aware(self) -> bool:
        """Whether scale-in spares nodes holding needed shuffle output (managed scaling)."""
        if self.managed is None:
            return False
        setting = self.managed.shuffle_aware
        if setting == "auto":
            release = self.sim.scenario.release
            return release >= (6, 4, 0) or (5, 34, 0) <= release < (6, 0, 0)
        return bool(setting)

    @property
    def active(self) -> bool:
        """Whether any scaling is configured."""
        return self.managed is not None or bool(self.policies)

    def start(self) -> None:
        """The cluster is ready: start evaluating."""
        bg = self.sim.background
        self._started_s = self.sim.env.now
        if self.managed is not None:
            bg.call(self.managed.evaluation_interval, self._evaluate_managed)
        for request, policy in self.policies:
            # One evaluation clock per group, at its first rule's period.
            bg.call(policy.rules[0].trigger.period, partial(self._evaluate_rules, request, policy))

    def _running(self) -> bool:
        from emrsim.losses import ENDING

        return self.sim.state not in ENDING

    # ------------------------------------------------------------------------ units
    def unit_of(self, inst: Instance) -> int:
        """Scaling units one instance counts for."""
        unit_type = self.managed.unit_type if self.managed else "instances"
        if unit_type == "vcpu":
            return inst.itype.vcpu
        if unit_type == "instance_fleet_units":
            return inst.weight
        return 1

    def per_request_unit(self, request: Request) -> float:
        """Scaling units per provisioner unit (weighted capacity), from its first type."""
        option = request.target.options[0]
        unit_type = self.managed.unit_type if self.managed else "instances"
        if unit_type == "vcpu":
            return option.itype.vcpu / option.weight
        if unit_type == "instance_fleet_units":
            return 1.0
        return 1.0 / option.weight

    def _unit_resources(self, request: Request, running_ids: set[int]) -> tuple[float, float]:
        """YARN memory and vcores per scaling unit of a request: the mean over its running
        instances, or its first instance type's when none runs."""
        mine = [i for i in request.launched if i.index in running_ids]
        units = sum(self.unit_of(i) for i in mine)
        if units:
            return (
                sum(i.itype.yarn_memory_mb for i in mine) / units,
                sum(i.itype.yarn_vcores for i in mine) / units,
            )
        option = request.target.options[0]
        per_instance = option.weight * self.per_request_unit(request)
        return option.itype.yarn_memory_mb / per_instance, option.itype.yarn_vcores / per_instance

    def _scalable(self) -> list[Request]:
        """Requests managed scaling resizes: core and task, in the markets each may use."""
        return [
            r
            for r in self.sim.provisioner.requests.values()
            if r.target.role is not Role.PRIMARY
            and r.market in r.target.scalable_markets()
            and r.quotes
        ]

    # ---------------------------------------------------------------------- managed
    def _evaluate_managed(self) -> None:
        if not self._running():
            return
        m = self.managed
        assert m is not None
        sim = self.sim
        now = sim.env.now
        requests = self._scalable()
        running = [
            i
            for i in sim.instances.instances
            if i.role is not Role.PRIMARY
            and i.state == RUNNING
            and not i.noticed
            and i.index not in sim.losses.draining
        ]
        running_ids = {i.index for i in running}
        slots = []
        for r in requests:
            unit_mb, unit_vcores = self._unit_resources(r, running_ids)
            units = round(r.units * self.per_request_unit(r))
            slots.append(
                Slot(r.target.name, r.target.role, r.market, units, False, unit_mb, unit_vcores)
            )
        allocated_mb = allocated_vc = pending_mb = pending_vc = 0.0
        for app in sim.rm.apps.values():
            mb, vc = app.pending_resources()
            pending_mb += mb
            pending_vc += vc
        allocated_mb, allocated_vc = float(sim.rm.allocated_mb), float(sim.rm.allocated_vcores)
        first = requests[0].target.options[0].itype if requests else None
        unit = self.per_request_unit(requests[0]) if requests else 1.0
        demand = Demand(
            allocated_mb=allocated_mb,
            pending_mb=pending_mb,
            allocated_vcores=allocated_vc,
            pending_vcores=pending_vc,
            capacity_mb=float(sum(i.itype.yarn_memory_mb for i in running)),
            capacity_vcores=float(sum(i.itype.yarn_vcores for i in running)),
            running_units=sum(self.unit_of(i) for i in running),
            unit_mb=(first.yarn_memory_mb / unit) if first else 1.0,
            unit_vcores=(first.yarn_vcores / unit) if first else 1.0,
        )
        limits = Limits(
            minimum=m.minimum_capacity_units,
            maximum=m.maximum_capacity_units,
            maximum_on_demand=(
                m.maximum_on_demand_capacity_units
                if m.maximum_on_demand_capacity_units is not None
                else m.maximum_capacity_units
            ),
            maximum_core=(
                m.maximum_core_capacity_units
                if m.maximum_core_capacity_units is not None
                else m.maximum_capacity_units
            ),
            target_utilization=m.target_utilization_pct / 100.0,
        )
        target, why = target_units(demand, limits)
        need_mb, need_vc = allocated_mb + pending_mb, allocated_vc + pending_vc
        requested = sum(s.units for s in slots)
        # Scale in only to the highest target of the last scale_in_delay (a stabilisation
        # window): a lull between two stages does not shed the nodes the next one needs.
        self._recent.append((now, target))
        while self._recent and self._recent[0][0] < now - m.scale_in_delay - 1e-9:
            self._recent.popleft()
        stable = max(t for _, t in self._recent)
        if target > requested:
            self._apply(requests, slots, resize(slots, target, limits), why, demand, limits)
        elif (
            stable < requested
            and now - self._started_s >= m.scale_in_delay - 1e-9
            and (floor := scale_in_floor(slots, stable, need_mb, need_vc, limits)) < requested
        ):
            why += f"; highest in the last {m.scale_in_delay:g} s: {stable}"
            if floor > stable:
                why += f"; {floor} units still hold the demand"
            self._apply(requests, slots, resize(slots, floor, limits), why, demand, limits)
        else:
            # Within the limits as they stand (e.g. the initial counts exceed a limit)?
            fixed = resize(slots, requested, limits)
            if any(a.units != b.units for a, b in zip(slots, fixed, strict=True)):
                self._apply(
                    requests, slots, fixed, "managed scaling: within the limits", demand, limits
                )
        sim.background.call(m.evaluation_interval, self._evaluate_managed)

    def _apply(
        self,
        requests: list[Request],
        slots: list[Slot],
        new: list[Slot],
        why: str,
        demand: Demand,
        limits: Limits,
    ) -> None:
        totals = {"all": 0.0, "core": 0.0, "on_demand": 0.0}
        for s in new:
            totals["all"] += s.units
            totals["core"] += s.units if s.role is Role.CORE else 0
            totals["on_demand"] += s.units if s.market is Market.ON_DEMAND else 0
        caps = {
            "all": limits.maximum,
            "core": limits.maximum_core,
            "on_demand": limits.maximum_on_demand,
        }
        for request, old, slot in zip(requests, slots, new, strict=True):
            if slot.units == old.units:
                continue
            per = self.per_request_unit(request)
            # Whole instances: round up, unless the extra part of an instance would break a
            # limit resize() kept (e.g. 10 vCPU of 4-vCPU instances is 2 instances, not 3).
            units = math.ceil(slot.units / per - 1e-9)
            extra = units * per - slot.units
            keys = ["all"]
            keys += ["core"] if slot.role is Role.CORE else []
            keys += ["on_demand"] if slot.market is Market.ON_DEMAND else []
            if extra > 1e-9 and any(totals[k] + extra > caps[k] + 1e-9 for k in keys):
                units -= 1
            for k in keys:
                totals[k] += units * per - slot.units
            if units != request.units:
                self._set_units(request, units, "managed scaling: " + why, demand_fields(demand))

    # ------------------------------------------------------------------ custom rules
    def _evaluate_rules(self, request: Request, policy: AutoScalingPolicy) -> None:
        if not self._running():
            return
        sim = self.sim
        now = sim.env.now
        name = request.target.name
        period = policy.rules[0].trigger.period
        if now >= self._cooldown_until.get(name, -math.inf):
            for rule in policy.rules:
                trigger = rule.trigger
                # CloudWatch has data only once the cluster is up.
                samples = [
                    (row["time_s"], float(row[trigger.metric]))
                    for row in sim.recorder.metrics
                    if trigger.metric in row and row["time_s"] > self._started_s
                ]
                if not rules.in_alarm(samples, now, trigger):
                    continue
                count = request.units
                new = rules.adjusted_count(count, rule.action, policy.constraints)
                values = rules.period_values(samples, now, trigger)
                self._cooldown_until[name] = now + rule.action.cool_down
                if new != count:
                    self._set_units(
                        request,
                        new,
                        f"rule {rule.name}: {trigger.metric} {trigger.statistic.lower()} "
                        f"{trigger.comparison_operator.lower()} {trigger.threshold:g} for "
                        f"{trigger.evaluation_periods} x {trigger.period:g} s",
                        {"values": values},
                    )
                break
        sim.background.call(period, partial(self._evaluate_rules, request, policy))

    # ---------------------------------------------------------------------- acting
    def _set_units(self, request: Request, units: int, reason: str, seen: dict[str, Any]) -> None:
        """Move one group's or fleet's target to ``units`` (provisioner units)."""
        sim = self.sim
        old = request.units
        if units == old:
            return
        if units > old:
            self._decided(request, old, units, reason, seen)
            # Nodes still draining come back first (new demand cancels pending removals).
            for inst in self._draining(request):
                if request.units >= units:
                    break
                sim.losses.cancel_decommission(inst)
            request.units = max(request.units, units)
            sim.provisioner.fill(request)
            return
        # Logged once while the same shrink stays wanted (EMR may refuse it or shuffle data
        # may hold it back, evaluation after evaluation).
        self._decided(request, old, units, reason, seen)
        self._remove(request, old - units)

    def _decided(
        self, request: Request, old: int, new: int, reason: str, seen: dict[str, Any]
    ) -> None:
        key = (request.target.name, request.market.value)
        if self._last_decision.get(key) == (old, new):
            return
        self._last_decision[key] = (old, new)
        self.decisions += 1
        self.sim.recorder.event(
            self.sim.env.now,
            "scaling_decision",
            group=request.target.name,
            market=request.market.value,
            from_units=old,
            to_units=new,
            reason=reason,
            **seen,
        )

    def _draining(self, request: Request) -> list[Instance]:
        draining = self.sim.losses.draining
        return [i for i in request.launched if i.index in draining and i.state != TERMINATED]

    def _draining_units(self, request: Request) -> int:
        return sum(i.weight for i in self._draining(request))

    def _remove(self, request: Request, excess: int) -> None:
        """Take ``excess`` units out of a request: not-yet-running instances, then idle ones,
        then those with the fewest containers (newest first on ties)."""
        if excess <= 0:
            return
        sim = self.sim
        now = sim.env.now
        draining = sim.losses.draining
        shuffle = self._shuffle_nodes() if self.shuffle_aware else set()
        wait = self.managed.shuffle_wait if self.managed else 0.0

        def order(inst: Instance) -> tuple[int, int, int]:
            node = sim.rm.nodes.get(inst.index)
            busy = len(node.containers) if node is not None else 0
            return (0 if inst.state != RUNNING else 1, busy, -inst.index)

        candidates = sorted(
            (
                i
                for i in request.launched
                if i.state != TERMINATED and not i.noticed and i.index not in draining
            ),
            key=order,
        )
        chosen: list[Instance] = []
        waiting: dict[int, float] = {}
        for inst in candidates:
            if excess <= 0:
                break
            if inst.weight > excess:
                continue
            if inst.index in shuffle:
                since = self._shuffle_since.get(inst.index, now)
                if now - since < wait:
                    waiting[inst.index] = since
                    continue  # holds shuffle output a running job needs: wait
            if inst.state != RUNNING:
                sim.provisioner.lower(inst)
                sim.losses.decommissioned += 1  # removed on purpose before it ever ran
                sim.instances.terminate(inst, END_SCALE_DOWN)
            else:
                chosen.append(inst)
            excess -= inst.weight
        # The wait counts while a node is wanted and holds needed output without a break.
        self._shuffle_since = waiting
        sim.losses.decommission(chosen)  # lowers the target by what EMR accepts

    def _shuffle_nodes(self) -> set[int]:
        """Nodes holding shuffle output that a running job's unfinished stage still needs."""
        nodes: set[int] = set()
        for app in self.sim.rm.apps.values():
            for stage in app.stages:
                if stage.children and not all(c.complete for c in stage.children):
                    nodes.update(stage.output_node.values())
        return nodes


def demand_fields(demand: Demand) -> dict[str, float]:
    """The figures a managed scaling decision saw, for the event trace."""
    return {
        "allocated_mb": demand.allocated_mb,
        "pending_mb": demand.pending_mb,
        "capacity_mb": demand.capacity_mb,
        "running_units": demand.running_units,
    }
