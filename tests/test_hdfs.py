"""HDFS at unit level: block placement, losses, the NameNode's throttles, and what jobs see.

The BlockMap and NameNode tests drive them directly (a NameNode on its own SimPy clock with a
recorder that keeps its events); the others run small scenarios. In those, the cluster is ready
at T = 90 s (provision 60 s + bootstrap 30 s) and the preload is written then, with no writer,
so every replica is on a random DataNode.
"""

from __future__ import annotations

import functools
import json
import math
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import simpy
from hypothesis import given
from hypothesis import strategies as st

from emrsim import Simulation
from emrsim.hdfs.blocks import NO_NODE, BlockMap
from emrsim.hdfs.namenode import NameNode
from emrsim.recorder import Recorder
from emrsim.scenario import ScenarioError, scenario_from_data
from emrsim.scenario.models import Hdfs

T = 90.0
BLOCK_MB = 128


# ---------------------------------------------------------------------------- helpers
class Events(Recorder):
    """A recorder that keeps its events in memory."""

    def __init__(self) -> None:
        super().__init__(None)
        self.events: list[dict[str, Any]] = []

    def event(self, time_s: float, event: str, **fields: Any) -> None:
        self.events.append({"time_s": time_s, "event": event, **fields})


def _block_map(nodes: int, replication: int, capacity_gb: float = 64.0, seed: int = 0) -> BlockMap:
    blocks = BlockMap(replication, BLOCK_MB, np.random.default_rng(seed))
    for node in range(nodes):
        blocks.add_datanode(node, capacity_gb)
    return blocks


def _holders(blocks: BlockMap) -> list[set[int]]:
    """The nodes holding a replica of each block (dead ones excluded: removed from the map)."""
    return [{int(n) for n in row if n != NO_NODE} for row in blocks.replicas]


def _check_books(blocks: BlockMap) -> None:
    """Bytes per node and in total agree with the replicas in the map; nobody is over-full."""
    per_node: dict[int, float] = {}
    for held, size in zip(_holders(blocks), blocks.size_mb.tolist(), strict=True):
        for node in held:
            per_node[node] = per_node.get(node, 0.0) + size
    for node, capacity in blocks.capacity_mb.items():
        assert blocks.node_used_mb[node] == pytest.approx(per_node.get(node, 0.0), abs=1e-6)
        assert blocks.node_used_mb[node] <= capacity + 1e-6, f"node {node} over capacity"
    assert blocks.used_mb == pytest.approx(sum(blocks.node_used_mb.values()), abs=1e-6)


class Clock:
    """A NameNode on its own SimPy clock over ``nodes`` DataNodes of 64 GB holding
    ``preload_gb`` written with no writer; ``settings`` override the Hdfs defaults."""

    def __init__(
        self, nodes: int, replication: int, preload_gb: float, seed: int = 0, **settings: Any
    ) -> None:
        self.env = simpy.Environment()
        self.blocks = BlockMap(replication, BLOCK_MB, np.random.default_rng(seed))
        self.recorder = Events()
        self.decommissioned: list[tuple[float, int]] = []
        self.settings = Hdfs(**settings)
        self.namenode = NameNode(
            self.env,
            self.blocks,
            self.settings,
            np.random.default_rng(seed + 1),
            self.recorder,
            lambda node: self.decommissioned.append((self.env.now, node)),
        )
        for node in range(nodes):
            self.namenode.datanode_added(node, 64.0)
        assert self.blocks.write(preload_gb) is not None

    def started(self) -> int:
        """Copies started so far (finished, failed or in flight)."""
        nn = self.namenode
        return nn.copies + nn.failed_copies + nn.in_flight

    def run(self, until: float) -> list[tuple[float, int, dict[int, int]]]:
        """Step the clock to ``until``: per event, (time, copies it started, streams per
        source after it). Copies start only in the RedundancyMonitor's rounds, one event each."""
        rows = []
        before = self.started()
        while self.env.peek() <= until:
            self.env.step()
            now = self.started()
            rows.append((self.env.now, now - before, dict(self.namenode.streams)))
            before = now
        return rows


