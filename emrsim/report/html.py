"""report.html (``--out DIR``): one self-contained file with the plots embedded as base64 PNGs.

No external resources: styles are inline, images are ``data:`` URIs, so the file can be mailed
or opened offline. Every piece of text from the scenario is escaped with :func:`html.escape`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import Any

from emrsim.report.files import write_atomic
from emrsim.result import RunResult

#: The headline rows, as ``emrsim run`` prints them: (dotted field, label, unit).
SUMMARY_ROWS = (
    ("cost_usd.total", "total cost", " USD"),
    ("cost_usd.ec2", "EC2", " USD"),
    ("cost_usd.emr", "EMR fee", " USD"),
    ("cost_usd.ebs", "EBS", " USD"),
    ("makespan_s", "makespan", " s"),
    ("cluster_lifetime_s", "cluster lifetime", " s"),
    ("jobs.submitted", "jobs submitted", ""),
    ("jobs.completed", "jobs completed", ""),
    ("jobs.failed", "jobs failed", ""),
    ("jobs.am_retried", "jobs with a retried AM", ""),
    ("jobs.mean_wait_s", "mean job wait", " s"),
    ("jobs.p95_wait_s", "p95 job wait", " s"),
    ("jobs.mean_runtime_s", "mean job runtime", " s"),
    ("containers.launched", "containers launched", ""),
    ("containers.lost", "containers lost", ""),
    ("spot.interruptions", "spot interruptions", ""),
    ("spot.lost_container_s", "work lost to spot", " container-s"),
    ("nodes.peak", "peak nodes", ""),
    ("nodes.node_hours", "node hours", " h"),
    ("yarn.mean_memory_utilization_pct", "YARN memory used", " %"),
    ("hdfs.blocks_lost", "HDFS blocks lost", ""),
)
#: Runs whose plots are embedded in the report with several replications (the rest stay on disk).
MAX_RUNS_EMBEDDED = 10

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto;
       max-width: 60em; padding: 0 1em; color: #222; }
h1 { margin-bottom: 0.2em; }
.meta { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border-bottom: 1px solid #ddd; padding: 0.3em 0.8em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
thead th { border-bottom: 2px solid #999; }
figure { margin: 1.5em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.9em; }
pre { background: #f6f6f6; padding: 1em; overflow-x: auto; font-size: 0.85em; }
.warnings li { color: #8a4b00; }
details { margin: 1em 0; }
summary { cursor: pointer; font-weight: 600; }
"""


def fmt(value: Any, unit: str = "") -> str:
    """A number as the terminal summary prints it (USD to 4 decimals, others to 1)."""
    if value is None:
        return "-"
    if isinstance(value, float) and value.is_integer() and unit == "":
        return f"{int(value):,}"
    if isinstance(value, float):
        return f"{value:,.4f}{unit}" if unit == " USD" else f"{value:,.1f}{unit}"
    return f"{value}{unit}"


def _img(path: Path) -> str:
    from emrsim.report.plots import CAPTIONS

    data = base64.b64encode(path.read_bytes()).decode("ascii")
    caption = CAPTIONS.get(path.name, path.stem.replace("_", " "))
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{escape(caption)}">'
        f"<figcaption>{escape(caption)} ({escape(path.name)})</figcaption></figure>"
    )


