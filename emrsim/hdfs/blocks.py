"""The HDFS block map: which core nodes hold a replica of each block (numpy arrays).

Placement follows Hadoop's default policy on a single rack (emr-facts 4): the first replica on
the writer's node when the writer is a DataNode, else on a random DataNode; the other replicas on
distinct random DataNodes. A DataNode that disappears is declared dead after Hadoop's timeout
(2 x 300 s recheck + 10 x 3 s heartbeat = 630 s); its blocks that still have a live replica are
then copied back to the replication factor. This version re-replicates at once when the node is
declared dead (Hadoop's throttles are not modelled yet); a block whose every replica sat on lost
nodes is lost.
"""

from __future__ import annotations

import math

import numpy as np

DEAD_NODE_TIMEOUT_S = 2 * 300.0 + 10 * 3.0
"""dfs.namenode.heartbeat.recheck-interval x 2 + 10 x dfs.heartbeat.interval (hdfs-default)."""

_NO_NODE = -1


class BlockMap:
    """Replicas of every block, as an (n_blocks, replication) array of node indices."""

    def __init__(self, replication: int, block_size_mb: int, rng: np.random.Generator) -> None:
        self.replication = replication
        self.block_size_mb = block_size_mb
        self.rng = rng
        self._all_replicas = np.full((0, replication), _NO_NODE, dtype=np.int32)
        self._all_size_mb = np.zeros(0, dtype=np.float64)
        self._all_lost = np.zeros(0, dtype=bool)
        self.n_blocks = 0
        self.capacity_mb: dict[int, float] = {}  # live DataNodes
        self.node_used_mb: dict[int, float] = {}  # replica bytes on each live DataNode
        self.used_mb = 0.0  # bytes of live replicas (all nodes, live)
        self.blocks_lost = 0
        self.bytes_lost_mb = 0.0
        self.rereplicated_mb = 0.0

    def set_replication(self, replication: int) -> None:
        """Set the replication factor before any block is written (EMR fixes dfs.replication
        from the core node count when the cluster starts)."""
        if self.n_blocks:
            raise RuntimeError("the replication factor is fixed once blocks exist")
        self.replication = replication
        self._all_replicas = np.full((0, replication), _NO_NODE, dtype=np.int32)

    # ------------------------------------------------------------------------- nodes
    def add_datanode(self, node: int, capacity_gb: float) -> None:
        """A DataNode joins with ``capacity_gb`` of raw storage."""
        self.capacity_mb[node] = capacity_gb * 1024.0

    @property
    def raw_capacity_mb(self) -> float:
        """Raw storage of the live DataNodes."""
        return sum(self.capacity_mb.values())

    def utilization_pct(self) -> float:
        """HDFSUtilization: replica bytes stored / raw capacity of live DataNodes."""
        raw = self.raw_capacity_mb
        return 100.0 * self.used_mb / raw if raw > 0 else 0.0

    # ------------------------------------------------------------------------ writes
    def free_mb(self, node: int) -> float:
        """Room left on one live DataNode."""
        return self.capacity_mb[node] - self.node_used_mb.get(node, 0.0)

    def write(self, size_gb: float, writer: int | None = None) -> bool:
        """Write a file of ``size_gb``; False (nothing written) when HDFS has no room for it.

        Each block goes to ``replication`` distinct DataNodes with room for it (a node without
        room is not a good target, as in BlockPlacementPolicyDefault).
        """
        if size_gb <= 0:
            return True
        r = self.replication
        size_mb = size_gb * 1024.0
        nodes = np.fromiter(sorted(self.capacity_mb), dtype=np.int32)
        if len(nodes) < r or self.used_mb + size_mb * r > self.raw_capacity_mb + 1e-6:
            return False
        n = math.ceil(size_mb / self.block_size_mb)
        sizes = np.full(n, float(self.block_size_mb))
        sizes[-1] = size_mb - self.block_size_mb * (n - 1)
        # r distinct random nodes per block: the first r columns of a random permutation.
        placed = nodes[self.rng.random((n, len(nodes))).argsort(axis=1)[:, :r]]
        if writer is not None and writer in self.capacity_mb:
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
            placed_or_none = self._place_one_by_one(sizes, writer)
            if placed_or_none is None:
                return False
            placed = placed_or_none
        self._add_usage(placed, sizes)
        self._append(placed, sizes)
        return True

    def _add_usage(self, placed: np.ndarray, sizes: np.ndarray) -> None:
        per_node = np.zeros(int(placed.max()) + 1)
        np.add.at(per_node, placed.ravel(), np.repeat(sizes, placed.shape[1]))
        for node in np.flatnonzero(per_node):
            self.node_used_mb[int(node)] = self.node_used_mb.get(int(node), 0.0) + float(
                per_node[node]
            )

    def _place_one_by_one(self, sizes: np.ndarray, writer: int | None) -> np.ndarray | None:
        """Placement when some node would overflow: block by block among nodes with room."""
        free = {node: self.free_mb(node) for node in sorted(self.capacity_mb)}
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

    def _append(self, placed: np.ndarray, sizes: np.ndarray) -> None:
        need = self.n_blocks + len(sizes)
        if need > len(self._all_size_mb):  # grow by doubling: appends stay amortised O(1)
            grow = max(need, 2 * len(self._all_size_mb), 1024)
            replicas = np.full((grow, self.replication), _NO_NODE, dtype=np.int32)
            replicas[: self.n_blocks] = self._replicas[: self.n_blocks]
            size_mb = np.zeros(grow)
            size_mb[: self.n_blocks] = self._size_mb[: self.n_blocks]
            lost = np.zeros(grow, dtype=bool)
            lost[: self.n_blocks] = self._lost[: self.n_blocks]
            self._all_replicas, self._all_size_mb, self._all_lost = replicas, size_mb, lost
        start, self.n_blocks = self.n_blocks, need
        self._all_replicas[start:need] = placed
        self._all_size_mb[start:need] = sizes
        self.used_mb += float(sizes.sum()) * placed.shape[1]

    @property
    def _replicas(self) -> np.ndarray:
        return self._all_replicas[: self.n_blocks]

    @property
    def _size_mb(self) -> np.ndarray:
        return self._all_size_mb[: self.n_blocks]

    @property
    def _lost(self) -> np.ndarray:
        return self._all_lost[: self.n_blocks]

    # ------------------------------------------------------------------------ losses
    def node_lost(self, node: int) -> int:
        """A DataNode vanishes with its replicas; returns how many blocks became lost."""
        self.capacity_mb.pop(node, None)
        self.node_used_mb.pop(node, None)
        on_node = self._replicas == node
        if not on_node.any():
            return 0
        per_block = on_node.sum(axis=1)
        self.used_mb -= float((per_block * self._size_mb).sum())
        self._replicas[on_node] = _NO_NODE
        newly = (self._replicas == _NO_NODE).all(axis=1) & ~self._lost
        count = int(newly.sum())
        self._all_lost[: self.n_blocks] |= newly
        self.blocks_lost += count
        self.bytes_lost_mb += float(self._size_mb[newly].sum())
        return count

    def stored_gb(self) -> float:
        """Logical data in HDFS that can still be read (blocks with a live replica), in GB."""
        return float(self._size_mb[~self._lost].sum()) / 1024.0

    def under_replicated(self) -> int:
        """Blocks with at least one but fewer than ``replication`` live replicas."""
        missing = (self._replicas == _NO_NODE).any(axis=1)
        return int((missing & ~self._lost).sum())

    def missing_blocks(self) -> int:
        """Blocks with no live replica (MissingBlocks)."""
        return int(self._lost.sum())

    def rereplicate(self) -> None:
        """Copy every under-replicated block to live nodes that do not hold it and have room.

        A block for which no such node exists stays under-replicated.
        """
        live = sorted(self.capacity_mb)
        rows = np.flatnonzero((self._replicas == _NO_NODE).any(axis=1) & ~self._lost)
        for row in rows:
            size = float(self._size_mb[row])
            held = {int(x) for x in self._replicas[row] if x != _NO_NODE}
            candidates = [n for n in live if n not in held and self.free_mb(n) >= size]
            for col in np.flatnonzero(self._replicas[row] == _NO_NODE):
                if not candidates:
                    break
                pick = candidates.pop(int(self.rng.integers(len(candidates))))
                self._replicas[row, col] = pick
                self.node_used_mb[pick] = self.node_used_mb.get(pick, 0.0) + size
                self.used_mb += size
                self.rereplicated_mb += size