def _scenario(
    core: int,
    hdfs: dict[str, Any],
    faults: list[dict[str, Any]] | None = None,
    workload: dict[str, Any] | None = None,
    tasks: int = 0,
    horizon: float | None = None,
    **changes: Any,
) -> dict[str, Any]:
    groups: list[dict[str, Any]] = [
        {"role": "primary", "instance_type": "m5.xlarge", "count": 1},
        {"role": "core", "instance_type": "m5.xlarge", "count": core},
    ]
    if tasks:
        groups.append({"role": "task", "instance_type": "m5.xlarge", "count": tasks})
    data: dict[str, Any] = {
        "name": "hdfs",
        "seed": 3,
        "release_label": "emr-6.15.0",
        "cluster": {
            "instance_groups": groups,
            "startup": {"provision": 60, "bootstrap": 30},
        },
        "yarn": {"am_placement": "core"},
        "hdfs": hdfs,
        "faults": faults or [],
        "workload": workload or {},
    }
    if horizon is not None:
        data["horizon"] = horizon
        data["cluster"]["keep_alive"] = True
    data.update(changes)
    return data


def _run(data: dict[str, Any], tmp_path: Path) -> tuple[Simulation, Any, list[dict[str, Any]]]:
    path = tmp_path / "events.jsonl"
    sim = Simulation(scenario_from_data(data), events_path=path)
    result = sim.run()
    events = [json.loads(line) for line in path.read_text().splitlines()]
    return sim, result, events


def _stream(name: str, start: float, stages: list[dict[str, Any]], attempts: int = 2) -> Any:
    """One job, submitted at ``start``, with no AM and 1 GB task containers."""
    for stage in stages:
        stage.setdefault("container", {"memory_mb": 1024})
    return {
        "name": name,
        "start": start,
        "interarrival": 0,
        "count": 1,
        "job": {"type": "container", "am": "none", "max_task_attempts": attempts, "stages": stages},
    }


# ------------------------------------------------------------------------ block placement
def test_the_writer_gets_the_first_replica_the_others_are_distinct() -> None:
    blocks = _block_map(8, 3)
    rows = blocks.write(20.0, writer=5)
    assert rows == range(0, 160)  # 20 GB in 128 MB blocks
    held = blocks.replicas[:, :3]
    assert (held[:, 0] == 5).all()
    assert (blocks.replicas[:, 3:] == NO_NODE).all()
    assert all(len(set(row)) == 3 for row in held.tolist())
    assert set(held[:, 1:].ravel().tolist()) == set(range(8)) - {5}  # spread over the others
    assert blocks.node_used_mb[5] == pytest.approx(20 * 1024.0)
    _check_books(blocks)


def test_without_a_datanode_writer_the_first_replica_is_random() -> None:
    blocks = _block_map(8, 2)
    blocks.write(20.0)  # from outside the cluster
    firsts = blocks.replicas[:, 0].tolist()
    # 160 blocks on 8 nodes: every node gets some first replicas (P(a node gets none) ~ 1e-9).
    assert set(firsts) == set(range(8))
    decommissioning = _block_map(8, 2)
    decommissioning.start_decommission(5)
    decommissioning.write(20.0, writer=5)  # a decommissioning writer takes no new replica
    assert not (decommissioning.replicas == 5).any()
    assert decommissioning.node_used_mb[5] == 0.0


