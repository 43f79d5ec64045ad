"""PNG plots of a run (``--out DIR``) and of a set of replications.

matplotlib is imported lazily, inside the functions, with the Agg backend, so that commands which
draw nothing (``emrsim validate``) never pay for it. Every function writes its files atomically
(temporary name, then rename) and returns the paths it wrote.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emrsim.result import NodeRecord, RunResult

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

FIGSIZE = (8.0, 4.0)
DPI = 150
GANTT_MAX_JOBS = 200
ROLES = ("primary", "core", "task")
MARKETS = ("on_demand", "spot")
#: Markers for instances that ended abnormally: end_reason -> (colour, legend label).
ABNORMAL_ENDS = {
    "fault": ("tab:red", "instance fault"),
    "spot_interruption": ("tab:purple", "spot interruption"),
}
JOB_STATE_COLOURS = {
    "COMPLETED": "tab:green",
    "FAILED": "tab:red",
    "KILLED": "tab:orange",
}

#: What each PNG shows, by file name (used as captions in report.html).
CAPTIONS = {
    "cluster_size.png": "Instances running over time, stacked by role and market",
    "yarn_memory.png": "YARN memory allocated vs total, and pending containers",
    "queue_memory.png": "YARN memory allocated per leaf queue",
    "cost.png": "Cumulative cost by role and market",
    "jobs_gantt.png": "Jobs: queueing wait and run time",
    "job_times.png": "Distribution of job wait and run times",
    "hdfs.png": "HDFS utilization, under-replicated and missing blocks",
    "replications_makespan.png": "Makespan across replications",
    "replications_cost.png": "Total cost across replications",
}


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Figure, path: Path) -> Path:
    """Save ``fig`` as PNG via a temporary file and an atomic rename, then close it."""
    plt = _pyplot()
    tmp = path.with_name(f".{path.name}.tmp")
    fig.tight_layout()
    fig.savefig(tmp, format="png", dpi=DPI)
    plt.close(fig)
    os.replace(tmp, path)
    return path


def _time_scale(t_end: float) -> tuple[float, str]:
    """Divisor and axis label so the time axis reads in s, min or h."""
    if t_end <= 600:
        return 1.0, "simulated time (s)"
    if t_end <= 3 * 3600:
        return 60.0, "simulated time (min)"
    return 3600.0, "simulated time (h)"


def _end_time(result: RunResult) -> float:
    """The last moment anything happened in the run (for open intervals and the x range)."""
    times: list[float] = [float(result.summary.get("cluster_lifetime_s") or 0.0)]
    times += [float(result.summary.get("makespan_s") or 0.0)]
    times += [n.end_s for n in result.nodes if n.end_s is not None]
    times += [n.start_s for n in result.nodes if n.start_s is not None]
    times += [j.end_s for j in result.jobs if j.end_s is not None]
    times += [j.submit_s for j in result.jobs]
    if result.metrics:
        times.append(float(result.metrics[-1]["time_s"]))
    return max([*times, 1.0])


def _node_interval(node: NodeRecord, t_end: float) -> tuple[float, float] | None:
    if node.start_s is None:
        return None
    end = node.end_s if node.end_s is not None else t_end
    return node.start_s, max(end, node.start_s)


def _role_colour(role: str, market: str) -> Any:
    """Same hue per role, dark for on-demand and light for spot (tab20 pairs)."""
    plt = _pyplot()
    cmap = plt.get_cmap("tab20")
    base = ROLES.index(role) if role in ROLES else 3
    return cmap(2 * base + (1 if market == "spot" else 0))


def _ordered(keys: set[tuple[str, str]]) -> list[tuple[str, str]]:
    def rank(key: tuple[str, str]) -> tuple[int, int, str, str]:
        role, market = key
        r = ROLES.index(role) if role in ROLES else len(ROLES)
        m = MARKETS.index(market) if market in MARKETS else len(MARKETS)
        return r, m, role, market

    return sorted(keys, key=rank)


def _new_figure(title: str, t_end: float) -> tuple[Figure, Axes, float, str]:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=FIGSIZE)
    ax.set_title(title)
    scale, label = _time_scale(t_end)
    ax.set_xlabel(label)
    ax.set_xlim(0, t_end / scale)
    ax.grid(True, alpha=0.3)
    return fig, ax, scale, label


def plot_cluster_size(result: RunResult, directory: Path) -> Path | None:
    """Instances running (billing) over time, stacked by role and market, with fault markers."""
    import numpy as np
    from matplotlib.ticker import MaxNLocator

    t_end = _end_time(result)
    intervals: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for node in result.nodes:
        span = _node_interval(node, t_end)
        if span is not None:
            intervals.setdefault((node.role, node.market), []).append(span)
    if not intervals:
        return None
    grid = np.array(sorted({0.0, t_end, *(t for v in intervals.values() for s in v for t in s)}))
    keys = _ordered(set(intervals))
    series = []
    for key in keys:
        counts = np.zeros(len(grid))
        for start, end in intervals[key]:
            counts += (grid >= start) & (grid < end)
        series.append(counts)
    fig, ax, scale, _ = _new_figure("Cluster size by role and market", t_end)
    ax.stackplot(
        grid / scale,
        *series,
        labels=[f"{role} ({market.replace('_', '-')})" for role, market in keys],
        colors=[_role_colour(*k) for k in keys],
        step="post",
        alpha=0.9,
    )
    for reason, (colour, label) in ABNORMAL_ENDS.items():
        ends = [n.end_s for n in result.nodes if n.end_reason == reason and n.end_s is not None]
        for i, t in enumerate(ends):
            ax.axvline(
                t / scale,
                color=colour,
                linestyle="--",
                linewidth=1.2,
                label=label if i == 0 else None,
            )
    ax.set_ylabel("instances running")
    ax.set_ylim(0, max(1.0, float(np.sum(series, axis=0).max())) * 1.15)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(loc="upper left", fontsize="small", ncol=2)
    return _save(fig, directory / "cluster_size.png")


def plot_yarn_memory(result: RunResult, directory: Path) -> Path | None:
    """YARN memory allocated vs total (GiB, left axis) and pending containers (right axis)."""
    if not result.metrics:
        return None
    t_end = _end_time(result)
    fig, ax, scale, _ = _new_figure("YARN memory and pending containers", t_end)
    t = [row["time_s"] / scale for row in result.metrics]
    total = [row.get("MemoryTotalMB", 0) / 1024 for row in result.metrics]
    allocated = [row.get("MemoryAllocatedMB", 0) / 1024 for row in result.metrics]
    ax.step(t, total, where="post", color="tab:gray", linewidth=1.5, label="memory total")
    ax.fill_between(
        t, allocated, step="post", color="tab:blue", alpha=0.5, label="memory allocated"
    )
    ax.set_ylabel("YARN memory (GiB)")
    ax.set_ylim(bottom=0)
    right = ax.twinx()
    pending = [row.get("ContainerPending", 0) for row in result.metrics]
    right.step(
        t, pending, where="post", color="tab:orange", linewidth=1.2, label="containers pending"
    )
    right.set_ylabel("containers pending", color="tab:orange")
    right.set_ylim(bottom=0, top=max(1.0, max(pending) * 1.15))
    right.tick_params(axis="y", colors="tab:orange")
    handles, labels = ax.get_legend_handles_labels()
    more_handles, more_labels = right.get_legend_handles_labels()
    ax.legend(handles + more_handles, labels + more_labels, loc="upper left", fontsize="small")
    return _save(fig, directory / "yarn_memory.png")


def plot_queue_memory(result: RunResult, directory: Path) -> Path | None:
    """Memory allocated to each leaf queue over time, stacked (GiB)."""
    import numpy as np

    if not result.queue_metrics:
        return None
    queues = sorted({row["queue"] for row in result.queue_metrics})
    times = sorted({float(row["time_s"]) for row in result.queue_metrics})
    index = {t: i for i, t in enumerate(times)}
    series = {q: np.zeros(len(times)) for q in queues}
    for row in result.queue_metrics:
        series[row["queue"]][index[float(row["time_s"])]] = row["allocated_mb"] / 1024
    t_end = _end_time(result)
    fig, ax, scale, _ = _new_figure("YARN memory allocated per queue", t_end)
    ax.stackplot(
        np.array(times) / scale,
        *(series[q] for q in queues),
        labels=queues,
        step="post",
        alpha=0.85,
    )
    ax.set_ylabel("memory allocated (GiB)")
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left", fontsize="small", ncol=min(4, len(queues)))
    return _save(fig, directory / "queue_memory.png")


def plot_cost(result: RunResult, directory: Path) -> Path | None:
    """Cumulative cost by role: each node's cost accrues linearly over its billed life.

    A node's cost (which includes the 60 s minimum) is spread evenly between ``start_s`` and
    ``end_s``, so a node that lived less than a minute shows a jump rather than a slope.
    """
    import numpy as np

    t_end = _end_time(result)
    spans: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
    for node in result.nodes:
        span = _node_interval(node, t_end)
        if span is not None and node.cost_usd > 0:
            spans.setdefault((node.role, node.market), []).append((*span, node.cost_usd))
    if not spans:
        return None
    points = {t for v in spans.values() for s in v for t in s[:2]}
    grid = np.array(sorted({*np.linspace(0.0, t_end, 400).tolist(), *points}))
    keys = _ordered(set(spans))
    series = []
    for key in keys:
        acc = np.zeros(len(grid))
        for start, end, cost in spans[key]:
            if end > start:
                acc += cost * np.clip((grid - start) / (end - start), 0.0, 1.0)
            else:
                acc += cost * (grid >= start)
        series.append(acc)
    fig, ax, scale, _ = _new_figure("Cumulative cost by role and market", t_end)
    ax.stackplot(
        grid / scale,
        *series,
        labels=[f"{role} ({market.replace('_', '-')})" for role, market in keys],
        colors=[_role_colour(*k) for k in keys],
        alpha=0.85,
    )
    total = float(np.sum(series, axis=0)[-1])
    ax.set_ylabel("cumulative cost (USD)")
    ax.set_ylim(0, max(total, 1e-9) * 1.15)
    ax.annotate(
        f"total {total:,.4f} USD",
        xy=(0.99, 0.97),
        xycoords="axes fraction",
        ha="right",
        va="top",
        fontsize="small",
    )
    ax.legend(loc="upper left", fontsize="small")
    return _save(fig, directory / "cost.png")


def plot_jobs(result: RunResult, directory: Path) -> Path | None:
    """A Gantt chart of jobs (at most 200), otherwise histograms of wait and run time."""
    if not result.jobs:
        return None
    if len(result.jobs) <= GANTT_MAX_JOBS:
        return _plot_gantt(result, directory)
    return _plot_job_histograms(result, directory)


def _plot_gantt(result: RunResult, directory: Path) -> Path:
    from matplotlib.patches import Patch

    t_end = _end_time(result)
    jobs = sorted(result.jobs, key=lambda j: (j.submit_s, j.job_id))
    fig, ax, scale, _ = _new_figure(f"Jobs ({len(jobs)}): wait and run", t_end)
    for y, job in enumerate(jobs):
        started = job.start_s if job.start_s is not None else (job.end_s or t_end)
        ax.barh(
            y,
            (started - job.submit_s) / scale,
            left=job.submit_s / scale,
            height=0.8,
            color="lightgray",
            edgecolor="none",
        )
        if job.start_s is not None:
            end = job.end_s if job.end_s is not None else t_end
            colour = JOB_STATE_COLOURS.get(job.state, "tab:blue")
            ax.barh(
                y,
                (end - job.start_s) / scale,
                left=job.start_s / scale,
                height=0.8,
                color=colour,
                edgecolor="none",
            )
    ax.set_ylim(len(jobs) - 0.5, -0.5)
    if len(jobs) <= 20:
        ax.set_yticks(
            range(len(jobs)), [f"{j.job_id} {j.name}"[:24] for j in jobs], fontsize="small"
        )
        ax.set_ylabel("job")
    else:
        ax.set_ylabel("job (in submission order)")
    states = sorted({j.state for j in jobs if j.start_s is not None})
    handles = [Patch(color="lightgray", label="waiting")]
    handles += [Patch(color=JOB_STATE_COLOURS.get(s, "tab:blue"), label=s.lower()) for s in states]
    ax.legend(handles=handles, loc="best", fontsize="small")
    return _save(fig, directory / "jobs_gantt.png")


def _plot_job_histograms(result: RunResult, directory: Path) -> Path:
    plt = _pyplot()
    waits = [j.start_s - j.submit_s for j in result.jobs if j.start_s is not None]
    runs = [
        j.end_s - j.start_s for j in result.jobs if j.start_s is not None and j.end_s is not None
    ]
    fig, (left, right) = plt.subplots(1, 2, figsize=FIGSIZE)
    fig.suptitle(f"Jobs ({len(result.jobs)}): wait and run time")
    for ax, values, name, colour in (
        (left, waits, "wait (submit to start)", "tab:gray"),
        (right, runs, "run time (start to end)", "tab:green"),
    ):
        ax.hist(values or [0.0], bins=30, color=colour, alpha=0.85)
        ax.set_xlabel(f"{name} (s)")
        ax.set_ylabel("jobs")
        ax.grid(True, alpha=0.3)
    return _save(fig, directory / "job_times.png")


def plot_hdfs(result: RunResult, directory: Path) -> Path | None:
    """HDFS utilization (%) over time, only when it is ever above 0; under-replicated and
    missing blocks on a second axis when there are any."""
    values = [row.get("HDFSUtilization", 0.0) or 0.0 for row in result.metrics]
    if not values or max(values) <= 0:
        return None
    t_end = _end_time(result)
    fig, ax, scale, _ = _new_figure("HDFS utilization and block health", t_end)
    t = [row["time_s"] / scale for row in result.metrics]
    ax.step(t, values, where="post", color="tab:brown", linewidth=1.5, label="utilization (%)")
    ax.set_ylabel("HDFS capacity used (%)")
    ax.set_ylim(0, max(1.0, max(values) * 1.15))
    under = [row.get("UnderReplicatedBlocks", 0) or 0 for row in result.metrics]
    missing = [row.get("MissingBlocks", 0) or 0 for row in result.metrics]
    if max(under) > 0 or max(missing) > 0:
        blocks = ax.twinx()
        blocks.step(t, under, where="post", color="tab:orange", label="under-replicated blocks")
        blocks.step(t, missing, where="post", color="tab:red", label="missing blocks")
        blocks.set_ylabel("blocks")
        blocks.set_ylim(0, max(1.0, max(*under, *missing) * 1.15))
        lines = ax.get_legend_handles_labels()
        more = blocks.get_legend_handles_labels()
        ax.legend(lines[0] + more[0], lines[1] + more[1], loc="upper left", fontsize="small")
    return _save(fig, directory / "hdfs.png")


def write_run_plots(result: RunResult, directory: Path) -> list[Path]:
    """Every plot of one run that has something to show, written into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = [
        plot(result, directory)
        for plot in (
            plot_cluster_size,
            plot_yarn_memory,
            plot_queue_memory,
            plot_cost,
            plot_jobs,
            plot_hdfs,
        )
    ]
    return [p for p in paths if p is not None]


