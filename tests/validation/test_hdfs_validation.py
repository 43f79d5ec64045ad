"""Validation: HDFS losses, replication, capacity and the NameNode's throttles against theory.

Every scenario is an idle cluster kept alive to a horizon: 1 primary and ``n`` m5.xlarge core
nodes (64 GB of EBS each unless ``ebs_gb`` says otherwise), ready at 90 s, when ``preload_gb``
is written from outside the cluster (no writer: every replica on a random DataNode).

1. Loss fraction. With ``r`` replicas of each block on ``r`` distinct DataNodes drawn uniformly
   and ``k`` of ``n`` nodes lost at once, a block is lost when all its replicas are among the
   ``k``: probability C(k, r) / C(n, r). Per replication the lost fraction is
   blocks_lost / blocks; over R seeded replications the Student-t 99% interval of its mean must
   contain the theory, be narrow (half-width < 25% of it) and exclude the same formula with
   ``r + 1`` or ``k + 1``. Nodes stay far from full (< 50%), where placement never looks at
   room (it does only when a node would overflow).
2. dfs.replication by core count (1 below 4, 2 for 4-9, 3 from 10) and capacity = raw / r.
3. A graceful decommission never loses a block, and removes exactly what EMR's rule allows
   (Hypothesis over clusters, data and requests).
4. The drain time of a decommission follows the stream throttle (formula in the test).
5. An abrupt loss with r >= 2 loses nothing: the NameNode notices after 630 s, re-replicates
   exactly the lost node's replicas, and UnderReplicatedBlocks goes back to 0.
"""

from __future__ import annotations

import itertools
import json
import math
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from emrsim import Simulation
from emrsim.hdfs.capacity import hdfs_capacity_gb
from emrsim.scenario import ScenarioError, scenario_from_data

READY_S = 90.0
NODE_GB = 64.0  # m5.xlarge: EBS only, 2 x 32 GiB by default (emr-facts 4)
BLOCK_MB = 128
LEVEL = 0.99


def _cluster(
    core: int,
    hdfs: dict[str, Any],
    faults: list[dict[str, Any]] | None = None,
    horizon: float = 3600.0,
    ebs_gb: float | None = None,
    seed: int = 21,
) -> dict[str, Any]:
    group: dict[str, Any] = {"role": "core", "instance_type": "m5.xlarge", "count": core}
    if ebs_gb is not None:
        group["ebs_gb"] = ebs_gb
    return {
        "name": "hdfs-validation",
        "seed": seed,
        "horizon": horizon,
        "cluster": {
            "instance_groups": [
                {"role": "primary", "instance_type": "m5.xlarge", "count": 1},
                group,
            ],
            "startup": {"provision": 60, "bootstrap": 30},
            "keep_alive": True,
        },
        "hdfs": hdfs,
        "faults": faults or [],
    }


def _run(
    data: dict[str, Any], tmp_path: Path, replication: int = 0, observer: Any = None
) -> tuple[Simulation, Any, list[dict[str, Any]]]:
    path = tmp_path / "events.jsonl"
    sim = Simulation(scenario_from_data(data), replication, events_path=path)
    result = sim.run(observer)
    events = [json.loads(line) for line in path.read_text().splitlines()]
    return sim, result, events


