"""Preemption monitors on the SimPy clock, for the Capacity and the Fair scheduler.

A monitor runs a round every monitoring interval while some queue has requests waiting (never on
an idle cluster). Each round works out how much memory should change hands, marks containers to
give back (youngest applications first, youngest containers first, never an AM) and kills those
still marked ``max_wait_before_kill`` later if the reason still holds.

- Capacity scheduler: ProportionalCapacityPreemptionPolicy via
  :func:`emrsim.yarn.preemption.to_preempt` (ideal assignment, dead zone, per-round limit).
- Fair scheduler: a leaf queue below its min share for ``min_share_preemption_timeout``, or below
  ``fair_share_preemption_threshold`` x its fair share for ``fair_share_preemption_timeout``, is
  starved; containers are taken from queues above their fair share (most over first), never
  taking a queue below its own fair share, and only while the cluster is at least
  ``cluster_utilization_threshold`` allocated (FairScheduler.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from emrsim.events import call_at
from emrsim.yarn.fair import starved_mb
from emrsim.yarn.preemption import QueueDemand, to_preempt

if TYPE_CHECKING:
    from emrsim.scenario.models import Preemption
    from emrsim.yarn.apps import Application, Container
    from emrsim.yarn.rm import ResourceManager
    from emrsim.yarn.scheduler import QueueRun


class PreemptionMonitor:
    """Preemption for one ResourceManager (the policy follows its scheduler)."""

    def __init__(self, rm: ResourceManager, settings: Preemption) -> None:
        self.rm = rm
        self.settings = settings
        self.fair = rm.scheduler.kind == "fair"
        self.interval_s = settings.interval_s(rm.scheduler.kind)
        self._on = False
        self._marked: dict[Container, float] = {}  # container -> when it was marked
        self._below_min_since: dict[QueueRun, float] = {}
        self._below_fair_since: dict[QueueRun, float] = {}
        # The fair scheduler preempts only for queues with a finite timeout (Hadoop's default
        # is never): without one there is nothing to watch.
        self.useful = not self.fair or any(
            q.config.min_share_timeout_s != float("inf")
            or q.config.fair_share_timeout_s != float("inf")
            for q in rm.queues
        )

    def start(self) -> None:
        """Run rounds while some queue has requests waiting."""
        if self._on or not self.useful:
            return
        if any(q.demand or q.waiting for q in self.rm.queues):
            self._on = True
            call_at(self.rm.env, self.interval_s, self._round)

    def _round(self) -> None:
        self._on = False
        amounts, why = self._fair_amounts() if self.fair else self._capacity_amounts()
        self._kill_expired(
            lambda queue: (
                amounts.get(queue, 0.0) > 0 or (self.fair and any(v > 0 for v in amounts.values()))
            ),
            why,
        )
        victims = self._fair_victims(amounts) if self.fair else amounts
        for queue, amount in victims.items():
            self._mark(queue, amount)
        if self._marked or any(a > 0 for a in amounts.values()):
            self._on = True
            call_at(self.rm.env, self.interval_s, self._round)
        else:
            self.start()

    # ------------------------------------------------------------------- capacity
    def _capacity_amounts(self) -> tuple[dict[QueueRun, float], str]:
        rm, settings = self.rm, self.settings
        total = float(rm.cluster_mb)
        demands = [
            QueueDemand(
                q.config.capacity_frac * total,
                q.config.max_frac * total,
                float(q.used_mb),
                _pending_mb(q),
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
        starving = [
            q.config.name
            for q, d in zip(rm.queues, demands, strict=True)
            if d.pending_mb > 0 and d.used_mb < d.guaranteed_mb
        ]
        why = (
            f"{', '.join(starving) or 'another queue'} is below its guarantee with requests "
            "waiting; this queue holds more than its ideal share"
        )
        return dict(zip(rm.queues, amounts, strict=True)), why

    # ------------------------------------------------------------------------ fair
    def _fair_amounts(self) -> tuple[dict[QueueRun, float], str]:
        """Memory each starved leaf should get back now (zero for the others)."""
        rm, sched = self.rm, self.rm.scheduler
        now = rm.env.now
        total = float(rm.cluster_mb)
        sched.begin_pass()
        needs: dict[QueueRun, float] = {}
        for leaf in rm.queues:
            c = leaf.config
            demand = sched.demand_mb(leaf)
            fair = min(sched.fair_share_mb(leaf, total), demand)
            min_share = min(c.min_memory_mb, demand)
            below_min = leaf.used_mb < min_share
            below_fair = leaf.used_mb < c.fair_share_threshold * fair
            min_since = _since(self._below_min_since, leaf, below_min, now)
            fair_since = _since(self._below_fair_since, leaf, below_fair, now)
            needs[leaf] = starved_mb(
                leaf.used_mb,
                min_share,
                fair,
                now - min_since if min_since is not None else None,
                now - fair_since if fair_since is not None else None,
                c.min_share_timeout_s,
                c.fair_share_timeout_s,
            )
        if rm.allocated_mb < self.settings.cluster_utilization_threshold * total:
            needs = dict.fromkeys(needs, 0.0)
        starving = [q.config.name for q, n in needs.items() if n > 0]
        why = f"{', '.join(starving) or 'a queue'} is starved of its min or fair share"
        return needs, why

    def _fair_victims(self, needs: dict[QueueRun, float]) -> dict[QueueRun, float]:
        """How much each queue above its fair share gives back to cover the starved ones."""
        rm, sched = self.rm, self.rm.scheduler
        total = float(rm.cluster_mb)
        wanted = sum(needs.values()) - sum(c.memory_mb for c in self._marked)
        if wanted <= 0:
            return {}
        over = []
        for leaf in rm.queues:
            fair = min(sched.fair_share_mb(leaf, total), sched.demand_mb(leaf))
            marked = sum(c.memory_mb for c in self._marked if c.app.queue == leaf.config.name)
            spare = leaf.used_mb - marked - fair
            if needs[leaf] <= 0 and spare > 0:
                over.append((leaf.used_mb / fair if fair > 0 else float("inf"), spare, leaf))
        out: dict[QueueRun, float] = {}
        for _, spare, leaf in sorted(over, key=lambda t: (-t[0], t[2].config.name)):
            if wanted <= 0:
                break
            take = min(spare, wanted)
            out[leaf] = take
            wanted -= take
        return out

    # ------------------------------------------------------------------ containers
    def _kill_expired(self, still_needed: Callable[[QueueRun], bool], why: str) -> None:
        rm = self.rm
        now = rm.env.now
        for container, marked_s in sorted(self._marked.items(), key=lambda kv: kv[0].id):
            if not container.live:
                del self._marked[container]
            elif now - marked_s >= self.settings.max_wait_before_kill - 1e-9:
                del self._marked[container]
                queue = rm.queue_by_name[container.app.queue]
                if still_needed(queue):
                    rm.preempt(container, why)

    def _mark(self, queue: QueueRun, amount: float) -> None:
        if amount <= 0:
            return
        rm = self.rm
        now = rm.env.now
        name = queue.config.name
        need = amount - sum(c.memory_mb for c in self._marked if c.app.queue == name)
        # Victims come from every application of the queue, youngest first, as Hadoop's
        # FifoCandidatesSelector takes them (not only from those still asking for more).
        apps = [a for a in rm.apps.values() if a.queue == name and a.containers]
        for container in _youngest_first(apps):
            if need <= 0:
                break
            if container.is_am or container in self._marked:
                continue
            if self.fair and container.memory_mb > need + 1e-9:
                continue  # never take a fair-share queue below its share
            self._marked[container] = now
            need -= container.memory_mb
            rm.recorder.event(
                now,
                "container_marked_for_preemption",
                container=container.id,
                app=container.app.id,
                queue=name,
            )


def _pending_mb(queue: QueueRun) -> float:
    pending = sum(a.pending_resources()[0] for a in queue.demand)
    return pending + sum(a.am_mb for a in queue.waiting)


def _youngest_first(apps: Iterable[Application]) -> list[Container]:
    out: list[Container] = []
    for app in sorted(apps, key=lambda a: -a.id):
        out += sorted(app.containers, key=lambda c: -c.id)
    return out


def _since(table: dict[QueueRun, float], queue: QueueRun, below: bool, now: float) -> float | None:
    if not below:
        table.pop(queue, None)
        return None
    return table.setdefault(queue, now)
