"""Validation: emrsim configured as an M/M/c queue agrees with Erlang C.

The cluster has ``c`` core nodes of a custom type that holds exactly one 1024 MB / 1 vcore
container, so YARN has ``c`` identical slots. A stream submits jobs with exponential
inter-arrival times (rate ``lam``); each job is one bare container (``am: none``) that runs for an
exponential time (rate ``mu``); the scheduler is FIFO and instances start instantly. That is an
M/M/c FCFS queue, and a job's wait (its first container's start minus its submission) is the
queue's waiting time Wq.

Each check runs R independent replications (same seed, replication indices 0..R-1), drops the
first 10% of jobs of each as warm-up (the queue starts empty), takes the per-replication mean
wait and builds a Student-t 95% interval over the replications. The Erlang C value must lie in
it, and the interval must be narrow (so a vague interval cannot pass); the fraction of jobs that
waited must match Erlang C itself, and (slow) the FCFS tail P(W > t). The power checks confront
runs with a claim they do not match (one slot more than ran, or tasks 10% / 5% faster than ran)
and require the claimed value to fall outside the interval. Every run is also checked, exactly,
for the sample-path rules of a work-conserving FCFS queue (see ``check_discipline``).

Time is in units of the mean service time of 1 s: the M/M/c results do not depend on the time
scale, while emrsim samples its metrics every simulated minute, so short tasks keep runs cheap.
Seeds are fixed: the outcome is reproducible, not flaky.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pytest
from scipy import stats

from benchmarks.mmc import mmc_data
from emrsim.engine import Simulation
from emrsim.scenario.load import scenario_from_data
from emrsim.scenario.models import Scenario

from .queueing import erlang_c, mmc_mean_wait, mmc_wait_tail

WARMUP_FRACTION = 0.10
LEVEL = 0.95


# ------------------------------------------------------------------------------- helpers
def mmc_scenario(slots: int, lam: float, mu: float, jobs: int, seed: int) -> Scenario:
    """An emrsim scenario that is an M/M/``slots`` FCFS queue fed ``jobs`` customers."""
    return scenario_from_data(mmc_data(slots, lam, mu, jobs, seed=seed, name=f"mmc-{slots}"))


@cache
def replicate(
    slots: int, lam: float, mu: float, jobs: int, reps: int, seed: int
) -> tuple[np.ndarray, ...]:
    """The post-warm-up waits of each of ``reps`` replications (cached: several checks share)."""
    scenario = mmc_scenario(slots, lam, mu, jobs, seed)
    skip = round(WARMUP_FRACTION * jobs)
    out = []
    for i in range(reps):
        result = Simulation(scenario, replication=i).run()
        assert not result.warnings, result.warnings
        assert len(result.jobs) == jobs
        records = sorted(result.jobs, key=lambda j: (j.submit_s, j.job_id))
        assert all(j.state == "COMPLETED" and j.start_s is not None for j in records)
        submit = np.array([j.submit_s for j in records], dtype=float)
        start = np.array([j.start_s for j in records], dtype=float)
        end = np.array([j.end_s for j in records], dtype=float)
        check_discipline(submit, start, end, slots)
        out.append((start - submit)[skip:])
    return tuple(out)


def check_discipline(submit: np.ndarray, start: np.ndarray, end: np.ndarray, slots: int) -> None:
    """Exact, sample-path properties of a work-conserving FCFS queue with ``slots`` servers."""
    assert np.all(start >= submit), "a job started before it was submitted"
    assert np.all(np.diff(start) >= 0), "jobs did not start in submission order (not FCFS)"
    starts, ends = np.sort(start), np.sort(end)
    in_service = np.searchsorted(starts, starts, "right") - np.searchsorted(ends, starts, "right")
    assert in_service.max() <= slots, f"{in_service.max()} jobs in service on {slots} slots"
    # Just before a submission, how many were in service? A job may wait only if all were busy.
    busy = np.searchsorted(starts, submit, "left") - np.searchsorted(ends, submit, "right")
    waited = start > submit
    assert np.all(busy[waited] >= slots), "a job waited while a slot was free"
    assert np.all(busy[~waited] < slots), "a job started at once although every slot was busy"
    # A delayed job starts at the very instant a slot frees (no allocation latency).
    assert np.all(np.isin(start[waited], end)), "a delayed start did not coincide with a departure"


@dataclass(frozen=True)
class Interval:
    """A Student-t confidence interval for the mean of per-replication values."""

    mean: float
    half_width: float
    reps: int

    @property
    def low(self) -> float:
        return self.mean - self.half_width

    @property
    def high(self) -> float:
        return self.mean + self.half_width

    def __contains__(self, value: float) -> bool:
        return self.low <= value <= self.high

    def __str__(self) -> str:
        return f"[{self.low:.4f}, {self.high:.4f}] (mean {self.mean:.4f}, R={self.reps})"


def t_interval(values: list[float] | np.ndarray, level: float = LEVEL) -> Interval:
    """Student-t interval over independent replications: mean +- t_{R-1} s / sqrt(R)."""
    x = np.asarray(values, dtype=float)
    r = len(x)
    assert r >= 2
    t = stats.t.ppf(0.5 + level / 2.0, df=r - 1)
    return Interval(float(x.mean()), float(t * x.std(ddof=1) / np.sqrt(r)), r)


def mean_wait_interval(runs: tuple[np.ndarray, ...]) -> Interval:
    return t_interval([w.mean() for w in runs])


def waited_interval(runs: tuple[np.ndarray, ...], beyond: float = 0.0) -> Interval:
    """Interval for P(wait > beyond); beyond = 0 estimates Erlang C."""
    return t_interval([float(np.mean(w > beyond)) for w in runs])


# ------------------------------------------------------------------------------- cases
@dataclass(frozen=True)
class Case:
    c: int
    rho: float
    jobs: int  # per replication, warm-up included
    reps: int
    seed: int
    max_rel_half_width: float
    mu: float = 1.0

    @property
    def lam(self) -> float:
        return self.rho * self.c * self.mu

    @property
    def id(self) -> str:
        return f"c{self.c}-rho{self.rho:g}"

    def runs(self, slots: int | None = None, mu: float | None = None) -> tuple[np.ndarray, ...]:
        return replicate(
            self.c if slots is None else slots,
            self.lam,
            self.mu if mu is None else mu,
            self.jobs,
            self.reps,
            self.seed,
        )


# Sized from pilot runs (hundreds of replications per case) so that the expected half-width is
# about 0.07-0.10 of the theory and a half-width over the bound is rare. The relative variance of
# a replication's mean wait, times the jobs it keeps, is about 30 for (1, 0.5), 80 for (2, 0.7),
# 150-180 for (4, 0.8), 400 for (1, 0.9), 600 for (4, 0.9) and (8, 0.9), ~2800 for (8, 0.95):
# many servers at high load need far more jobs for the same relative precision, so they are slow.
# Replication means are right-skewed (skewness ~1), so the t interval covers a little less than
# 95% (measured 0.88-0.97 over 40 groups of replications); the pooled means showed no bias.
FAST = [
    Case(c=1, rho=0.5, jobs=1000, reps=20, seed=2026, max_rel_half_width=0.15),
    Case(c=2, rho=0.7, jobs=2500, reps=20, seed=2027, max_rel_half_width=0.15),
]
SLOW = [
    Case(c=4, rho=0.8, jobs=4000, reps=20, seed=2028, max_rel_half_width=0.15),
    Case(c=1, rho=0.9, jobs=8000, reps=30, seed=3026, max_rel_half_width=0.10),
    Case(c=4, rho=0.9, jobs=15000, reps=30, seed=3027, max_rel_half_width=0.10),
    Case(c=8, rho=0.9, jobs=15000, reps=30, seed=3028, max_rel_half_width=0.10),
    # At rho = 0.95 the relative variance is ~2800 per kept job (measured): 10% would need ~2M
    # jobs (~3 min) for this case alone, so it keeps the 15% bound.
    Case(c=8, rho=0.95, jobs=30000, reps=30, seed=3029, max_rel_half_width=0.15),
]


def check_against_erlang_c(case: Case, *, tail: bool) -> None:
    runs = case.runs()
    theory = mmc_mean_wait(case.lam, case.mu, case.c)
    ci = mean_wait_interval(runs)
    assert ci.half_width < case.max_rel_half_width * theory, (
        f"{case.id}: interval {ci} too wide for a meaningful check (theory {theory:.4f})"
    )
    assert theory in ci, f"{case.id}: Erlang C mean wait {theory:.4f} outside {ci}"

    p_wait = erlang_c(case.c, case.rho)
    pw = waited_interval(runs)
    assert p_wait in pw, f"{case.id}: Erlang C P(wait>0) {p_wait:.4f} outside {pw}"

    if tail:  # FCFS: P(W > t) = C exp(-(c mu - lam) t); at t = 1/(c mu - lam) that is C/e
        t0 = 1.0 / (case.c * case.mu - case.lam)
        p_tail = mmc_wait_tail(case.lam, case.mu, case.c, t0)
        pt = waited_interval(runs, beyond=t0)
        assert p_tail in pt, f"{case.id}: P(W > {t0:.3f}) = {p_tail:.4f} outside {pt}"


@pytest.mark.parametrize("case", FAST, ids=lambda k: k.id)
def test_mean_wait_matches_erlang_c(case: Case) -> None:
    check_against_erlang_c(case, tail=False)


@pytest.mark.slow
@pytest.mark.parametrize("case", SLOW, ids=lambda k: k.id)
def test_mean_wait_matches_erlang_c_tight(case: Case) -> None:
    check_against_erlang_c(case, tail=True)


# ------------------------------------------------------------------------------- power
# The same check must reject a claim that does not match the cluster that ran. To keep the
# default run short these reuse the (cached) runs of the FAST cases: seen from a claim of c + 1
# slots, the runs of a c-slot cluster are "the same setup with one slot fewer"; seen from a claim
# of tasks 10% (or 5%) faster, they are "the same setup with mu 10% (5%) smaller".
def _fast(c: int) -> Case:
    return next(k for k in FAST if k.c == c)


def test_power_one_slot_fewer() -> None:
    """Claim M/M/3 at the load of the 2-slot case; the 2-slot runs must reject it."""
    case = _fast(2)
    claimed = mmc_mean_wait(case.lam, case.mu, case.c + 1)
    ci = mean_wait_interval(case.runs())
    assert claimed not in ci, f"claimed M/M/{case.c + 1} value {claimed:.4f} not rejected by {ci}"
    claimed_p_wait = erlang_c(case.c + 1, case.lam / ((case.c + 1) * case.mu))
    pw = waited_interval(case.runs())
    assert claimed_p_wait not in pw, f"claimed P(wait>0) {claimed_p_wait:.4f} not rejected by {pw}"


@pytest.mark.parametrize(("c", "faster"), [(1, 0.10), (2, 0.05)])
def test_power_service_rate_smaller_than_claimed(c: int, faster: float) -> None:
    """Claim tasks run at mu / (1 - faster); the runs (at mu) must reject the claimed value."""
    case = _fast(c)
    claimed_mu = case.mu / (1.0 - faster)
    claimed = mmc_mean_wait(case.lam, claimed_mu, case.c)
    ci = mean_wait_interval(case.runs())
    assert claimed not in ci, (
        f"claimed value {claimed:.4f} (mu={claimed_mu:.4f}) not rejected by {ci}"
    )


# ------------------------------------------------------------------------------- formulas
def test_erlang_c_hand_values() -> None:
    lam, mu = 0.5, 1.0
    rho = lam / mu
    # M/M/1: C = rho and Wq = rho / (mu - lam).
    assert erlang_c(1, rho) == pytest.approx(rho)
    assert mmc_mean_wait(lam, mu, 1) == pytest.approx(rho / (mu - lam)) == pytest.approx(1.0)
    # M/M/2: C = 2 rho^2 / (1 + rho) and Wq = rho^2 / (mu (1 - rho^2)).
    for rho in (0.1, 0.5, 0.7, 0.95):
        assert erlang_c(2, rho) == pytest.approx(2 * rho**2 / (1 + rho))
        assert mmc_mean_wait(2 * rho, 1.0, 2) == pytest.approx(rho**2 / (1 - rho**2))
    # c = 3, a = 2 Erlangs by hand: (8/6)/(1/3) = 4 over 1 + 2 + 2 + 4 = 9.
    assert erlang_c(3, 2 / 3) == pytest.approx(4 / 9)
    assert erlang_c(5, 0.0) == 0.0


def test_erlang_c_agrees_with_erlang_b_recursion() -> None:
    """An independent route: Erlang B by recursion, then C = B / (1 - rho (1 - B))."""
    for c in (1, 2, 3, 8, 16, 50, 200):
        for rho in (0.05, 0.5, 0.8, 0.9, 0.99):
            a = c * rho
            b = 1.0
            for k in range(1, c + 1):
                b = a * b / (k + a * b)
            assert erlang_c(c, rho) == pytest.approx(b / (1 - rho * (1 - b)), rel=1e-10)


def test_erlang_c_rejects_unstable_or_bad_input() -> None:
    with pytest.raises(ValueError):
        erlang_c(2, 1.0)
    with pytest.raises(ValueError):
        erlang_c(0, 0.5)