def test_a_write_that_does_not_fit_returns_none_and_changes_nothing() -> None:
    blocks = _block_map(4, 2)  # 256 GB raw, 128 GB of data at replication 2
    assert blocks.write(100.0) is not None
    used, n_blocks, version = dict(blocks.node_used_mb), blocks.n_blocks, blocks.version
    assert blocks.write(28.5) is None  # 28.5 x 2 > 56 GB left
    assert (blocks.node_used_mb, blocks.n_blocks, blocks.version) == (used, n_blocks, version)
    # Replication 2 needs two in-service DataNodes, whatever the room.
    one = _block_map(2, 2)
    one.start_decommission(1)
    assert one.write(1.0) is None


def test_a_full_node_gets_no_replica() -> None:
    # One tiny node: random placement would overflow it; blocks go block by block instead.
    blocks = BlockMap(2, BLOCK_MB, np.random.default_rng(1))
    blocks.add_datanode(0, 0.5)  # room for 4 blocks
    for node in (1, 2, 3):
        blocks.add_datanode(node, 64.0)
    assert blocks.write(60.0) is not None
    _check_books(blocks)
    assert blocks.node_used_mb[0] <= 512.0


@given(
    capacities=st.lists(st.integers(1, 64), min_size=1, max_size=8),
    replication=st.integers(1, 3),
    sizes=st.lists(st.floats(0.001, 80.0), min_size=1, max_size=6),
    writer=st.one_of(st.none(), st.integers(0, 7)),
    seed=st.integers(0, 2**16),
)
def test_writes_keep_placement_rules(
    capacities: list[int], replication: int, sizes: list[float], writer: int | None, seed: int
) -> None:
    """Any sequence of writes: each block on ``replication`` distinct nodes, the writer first
    when it is a DataNode with room, no node over capacity; None exactly leaves all as it was,
    and it is the answer whenever the data times replication exceeds the room left."""
    blocks = BlockMap(replication, BLOCK_MB, np.random.default_rng(seed))
    for node, gb in enumerate(capacities):
        blocks.add_datanode(node, float(gb))
    for size in sizes:
        room = sum(blocks.free_mb(n) for n in blocks.in_service())
        before = (dict(blocks.node_used_mb), blocks.n_blocks)
        writer_room = blocks.free_mb(writer) if writer in blocks.capacity_mb else -1.0
        rows = blocks.write(size, writer)
        if rows is None:
            assert (dict(blocks.node_used_mb), blocks.n_blocks) == before
            continue
        assert size * 1024.0 * replication <= room + 1e-6
        assert len(rows) == math.ceil(size * 1024.0 / BLOCK_MB - 1e-9)
        assert blocks.size_mb[rows.start : rows.stop].sum() == pytest.approx(size * 1024.0)
        new = blocks.replicas[rows.start : rows.stop]
        for row in new.tolist():
            held = [n for n in row if n != NO_NODE]
            assert len(held) == len(set(held)) == replication
            assert set(held) <= set(range(len(capacities)))
        if writer_room >= size * 1024.0:  # the writer had room for every block
            assert (new[:, 0] == writer).all()
        _check_books(blocks)


# ------------------------------------------------------------------------------- losses
def test_node_gone_loses_only_blocks_with_no_replica_on_an_existing_node() -> None:
    blocks = _block_map(5, 2)
    blocks.write(30.0)
    holders = _holders(blocks)
    assert blocks.node_gone(0) == 0  # every block has a second replica somewhere
    assert blocks.blocks_lost == 0 and not blocks.lost.any()
    # Node 2 drains: its replicas are still there to read, so it counts as existing.
    blocks.start_decommission(2)
    lost = blocks.node_gone(1)
    expected = np.array([held <= {0, 1} for held in holders])
    assert lost == blocks.blocks_lost == int(expected.sum()) > 0
    assert (blocks.lost == expected).all()
    assert blocks.bytes_lost_mb == pytest.approx(float(blocks.size_mb[expected].sum()))
    assert not blocks.readable(np.flatnonzero(expected)[:1])
    assert blocks.readable(np.flatnonzero(~expected))
    assert blocks.stored_gb() == pytest.approx(30.0 - blocks.bytes_lost_mb / 1024.0)
    # The NameNode has not declared anything dead: its metrics do not show the loss yet.
    assert blocks.missing_blocks() == 0
    assert blocks.under_replicated() == len(blocks.rows_on(2))  # only the draining node's