def _interval(values: np.ndarray, level: float = LEVEL) -> tuple[float, float]:
    mean = float(values.mean())
    half = stats.t.ppf(0.5 + level / 2, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    return mean - half, mean + half


# ------------------------------------------------------------------ 1. loss fraction
LOSS_AT = 200.0


def _loss_fractions(
    n: int, r: int, k: int, preload_gb: float, reps: int, ebs_gb: float | None
) -> np.ndarray:
    """blocks_lost / blocks of each replication, ``k`` core nodes terminated at once."""
    data = _cluster(
        n,
        {"replication": r, "preload_gb": preload_gb},
        [{"at": LOSS_AT, "action": "terminate", "role": "core", "count": k}],
        horizon=LOSS_AT + 1,
        ebs_gb=ebs_gb,
    )
    scenario = scenario_from_data(data)
    fractions = []
    for rep in range(reps):
        sim = Simulation(scenario, rep)
        result = sim.run()
        blocks = sim.hdfs.blocks
        assert blocks.n_blocks == math.ceil(preload_gb * 1024 / BLOCK_MB)
        assert len(blocks.capacity_mb) == n - k
        fullest = max(blocks.node_used_mb[i] / blocks.capacity_mb[i] for i in blocks.capacity_mb)
        assert fullest < 0.5, "nodes must stay far from full for the theory to hold"
        fractions.append(result.summary["hdfs"]["blocks_lost"] / blocks.n_blocks)
    return np.array(fractions)


def _check_loss_fraction(n: int, r: int, k: int, fractions: np.ndarray) -> None:
    theory = math.comb(k, r) / math.comb(n, r)
    low, high = _interval(fractions)
    assert low <= theory <= high, f"theory {theory:.5f} outside [{low:.5f}, {high:.5f}]"
    assert high - low < 2 * 0.25 * theory, "interval too wide to mean anything"
    for wrong in (math.comb(k, r + 1) / math.comb(n, r + 1), math.comb(k + 1, r) / math.comb(n, r)):
        assert not low <= wrong <= high, f"a wrong formula ({wrong:.5f}) also fits"


def test_loss_fraction_replication_1() -> None:
    """n=10, r=1, k=2: 800 blocks (100 GB, nodes 16% full); theory 0.2."""
    _check_loss_fraction(10, 1, 2, _loss_fractions(10, 1, 2, 100.0, reps=30, ebs_gb=None))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("n", "r", "k", "preload_gb"),
    [
        (10, 2, 3, 200.0),  # 1,600 blocks, theory 3/45
        (12, 3, 4, 400.0),  # 3,200 blocks, theory 4/220
        (6, 2, 2, 100.0),  # 800 blocks, theory 1/15
    ],
)
def test_loss_fraction(n: int, r: int, k: int, preload_gb: float) -> None:
    """500 GB nodes, so they stay under 25% full."""
    _check_loss_fraction(n, r, k, _loss_fractions(n, r, k, preload_gb, reps=40, ebs_gb=500.0))


# ----------------------------------------------------- 2. replication rule and capacity
@pytest.mark.parametrize(
    ("core", "replication"),
    [(1, 1), (2, 1), (3, 1), (4, 2), (9, 2), (10, 3), (12, 3)],
)
def test_replication_follows_the_core_count(core: int, replication: int, tmp_path: Path) -> None:
    sim, result, _ = _run(_cluster(core, {}, horizon=200), tmp_path)
    assert result.summary["hdfs"]["replication"] == sim.hdfs.replication == replication
    scenario = scenario_from_data(_cluster(core, {}))
    assert hdfs_capacity_gb(scenario, replication) == pytest.approx(NODE_GB * core / replication)


@pytest.mark.parametrize(("core", "replication"), [(3, 1), (4, 2), (10, 3)])
def test_a_preload_that_fits_raw_over_replication_is_written(
    core: int, replication: int, tmp_path: Path
) -> None:
    """90% of raw / r: all of it is written, in r replicas (90% of raw storage used)."""
    preload = 0.9 * NODE_GB * core / replication
    data = _cluster(core, {"preload_gb": preload}, horizon=200)
    for rep in range(3):  # three placements
        sim, result, _ = _run(data, tmp_path, rep)
        assert sim.hdfs.blocks.stored_gb() == pytest.approx(preload)
        assert sim.hdfs.blocks.used_mb == pytest.approx(preload * 1024 * replication)
        assert result.summary["hdfs"]["max_utilization_pct"] == pytest.approx(90.0)
        assert result.metrics[-1]["HDFSUtilization"] == pytest.approx(90.0)


@pytest.mark.parametrize(("core", "replication"), [(3, 1), (4, 2), (10, 3)])
def test_a_preload_above_raw_over_replication_is_rejected(core: int, replication: int) -> None:
    capacity = NODE_GB * core / replication
    with pytest.raises(ScenarioError, match=r"preload_gb[\s\S]*does not fit"):
        scenario_from_data(_cluster(core, {"preload_gb": capacity + 0.5}))


