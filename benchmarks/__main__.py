"""``python -m benchmarks [NAME ...]``: run the benchmarks (all, or those named: mmc, hdfs, sweep,
scale, growth), print each figure against its target, and append the results, with the machine
and date, to benchmarks/results.jsonl."""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks import hdfs, mmc, scale, sweep

RESULTS = Path(__file__).with_name("results.jsonl")

BENCHMARKS: dict[str, Callable[[], list[dict[str, Any]]]] = {
    "mmc": lambda: [mmc.run()],
    "hdfs": hdfs.run,
    "sweep": sweep.run,
    "scale": lambda: [scale.run_scale()],
    "growth": lambda: [scale.growth()],
}
"""Each name runs one module's figures."""


def describe(result: dict[str, Any]) -> str:
    """One line: the figure, its target and whether it meets it."""
    if result["benchmark"] == "scale":
        fast = result["containers_per_s"] * result["target_wall_s"] >= result["target_containers"]
        small = result["peak_mb_at_target"] < result["target_memory_mb"]
        return (
            f"scale: {result['containers']} containers on {result['nodes']} nodes in "
            f"{result['wall_s']:.1f} s = {result['containers_per_s']:.0f} containers/s, peak "
            f"{result['peak_mb']:.0f} MB (trace {result['trace_mb']:.0f} MB on disk); target "
            f"{result['target_containers']} in < {result['target_wall_s']:g} s and < "
            f"{result['target_memory_mb']:g} MB: needs {result['speedup_needed']:.2f}x "
            f"{'ok' if fast else 'BELOW TARGET'}, ~{result['peak_mb_at_target']:.0f} MB at 1M "
            f"{'ok' if small else 'ABOVE TARGET'}"
        )
    if result["benchmark"] == "growth":
        parts = []
        for key, label in (
            ("containers", "2x containers"),
            ("nodes", "2x nodes"),
            ("horizon", "week/hour horizon"),
        ):
            ratio, target = result[f"{key}_ratio"], result[f"target_{key}_ratio"]
            parts.append(
                f"{label} {ratio:.2f} (target <= {target:g}) "
                f"{'ok' if ratio <= target * 1.05 else 'ABOVE TARGET'}"
            )
        return f"growth ({result['nodes']} nodes, {result['containers']} containers): " + "; ".join(
            parts
        )
    if "speedup_2_over_1" in result:
        flag = "ok" if result["speedup_2_over_1"] >= result["target_speedup"] else "BELOW TARGET"
        return (
            f"{result['benchmark']}: {result['runs']} runs of {result['scenario']}: serial "
            f"{result['serial_runs_per_s']:.2f} runs/s, 1 worker "
            f"{result['local_1_runs_per_s']:.2f} runs/s, 2 workers "
            f"{result['local_2_runs_per_s']:.2f} runs/s; speedup "
            f"{result['speedup_2_over_1']:.2f}x (target >= {result['target_speedup']:g}) {flag}; "
            f"Dask overhead {result['dask_overhead_per_run_ms']:.1f} ms per run"
        )
    if "ratio" in result:
        flag = "ok" if result["ratio"] <= result["target_ratio"] else "ABOVE TARGET"
        return (
            f"{result['benchmark']}: emrsim {result['emrsim_s']:.2f} s, bare SimPy "
            f"{result['bare_simpy_s']:.2f} s (median CPU s of {result['pairs']} pairs), ratio "
            f"{result['ratio']:.2f} "
            f"(target <= {result['target_ratio']:.1f}) {flag}"
        )
    flag = "ok" if result["wall_s"] < result["target_s"] else "ABOVE TARGET"
    settled = result["settled_after_s"]
    return (
        f"{result['benchmark']}: {result['preload_gb']:g} GB on {result['core_nodes']} core "
        f"nodes ({result['blocks']} blocks x {result['replication']}), "
        f"{result['rereplicated_gb']:g} GB re-replicated, settled "
        f"{'never' if settled is None else f'{settled:g} s'} after the fault (simulated); "
        f"wall {result['wall_s']:.2f} s (target < {result['target_s']:g} s) {flag}"
    )


def main(argv: list[str] | None = None) -> None:
    """Run the chosen benchmarks once and record them."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description="Run the benchmarks and record them."
    )
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"one of {', '.join(BENCHMARKS)} (default: all)"
    )
    names = parser.parse_args(argv).names or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {unknown[0]!r}; choose from {', '.join(BENCHMARKS)}")
    machine = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }
    for name in names:
        for result in BENCHMARKS[name]():
            record = {**result, **machine}
            print(describe(result))
            with RESULTS.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
