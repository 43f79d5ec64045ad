"""A whole sweep: check every point, run what is missing, and write the results.

With ``out``, ``DIR/sweep.json`` (the sweep's definition) is written before anything runs and
each finished run is appended to ``DIR/runs.jsonl`` as it arrives, so an interrupted sweep
resumes where it stopped (``resume=True`` runs only the missing runs, and refuses a different
definition). At the end, ``summary.json`` (the document), ``sweep.csv`` (one row per point) and
the plots are written atomically.

The document is assembled in (point, replication) order from the records, whatever order they
finished in and whichever executor ran them, so its JSON text is the same byte for byte.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from contextlib import closing
from pathlib import Path
from typing import IO, Any

from emrsim.report.aggregate import aggregate
from emrsim.report.files import dumps, write_atomic
from emrsim.scenario.models import Scenario
from emrsim.scenario.source import ScenarioError
from emrsim.sweep.grid import SweepSpec, value_text
from emrsim.sweep.runner import RunRecord, RunTask, execute

MAIN_METRICS = (
    "cost_usd.total",
    "makespan_s",
    "jobs.p95_wait_s",
    "jobs.mean_wait_s",
    "jobs.completed",
    "jobs.failed",
    "hdfs.blocks_lost",
    "spot.interruptions",
)
"""The metrics of sweep.csv and of the per-key plots."""

STATS = ("mean", "ci95_low", "ci95_high", "p50", "p95")
DEFINITION = "sweep.json"
RUNS = "runs.jsonl"


class SweepError(ValueError):
    """Bad input found before anything ran: ``lines`` are the messages (exit 2)."""

    def __init__(self, lines: Sequence[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = list(lines)


def check_points(spec: SweepSpec) -> Scenario:
    """Load every point's scenario; raise :class:`SweepError` with the problems of all of
    them (each ``file:line: key.path: message`` once). Returns the base scenario (the file
    with the ``--set`` overrides)."""
    from emrsim.scenario.load import scenario_from_text

    lines: list[str] = []
    options = {k: "--grid" for k, _ in spec.grid.axes} | {k: "--zip" for k, _ in spec.grid.zipped}

    def name_option(line: str) -> str:
        """The loader says ``(--set)`` for any override; say which option set a swept key."""
        for key, option in options.items():
            for tail in (":", "."):
                line = line.replace(f"(--set): {key}{tail}", f"({option}): {key}{tail}")
        return line

    def load(overrides: tuple[str, ...]) -> Scenario | None:
        try:
            return scenario_from_text(spec.text, spec.source, overrides, base_dir=spec.base_dir)
        except ScenarioError as exc:
            lines.extend(name_option(x) for x in exc.lines() if name_option(x) not in lines)
            return None

    base = load(spec.overrides)
    for point in range(len(spec.points)):
        load(spec.point_overrides(point))
    if lines or base is None:
        raise SweepError(lines)
    return base


def tasks(spec: SweepSpec, done: Iterable[tuple[int, int]] = ()) -> list[RunTask]:
    """Every run of the sweep not in ``done``, in (point, replication) order."""
    skip = set(done)
    return [
        RunTask(spec.text, spec.source, spec.base_dir, spec.point_overrides(p), p, i)
        for p in range(len(spec.points))
        for i in range(spec.replications)
        if (p, i) not in skip
    ]


# ------------------------------------------------------------------ the output directory
def _comparable(definition: Mapping[str, Any]) -> dict[str, Any]:
    """The definition without what may change between a sweep and its resume."""
    return {k: v for k, v in definition.items() if k != "scenario_file"}


def start_dir(out: Path, spec: SweepSpec, resume: bool) -> dict[tuple[int, int], RunRecord]:
    """Prepare ``out``: write the definition, or (``resume``) check it and return the runs
    already done. A torn last line of runs.jsonl (killed mid-write) is dropped."""
    definition = spec.definition()
    path = out / DEFINITION
    if not resume:
        try:
            out.mkdir(parents=True, exist_ok=True)
            (out / RUNS).unlink(missing_ok=True)
            write_atomic(path, dumps(definition))
        except OSError as exc:
            raise SweepError([f"--out {out}: cannot write there: {exc.strerror or exc}"]) from None
        return {}
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SweepError([f"--resume {out}: no {DEFINITION}: not a sweep directory"]) from None
    except (OSError, ValueError) as exc:
        raise SweepError([f"--resume {out}: cannot read {DEFINITION}: {exc}"]) from None
    if not isinstance(stored, dict):
        stored = {}
    if _comparable(stored) != _comparable(definition):
        keys = {*_comparable(definition), *_comparable(stored)}
        differ = sorted(k for k in keys if stored.get(k) != definition.get(k))
        raise SweepError(
            [
                f"--resume {out}: this sweep differs from the one started there "
                f"({', '.join(differ)}); give the same scenario, --set, --grid, --zip and "
                "--replications, or use another directory"
            ]
        )
    done = read_runs(out / RUNS, len(spec.points), spec.replications)
    # Rewrite without a torn line, so appended runs start on a line of their own.
    write_atomic(out / RUNS, "".join(_line(done[k]) for k in sorted(done)))
    return done


def read_runs(path: Path, points: int, replications: int) -> dict[tuple[int, int], RunRecord]:
    """The records of ``runs.jsonl`` by (point, replication); lines that do not parse or do
    not belong to this sweep are skipped."""
    done: dict[tuple[int, int], RunRecord] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return done
    for line in text.splitlines():
        try:
            record = json.loads(line)
            key = (int(record["point"]), int(record["replication"]))
            ok = isinstance(record["summary"], dict) and isinstance(record["warnings"], list)
        except (ValueError, KeyError, TypeError):
            continue
        if ok and 0 <= key[0] < points and 0 <= key[1] < replications:
            done[key] = record
    return done


def _line(record: RunRecord) -> str:
    return json.dumps(record, allow_nan=False, separators=(",", ":")) + "\n"


# ------------------------------------------------------------------------- the sweep
def run_sweep(
    spec: SweepSpec,
    *,
    out: Path | None = None,
    resume: bool = False,
    workers: int | None = None,
    dask_address: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Check every point, run the missing runs and return the sweep's JSON document; with
    ``out``, write the files (see the module's docstring). ``progress(done, total)`` is called
    once before the first run and after each. Raises :class:`SweepError` for bad input
    (before anything runs or is written), KeyboardInterrupt with runs.jsonl kept."""
    base = check_points(spec)
    done: dict[tuple[int, int], RunRecord] = {}
    if out is not None:
        done = start_dir(out, spec, resume)
    todo = tasks(spec, done)
    total = len(spec.points) * spec.replications
    if progress is not None:
        progress(len(done), total)
    log: IO[str] | None = (out / RUNS).open("a", encoding="utf-8") if out is not None else None
    try:
        results: Generator[RunRecord, None, None] = execute(
            todo, workers=workers, dask_address=dask_address
        )
        with closing(results):
            for record in results:
                done[(record["point"], record["replication"])] = record
                if log is not None:
                    log.write(_line(record))
                    log.flush()
                if progress is not None:
                    progress(len(done), total)
    finally:
        if log is not None:
            log.close()
    document = build_document(spec, base, done)
    if out is not None:
        write_outputs(out, document)
    return document