def test_a_preload_validation_accepts_is_written_or_warned(tmp_path: Path) -> None:
    """Validation accepts up to raw / r, but random placement needs r distinct nodes with room
    for every block: at exactly raw / r (r=3 on 10 nodes) it cannot always place the last
    blocks. Then nothing is written, and the run says so (a warning and an event)."""
    preload = NODE_GB * 10 / 3
    scenario_from_data(_cluster(10, {"preload_gb": preload}))  # accepted
    sim, result, events = _run(_cluster(10, {"preload_gb": preload}, horizon=200), tmp_path)
    stored = sim.hdfs.blocks.stored_gb()
    warned = [w for w in result.warnings if "preload_gb" in w]
    failed = [e for e in events if e["event"] == "preload_failed"]
    if stored == pytest.approx(preload):
        assert not warned and not failed
    else:
        assert stored == 0.0 and len(warned) == len(failed) == 1


# -------------------------------------------------- 3. graceful decommission loses nothing
DECOMMISSION_AT = 300.0


def _allowed_removals(n: int, r: int, data_gb: float, count: int) -> int:
    """EMR's rule (emr-facts 4): remove while at least r core nodes stay and the rest's raw
    storage holds every replica; refuse the others."""
    removed = 0
    while removed < count:
        rest = n - removed - 1
        if rest < r or rest * NODE_GB < data_gb * r - 1e-9:
            break
        removed += 1
    return removed


ROOMY = 0.9
"""Fill of the nodes left (replica bytes / their raw storage) up to which a drain completes.

EMR's rule compares totals only; the NameNode picks random targets with room that do not hold
the block yet, and above ~98% it can run out of such targets for good (pinned below)."""


@given(
    n=st.integers(4, 12),
    r=st.integers(1, 3),
    # Not below 0.1%: a preload of a few bytes crashes the write (see test_hdfs.py).
    fill=st.one_of(st.just(0.0), st.floats(0.001, 0.6)),
    count=st.integers(1, 12),
    seed=st.integers(0, 2**16),
)
def test_graceful_decommission_loses_no_block(
    n: int, r: int, fill: float, count: int, seed: int
) -> None:
    """Any cluster of 4-12 core nodes, replication 1-3, data up to 60% of raw / r, and a
    request to decommission 1..n of them: no block is lost and MissingBlocks stays 0; EMR
    accepts exactly what its rule allows (a warning and a decommission_refused event for the
    rest). When the nodes left are at most 90% full, every accepted node ends scale_down once
    drained and at the end every block has exactly r replicas on the nodes left, with
    UnderReplicatedBlocks back to 0."""
    count = min(count, n)
    preload = fill * NODE_GB * n / r
    data = _cluster(
        n,
        {"replication": r, "preload_gb": preload},
        [{"at": DECOMMISSION_AT, "action": "decommission", "role": "core", "count": count}],
        horizon=DECOMMISSION_AT + 3600,
        seed=seed,
    )
    with tempfile.TemporaryDirectory() as tmp:
        sim, result, events = _run(data, Path(tmp))
    hdfs = result.summary["hdfs"]
    blocks = sim.hdfs.blocks
    allowed = _allowed_removals(n, r, blocks.stored_gb(), count)
    assert hdfs["blocks_lost"] == 0
    assert all(row["MissingBlocks"] == 0 for row in result.metrics)
    assert blocks.stored_gb() == pytest.approx(preload)
    accepted = {e["instance"] for e in events if e["event"] == "decommissioning"}
    assert len(accepted) == allowed
    refused = [e["count"] for e in events if e["event"] == "decommission_refused"]
    warned = [w for w in result.warnings if "EMR refused to remove" in w]
    assert refused == ([count - allowed] if allowed < count else [])
    assert len(warned) == len(refused)
    removed = {node.instance_id for node in result.nodes if node.end_reason == "scale_down"}
    assert removed <= accepted
    assert len(removed) == hdfs["decommissioned_nodes"]
    if preload * r > ROOMY * (n - allowed) * NODE_GB:
        return  # nearly full: the drain may never end (see the test below)
    assert removed == accepted
    # Not before the first decommission check, 30 s after the request.
    ends = [node.end_s for node in result.nodes if node.instance_id in removed]
    assert all(end >= DECOMMISSION_AT + 30 for end in ends)
    last = result.metrics[-1]
    assert last["UnderReplicatedBlocks"] == 0
    assert last["CoreNodesRunning"] == n - allowed
    assert blocks.used_mb == pytest.approx(preload * 1024 * r)  # r replicas, no more
    assert not blocks.decommissioning


