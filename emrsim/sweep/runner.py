"""Running a sweep's runs: serially, on local worker processes, or on a Dask cluster.

The unit of work is one run, (point, replication). A :class:`RunTask` carries the scenario's
YAML *text* and the point's overrides, not a path, so a remote worker needs no shared
filesystem (files the scenario itself names, such as traces or ``yarn.from_xml``, must exist
at the same absolute path there). The worker loads the scenario, runs replication ``i`` with
the scenario's seed (the ``i``-th child seed: exactly the run ``emrsim run --set ... -r R``
would make) and sends back the run's summary, a plain JSON-able dict. Nothing depends on where
or when a run executes, so every executor gives the same numbers.

Results arrive in completion order; :mod:`emrsim.sweep.outputs` puts them back in
(point, replication) order.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Generator, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from emrsim.scenario.models import Scenario

CONNECT_TIMEOUT = "10s"
"""How long ``--dask`` keeps trying to reach the scheduler."""

RunRecord = dict[str, Any]
"""One finished run: ``{"point", "replication", "summary", "warnings"}``."""


@dataclass(frozen=True)
class RunTask:
    """One run of one point, self-contained: what a worker needs and nothing else."""

    text: str
    source: str
    base_dir: str | None
    overrides: tuple[str, ...]
    point: int
    replication: int


@lru_cache(maxsize=32)
def _scenario(text: str, source: str, base_dir: str | None, overrides: tuple[str, ...]) -> Scenario:
    from emrsim.scenario.load import scenario_from_text

    return scenario_from_text(text, source, overrides, base_dir=base_dir)


def run_task(task: RunTask) -> RunRecord:
    """Load the point's scenario and run one replication (this runs on the workers)."""
    from emrsim.sweep.replications import run_one

    scenario = _scenario(task.text, task.source, task.base_dir, task.overrides)
    result = run_one(scenario, task.replication)
    return {
        "point": task.point,
        "replication": task.replication,
        "summary": result.summary,
        "warnings": list(result.warnings),
    }


def default_workers() -> int:
    """All the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


class RunFailed(RuntimeError):
    """A run raised on a worker; the message says which run and why."""


def execute(
    tasks: Iterable[RunTask],
    *,
    workers: int | None = None,
    dask_address: str | None = None,
) -> Generator[RunRecord, None, None]:
    """Run ``tasks``, yielding each record as it finishes (in completion order).

    ``dask_address`` sends them to a running Dask scheduler; otherwise ``workers`` local
    processes (default: all cores), or this process when ``workers`` is 1. Closing the
    iterator (or Ctrl-C while waiting) cancels what has not run and shuts local workers down.
    """
    todo = list(tasks)
    if not todo:
        return
    if dask_address is None and (workers or default_workers()) == 1:
        for task in todo:
            yield run_task(task)
        return
    with _client(workers, dask_address) as client:
        yield from _on_dask(client, todo)


@contextmanager
def _client(workers: int | None, dask_address: str | None) -> Iterator[Any]:
    """A Dask client: to ``dask_address``, or to a new cluster of local processes."""
    from distributed import Client, LocalCluster

    with _quiet_on_interrupt():
        if dask_address is not None:
            with Client(dask_address, timeout=CONNECT_TIMEOUT) as client:
                yield client
            return
        n = workers or default_workers()
        with _sigint_ignored():
            cluster = LocalCluster(
                n_workers=n,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=40,  # logging.ERROR: no worker chatter on stderr
            )
        with cluster, Client(cluster) as client:
            yield client


@contextmanager
def _sigint_ignored() -> Iterator[None]:
    """Start local workers that ignore Ctrl-C (an ignored signal stays ignored in the processes
    started meanwhile). A terminal's Ctrl-C reaches the whole process group: this process stops
    the sweep and shuts the workers down, with one message and no traceback from each worker.
    A Ctrl-C in the second or so the workers take to start is not seen."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers belong to the main thread; nothing to do elsewhere
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


_DASK_LOGGERS = ("distributed", "tornado.application")


@contextmanager
def _quiet_on_interrupt() -> Iterator[None]:
    """Keep Dask's own error logs off stderr while the sweep runs: after a Ctrl-C the scheduler
    and the client's I/O loop report the cancelled work (and a cancelled wait of Dask's ``sync``
    logs a traceback from its loop thread). Failed runs reach the caller as :class:`RunFailed`,
    not through these logs. After a Ctrl-C they stay quiet (the loop thread may log later)."""
    import logging

    loggers = [logging.getLogger(name) for name in _DASK_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    interrupted = False
    try:
        yield
    except KeyboardInterrupt:
        interrupted = True  # the loop thread may still log after this: stay quiet
        raise
    finally:
        if not interrupted:
            for logger, level in zip(loggers, levels, strict=True):
                logger.setLevel(level)


def _on_dask(client: Any, tasks: list[RunTask]) -> Iterator[RunRecord]:
    from distributed import as_completed

    token = uuid.uuid4().hex[:12]  # a shared scheduler may run other sweeps at once
    futures = {
        client.submit(run_task, t, pure=False, key=f"emrsim-{token}-{t.point}-{t.replication}"): t
        for t in tasks
    }
    try:
        for future in as_completed(futures):
            task = futures[future]
            if future.status == "error":
                exc = future.exception()
                raise RunFailed(
                    f"point {task.point}, replication {task.replication}: "
                    f"{type(exc).__name__}: {exc}"
                )
            yield future.result()
            future.release()
    finally:
        pending = [f for f in futures if not f.done()]
        if pending:
            client.cancel(pending)
