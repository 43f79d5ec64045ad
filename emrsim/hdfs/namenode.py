"""The NameNode on the SimPy clock: dead DataNodes, throttled re-replication, decommissioning.

What it follows from Hadoop (emr-facts 4, hdfs-default.xml, BlockManager):

- A DataNode that vanishes is declared dead only after ``dead_node_timeout`` (630 s); until
  then its replicas still count, so nothing is copied.
- Every ``redundancy_interval`` (3 s) the RedundancyMonitor takes up to
  ``replication_work_multiplier`` (2) x live DataNodes blocks from the low-redundancy queues,
  highest priority first (blocks with at most one live replica, then those below a third of the
  target, then the rest), resuming where the last round stopped. For each it picks a source
  holding a replica whose copies in flight are under ``max_replication_streams`` (2), or under
  ``replication_streams_hard_limit`` (4) for highest-priority blocks, preferring decommissioning
  nodes, and a random in-service target without a replica and with room. Blocks without a free
  source or target wait for a later round.
- A copy takes block size / (``node_bandwidth_mb_s`` / copies the source serves): a model
  default, as Hadoop has no such setting; the stream limits above are what throttle it.
- A decommissioning DataNode is checked every ``decommission_check_interval`` (30 s) and is
  decommissioned once every block it holds has enough live replicas elsewhere.

The monitor runs only while there is work it can do: no polling of an idle HDFS.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np
import simpy

from emrsim.events import SAMPLE, call_at
from emrsim.hdfs.blocks import NO_NODE, BlockMap
from emrsim.recorder import Recorder
from emrsim.scenario.models import Hdfs


class NameNode:
    """Schedules re-replication and decommissioning for one :class:`BlockMap`."""

    def __init__(
        self,
        env: simpy.Environment,
        blocks: BlockMap,
        settings: Hdfs,
        rng: np.random.Generator,
        recorder: Recorder,
        on_decommissioned: Callable[[int], None],
    ) -> None:
        self.env = env
        self.blocks = blocks
        self.settings = settings
        self.rng = rng
        self.recorder = recorder
        self.on_decommissioned = on_decommissioned
        self.streams: dict[int, int] = {}  # source node -> copies it serves now
        self.reserved_mb: dict[int, float] = {}  # target node -> bytes of copies on the way
        self.in_flight = 0
        self.copies = 0
        self.failed_copies = 0
        self._bookmark = 0
        self._tick_armed = False
        self._check_armed = False
        self._draining_rows: dict[int, np.ndarray] = {}
        self._stuck_said = False
        self.warn: Callable[[str], None] = lambda message: None

    # ---------------------------------------------------------------------- events in
    def datanode_added(self, node: int, capacity_gb: float) -> None:
        """A DataNode registers (in service)."""
        self.blocks.add_datanode(node, capacity_gb)
        self._arm()

    def datanode_gone(self, node: int) -> int:
        """A DataNode vanished: its blocks may be lost now; it is declared dead later.
        Returns how many blocks became lost."""
        if node not in self.blocks.capacity_mb:
            return 0
        self._draining_rows.pop(node, None)
        lost = self.blocks.node_gone(node)
        call_at(self.env, self.settings.dead_node_timeout, partial(self._declare_dead, node))
        return lost

    def start_decommission(self, node: int) -> None:
        """Begin draining a DataNode's replicas to the others."""
        if node not in self.blocks.capacity_mb or node in self.blocks.decommissioning:
            return
        self._draining_rows[node] = self.blocks.start_decommission(node)
        self.recorder.event(self.env.now, "datanode_decommissioning", node=node)
        self._arm()
        self._arm_check()

    def stop_decommission(self, node: int) -> None:
        """Put a decommissioning DataNode back in service (its extra copies stay)."""
        rows = self._draining_rows.pop(node, None)
        if rows is None:
            return
        self.blocks.stop_decommission(node, rows)
        self.recorder.event(self.env.now, "datanode_recommissioned", node=node)

    # -------------------------------------------------------------------- internals
    def _declare_dead(self, node: int) -> None:
        if node not in self.blocks.gone:
            return
        rows = self.blocks.declare_dead(node)
        self.recorder.event(self.env.now, "datanode_dead", node=node, blocks=len(rows))
        self._arm()

    def _arm(self) -> None:
        if not self._tick_armed:
            self._tick_armed = True
            call_at(self.env, self.settings.redundancy_interval, self._tick)

    def _tick(self) -> None:
        self._tick_armed = False
        started, waiting = self._schedule_work()
        if started or self.in_flight:
            self._arm()  # keep going while copies run or work could start
        elif waiting and self.blocks.decommissioning and not self._stuck_said:
            self._stuck_said = True
            nodes = ", ".join(f"i-{n:05d}" for n in sorted(self.blocks.decommissioning))
            self.warn(
                f"at {self.env.now:.0f} s the decommissioning of {nodes} cannot "
                "finish: no in-service DataNode without a replica has room for the blocks "
                "still to copy (HDFS is too full); the nodes stay up and billed"
            )
            self.recorder.event(self.env.now, "decommission_stuck", nodes=nodes)

    def _schedule_work(self) -> tuple[int, int]:
        """Start this round's copies: (copies started, blocks still needing a copy)."""
        b = self.blocks
        if b.n_blocks == 0:
            return 0, 0
        r = b.replication
        live = b.live
        need = (live + b.pending < r) & ~b.lost & (b.known > 0)
        rows = np.flatnonzero(need)
        if len(rows) == 0:
            return 0, 0
        in_service = b.in_service()
        budget = self.settings.replication_work_multiplier * len(in_service)
        live_rows = live[rows]
        priority = np.where(live_rows <= 1, 0, np.where(live_rows * 3 < r, 1, 2))
        chosen: list[tuple[int, bool]] = []
        for level in (0, 1, 2):
            if len(chosen) >= budget:
                break
            at = rows[priority == level]
            if len(at) == 0:
                continue
            # Resume after the last block handled (Hadoop's queue bookmarks).
            rotated = (at - self._bookmark) % b.n_blocks
            k = budget - len(chosen)
            if len(at) > k:
                first = np.argpartition(rotated, k - 1)[:k]
                at, rotated = at[first], rotated[first]
            chosen += [(int(row), level == 0) for row in at[np.argsort(rotated)]]
        room = {n: b.free_mb(n) - self.reserved_mb.get(n, 0.0) for n in in_service}
        started = sum(self._copy(row, highest, room) for row, highest in chosen)
        if chosen:
            self._bookmark = chosen[-1][0] + 1
        return started, len(rows)

    def _copy(self, row: int, highest: bool, room: dict[int, float]) -> int:
        b = self.blocks
        s = self.settings
        limit = s.replication_streams_hard_limit if highest else s.max_replication_streams
        held = [int(n) for n in b.replicas[row] if n != NO_NODE]
        sources = [n for n in held if n in b.capacity_mb and self.streams.get(n, 0) < limit]
        if not sources:
            return 0
        draining = [n for n in sources if n in b.decommissioning]
        pool = draining or sources
        source = pool[int(self.rng.integers(len(pool)))]
        size = float(b.size_mb[row])
        targets = [n for n, free in room.items() if free >= size and n not in held]
        if not targets:
            return 0
        target = targets[int(self.rng.integers(len(targets)))]
        room[target] -= size
        self.streams[source] = self.streams.get(source, 0) + 1
        self.reserved_mb[target] = self.reserved_mb.get(target, 0.0) + size
        b.pending[row] += 1
        self.in_flight += 1
        duration = size / (s.node_bandwidth_mb_s / self.streams[source])
        call_at(self.env, duration, partial(self._copied, row, source, target, size))
        return 1

    def _copied(self, row: int, source: int, target: int, size: float) -> None:
        b = self.blocks
        self.streams[source] -= 1
        self.reserved_mb[target] -= size
        b.pending[row] -= 1
        self.in_flight -= 1
        ok = (
            source in b.capacity_mb
            and target in b.capacity_mb
            and target not in b.decommissioning
            and b.add_replica(row, target)
        )
        if ok:
            self.copies += 1
        else:
            self.failed_copies += 1  # a node went away mid-copy: the block waits for a round
        self._arm()

    def _arm_check(self) -> None:
        if not self._check_armed:
            self._check_armed = True
            call_at(self.env, self.settings.decommission_check_interval, self._check, SAMPLE)

    def _check(self) -> None:
        self._check_armed = False
        b = self.blocks
        for node in sorted(b.decommissioning):
            if b.decommissioned(self._draining_rows[node]):
                del self._draining_rows[node]
                b.remove_decommissioned(node)
                self.recorder.event(self.env.now, "datanode_decommissioned", node=node)
                self.on_decommissioned(node)
        if b.decommissioning:
            self._arm_check()

    # ----------------------------------------------------------------------- metrics
    def live_datanodes_pct(self) -> float:
        """LiveDataNodes: live DataNodes as a share of those the NameNode has seen. Live means
        in service or decommissioning (as Hadoop counts them), or vanished but not yet
        declared dead (the NameNode does not know yet)."""
        b = self.blocks
        live = len(b.capacity_mb) + len(b.gone)
        known = live + len(b.dead)
        return 100.0 * live / known if known else 0.0