def test_a_decommission_that_cannot_finish_says_so(tmp_path: Path) -> None:
    """5 core nodes, replication 2, 64 GB of data: 128 GB of replicas fit exactly the 3 nodes
    left after removing 2, so EMR accepts both (its rule compares totals). Random placement
    can then leave the last copies with no target (every node with room already holds the
    block), as in Hadoop: the drain either finishes, or stalls with a warning and a
    ``decommission_stuck`` event, never silently."""
    for seed in range(6):
        data = _cluster(
            5,
            {"replication": 2, "preload_gb": 3 * NODE_GB / 2},
            [{"at": DECOMMISSION_AT, "action": "decommission", "role": "core", "count": 2}],
            horizon=DECOMMISSION_AT + 3600,
        )
        data["seed"] = seed
        _, result, events = _run(data, tmp_path)
        accepted = {e["instance"] for e in events if e["event"] == "decommissioning"}
        removed = {n.instance_id for n in result.nodes if n.end_reason == "scale_down"}
        stuck = [e for e in events if e["event"] == "decommission_stuck"]
        warned = [w for w in result.warnings if "cannot finish" in w]
        assert len(accepted) == 2
        assert removed == accepted or (stuck and warned), seed
        assert result.summary["hdfs"]["blocks_lost"] == 0


# --------------------------------------------------------------------- 4. drain time
SIZES_GB = (10, 40, 160)  # data per node
COPY_S = BLOCK_MB / 250.0  # one copy alone at the default 250 MB/s


def _drain(per_node_gb: float, streams: int, hard_limit: int) -> tuple[float, float]:
    """Decommission one of 10 core nodes (1 TB each) holding ``per_node_gb`` on average at
    replication 1; returns (seconds from the request to the instance's end, blocks moved)."""
    data = _cluster(
        10,
        {
            "replication": 1,
            "preload_gb": per_node_gb * 10,
            "max_replication_streams": streams,
            "replication_streams_hard_limit": hard_limit,
        },
        [{"at": DECOMMISSION_AT, "action": "decommission", "role": "core"}],
        horizon=20000,
        ebs_gb=1000,
    )
    sim = Simulation(scenario_from_data(data))
    result = sim.run()
    (node,) = [n for n in result.nodes if n.end_reason == "scale_down"]
    # Whole 128 MB blocks (the preload is a multiple of 1.25 GB): each moved once.
    moved = result.summary["hdfs"]["rereplicated_gb"] * 1024 / BLOCK_MB
    assert moved == pytest.approx(round(moved))
    return node.end_s - DECOMMISSION_AT, moved


def test_drain_time_follows_the_hard_stream_limit() -> None:
    """Replication 1: every block of the draining node has no other live replica (highest
    priority) and that node is its only source, so it serves at most 4 copies at once
    (replication_streams_hard_limit). Rounds run every 3 s, from 3 s after the request, and
    start min(4, left) copies: the i-th concurrent copy takes i x 128 MB / 250 MB/s, so all 4
    are done (<= 2.05 s) before the next round. The last copy thus ends within
    [3 ceil(B/4), 3 ceil(B/4) + 2.05] s of the request, and the node leaves at the next
    decommission check (every 30 s): the drain D of B blocks obeys
        3 ceil(B / 4)  <=  D  <=  3 ceil(B / 4) + 2.05 + 30.
    It grows with the data: D at 4x the data is at least twice as long (theory: ~3x with the
    30 s rounding)."""
    drains = []
    for size in SIZES_GB:
        d, moved = _drain(size, 2, 4)
        # The node's share of the 80 x size blocks: binomial(80 x size, 1/10), within 4 sd.
        assert abs(moved - size * 8) <= 4 * math.sqrt(size * 80 * 0.1 * 0.9)
        rounds = 3.0 * math.ceil(moved / 4)
        assert rounds <= d <= rounds + 4 * COPY_S + 30.0, (size, moved, d)
        drains.append(d)
    assert all(b >= 2 * a for a, b in itertools.pairwise(drains)), drains