def test_declare_dead_removes_the_replicas_the_namenode_counted() -> None:
    blocks = _block_map(4, 2)
    blocks.write(10.0)
    on_0 = set(blocks.rows_on(0).tolist())
    blocks.node_gone(0)
    assert blocks.under_replicated() == 0  # still counted until declared dead
    rows = blocks.declare_dead(0)
    assert set(rows.tolist()) == on_0
    assert not (blocks.replicas == 0).any()
    assert blocks.under_replicated() == len(on_0)
    assert (blocks.live[rows] == 1).all() and (blocks.known[rows] == 1).all()
    assert blocks.missing_blocks() == 0
    # Replication 1: the dead node's blocks have no replica left: missing.
    single = _block_map(3, 1)
    single.write(10.0)
    single.node_gone(1)
    assert single.missing_blocks() == 0
    single.declare_dead(1)
    assert single.missing_blocks() == single.blocks_lost == int(single.lost.sum()) > 0


def test_a_datanode_lost_while_decommissioning_is_not_discounted_twice() -> None:
    """A decommissioning DataNode's replicas stopped counting when it began to drain; when it
    then vanishes (a spot reclaim during a decommission) and is declared dead, the count of
    live replicas must still equal the replicas on in-service nodes."""
    blocks = _block_map(4, 2)
    blocks.write(10.0)
    rows = blocks.start_decommission(0)
    assert (blocks.live[rows] == 1).all()
    blocks.node_gone(0)
    blocks.declare_dead(0)
    in_service = set(blocks.in_service())
    counted = [len(held & in_service) for held in _holders(blocks)]
    assert blocks.live.tolist() == counted


def test_a_tiny_write_is_one_block() -> None:
    blocks = _block_map(2, 1)
    assert blocks.write(1e-12) == range(0, 1)


# ------------------------------------------------------------------------------ NameNode
@pytest.mark.parametrize("timeout", [630.0, 100.0])
def test_no_copy_starts_before_the_dead_node_timeout(timeout: float) -> None:
    clock = Clock(6, 2, 20.0, dead_node_timeout=timeout)
    rows_on_0 = len(clock.blocks.rows_on(0))
    assert clock.namenode.datanode_gone(0) == 0
    quiet = clock.run(timeout - 1e-6)
    assert sum(started for _, started, _ in quiet) == 0
    assert clock.blocks.under_replicated() == 0
    busy = clock.run(timeout + 10 * clock.settings.redundancy_interval)
    first = min(t for t, started, _ in busy if started)
    # Declared dead at the timeout; the first RedundancyMonitor round follows within 3 s.
    assert timeout < first <= timeout + clock.settings.redundancy_interval
    (dead,) = [e for e in clock.recorder.events if e["event"] == "datanode_dead"]
    assert (dead["time_s"], dead["node"], dead["blocks"]) == (timeout, 0, rows_on_0)


@pytest.mark.parametrize("multiplier", [1, 2, 3])
def test_each_round_starts_at_most_multiplier_times_live_datanodes(multiplier: int) -> None:
    """Streams unlimited, so only the per-round budget throttles: 10 DataNodes, one lost,
    ~160 blocks to copy; every round starts at most multiplier x 9 copies and the first,
    with more work than that, exactly as many."""
    clock = Clock(
        10,
        2,
        100.0,
        dead_node_timeout=10.0,
        replication_work_multiplier=multiplier,
        max_replication_streams=1000,
        replication_streams_hard_limit=1000,
    )
    to_copy = len(clock.blocks.rows_on(0))
    clock.namenode.datanode_gone(0)
    rows = clock.run(5000.0)
    budget = multiplier * 9
    rounds = [started for _, started, _ in rows if started]
    assert to_copy > budget
    assert max(rounds) <= budget
    assert rounds[0] == budget
    assert sum(rounds) == clock.namenode.copies == to_copy  # once each, nothing failed
    assert clock.blocks.under_replicated() == 0
    assert clock.blocks.rereplicated_mb == pytest.approx(to_copy * BLOCK_MB)


