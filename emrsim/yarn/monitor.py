"""The capacity scheduler's preemption monitor on the SimPy clock.

It runs a round every ``monitoring_interval`` while some queue has requests waiting (never on
an idle cluster), asks :func:`emrsim.yarn.preemption.to_preempt` how much each queue should give
back, marks containers (youngest applications first, youngest containers first, never an AM)
and kills those still marked ``max_wait_before_kill`` later if their queue is still over its
ideal share.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from emrsim.events import call_at
from emrsim.yarn.preemption import QueueDemand, to_preempt

if TYPE_CHECKING:
    from emrsim.scenario.models import Preemption
    from emrsim.yarn.apps import Container
    from emrsim.yarn.rm import ResourceManager
    from emrsim.yarn.scheduler import QueueRun


class PreemptionMonitor:
    """ProportionalCapacityPreemptionPolicy for one ResourceManager."""

    def __init__(self, rm: ResourceManager, settings: Preemption) -> None:
        self.rm = rm
        self.settings = settings
        self._on = False
        self._marked: dict[Container, float] = {}  # container -> when it was marked

    def start(self) -> None:
        """Run rounds while some queue has requests waiting."""
        if self._on:
            return
        if any(q.demand or q.waiting for q in self.rm.queues):
            self._on = True
            call_at(self.rm.env, self.settings.monitoring_interval, self._round)

    @staticmethod
    def _pending_mb(queue: QueueRun) -> float:
        pending = sum(a.pending_resources()[0] for a in queue.demand)
        return pending + sum(a.am_mb for a in queue.waiting)

    def _round(self) -> None:
        self._on = False
        rm, settings = self.rm, self.settings
        now = rm.env.now
        total = float(rm.cluster_mb)
        demands = [
            QueueDemand(
                q.config.capacity_frac * total,
                q.config.max_frac * total,
                float(q.used_mb),
                self._pending_mb(q),
            )
            for q in rm.queues
        ]
        amounts = to_preempt(
            demands,
            total,
            max_ignored_over_capacity=settings.max_ignored_over_capacity,
            natural_termination_factor=settings.natural_termination_factor,
            total_preemption_per_round=settings.total_preemption_per_round,
        )
        over = {q.config.name for q, a in zip(rm.queues, amounts, strict=True) if a > 0}
        starving = [
            q.config.name
            for q, d in zip(rm.queues, demands, strict=True)
            if d.pending_mb > 0 and d.used_mb < d.guaranteed_mb
        ]
        # Kill what was marked long enough ago, if its queue is still over its ideal share.
        for container, marked_s in sorted(self._marked.items(), key=lambda kv: kv[0].id):
            if not container.live:
                del self._marked[container]
            elif now - marked_s >= settings.max_wait_before_kill - 1e-9:
                del self._marked[container]
                if container.app.queue in over:
                    rm.preempt(
                        container,
                        f"{container.app.queue} holds more than its ideal "
                        f"share; {', '.join(starving) or 'another queue'} is below its "
                        "guarantee with requests waiting",
                    )
        # Mark new containers: youngest applications first, youngest containers first, no AMs.
        for queue, amount in zip(rm.queues, amounts, strict=True):
            if amount <= 0:
                continue
            name = queue.config.name
            need = amount - sum(c.memory_mb for c in self._marked if c.app.queue == name)
            for app in sorted(queue.demand, key=lambda a: -a.id):
                for container in sorted(app.containers, key=lambda c: -c.id):
                    if need <= 0:
                        break
                    if container.is_am or container in self._marked:
                        continue
                    self._marked[container] = now
                    need -= container.memory_mb
                    rm.recorder.event(
                        now,
                        "container_marked_for_preemption",
                        container=container.id,
                        app=app.id,
                        queue=name,
                    )
        if self._marked or any(amounts):
            self._on = True
            call_at(rm.env, settings.monitoring_interval, self._round)
        else:
            self.start()
