"""EMR steps: submitted in order once the cluster is ready, StepConcurrencyLevel at a time.

Step states and ActionOnFailure follow EMR (emr-facts 7): PENDING -> RUNNING -> COMPLETED |
FAILED; on failure CONTINUE goes on with the next step, CANCEL_AND_WAIT cancels every pending
step, TERMINATE_CLUSTER cancels them and terminates the cluster with errors.
"""

from __future__ import annotations

from collections.abc import Callable

from emrsim.scenario.models import Step
from emrsim.scenario.values import ActionOnFailure
from emrsim.yarn.apps import FINISHED, Application

PENDING, RUNNING, COMPLETED = "PENDING", "RUNNING", "COMPLETED"
CANCELLED, FAILED, INTERRUPTED = "CANCELLED", "FAILED", "INTERRUPTED"


class StepRun:
    """One step's state and timing."""

    __slots__ = ("action_on_failure", "app", "end_s", "index", "name", "start_s", "state")

    def __init__(self, index: int, name: str, action_on_failure: ActionOnFailure) -> None:
        self.index = index
        self.name = name
        self.action_on_failure = action_on_failure
        self.state = PENDING
        self.start_s: float | None = None
        self.end_s: float | None = None
        self.app: Application | None = None


def default_action(step_concurrency: int) -> ActionOnFailure:
    """EMR's default: later steps are cancelled after a failure (CANCEL_AND_WAIT), except with
    concurrent steps, where CONTINUE is the only action accepted."""
    if step_concurrency > 1:
        return ActionOnFailure.CONTINUE
    return ActionOnFailure.CANCEL_AND_WAIT


class StepRunner:
    """Runs the steps of a cluster."""

    def __init__(
        self,
        specs: list[Step],
        concurrency: int,
        now: Callable[[], float],
        submit: Callable[[int, StepRun], Application],
        kill: Callable[[Application, str], None],
        on_change: Callable[[], None],
        terminate_cluster: Callable[[str], None],
    ) -> None:
        self.steps = [
            StepRun(i, s.name, s.action_on_failure or default_action(concurrency))
            for i, s in enumerate(specs)
        ]
        self.concurrency = concurrency
        self._now = now
        self._submit = submit
        self._kill = kill
        self._on_change = on_change
        self._terminate_cluster = terminate_cluster
        self._started = False

    @property
    def active(self) -> bool:
        """Whether any step is pending or running."""
        if not self.steps:  # asked after every job: most runs have only streams
            return False
        return any(s.state in (PENDING, RUNNING) for s in self.steps)

    @property
    def running(self) -> int:
        """How many steps are running."""
        if not self.steps:
            return 0
        return sum(1 for s in self.steps if s.state == RUNNING)

    def start(self) -> None:
        """The cluster is ready: start steps."""
        self._started = True
        self._fill()

    def _fill(self) -> None:
        if not self._started:
            return
        for step in self.steps:
            if self.running >= self.concurrency:
                break
            if step.state == PENDING:
                step.state = RUNNING
                step.start_s = self._now()
                step.app = self._submit(step.index, step)

    def app_ended(self, step: StepRun, app: Application) -> None:
        """The application of ``step`` ended."""
        if step.state != RUNNING:
            return
        step.end_s = self._now()
        if app.state == FINISHED:
            step.state = COMPLETED
        else:
            step.state = FAILED
            action = step.action_on_failure
            if action is ActionOnFailure.TERMINATE_CLUSTER:
                self.cancel_pending()
                self._terminate_cluster(f"step {step.name!r} failed")
                self._on_change()
                return
            if action is ActionOnFailure.CANCEL_AND_WAIT:
                self.cancel_pending()
        self._fill()
        self._on_change()

    def cancel_pending(self) -> None:
        """Every pending step is cancelled."""
        for step in self.steps:
            if step.state == PENDING:
                step.state = CANCELLED

    def interrupt_running(self, reason: str) -> None:
        """The cluster is going away: running steps are interrupted, their jobs killed."""
        now = self._now()
        for step in self.steps:
            if step.state == RUNNING:
                step.state = INTERRUPTED
                step.end_s = now
                if step.app is not None:
                    self._kill(step.app, reason)
