"""What an import produces: :class:`ImportResult`, the scenario data and the import's remarks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ImportResult:
    """Scenario data (plain dicts, as read from YAML) and what the import could not carry."""

    data: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """Facts of the source cluster kept for the reader (header comments), not problems."""
    sources: list[str] = field(default_factory=list)
    unknown_types: list[str] = field(default_factory=list)
    dropped_rules: list[str] = field(default_factory=list)
    """Scaling rules left out, as JSON, so that the reader can see them."""
    cluster_id: str = ""
