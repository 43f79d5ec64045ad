"""What happens when an instance goes: injected faults, spot notices and reclaims, and the
loss of a node to YARN and HDFS.

An interruption notice (emr-facts 3) decommissions the node in YARN at once (no new containers;
Spark executors there get no new tasks), takes it out of YARN 20 s later (its running containers
are lost and re-run, its AMs fail their attempt, its shuffle output is gone) and reclaims the
instance at the end of the two-minute notice: billing stops, a core node's HDFS replicas
disappear, and the group or fleet asks for a replacement. A lost primary ends the cluster.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from emrsim.events import NODE_LOSS, call_at
from emrsim.nodes.cluster import END_FAULT, END_SCALE_DOWN, END_SPOT, TERMINATED, Instance
from emrsim.nodes.spot import NOTICE_S, SPOT_DECOMMISSION_S
from emrsim.scenario.models import Fault
from emrsim.scenario.values import Market, Role

if TYPE_CHECKING:
    from emrsim.engine import Simulation

ENDING = frozenset({"TERMINATING", "TERMINATED", "TERMINATED_WITH_ERRORS"})
"""Cluster states after termination was requested."""


class NodeLosses:
    """Faults and spot interruptions of one simulation, and what they cost in work."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.interruptions = 0
        """Interruption notices delivered to spot instances."""
        self.lost_container_s = 0.0
        """Container-seconds of running containers lost with interrupted spot nodes."""
        self.draining: dict[int, list[int]] = {}  # instance -> [YARN done, HDFS done, token]
        self._token = 0
        self._last_refusal: tuple[int, str] = (0, "")
        self.decommissioned = 0
        """Instances removed gracefully (decommissioned, then terminated)."""

    def fault(self, fault: Fault) -> None:
        """An injected fault: terminate, or give a spot notice to, ``count`` running instances."""
        sim = self.sim
        if sim.state in ENDING:
            return
        names = {t.name for t in sim.targets}
        spot = fault.action == "spot_interruption"
        candidates = [
            i
            for i in sim.instances.running(fault.role)
            if (fault.group is None or (i.group == fault.group and fault.group in names))
            and (not spot or (i.market is Market.SPOT and not i.noticed))
            and i.index not in self.draining
        ]
        count = min(fault.count, len(candidates))
        if count < fault.count:
            kind = "spot " if spot else ""
            sim.warnings.append(
                f"fault at {fault.at:.0f} s asked for {fault.count} running {kind}"
                f"{fault.role.value} instances; {len(candidates)} were running"
            )
        rng = sim.streams.stream("faults", sim.scenario.faults.index(fault))
        picks = sorted(rng.choice(len(candidates), size=count, replace=False).tolist())
        if fault.action == "decommission":
            self.decommission([candidates[k] for k in picks])
            return
        for k in picks:
            inst = candidates[k]
            sim.recorder.event(
                sim.env.now, "fault", instance=inst.id, role=inst.role.value, action=fault.action
            )
            if spot:
                self.spot_notice(inst.index)
            else:
                sim.instances.terminate(inst, END_FAULT)

    def instance_lost(self, inst: Instance) -> None:
        """An instance was terminated (fault, spot reclaim): out of YARN and HDFS, replaced."""
        sim = self.sim
        now = sim.env.now
        sim.recorder.event(
            now, "instance_lost", instance=inst.id, role=inst.role.value, reason=inst.end_reason
        )
        spot = inst.end_reason == END_SPOT
        if inst.market is Market.SPOT:
            sim.spot.forget(inst.index, inst.itype.name)
        if inst.role is Role.PRIMARY:
            why = "reclaimed by EC2 (spot)" if spot else "lost"
            sim._terminate("INSTANCE_FAILURE", f"primary instance {inst.id} {why}", errors=True)
            return
        if inst.end_reason != END_SCALE_DOWN:  # a removal on purpose lowered the target already
            replace = spot and sim.scenario.spot_market.replace_interrupted
            sim.provisioner.lost(inst, replace=replace)
        self.draining.pop(inst.index, None)
        self.leave_yarn(inst)
        lost = sim.hdfs.namenode.datanode_gone(inst.index)
        if lost:
            sim.recorder.event(now, "blocks_lost", instance=inst.id, blocks=lost)
        sim._startup_progress()

    def leave_yarn(self, inst: Instance) -> None:
        """The NodeManager is gone: its containers are lost (spot losses are counted apart)."""
        sim = self.sim
        before = sim.rm.counts.lost_container_s
        sim.rm.remove_node(inst)
        if inst.market is Market.SPOT and inst.noticed:
            self.lost_container_s += sim.rm.counts.lost_container_s - before

    # ------------------------------------------------------------------------- spot
    def spot_notice(self, index: int) -> None:
        """EC2's two-minute notice: decommission in YARN now, leave YARN after 20 s, reclaim."""
        sim = self.sim
        inst = sim.instances.instances[index - 1]
        if inst.state == TERMINATED or inst.noticed:
            return  # gone, or already under notice (an injected one, then its own hazard)
        now = sim.env.now
        self.interruptions += 1
        inst.noticed = True
        sim.recorder.event(
            now,
            "spot_interruption_notice",
            instance=inst.id,
            role=inst.role.value,
            type=inst.itype.name,
        )
        if sim.state in ENDING:
            return
        if sim.rm.decommission(inst):
            call_at(sim.env, SPOT_DECOMMISSION_S, partial(self.leave_yarn, inst), NODE_LOSS)
        call_at(sim.env, NOTICE_S, partial(self._reclaim, inst), NODE_LOSS)

    def _reclaim(self, inst: Instance) -> None:
        """The end of the notice: EC2 takes the instance back."""
        sim = self.sim
        if inst.state != TERMINATED:
            sim.instances.terminate(inst, END_SPOT)

    def spot_rebalance(self, index: int) -> None:
        """A rebalance recommendation: the node stops taking containers (a what-if)."""
        sim = self.sim
        inst = sim.instances.instances[index - 1]
        if inst.state == TERMINATED or sim.state in ENDING:
            return
        sim.recorder.event(sim.env.now, "spot_rebalance_recommendation", instance=inst.id)
        sim.rm.decommission(inst)

    # ---------------------------------------------------------------- decommission
    def decommission(self, instances: list[Instance]) -> list[Instance]:
        """Remove instances gracefully, as a shrinking resize does; returns those accepted.

        YARN stops giving them containers and waits for the running ones, killing what is left
        after ``yarn.graceful_decommission_timeout`` (emr-facts 6); a core node's DataNode
        first copies its replicas to the others. The instance is terminated (and billed until
        then) once both are done. EMR removes only as many core nodes as leave at least
        dfs.replication of them and room for the data (emr-facts 4); it refuses the rest.
        """
        sim = self.sim
        now = sim.env.now
        core = [i for i in instances if i.role is Role.CORE]
        allowed, why = self._core_removals_allowed(core)
        if len(allowed) < len(core) and (len(core), why) != self._last_refusal:
            self._last_refusal = (len(core), why)  # said once while the reason holds
            refused = len(core) - len(allowed)
            sim.warnings.append(
                f"at {now:.0f} s EMR refused to remove {refused} of {len(core)} core nodes: {why}"
            )
            sim.recorder.event(now, "decommission_refused", role="core", count=refused, reason=why)
        accepted = [i for i in instances if i.role is not Role.CORE or i in allowed]
        for inst in accepted:
            sim.provisioner.lower(inst)
            inst.leaving = True
            self._token += 1
            self.draining[inst.index] = [0, int(inst.role is not Role.CORE), self._token]
            sim.recorder.event(now, "decommissioning", instance=inst.id, role=inst.role.value)
            if sim.rm.decommission(inst):
                timeout = sim.scenario.yarn.graceful_decommission_timeout
                call_at(sim.env, timeout, partial(self._yarn_timeout, inst, self._token))
                if not sim.rm.nodes[inst.index].containers:
                    self.yarn_drained(inst)
            else:
                self.draining[inst.index][0] = 1
            if inst.role is Role.CORE:
                sim.hdfs.namenode.start_decommission(inst.index)
            self._maybe_done(inst)
        return accepted

    def cancel_decommission(self, inst: Instance) -> bool:
        """New demand: a node still draining goes back to work (EMR cancels pending
        removals, emr-facts 6). False when it is too late (it has left YARN)."""
        sim = self.sim
        state = self.draining.get(inst.index)
        if state is None or state[0] or (state[1] and inst.role is Role.CORE):
            return False  # not draining, or already out of YARN or of HDFS
        if inst.state == TERMINATED or inst.noticed:
            return False
        del self.draining[inst.index]
        inst.leaving = False
        request = sim.provisioner.requests.get((inst.group, inst.market))
        if request is not None:
            request.units += inst.weight
        sim.rm.recommission(inst)
        if inst.role is Role.CORE:
            sim.hdfs.namenode.stop_decommission(inst.index)
        sim.recorder.event(sim.env.now, "decommission_cancelled", instance=inst.id)
        return True

    def _core_removals_allowed(self, core: list[Instance]) -> tuple[list[Instance], str]:
        """The core nodes EMR lets go (in the order asked), and why it stops there."""
        blocks = self.sim.hdfs.blocks
        remaining = set(blocks.in_service())
        needed_mb = float(blocks.size_mb[~blocks.lost].sum()) * blocks.replication
        allowed: list[Instance] = []
        for inst in core:
            rest = remaining - {inst.index}
            room = sum(blocks.capacity_mb[n] for n in rest)
            if len(rest) < blocks.replication:
                return allowed, (
                    f"it keeps at least dfs.replication ({blocks.replication}) core nodes"
                )
            if room < needed_mb:
                return allowed, (
                    f"the {len(rest)} core nodes left would hold {room / 1024:.0f} GB, and the "
                    f"HDFS data needs {needed_mb / 1024:.0f} GB at replication "
                    f"{blocks.replication}"
                )
            remaining = rest
            allowed.append(inst)
        return allowed, ""

    def yarn_drained(self, inst: Instance) -> None:
        """A decommissioning NodeManager has no containers left: it leaves YARN."""
        state = self.draining.get(inst.index)
        if state is None or state[0]:
            return
        state[0] = 1
        self.sim.rm.remove_node(inst)
        self._maybe_done(inst)

    def _yarn_timeout(self, inst: Instance, token: int) -> None:
        state = self.draining.get(inst.index)
        if state is None or state[0] or state[2] != token:
            return
        self.sim.recorder.event(self.sim.env.now, "decommission_timeout", instance=inst.id)
        state[0] = 1
        self.leave_yarn(inst)  # the containers still running are killed and run elsewhere
        self._maybe_done(inst)

    def hdfs_decommissioned(self, node: int) -> None:
        """The DataNode of instance ``node`` has copied its replicas away."""
        state = self.draining.get(node)
        if state is not None:
            state[1] = 1
            self._maybe_done(self.sim.instances.instances[node - 1])

    def _maybe_done(self, inst: Instance) -> None:
        state = self.draining.get(inst.index)
        if state is not None and state[0] and state[1] and inst.state != TERMINATED:
            self.decommissioned += 1
            self.sim.instances.terminate(inst, END_SCALE_DOWN)
