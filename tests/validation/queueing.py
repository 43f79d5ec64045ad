"""Textbook M/M/c results (Erlang C), written from the formulas, for validating emrsim.

Notation: ``c`` identical servers, Poisson arrivals at rate ``lam``, exponential service at rate
``mu`` per server, offered load ``a = lam / mu`` (in Erlangs) and utilisation ``rho = a / c``.

Erlang C, the probability that an arriving customer has to wait (PASTA), is

    C(c, a) = (a^c / c!) / (1 - rho)  /  ( sum_{k=0}^{c-1} a^k / k!  +  (a^c / c!) / (1 - rho) )

and the mean wait in queue is Wq = C(c, a) / (c mu - lam). Under FIFO the wait is 0 with
probability 1 - C and otherwise exponential with rate c mu - lam, so
P(Wq > t) = C(c, a) exp(-(c mu - lam) t).
"""

from __future__ import annotations

import math


def erlang_c(c: int, rho: float) -> float:
    """Probability of waiting in an M/M/c queue with ``c`` servers at utilisation ``rho``."""
    if c < 1 or int(c) != c:
        raise ValueError(f"c must be a positive integer (got {c!r})")
    if not 0.0 <= rho < 1.0:
        raise ValueError(f"rho must be in [0, 1) for a stable queue (got {rho!r})")
    a = c * rho
    # The terms a^k / k!, built one from the other (no overflowing powers or factorials).
    term = 1.0
    below = 0.0  # sum_{k=0}^{c-1} a^k / k!
    for k in range(c):
        below += term
        term *= a / (k + 1)
    top = term / (1.0 - rho)  # (a^c / c!) / (1 - rho)
    return top / (below + top)


def mmc_mean_wait(lam: float, mu: float, c: int) -> float:
    """Mean time in queue (before service starts) of an M/M/c queue: C(c, a) / (c mu - lam)."""
    if lam <= 0 or mu <= 0:
        raise ValueError("lam and mu must be positive")
    rho = lam / (c * mu)
    return erlang_c(c, rho) / (c * mu - lam)


def mmc_wait_tail(lam: float, mu: float, c: int, t: float) -> float:
    """P(Wq > t) of an M/M/c queue served first come, first served."""
    rho = lam / (c * mu)
    return erlang_c(c, rho) * math.exp(-(c * mu - lam) * t)
