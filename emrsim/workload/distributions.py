"""Drawing from the scenario's distributions with a given numpy generator."""

from __future__ import annotations

import math

import numpy as np

from emrsim.scenario.values import Constant, Empirical, Exponential, LogNormal, Normal, Uniform

Dist = Constant | Exponential | Uniform | Normal | LogNormal | Empirical


def sample(dist: Dist, rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` independent draws of ``dist`` (float64 array, all >= 0)."""
    if isinstance(dist, Constant):
        return np.full(n, dist.value)
    if isinstance(dist, Exponential):
        return rng.exponential(dist.mean, n)
    if isinstance(dist, Uniform):
        return rng.uniform(dist.low, dist.high, n)
    if isinstance(dist, Normal):
        out = rng.normal(dist.mean, dist.sd, n)
        bad = out < 0
        while bad.any():  # truncated at 0: redraw the negatives
            out[bad] = rng.normal(dist.mean, dist.sd, int(bad.sum()))
            bad = out < 0
        return out
    if isinstance(dist, LogNormal):
        if dist.cv == 0:
            return np.full(n, dist.mean)
        sigma2 = math.log1p(dist.cv**2)
        return rng.lognormal(math.log(dist.mean) - sigma2 / 2, math.sqrt(sigma2), n)
    return rng.choice(np.asarray(dist.values, dtype=float), n)


class Sampler:
    """Draws from one distribution in blocks, handing out one value at a time."""

    __slots__ = ("_buf", "_dist", "_i", "_rng")
    BLOCK = 256

    def __init__(self, dist: Dist, rng: np.random.Generator) -> None:
        self._dist = dist
        self._rng = rng
        self._buf: list[float] = []
        self._i = 0

    def next(self) -> float:
        """The next draw."""
        if self._i >= len(self._buf):
            self._buf = sample(self._dist, self._rng, self.BLOCK).tolist()
            self._i = 0
        value = self._buf[self._i]
        self._i += 1
        return value


class ExponentialDraws:
    """Exponential draws of any mean from a generator used for nothing else, handed out from
    blocks of standard exponential draws: ``take(mean, n)`` returns exactly what
    ``rng.exponential(mean, n).tolist()`` would, call after call (numpy draws each value as
    the mean times the next standard exponential), without a numpy call per job."""

    __slots__ = ("_buf", "_i", "_rng")
    BLOCK = 256

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self._buf: list[float] = []
        self._i = 0

    def take(self, mean: float, n: int) -> list[float]:
        """``n`` draws of an exponential distribution of mean ``mean``."""
        i, buf = self._i, self._buf
        if n == 1 and i < len(buf):  # one task per stage: the common case of small jobs
            self._i = i + 1
            return [mean * buf[i]]
        if i + n <= len(buf):
            self._i = i + n
            return [mean * x for x in buf[i : i + n]]
        out = [mean * x for x in buf[i:]]
        while len(out) < n:
            buf = self._buf = self._rng.standard_exponential(self.BLOCK).tolist()
            take = min(n - len(out), self.BLOCK)
            out += [mean * x for x in buf[:take]]
            self._i = take
        return out
