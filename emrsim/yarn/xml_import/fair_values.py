"""The values of allocation file elements: scheduling policies, AM shares and resources.

Each function returns the value in emrsim's terms, or ``None`` after rejecting the element with
the reader.
"""

from __future__ import annotations

import re

from emrsim.yarn.xml_import.xmlnodes import NOT_YET, Node, Reader

_UNBOUNDED_MB = 2**63 - 1  # Hadoop's Resources.unbounded(): Long.MAX_VALUE memory
_UNBOUNDED_VCORES = 2**31 - 1  # and Integer.MAX_VALUE vcores
_POLICIES = {
    "fair": "fair",
    "drf": "drf",
    "fifo": "fifo",
    "fairsharepolicy": "fair",
    "dominantresourcefairnesspolicy": "drf",
    "fifopolicy": "fifo",
}


def policy(reader: Reader, node: Node, key: str | None = None) -> str | None:
    """fair | drf | fifo, from a policy name or class; ``key`` names the element in errors."""
    text = node.text
    simple = text.rsplit(".", 1)[-1].lower()
    if simple in _POLICIES:
        return _POLICIES[simple]
    reader.reject(node.line, f"{key or f'<{node.tag}>'}: unknown scheduling policy {text!r}")
    return None


def am_share(reader: Reader, node: Node, key: str | None = None) -> float | None:
    """A fraction from 0 to 1, or -1 (no limit)."""
    key = key or f"<{node.tag}>"
    share = reader.number(node.line, key, node.text)
    if share is not None and share != -1 and not 0 <= share <= 1:
        reader.reject(node.line, f"{key}: must be a fraction from 0 to 1, or -1 (no limit)")
        return None
    return share


def resources(reader: Reader, node: Node, key: str, *, maximum: bool) -> dict[str, int] | None:
    """``1024 mb, 1 vcores`` or ``memory-mb=1024, vcores=1`` as ``memory_mb`` and ``vcores``."""
    text, line = node.text, node.line
    low = text.lower()
    if "%" in low:
        reader.reject(
            line,
            f"{key}: resources as percentages of the cluster ({text!r}) are {NOT_YET}; "
            "give amounts ('1024 mb, 1 vcores')",
        )
        return None
    if "=" in low:
        return _resource_pairs(reader, text, key, line, maximum=maximum)
    mb = re.search(r"(\d+)(\.\d*)?\s*mb", low)
    vc = re.search(r"(\d+)(\.\d*)?\s*vcores", low)
    if mb is None or vc is None:
        lacking = " and ".join(u for u, m in (("mb", mb), ("vcores", vc)) if m is None)
        reader.reject(
            line,
            f"{key}: {text!r} gives no {lacking}; write '1024 mb, 1 vcores' or "
            "'memory-mb=1024, vcores=1'",
        )
        return None
    return {"memory_mb": int(mb.group(1)), "vcores": int(vc.group(1))}


def _resource_pairs(
    reader: Reader, text: str, key: str, line: int, *, maximum: bool
) -> dict[str, int] | None:
    """``memory-mb=1024, vcores=1``; a resource left out is 0, or unbounded in a maximum."""
    memory, vcores = (_UNBOUNDED_MB, _UNBOUNDED_VCORES) if maximum else (0, 0)
    for part in (p.strip() for p in text.split(",") if p.strip()):
        name, _, raw = (s.strip() for s in part.partition("="))
        if name.lower() in ("memory-mb", "memory"):
            match = re.fullmatch(r"(\d+)\s*(Ki|Mi|Gi|Ti)?", raw)
            if match is None:
                reader.reject(line, f"{key}: memory {raw!r} is not a whole number of MiB")
                return None
            scale = {None: 1.0, "Ki": 1 / 1024, "Mi": 1.0, "Gi": 1024.0, "Ti": 1024.0**2}
            memory = int(int(match.group(1)) * scale[match.group(2)])
        elif name.lower() == "vcores":
            if not re.fullmatch(r"\d+", raw):
                reader.reject(line, f"{key}: vcores={raw!r} is not a whole number")
                return None
            vcores = int(raw)
        else:
            reader.reject(line, f"{key}: resource type {name!r} is {NOT_YET}")
            return None
    return {"memory_mb": memory, "vcores": vcores}