def build_document(
    spec: SweepSpec, base: Scenario, done: Mapping[tuple[int, int], RunRecord]
) -> dict[str, Any]:
    """The contract's sweep document, points and runs in order."""
    from emrsim import __version__

    points = []
    warnings: set[str] = set()
    for p, overrides in enumerate(spec.points):
        records = [done[(p, i)] for i in range(spec.replications)]
        runs = [r["summary"] for r in records]
        point_warnings = sorted({w for r in records for w in r["warnings"]})
        warnings.update(point_warnings)
        points.append(
            {
                "overrides": dict(overrides),
                "runs": runs,
                "aggregate": aggregate(runs),
                "warnings": point_warnings,
            }
        )
    return {
        "scenario": base.name,
        "emrsim_version": __version__,
        "seed": base.seed,
        "replications": spec.replications,
        "grid": spec.grid.as_json(),
        "zip": [k for k, _ in spec.grid.zipped],
        "set": list(spec.overrides),
        "points": points,
        "pareto": pareto_front(document_points=points),
        "warnings": sorted(warnings),
        "config": base.model_dump(mode="json"),
    }


def _stat(point: Mapping[str, Any], metric: str, stat: str) -> float | None:
    entry = point["aggregate"].get(metric)
    if entry is None:
        return None
    if stat.startswith("ci95_"):
        ci = entry["ci95"]
        return None if ci is None else ci[0 if stat == "ci95_low" else 1]
    value: float = entry[stat]
    return value


def pareto_front(document_points: Sequence[Mapping[str, Any]]) -> list[int]:
    """The indices of the points no other point beats on both mean cost and p95 makespan
    (lower is better for both; a point with either figure missing is left out)."""
    xy = [
        (i, _stat(p, "cost_usd.total", "mean"), _stat(p, "makespan_s", "p95"))
        for i, p in enumerate(document_points)
    ]
    known = [(i, x, y) for i, x, y in xy if x is not None and y is not None]
    front = []
    for i, x, y in known:
        beaten = any((x2 <= x and y2 <= y) and (x2 < x or y2 < y) for j, x2, y2 in known if j != i)
        if not beaten:
            front.append(i)
    return front


def csv_columns(keys: Sequence[str]) -> list[str]:
    """sweep.csv's header: the swept keys, then each main metric's statistics, then pareto."""
    return [*keys, *(f"{m}.{s}" for m in MAIN_METRICS for s in STATS), "pareto"]


def csv_cell(value: Any) -> Any:
    """An override value in sweep.csv: strings as they are, anything else as JSON."""
    return value if isinstance(value, str) else value_text(value)


def write_csv(path: Path, document: Mapping[str, Any]) -> None:
    """sweep.csv: one row per point (see :func:`csv_columns`)."""
    import csv

    keys = list(document["grid"])
    front = set(document["pareto"])
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(csv_columns(keys))
        for i, point in enumerate(document["points"]):
            stats = [_stat(point, m, s) for m in MAIN_METRICS for s in STATS]
            writer.writerow(
                [
                    *(csv_cell(point["overrides"][k]) for k in keys),
                    *("" if v is None else v for v in stats),
                    "true" if i in front else "false",
                ]
            )
    os.replace(tmp, path)


def write_outputs(out: Path, document: Mapping[str, Any]) -> list[Path]:
    """summary.json, sweep.csv and the plots; returns the paths written."""
    from emrsim.report.sweep_plots import write_sweep_plots

    write_atomic(out / "summary.json", dumps(document))
    write_csv(out / "sweep.csv", document)
    return [out / "summary.json", out / "sweep.csv", *write_sweep_plots(document, out)]