def test_a_draining_sole_source_serves_at_most_the_hard_limit() -> None:
    """Replication 1: the blocks of a decommissioning node have no other replica (highest
    priority), so that node is their only source: at most 4 copies at once, and it gets there."""
    clock = Clock(10, 1, 100.0)
    clock.namenode.start_decommission(0)
    rows = clock.run(5000.0)
    peak = max(streams.get(0, 0) for _, _, streams in rows)
    assert peak == clock.settings.replication_streams_hard_limit == 4
    assert all(n <= 4 for _, _, streams in rows for n in streams.values())
    assert [node for _, node in clock.decommissioned] == [0]
    assert clock.blocks.blocks_lost == 0


def test_ordinary_blocks_use_at_most_max_replication_streams_per_source() -> None:
    """Replication 3, one node dead: its blocks keep 2 of 3 live replicas (not highest
    priority), so each source serves at most 2 copies at once."""
    clock = Clock(10, 3, 100.0, dead_node_timeout=10.0)
    clock.namenode.datanode_gone(0)
    rows = clock.run(5000.0)
    peak = max(max(streams.values(), default=0) for _, _, streams in rows)
    assert peak == clock.settings.max_replication_streams == 2
    assert clock.blocks.under_replicated() == 0


def test_the_first_round_takes_the_highest_priority_blocks() -> None:
    """Replication 3, two nodes lost at once: blocks that had replicas on both keep one live
    replica (highest priority), ~800/15 of them, more than a round's 16; the first round takes
    only those."""
    clock = Clock(10, 3, 100.0, dead_node_timeout=10.0)
    clock.namenode.datanode_gone(0)
    clock.namenode.datanode_gone(1)
    clock.run(10.0 + 1e-6)  # both declared dead; the round follows 3 s later
    assert int((clock.blocks.live == 1).sum()) > 16
    clock.run(13.0)
    pending = np.flatnonzero(clock.blocks.pending > 0)
    assert len(pending) > 0
    assert (clock.blocks.live[pending] == 1).all()


def test_a_decommissioned_node_leaves_once_its_blocks_are_replicated_elsewhere() -> None:
    clock = Clock(6, 2, 20.0)
    rows = clock.blocks.rows_on(0)
    clock.namenode.start_decommission(0)
    assert clock.blocks.under_replicated() == len(rows)  # its replicas no longer count
    clock.run(5000.0)
    ((when, node),) = clock.decommissioned
    assert node == 0 and when > 0 and when % clock.settings.decommission_check_interval == 0
    assert 0 not in clock.blocks.capacity_mb
    assert clock.blocks.blocks_lost == 0
    assert (clock.blocks.live[rows] >= 2).all()
    assert all(len(held) == 2 and 0 not in held for held in _holders(clock.blocks))


def test_no_datanode_in_service_schedules_nothing() -> None:
    """Replication 1 on 2 DataNodes: one drains, the other vanishes. Nothing can be copied
    until a DataNode joins; the NameNode must simply wait."""
    clock = Clock(2, 1, 10.0)
    clock.namenode.start_decommission(0)
    clock.namenode.datanode_gone(1)
    rows = clock.run(1000.0)
    assert sum(started for _, started, _ in rows) == 0


def test_losing_the_last_in_service_core_node_while_others_drain() -> None:
    data = _scenario(
        3,
        {"preload_gb": 10},
        faults=[
            {"at": 300, "action": "decommission", "role": "core", "count": 2},
            {"at": 301, "action": "terminate", "role": "core", "count": 1},
        ],
        horizon=1200,
    )
    result = Simulation(scenario_from_data(data)).run()
    assert result.summary["hdfs"]["blocks_lost"] > 0  # replication 1: its blocks are gone