def _get(run: dict[str, Any], dotted: str) -> float | None:
    value: Any = run
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return float(value) if isinstance(value, int | float) else None


def write_replication_plots(runs: Sequence[dict[str, Any]], directory: Path) -> list[Path]:
    """Histograms of makespan_s and cost_usd.total across the runs' summaries."""
    plt = _pyplot()
    from matplotlib.ticker import MaxNLocator

    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for field, title, unit, name, colour in (
        ("makespan_s", "Makespan", "s", "replications_makespan.png", "tab:blue"),
        ("cost_usd.total", "Total cost", "USD", "replications_cost.png", "tab:green"),
    ):
        values = [v for v in (_get(run, field) for run in runs) if v is not None]
        if not values:
            continue
        fig, ax = plt.subplots(figsize=FIGSIZE)
        ax.hist(
            values,
            bins=min(30, max(5, len(values) // 3)),
            color=colour,
            alpha=0.85,
            edgecolor="white",
            linewidth=0.8,
        )
        mean = sum(values) / len(values)
        ax.axvline(
            mean,
            color="black",
            linestyle="--",
            linewidth=1.2,
            label=f"mean {mean:,.4f} {unit}" if unit == "USD" else f"mean {mean:,.1f} s",
        )
        ax.set_title(f"{title} across {len(values)} replications")
        ax.set_xlabel(f"{title.lower()} ({unit})")
        ax.set_ylabel("runs")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(True, alpha=0.3)
        ax.legend(loc="upper right", fontsize="small")
        paths.append(_save(fig, directory / name))
    return paths
