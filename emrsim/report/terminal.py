"""The human summary printed by ``emrsim run`` (rich tables)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and value.is_integer() and unit == "":
        return f"{int(value):,}"
    if isinstance(value, float):
        return f"{value:,.4f}{unit}" if unit == " USD" else f"{value:,.1f}{unit}"
    return f"{value}{unit}"


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
    rows = [
        ("cost_usd.total", "total cost", " USD"),
        ("cost_usd.ec2", "  EC2", " USD"),
        ("cost_usd.emr", "  EMR fee", " USD"),
        ("cost_usd.ebs", "  EBS", " USD"),
        ("makespan_s", "makespan", " s"),
        ("cluster_lifetime_s", "cluster lifetime", " s"),
        ("jobs.submitted", "jobs submitted", ""),
        ("jobs.completed", "jobs completed", ""),
        ("jobs.failed", "jobs failed", ""),
        ("jobs.mean_wait_s", "mean job wait", " s"),
        ("jobs.p95_wait_s", "p95 job wait", " s"),
        ("jobs.mean_runtime_s", "mean job runtime", " s"),
        ("containers.launched", "containers launched", ""),
        ("containers.lost", "containers lost", ""),
        ("nodes.peak", "peak nodes", ""),
        ("nodes.node_hours", "node hours", " h"),
        ("yarn.mean_memory_utilization_pct", "YARN memory used", " %"),
        ("hdfs.blocks_lost", "HDFS blocks lost", ""),
    ]
    for path, label, unit in rows:
        stats = agg.get(path)
        if stats is None:
            continue
        if len(runs) == 1:
            table.add_row(label, _fmt(stats["mean"], unit))
        else:
            ci = stats["ci95"]
            interval = f"[{_fmt(ci[0])}, {_fmt(ci[1])}]" if ci else "-"
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
