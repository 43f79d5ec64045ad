"""The human summary printed by ``emrsim run`` (rich tables)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from emrsim.report.html import SUMMARY_ROWS
from emrsim.report.html import fmt as _fmt


def print_summary(document: dict[str, Any], console: Console | None = None) -> None:
    """Print the scenario's headline numbers; with replications, mean and 95% interval."""
    console = console or Console()
    runs = document["runs"]
    agg = document["aggregate"]
    title = (
        f"{document['scenario']}  (seed {document['seed']}, "
        f"{document['replications']} replication(s), emrsim {document['emrsim_version']})"
    )
    table = Table(title=title, show_header=True)
    table.add_column("metric")
    table.add_column("value" if len(runs) == 1 else "mean", justify="right")
    if len(runs) > 1:
        table.add_column("95% interval", justify="right")
        table.add_column("p95", justify="right")
    for path, label, unit in SUMMARY_ROWS:
        stats = agg.get(path)
        if stats is None:
            continue
        if len(runs) == 1:
            table.add_row(label, _fmt(stats["mean"], unit))
        else:
            ci = stats["ci95"]
            interval = f"[{_fmt(ci[0], unit)}, {_fmt(ci[1], unit)}]" if ci else "-"
            table.add_row(label, _fmt(stats["mean"], unit), interval, _fmt(stats["p95"], unit))
    console.print(table)
    if len(runs) == 1:
        run = runs[0]
        console.print(f"cluster {run['cluster_state']} ({run['state_change_reason']})")
        for step in run["steps"]:
            console.print(
                f"  step {step['name']}: {step['state']} "
                f"{_fmt(step['start_s'], ' s')} -> {_fmt(step['end_s'], ' s')}"
            )