def test_more_streams_drain_faster_down_to_the_bandwidth() -> None:
    """Raising max_replication_streams / replication_streams_hard_limit lets the draining node
    serve more copies per round: with 160 GB per node, 8 streams drain at least 15% sooner than
    4 (the round rate 4 per 3 s binds at 4; at 8 the node's 250 MB/s is nearly the limit), and
    no setting beats the bandwidth: D >= B x 128 MB / 250 MB/s."""
    results = [_drain(160, streams, hard) for streams, hard in ((2, 4), (4, 8), (8, 16))]
    drains = [d for d, _ in results]
    assert drains[1] <= 0.85 * drains[0], drains
    assert drains[2] <= drains[1], drains
    for d, moved in results:
        assert d >= moved * COPY_S


# -------------------------------------------------- 5. abrupt loss, replication >= 2
LOSS_S = 600.0


@pytest.mark.parametrize(("core", "replication"), [(6, 2), (10, 3)])
def test_abrupt_loss_is_rereplicated_after_the_dead_node_timeout(
    core: int, replication: int, tmp_path: Path
) -> None:
    """One core node terminated at 600 s, 200 GB (1,600 blocks) on 200 GB nodes: no block is
    lost. The NameNode declares the node dead at 600 + 630 s; until then UnderReplicatedBlocks
    stays 0 in every per-minute row; the first row after (1,260 s, when at most 10 rounds of
    2 x live DataNodes copies have started, fewer than the ~500 blocks to copy) shows the
    blocks, which then fall to 0. Each block that had a replica on the lost node is copied
    once: rereplicated_gb equals the bytes the node held, exactly up to float sums, and that
    share is within 4 binomial standard deviations of r / n of the replica bytes."""
    preload = 200.0
    data = _cluster(
        core, {"preload_gb": preload}, [{"at": LOSS_S, "role": "core"}], horizon=3000, ebs_gb=200
    )
    before: dict[int, float] = {}

    def snapshot(sim: Simulation) -> None:
        if sim.env.now < LOSS_S:
            before.clear()
            before.update(sim.hdfs.blocks.node_used_mb)

    sim, result, events = _run(data, tmp_path, observer=snapshot)
    assert sim.replication_factor == replication
    hdfs = result.summary["hdfs"]
    assert hdfs["blocks_lost"] == 0
    rows = result.metrics
    assert all(row["MissingBlocks"] == 0 for row in rows)
    dead_s = LOSS_S + 630.0
    (dead,) = [e for e in events if e["event"] == "datanode_dead"]
    assert dead["time_s"] == dead_s
    quiet = [row["UnderReplicatedBlocks"] for row in rows if row["time_s"] < dead_s]
    assert len(quiet) > 20 and not any(quiet)  # before the loss and for 630 s after it
    after = [row["UnderReplicatedBlocks"] for row in rows if row["time_s"] > dead_s]
    assert after[0] > 0
    assert after == sorted(after, reverse=True) and after[-1] == 0
    (fault,) = [e for e in events if e["event"] == "fault"]
    index = {inst.id: inst.index for inst in sim.instances.instances}[fault["instance"]]
    lost_mb = before[index]
    assert hdfs["rereplicated_gb"] * 1024 == pytest.approx(lost_mb, rel=1e-9)
    blocks = preload * 1024 / BLOCK_MB
    p = replication / core
    share = lost_mb / BLOCK_MB
    assert abs(share - blocks * p) <= 4 * math.sqrt(blocks * p * (1 - p))
    assert sim.hdfs.blocks.used_mb == pytest.approx(preload * 1024 * replication)