def _summary_table(document: dict[str, Any]) -> str:
    agg = document["aggregate"]
    several = len(document["runs"]) > 1
    head = ["metric", "mean", "95% interval", "p50", "p95"] if several else ["metric", "value"]
    rows = ["<table><thead><tr>", *(f"<th>{escape(h)}</th>" for h in head), "</tr></thead><tbody>"]
    for field, label, unit in SUMMARY_ROWS:
        stats = agg.get(field)
        if stats is None:
            continue
        cells = [label, fmt(stats["mean"], unit)]
        if several:
            ci = stats.get("ci95")
            cells.append(f"[{fmt(ci[0], unit)}, {fmt(ci[1], unit)}]" if ci else "-")
            cells += [fmt(stats.get("p50"), unit), fmt(stats.get("p95"), unit)]
        rows.append("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in cells) + "</tr>")
    rows.append("</tbody></table>")
    return "".join(rows)


def _steps(run: dict[str, Any]) -> str:
    parts = [
        f"<p>Cluster {escape(str(run.get('cluster_state', '-')))} "
        f"({escape(str(run.get('state_change_reason', '-')))})</p>"
    ]
    steps = run.get("steps") or []
    if steps:
        parts.append(
            "<table><thead><tr><th>step</th><th>state</th><th>start</th><th>end</th>"
            "</tr></thead><tbody>"
        )
        for step in steps:
            cells = [
                str(step["name"]),
                str(step["state"]),
                fmt(step["start_s"], " s"),
                fmt(step["end_s"], " s"),
            ]
            parts.append("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in cells) + "</tr>")
        parts.append("</tbody></table>")
    return "".join(parts)


def _run_dirs(directory: Path, count: int) -> list[Path]:
    from emrsim.sweep.replications import run_dir

    return [run_dir(directory, i, count) for i in range(count)]


def render_report(
    document: dict[str, Any],
    run_plots: Sequence[Sequence[Path]],
    aggregate_plots: Sequence[Path] = (),
) -> str:
    """The HTML text of report.html, embedding the given PNG files."""
    runs = document["runs"]
    title = f"emrsim report: {document['scenario']}"
    description = (document.get("config") or {}).get("description") or ""
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{escape(str(document['scenario']))}</h1>",
        f'<p class="meta">seed {escape(str(document["seed"]))} &middot; '
        f"{escape(str(document['replications']))} replication(s) &middot; "
        f"emrsim {escape(str(document['emrsim_version']))}</p>",
    ]
    if description:
        out.append(f"<p>{escape(str(description))}</p>")
    warnings = document.get("warnings") or []
    if warnings:
        out.append('<h2>Warnings</h2><ul class="warnings">')
        out += [f"<li>{escape(str(w))}</li>" for w in warnings]
        out.append("</ul>")
    out.append("<h2>Summary</h2>")
    out.append(_summary_table(document))
    target = document.get("target_ci")
    if target:
        reached = "reached" if target.get("reached") else "NOT reached (stopped at the cap)"
        out.append(
            f'<p class="meta">Target {escape(str(target.get("target")))} for the 95% interval: '
            f"{escape(reached)} after {escape(str(target.get('replications')))} replications "
            f"(half-width {escape(fmt(target.get('half_width')))}).</p>"
        )
    if len(runs) == 1:
        out.append("<h2>Steps</h2>")
        out.append(_steps(runs[0]))
    if aggregate_plots:
        out.append("<h2>Across replications</h2>")
        out += [_img(p) for p in aggregate_plots]
    if len(runs) == 1 and run_plots:
        out.append("<h2>Plots</h2>")
        out += [_img(p) for p in run_plots[0]]
    elif run_plots:
        out.append("<h2>Runs</h2>")
        for i, paths in enumerate(run_plots[:MAX_RUNS_EMBEDDED]):
            run = runs[i] if i < len(runs) else {}
            cost = (run.get("cost_usd") or {}).get("total")
            out.append(
                f"<details><summary>run-{i}: makespan {escape(fmt(run.get('makespan_s'), ' s'))}"
                f", total cost {escape(fmt(cost, ' USD'))}</summary>"
            )
            out.append(_steps(run))
            out += [_img(p) for p in paths]
            out.append("</details>")
        if len(run_plots) > MAX_RUNS_EMBEDDED:
            out.append(
                f"<p>Plots of runs {MAX_RUNS_EMBEDDED} to {len(run_plots) - 1} are in their "
                "run-i/ directories.</p>"
            )
    config = json.dumps(document.get("config"), indent=2, sort_keys=False)
    out.append("<details><summary>Resolved configuration</summary>")
    out.append(f"<pre>{escape(config)}</pre></details>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def write_report(
    document: dict[str, Any],
    results: Sequence[RunResult],
    directory: Path,
    run_plots: Sequence[Sequence[Path]] | None = None,
    aggregate_plots: Sequence[Path] | None = None,
) -> Path:
    """Write ``directory/report.html`` atomically and return its path.

    Without ``run_plots`` / ``aggregate_plots`` the PNGs already in ``directory`` (one run) or in
    ``directory/run-i`` and ``directory`` (several runs) are embedded.
    """
    count = len(results) or len(document["runs"])
    if run_plots is None:
        run_plots = [sorted(d.glob("*.png")) for d in _run_dirs(directory, count)]
    if aggregate_plots is None:
        aggregate_plots = sorted(directory.glob("replications_*.png")) if count > 1 else []
    path = directory / "report.html"
    write_atomic(path, render_report(document, run_plots, aggregate_plots))
    return path