# ------------------------------------------------------------------------ what jobs read
def test_a_split_with_a_lost_block_fails_the_job_with_block_missing(tmp_path: Path) -> None:
    """Replication 1 on 2 core nodes: one is lost at 200 s with about half the 80 preloaded
    blocks. A job submitted at T + 300 s reads 2 GB (16 blocks) of the rest of HDFS: its tasks
    whose split holds a lost block fail at once, twice, and the job fails. A job that reads its
    own first stage's output (written after the loss) completes."""
    lost = _stream("lost", 300, [{"name": "scan", "tasks": 8, "duration": 60, "input_gb": 2}])
    fresh = _stream(
        "fresh",
        300,
        [
            {"name": "gen", "tasks": 4, "duration": 30, "output_gb": 2},
            {"name": "use", "tasks": 4, "duration": 30, "input_gb": 2, "depends_on": ["gen"]},
        ],
    )
    data = _scenario(
        2,
        {"replication": 1, "preload_gb": 10},
        faults=[{"at": 200, "role": "core", "count": 1}],
        workload={"streams": [lost, fresh]},
    )
    _, result, events = _run(data, tmp_path)
    (blocks_lost,) = [e for e in events if e["event"] == "blocks_lost"]
    assert (
        blocks_lost["time_s"] == 200
        and blocks_lost["blocks"] == result.summary["hdfs"]["blocks_lost"] > 0
    )
    by_name = {job.name: job for job in result.jobs}
    assert by_name["lost-1"].state == "FAILED"
    assert "BlockMissingException" in by_name["lost-1"].reason
    assert by_name["fresh-1"].state == "COMPLETED"
    hdfs = result.summary["hdfs"]
    assert hdfs["failed_reads"] >= 2  # max_task_attempts 2: at least one task failed twice
    assert hdfs["read_gb"] == pytest.approx(4.0)
    failed = [e for e in events if e["event"] == "container_failed"]
    assert failed and all("BlockMissingException" in e["reason"] for e in failed)
    # Every failed read is an attempt that started (some are killed with the failing job
    # before they are counted as failed).
    app = by_name["lost-1"].job_id
    started = [e for e in events if e["event"] == "container_started" and e["app"] == app]
    assert len(failed) <= hdfs["failed_reads"] <= len(started)


def test_jobs_reading_data_that_was_not_lost_complete(tmp_path: Path) -> None:
    """Replication 2 (4 core nodes): losing one loses no block; the same job completes."""
    scan = _stream("scan", 300, [{"name": "scan", "tasks": 8, "duration": 60, "input_gb": 8}])
    data = _scenario(
        4,
        {"preload_gb": 10},
        faults=[{"at": 200, "role": "core", "count": 1}],
        workload={"streams": [scan]},
    )
    sim, result, _ = _run(data, tmp_path)
    assert sim.replication_factor == 2
    assert result.jobs[0].state == "COMPLETED"
    hdfs = result.summary["hdfs"]
    assert (hdfs["blocks_lost"], hdfs["failed_reads"]) == (0, 0)
    assert hdfs["read_gb"] == pytest.approx(8.0)


# --------------------------------------------------------------------- decommissioning
def _busy() -> dict[str, Any]:
    """24 tasks of 3 GB and 1000 s: 4 fit a node, so both workers are full from T."""
    stage = {"name": "work", "tasks": 24, "duration": 1000, "container": {"memory_mb": 3072}}
    return {"streams": [_stream("busy", 0, [stage])]}


def _task_node(result: Any) -> Any:
    (node,) = [n for n in result.nodes if n.role == "task"]
    return node


