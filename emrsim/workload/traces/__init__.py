"""Trace replay (``workload.traces``): one reader per format, the jobs they yield, their replay.

- :mod:`~emrsim.workload.traces.swim`: SWIM's Facebook 2009/2010 days (sizes -> tasks);
- :mod:`~emrsim.workload.traces.rumen`: Hadoop Rumen job histories (recorded attempt times);
- :mod:`~emrsim.workload.traces.sls`: Hadoop SLS JSON (recorded container times);
- :mod:`~emrsim.workload.traces.syn`: the SLS synthetic generator's spec (drawn per run);
- :mod:`~emrsim.workload.traces.arrivals`: arrival timestamps from a CSV column;
- :mod:`~emrsim.workload.traces.build`: parsing (cached), checks and the jobs of one run;
- :mod:`~emrsim.workload.traces.run`: :class:`TraceRun`, the submissions on the clock.

Each reader's docstring gives its field mapping; :class:`emrsim.scenario.models.Trace` the keys.
"""

from emrsim.workload.traces.build import build_jobs, parse, trace_problems
from emrsim.workload.traces.common import TraceError, TraceJob, TraceStage
from emrsim.workload.traces.run import TraceRun, trace_runs

__all__ = [
    "TraceError",
    "TraceJob",
    "TraceRun",
    "TraceStage",
    "build_jobs",
    "parse",
    "trace_problems",
    "trace_runs",
]
