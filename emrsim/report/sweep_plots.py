"""PNG plots of a sweep (``emrsim sweep --out DIR``).

- ``sweep_pareto.png``: mean total cost against the p95 makespan of every point, the Pareto
  front (lower is better on both) joined and marked, each point labelled by its overrides;
- ``sweep_by_<key>.png``: for each swept key, every main metric's mean (with its 95%
  interval) against the key's values, one line per combination of the other swept keys.

matplotlib is imported lazily with the Agg backend; files are written atomically.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

DPI = 120
MAX_LABELS = 40
MAX_LINES = 12
UNITS = {
    "cost_usd.total": "USD",
    "makespan_s": "s",
    "jobs.p95_wait_s": "s",
    "jobs.mean_wait_s": "s",
    "jobs.completed": "jobs",
    "jobs.failed": "jobs",
    "hdfs.blocks_lost": "blocks",
    "spot.interruptions": "interruptions",
}


def _label(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= 24 else text[:21] + "..."


def _point_label(overrides: Mapping[str, Any]) -> str:
    return ", ".join(f"{k.rsplit('.', 1)[-1]}={_label(v)}" for k, v in overrides.items())


def _save(fig: Any, path: Path) -> Path:
    import matplotlib.pyplot as plt

    tmp = path.with_name(f".{path.stem}.tmp.png")
    fig.savefig(tmp, dpi=DPI)
    plt.close(fig)
    os.replace(tmp, path)
    return path


def _figure(**kwargs: Any) -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(**kwargs)


def _mean(point: Mapping[str, Any], metric: str, stat: str = "mean") -> float | None:
    entry = point["aggregate"].get(metric)
    return None if entry is None else float(entry[stat])


def pareto_plot(document: Mapping[str, Any], path: Path) -> Path | None:
    """Cost (mean) against makespan (p95) per point, with the Pareto front marked."""
    points = document["points"]
    xy = [
        (i, _mean(p, "makespan_s", "p95"), _mean(p, "cost_usd.total")) for i, p in enumerate(points)
    ]
    known = [(i, x, y) for i, x, y in xy if x is not None and y is not None]
    if not known:
        return None
    front = set(document["pareto"])
    fig, ax = _figure(figsize=(8.0, 5.5), layout="constrained")
    others = [(x, y) for i, x, y in known if i not in front]
    if others:
        ax.scatter(*zip(*others, strict=True), color="tab:gray", label="dominated point", zorder=2)
    on_front = sorted((x, y) for i, x, y in known if i in front)
    if on_front:
        ax.plot(
            *zip(*on_front, strict=True),
            color="tab:red",
            marker="o",
            ms=8,
            label="Pareto front (lower is better on both)",
            zorder=3,
        )
    if len(known) <= MAX_LABELS:
        for i, x, y in known:
            ax.annotate(
                _point_label(points[i]["overrides"]),
                (x, y),
                fontsize=7,
                xytext=(4, 4),
                textcoords="offset points",
            )
    ax.set_xlabel("makespan, p95 over replications (s)")
    ax.set_ylabel("total cost, mean over replications (USD)")
    ax.set_title(
        f"{document['scenario']}: cost vs p95 makespan "
        f"({len(points)} points x {document['replications']} replications)"
    )
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, path)


def _positions(values: Sequence[Any]) -> tuple[list[float], list[str] | None]:
    """x positions: the values themselves when all are numbers, else their index."""
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return [float(v) for v in values], None
    return [float(i) for i in range(len(values))], [_label(v) for v in values]


def key_plot(document: Mapping[str, Any], key: str, metrics: Sequence[str], path: Path) -> Path:
    """Every metric's mean and 95% interval against ``key``, small multiples."""
    values = document["grid"][key]
    xs, ticks = _positions(values)
    others = [k for k in document["grid"] if k != key]
    lines: dict[str, list[tuple[float, Mapping[str, Any]]]] = {}
    for point in document["points"]:
        label = _point_label({k: point["overrides"][k] for k in others}) or "all"
        x = xs[values.index(point["overrides"][key])]
        lines.setdefault(label, []).append((x, point))
    cols = 2
    rows = (len(metrics) + cols - 1) // cols
    fig, axes = _figure(
        nrows=rows, ncols=cols, figsize=(10.0, 2.6 * rows), layout="constrained", squeeze=False
    )
    for ax, metric in zip(axes.flat, metrics, strict=False):
        for n, (label, members) in enumerate(sorted(lines.items())):
            if n >= MAX_LINES:
                break
            pts = sorted(members, key=lambda m: m[0])
            x, mean, low, high = [], [], [], []
            for px, point in pts:
                entry = point["aggregate"].get(metric)
                if entry is None:
                    continue
                ci = entry["ci95"] or [entry["mean"], entry["mean"]]
                x.append(px)
                mean.append(entry["mean"])
                low.append(entry["mean"] - ci[0])
                high.append(ci[1] - entry["mean"])
            if x:
                ax.errorbar(x, mean, yerr=[low, high], marker="o", capsize=3, label=label)
        ax.set_title(metric, fontsize=9)
        ax.set_ylabel(UNITS.get(metric, ""))
        ax.set_xlabel(key, fontsize=8)
        ax.set_xticks(xs, ticks if ticks is not None else [_label(v) for v in values], fontsize=7)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(metrics) :]:
        ax.set_visible(False)
    if others and len(lines) > 1:
        axes.flat[0].legend(
            fontsize=6, title=", ".join(k.rsplit(".", 1)[-1] for k in others), title_fontsize=6
        )
    fig.suptitle(
        f"{document['scenario']}: metrics against {key} "
        f"(mean and 95% interval over {document['replications']} replications)",
        fontsize=10,
    )
    return _save(fig, path)


def plot_name(key: str) -> str:
    """The file name of ``key``'s plot: ``sweep_by_cluster.instance_groups.1.count.png``."""
    return "sweep_by_" + re.sub(r"[^A-Za-z0-9_.-]", "_", key) + ".png"


def write_sweep_plots(
    document: Mapping[str, Any], out: Path, metrics: Sequence[str] | None = None
) -> list[Path]:
    """The Pareto plot and one plot per swept key; returns the paths written."""
    from emrsim.sweep.outputs import MAIN_METRICS

    wanted = list(metrics or MAIN_METRICS)
    written: list[Path] = []
    pareto = pareto_plot(document, out / "sweep_pareto.png")
    if pareto is not None:
        written.append(pareto)
    for key in document["grid"]:
        written.append(key_plot(document, key, wanted, out / plot_name(key)))
    return written
