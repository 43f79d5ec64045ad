"""``python -m benchmarks``: run the benchmarks, print each figure and its ratio to bare SimPy,
and append the results, with the machine and date, to benchmarks/results.jsonl."""

from __future__ import annotations

import datetime
import json
import os
import platform
from pathlib import Path

from benchmarks import mmc

RESULTS = Path(__file__).with_name("results.jsonl")


def main() -> None:
    """Run every benchmark once and record it."""
    machine = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }
    for result in (mmc.run(),):
        record = {**result, **machine}
        flag = "ok" if result["ratio"] <= result["target_ratio"] else "ABOVE TARGET"
        print(
            f"{result['benchmark']}: emrsim {result['emrsim_s']:.2f} s, bare SimPy "
            f"{result['bare_simpy_s']:.2f} s, ratio {result['ratio']:.2f} "
            f"(target <= {result['target_ratio']:.1f}) {flag}"
        )
        with RESULTS.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
