"""What a run records: the event trace (streamed to disk as it happens) and per-minute metrics.

The model calls :meth:`Recorder.event`; nothing is kept in memory for the trace, so a long run
does not grow with it. Without a trace file, events cost one attribute check.
"""

from __future__ import annotations

import json
import json.encoder
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

METRIC_NAMES: tuple[str, ...] = (
    "YARNMemoryAvailablePercentage",
    "ContainerAllocated",
    "ContainerPending",
    "AppsRunning",
    "AppsPending",
    "HDFSUtilization",
    "CoreNodesRunning",
    "TaskNodesRunning",
    "IsIdle",
    "MemoryTotalMB",
    "MemoryAllocatedMB",
    "MissingBlocks",
    "UnderReplicatedBlocks",
    "ContainerPendingRatio",
    "CapacityRemainingGB",
    "LiveDataNodes",
    "TotalUnitsRequested",
    "TotalUnitsRunning",
    "CoreUnitsRequested",
    "CoreUnitsRunning",
    "TaskUnitsRequested",
    "TaskUnitsRunning",
    "TotalNodesRequested",
    "TotalNodesRunning",
    "CoreNodesRequested",
    "TaskNodesRequested",
    "CoreOnDemandNodesRunning",
    "CoreSpotNodesRunning",
    "TaskOnDemandNodesRunning",
    "TaskSpotNodesRunning",
)
"""The per-minute metrics (EMR's CloudWatch names, emr-facts 9), in metrics.csv order."""


def _line_encoder() -> Callable[[dict[str, Any]], str]:
    """``json.dumps(record, separators=(",", ":"))`` without building an encoder per line.

    JSONEncoder.encode builds the C encoder on every call; here the same C encoder, with the
    same settings, is built once (the records are flat: nothing circular to check). Without
    the C accelerator, the pure-Python encoder does the same."""
    encoder = json.JSONEncoder(separators=(",", ":"), check_circular=False)
    make = json.encoder.c_make_encoder  # type: ignore[attr-defined]
    if make is None:
        return encoder.encode
    iterencode = make(
        None,  # no circular-reference markers
        encoder.default,
        json.encoder.encode_basestring_ascii,  # ensure_ascii, as json.dumps
        None,  # no indent
        encoder.key_separator,
        encoder.item_separator,
        encoder.sort_keys,
        encoder.skipkeys,
        encoder.allow_nan,
    )

    def encode(record: dict[str, Any]) -> str:
        return "".join(iterencode(record, 0))

    return encode


_ENCODE = _line_encoder()


class Recorder:
    """Receives typed records from the model."""

    def __init__(self, events_path: Path | None = None) -> None:
        self._fh: IO[str] | None = None
        if events_path is not None:
            self._fh = events_path.open("w", encoding="utf-8")
        self.tracing = self._fh is not None
        self.metrics: list[dict[str, float]] = []
        self.queue_metrics: list[dict[str, Any]] = []

    def event(self, time_s: float, event: str, **fields: Any) -> None:
        """One line of the event trace: ``{"time_s": ..., "event": ..., **fields}``."""
        if self._fh is not None:
            record = {"time_s": round(time_s, 6), "event": event, **fields}
            self._fh.write(_ENCODE(record) + "\n")

    def close(self) -> None:
        """Flush and close the trace file."""
        if self._fh is not None:
            self._fh.close()
            self._fh = None
