"""Adapters: a parsed native file -> normalized guard facts (design.md §2). One module per tool.

The registry is explicit: (tool, role) -> adapter. A surface whose (tool, role) has no adapter
still gets `document` facts, so rules can match raw key paths of any file.
"""

from __future__ import annotations

from collections.abc import Callable

from sigil_scan.adapters import claude_code
from sigil_scan.adapters.common import AdaptContext
from sigil_scan.model import Document, Fact

Adapter = Callable[[Document, AdaptContext], list[Fact]]

ADAPTERS: dict[tuple[str, str], Adapter] = {
    ("claude_code", "settings"): claude_code.settings,
    ("claude_code", "mcp"): claude_code.mcp,
}


def adapt(tool: str, role: str, document: Document, context: AdaptContext) -> list[Fact]:
    adapter = ADAPTERS.get((tool, role))
    return adapter(document, context) if adapter else []


__all__ = ["ADAPTERS", "AdaptContext", "adapt"]