def test_an_idle_task_node_is_decommissioned_at_once(tmp_path: Path) -> None:
    data = _scenario(
        1,
        {},
        faults=[{"at": 200, "action": "decommission", "role": "task"}],
        tasks=1,
        horizon=600,
    )
    _, result, events = _run(data, tmp_path)
    node = _task_node(result)
    assert (node.end_s, node.end_reason) == (200, "scale_down")
    assert result.summary["hdfs"]["decommissioned_nodes"] == 1
    assert [e["time_s"] for e in events if e["event"] == "decommissioning"] == [200]


def test_a_busy_task_node_waits_for_its_running_containers(tmp_path: Path) -> None:
    data = _scenario(
        1,
        {},
        faults=[{"at": 200, "action": "decommission", "role": "task"}],
        workload=_busy(),
        tasks=1,
    )
    _, result, events = _run(data, tmp_path)
    node = _task_node(result)
    # The four containers running there since T end at T + 1000 s: then it goes.
    assert (node.end_s, node.end_reason) == (T + 1000, "scale_down")
    started = [e for e in events if e["event"] == "container_started"]
    on_it = [e["time_s"] for e in started if e["node"] == node.instance_id]
    assert on_it and max(on_it) < 200  # nothing new after the decommission began
    assert not [e for e in events if e["event"] in ("container_lost", "decommission_timeout")]
    assert result.jobs[0].state == "COMPLETED"


def test_the_graceful_timeout_kills_what_is_still_running(tmp_path: Path) -> None:
    data = _scenario(
        1,
        {},
        faults=[{"at": 200, "action": "decommission", "role": "task"}],
        workload=_busy(),
        tasks=1,
        yarn={"am_placement": "core", "graceful_decommission_timeout": 300},
    )
    _, result, events = _run(data, tmp_path)
    node = _task_node(result)
    assert (node.end_s, node.end_reason) == (500, "scale_down")
    (timeout,) = [e for e in events if e["event"] == "decommission_timeout"]
    assert timeout["time_s"] == 500
    lost = [e for e in events if e["event"] == "container_lost"]
    assert len(lost) == 4 and {e["time_s"] for e in lost} == {500}
    assert {e["node"] for e in lost} == {node.instance_id}
    assert result.jobs[0].state == "COMPLETED"  # the killed tasks ran again on the core node


@pytest.mark.parametrize(
    ("preload_gb", "count", "removed"),
    [
        (0.0, 3, 2),  # 4 core nodes, replication 2: two must stay
        (100.0, 1, 0),  # 200 GB of replicas do not fit the 192 GB of the other three
        (90.0, 2, 1),  # 180 GB fit three nodes, not two
    ],
)
def test_emr_refuses_core_removals_below_replication_or_room(
    preload_gb: float, count: int, removed: int, tmp_path: Path
) -> None:
    data = _scenario(
        4,
        {"preload_gb": preload_gb},
        faults=[{"at": 200, "action": "decommission", "role": "core", "count": count}],
        horizon=1800,
    )
    sim, result, events = _run(data, tmp_path)
    assert sim.replication_factor == 2
    refused = [e for e in events if e["event"] == "decommission_refused"]
    assert [(e["time_s"], e["count"]) for e in refused] == [(200, count - removed)]
    assert any("EMR refused to remove" in w for w in result.warnings)
    gone = [n for n in result.nodes if n.end_reason == "scale_down"]
    assert len(gone) == removed == result.summary["hdfs"]["decommissioned_nodes"]
    assert result.summary["hdfs"]["blocks_lost"] == 0
    assert sim.hdfs.blocks.stored_gb() == pytest.approx(preload_gb)


# ------------------------------------------------------------------------------ summary
def test_peak_utilization_covers_every_metrics_row(tmp_path: Path) -> None:
    """6 core nodes, 20 GB at replication 2: after a node is lost its blocks are copied to the
    other five, whose utilisation (40 GB over 320 GB) exceeds any seen before the copies."""
    data = _scenario(6, {"preload_gb": 20}, faults=[{"at": 600, "role": "core"}], horizon=1800)
    _, result, _ = _run(data, tmp_path)
    peak = max(row["HDFSUtilization"] for row in result.metrics)
    assert peak == pytest.approx(12.5)
    assert result.summary["hdfs"]["max_utilization_pct"] >= peak - 1e-9


