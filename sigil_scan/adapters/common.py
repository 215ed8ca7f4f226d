"""Shared adapter helpers: fact construction with exact lines, tolerant access to odd shapes."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

from sigil_scan.model import Document, Fact, Scope

KeyPath = tuple[str | int, ...]


# a NamedTuple, not a frozen dataclass: `dataclasses` stays off the scan path (team decision)
class AdaptContext(NamedTuple):
    tool: str
    scope: Scope
    role: str
    surface_id: str
    home: Path
    shared: bool  # the file is normally committed to the repository


def fact(document: Document, kind: str, key_path: KeyPath, **fields: Any) -> Fact:
    position = document.position(key_path)
    return Fact(
        kind=kind,
        fields=fields,
        file=document.path,
        key_path=key_path,
        line=position.line if position else None,
        column=position.column if position else None,
    )


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def as_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def str_list(value: Any) -> list[str]:
    return [str(v) for v in as_list(value) if isinstance(v, (str, int, float))]


def tool_rule_fact(document: Document, key_path: KeyPath, decision: str, rule: str) -> Fact:
    """A `Tool(specifier)` permission rule (Cursor, Gemini) as a `permission_rule` fact."""
    tool, _, rest = rule.partition("(")
    specifier = rest[:-1] if rest.endswith(")") else (rest or None)
    return fact(document, "permission_rule", key_path, decision=decision, rule=rule, tool=tool.strip(), specifier=specifier)
