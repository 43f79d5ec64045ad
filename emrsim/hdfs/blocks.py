"""The HDFS block map: which DataNodes hold a replica of each block, in numpy arrays.

Placement follows Hadoop's default policy on a single rack (emr-facts 4): the first replica on
the writer's node when the writer is a DataNode, else on a random DataNode; the other replicas on
distinct random DataNodes with room.

A DataNode is in one of four states here:

- in service: holds replicas, serves reads, takes new replicas;
- decommissioning: holds and serves its replicas but they no longer count towards a block's
  replication (Hadoop's out-of-service replicas), and it takes no new ones;
- gone: the instance vanished, but the NameNode has not yet declared the DataNode dead (that
  takes 630 s): the NameNode still counts its replicas, yet nobody can read them;
- dead: declared; its replicas are removed from the map.

A block is *lost* when none of its replicas sits on a node that still exists: that is physics,
counted the moment the last holder vanishes (``blocks_lost``). The NameNode's own view
(MissingBlocks, UnderReplicatedBlocks) changes only when it learns of the loss. What the
NameNode does about under-replicated blocks, and when, lives in :mod:`emrsim.hdfs.namenode`.
"""

from __future__ import annotations

import math

import numpy as np

NO_NODE = -1


class BlockMap:
    """Replicas of every block as an (n_blocks, width) array of node indices (NO_NODE = empty).

    The width is twice the replication factor, so a block can hold new copies while replicas
    on decommissioning nodes are still there.
    """

    def __init__(self, replication: int, block_size_mb: int, rng: np.random.Generator) -> None:
        self.block_size_mb = block_size_mb
        self.rng = rng
        self.replication = replication
        self.n_blocks = 0
        self._reset_arrays()
        self.capacity_mb: dict[int, float] = {}  # nodes that exist (in service or decommissioning)
        self.node_used_mb: dict[int, float] = {}  # replica bytes on each existing node
        self.decommissioning: set[int] = set()
        self.gone: set[int] = set()  # vanished, not yet declared dead
        self.used_mb = 0.0  # replica bytes on existing nodes
        self.blocks_lost = 0
        self.bytes_lost_mb = 0.0
        self.rereplicated_mb = 0.0
        self.version = 0
        """Bumped by every change of the map (metrics are cached per version)."""
        self.dead: set[int] = set()  # declared dead by the NameNode
        self.peak_utilization_pct = 0.0

    def _changed(self) -> None:
        """After every change: a new version, and the peak utilisation so far."""
        self.version += 1
        self.peak_utilization_pct = max(self.peak_utilization_pct, self.utilization_pct())

    def _reset_arrays(self) -> None:
        width = 2 * self.replication
        self._all_replicas = np.full((0, width), NO_NODE, dtype=np.int32)
        self._all_size_mb = np.zeros(0, dtype=np.float64)
        self._all_lost = np.zeros(0, dtype=bool)
        self._all_live = np.zeros(0, dtype=np.int16)  # replicas the NameNode counts as live
        self._all_known = np.zeros(0, dtype=np.int16)  # replicas in the map (not declared dead)
        self._all_pending = np.zeros(0, dtype=np.int16)  # copies in flight

    def set_replication(self, replication: int) -> None:
        """Set the replication factor before any block is written (EMR fixes dfs.replication
        from the core node count when the cluster starts)."""
        if self.n_blocks:
            raise RuntimeError("the replication factor is fixed once blocks exist")
        self.replication = replication
        self._reset_arrays()

    # ----------------------------------------------------------------------- views
    @property
    def replicas(self) -> np.ndarray:
        """(n_blocks, width) node indices of each block's replicas."""
        return self._all_replicas[: self.n_blocks]

    @property
    def size_mb(self) -> np.ndarray:
        """Size of each block."""
        return self._all_size_mb[: self.n_blocks]

    @property
    def lost(self) -> np.ndarray:
        """Blocks with no replica on an existing node."""
        return self._all_lost[: self.n_blocks]

    @property
    def live(self) -> np.ndarray:
        """Replicas the NameNode counts towards replication (in service, or gone undeclared)."""
        return self._all_live[: self.n_blocks]

    @property
    def known(self) -> np.ndarray:
        """Replicas of each block the NameNode knows of (any state but dead)."""
        return self._all_known[: self.n_blocks]

    @property
    def pending(self) -> np.ndarray:
        """Copies of each block in flight."""
        return self._all_pending[: self.n_blocks]

    # ----------------------------------------------------------------------- nodes
    def add_datanode(self, node: int, capacity_gb: float) -> None:
        """A DataNode joins (in service) with ``capacity_gb`` of raw storage."""
        self.capacity_mb[node] = capacity_gb * 1024.0
        self.node_used_mb.setdefault(node, 0.0)
        self._changed()

    def in_service(self) -> list[int]:
        """DataNodes that take new replicas, sorted."""
        return sorted(n for n in self.capacity_mb if n not in self.decommissioning)

    def free_mb(self, node: int) -> float:
        """Room left on one existing DataNode."""
        return self.capacity_mb[node] - self.node_used_mb.get(node, 0.0)

    @property
    def raw_capacity_mb(self) -> float:
        """Raw storage of the existing DataNodes."""
        return sum(self.capacity_mb.values())

    def utilization_pct(self) -> float:
        """HDFSUtilization: replica bytes stored / raw capacity of existing DataNodes."""
        raw = self.raw_capacity_mb
        return 100.0 * self.used_mb / raw if raw > 0 else 0.0

    def remaining_gb(self) -> float:
        """CapacityRemainingGB: raw room left on in-service DataNodes."""
        return sum(self.free_mb(n) for n in self.in_service()) / 1024.0

    def rows_on(self, node: int) -> np.ndarray:
        """Indices of the blocks with a replica on ``node``."""
        return np.flatnonzero((self.replicas == node).any(axis=1))

    # ---------------------------------------------------------------------- writes
    def write(self, size_gb: float, writer: int | None = None) -> range | None:
        """Write a file of ``size_gb``; its block indices, or None (nothing written) when HDFS
        has no room for it. Each block goes to ``replication`` distinct in-service DataNodes
        with room (a node without room is not a good target, as in BlockPlacementPolicyDefault).
        """
        if size_gb <= 0:
            return range(self.n_blocks, self.n_blocks)
        r = self.replication
        size_mb = size_gb * 1024.0
        nodes = np.asarray(self.in_service(), dtype=np.int32)
        room = sum(self.free_mb(int(n)) for n in nodes)
        if len(nodes) < r or size_mb * r > room + 1e-6:
            return None
        n = max(1, math.ceil(size_mb / self.block_size_mb - 1e-9))
        sizes = np.full(n, float(self.block_size_mb))
        sizes[-1] = size_mb - self.block_size_mb * (n - 1)
        # r distinct random nodes per block: the first r columns of a random permutation.
        placed = nodes[self.rng.random((n, len(nodes))).argsort(axis=1)[:, :r]]
        if writer is not None and writer in self.capacity_mb and writer not in self.decommissioning:
            has = placed == writer
            rows = has.any(axis=1)
            # The writer keeps the first replica: swap it into column 0, else replace column 0.
            swap_col = has.argmax(axis=1)
            placed[rows, swap_col[rows]] = placed[rows, 0]
            placed[:, 0] = writer
        load = np.zeros(int(nodes.max()) + 1)
        np.add.at(load, placed.ravel(), np.repeat(sizes, r))
        free = np.array([self.free_mb(int(i)) for i in nodes])
        if (load[nodes] > free + 1e-6).any():
            one_by_one = self._place_one_by_one(sizes, writer)
            if one_by_one is None:
                return None
            placed = one_by_one
        per_node = np.zeros(int(placed.max()) + 1)
        np.add.at(per_node, placed.ravel(), np.repeat(sizes, r))
        for node in np.flatnonzero(per_node):
            self.node_used_mb[int(node)] += float(per_node[node])
        return self._append(placed, sizes)

    def _place_one_by_one(self, sizes: np.ndarray, writer: int | None) -> np.ndarray | None:
        """Placement when some node would overflow: block by block among nodes with room."""
        free = {node: self.free_mb(node) for node in self.in_service()}
        rows = []
        for size in sizes.tolist():
            chosen: list[int] = []
            if writer is not None and free.get(writer, -1.0) >= size:
                chosen.append(writer)
            candidates = [n for n, f in free.items() if f >= size and n not in chosen]
            while len(chosen) < self.replication and candidates:
                chosen.append(candidates.pop(int(self.rng.integers(len(candidates)))))
            if len(chosen) < self.replication:
                return None
            for node in chosen:
                free[node] -= size
            rows.append(chosen)
        return np.asarray(rows, dtype=np.int32)

    def _append(self, placed: np.ndarray, sizes: np.ndarray) -> range:
        need = self.n_blocks + len(sizes)
        if need > len(self._all_size_mb):  # grow by doubling: appends stay amortised O(1)
            grow = max(need, 2 * len(self._all_size_mb), 1024)
            old = self.n_blocks

            def grown(array: np.ndarray, fill: float) -> np.ndarray:
                shape = (grow, *array.shape[1:])
                out = np.full(shape, fill, dtype=array.dtype)
                out[:old] = array[:old]
                return out

            self._all_replicas = grown(self._all_replicas, NO_NODE)
            self._all_size_mb = grown(self._all_size_mb, 0.0)
            self._all_lost = grown(self._all_lost, False)
            self._all_live = grown(self._all_live, 0)
            self._all_known = grown(self._all_known, 0)
            self._all_pending = grown(self._all_pending, 0)
        start, self.n_blocks = self.n_blocks, need
        self._all_replicas[start:need, : placed.shape[1]] = placed
        self._all_size_mb[start:need] = sizes
        self._all_live[start:need] = placed.shape[1]
        self._all_known[start:need] = placed.shape[1]
        self.used_mb += float(sizes.sum()) * placed.shape[1]
        self._changed()
        return range(start, need)

    # ------------------------------------------------------------------------ reads
    def readable(self, blocks: np.ndarray | range) -> bool:
        """Whether every block in ``blocks`` has a replica someone can read."""
        if len(blocks) == 0:
            return True
        return not bool(self._all_lost[np.asarray(blocks)].any())

    def stored_gb(self) -> float:
        """Logical data in HDFS that can still be read (blocks not lost), in GB."""
        return float(self.size_mb[~self.lost].sum()) / 1024.0

    # ----------------------------------------------------------------------- losses
    def node_gone(self, node: int) -> int:
        """A DataNode vanishes with its replicas (the NameNode does not know yet); returns how
        many blocks became lost."""
        if node not in self.capacity_mb:
            return 0
        del self.capacity_mb[node]
        self.used_mb -= self.node_used_mb.pop(node, 0.0)
        if node in self.decommissioning:
            # Its replicas stopped counting when it began to drain; declare_dead takes them
            # off once more, so count them again until then.
            self.decommissioning.discard(node)
            self._all_live[self.rows_on(node)] += 1
        self.gone.add(node)
        self._changed()
        return self._account_lost(self.rows_on(node))

    def _account_lost(self, rows: np.ndarray) -> int:
        """Mark the blocks among ``rows`` with no replica on an existing node as lost."""
        if len(rows) == 0:
            return 0
        held = self.replicas[rows]
        readable = np.isin(held, np.fromiter(self.capacity_mb, dtype=np.int32, count=-1))
        newly = rows[~readable.any(axis=1) & ~self.lost[rows]]
        self._all_lost[newly] = True
        self.blocks_lost += len(newly)
        self.bytes_lost_mb += float(self.size_mb[newly].sum())
        return len(newly)

    def declare_dead(self, node: int) -> np.ndarray:
        """The NameNode declares a gone DataNode dead: its replicas leave the map. Returns the
        rows that lost a replica the NameNode had counted."""
        self.gone.discard(node)
        self.dead.add(node)
        rows = self.rows_on(node)
        self._remove_replicas(rows, node)
        self._all_live[rows] -= 1
        return rows

    def start_decommission(self, node: int) -> np.ndarray:
        """A DataNode starts decommissioning: its replicas stop counting. Returns its rows."""
        self.decommissioning.add(node)
        rows = self.rows_on(node)
        self._all_live[rows] -= 1
        self._changed()
        return rows

    def stop_decommission(self, node: int, rows: np.ndarray) -> None:
        """A decommissioning DataNode goes back in service (``rows``: its blocks then)."""
        self.decommissioning.discard(node)
        still = rows[(self._all_replicas[rows] == node).any(axis=1)]
        self._all_live[still] += 1
        self._changed()

    def decommissioned(self, rows: np.ndarray) -> bool:
        """Whether every block of a decommissioning node (its ``rows``) is replicated enough
        elsewhere."""
        target = min(self.replication, len(self.in_service()))
        return bool((self.live[rows] >= target).all())

    def remove_decommissioned(self, node: int) -> int:
        """A decommissioned DataNode leaves with its (now redundant) replicas. Returns the
        blocks lost with it: only when the NameNode counted replicas on a node that had
        vanished without its knowing (within the dead-node timeout)."""
        rows = self.rows_on(node)
        self._remove_replicas(rows, node)
        del self.capacity_mb[node]
        self.used_mb -= self.node_used_mb.pop(node, 0.0)
        self.decommissioning.discard(node)
        self._changed()
        return self._account_lost(rows)

    def _remove_replicas(self, rows: np.ndarray, node: int) -> None:
        block = self._all_replicas[rows]
        block[block == node] = NO_NODE
        self._all_replicas[rows] = block
        self._all_known[rows] -= 1
        self._changed()

    def add_replica(self, row: int, node: int) -> bool:
        """A copy of block ``row`` landed on ``node``; False when there is no room for it."""
        size = float(self._all_size_mb[row])
        held = self._all_replicas[row]
        empty = np.flatnonzero(held == NO_NODE)
        if len(empty) == 0 or node not in self.capacity_mb or node in held:
            return False
        held[empty[0]] = node
        self._all_live[row] += 1
        self._all_known[row] += 1
        self.node_used_mb[node] += size
        self.used_mb += size
        self.rereplicated_mb += size
        self._changed()
        return True

    # ---------------------------------------------------------------------- metrics
    def under_replicated(self) -> int:
        """UnderReplicatedBlocks: blocks the NameNode knows of with fewer live replicas than
        the replication factor (replicas on decommissioning nodes do not count)."""
        return int(((self.known > 0) & (self.live < self.replication)).sum())

    def missing_blocks(self) -> int:
        """MissingBlocks: blocks with no replica the NameNode knows of."""
        return int((self.known == 0).sum())