def test_a_preload_of_a_few_bytes_is_written() -> None:
    sim = Simulation(scenario_from_data(_scenario(2, {"preload_gb": 1e-12}, horizon=200)))
    sim.run()
    assert sim.hdfs.blocks.n_blocks == 1


def test_the_primary_is_never_decommissioned(tmp_path: Path) -> None:
    data = _scenario(
        2, {}, faults=[{"at": 300, "action": "decommission", "role": "primary"}], horizon=1000
    )
    try:
        scenario = scenario_from_data(data)
    except ScenarioError:
        return  # rejected up front: fine
    result = Simulation(scenario).run()
    assert result.summary["cluster_state"] == "WAITING"
    assert result.summary["hdfs"]["decommissioned_nodes"] == 0


# ------------------------------------------------------- a core node reclaimed mid-drain
def _reclaimed_while_draining(seed: int) -> dict[str, Any]:
    """4 spot core nodes (replication 2) of 200 GB with 100 GB of data: one gets EC2's notice
    at 600 s and one is decommissioned at 601 s; draining ~400 blocks at 6 per 3 s takes
    ~200 s, longer than the two-minute notice."""
    data = _scenario(
        4,
        {"preload_gb": 100},
        faults=[
            {"at": 600, "action": "spot_interruption", "role": "core"},
            {"at": 601, "action": "decommission", "role": "core"},
        ],
        horizon=3000,
        seed=seed,
        spot_market={"interruptions": {"m5.xlarge": {"rate_per_hour": 0}}},
    )
    data["cluster"]["instance_groups"][1].update(market="spot", ebs_gb=200)
    return data


@functools.cache
def _reclaimed_mid_drain() -> tuple[Simulation, Any, tuple[dict[str, Any], ...]]:
    """The first seed whose decommission picks the noticed node (each is a 1 in 4 draw)."""
    for seed in range(40):
        path = Path(tempfile.mkdtemp()) / "events.jsonl"
        sim = Simulation(scenario_from_data(_reclaimed_while_draining(seed)), events_path=path)
        result = sim.run()
        events = tuple(json.loads(line) for line in path.read_text().splitlines())
        noticed = [e["instance"] for e in events if e["event"] == "spot_interruption_notice"]
        draining = [e["instance"] for e in events if e["event"] == "decommissioning"]
        if noticed == draining:
            return sim, result, events
    raise AssertionError("no seed in 0..39 decommissions the noticed node")


def test_a_core_node_reclaimed_while_draining_leaves_as_a_spot_loss() -> None:
    _, result, events = _reclaimed_mid_drain()
    (draining,) = [e["instance"] for e in events if e["event"] == "decommissioning"]
    (node,) = [n for n in result.nodes if n.instance_id == draining]
    assert (node.end_s, node.end_reason) == (720, "spot_interruption")
    assert not [e for e in events if e["event"] == "datanode_decommissioned"]
    hdfs = result.summary["hdfs"]
    assert hdfs["decommissioned_nodes"] == 0
    assert hdfs["blocks_lost"] == 0  # replication 2: the other replica of each block is there
    assert result.metrics[-1]["UnderReplicatedBlocks"] == 0


def test_a_core_node_reclaimed_while_draining_leaves_no_extra_copies() -> None:
    sim, _, _ = _reclaimed_mid_drain()
    blocks = sim.hdfs.blocks
    in_service = set(blocks.in_service())
    assert blocks.live.tolist() == [len(held & in_service) for held in _holders(blocks)]
    assert blocks.used_mb == pytest.approx(100 * 1024 * 2)  # two replicas a block, no more
