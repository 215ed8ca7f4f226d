"""Adapters: a parsed native file -> normalized guard facts (design.md §2). One module per tool.

The registry is explicit: (tool, role) -> adapter. A surface whose (tool, role) has no adapter
still gets `document` facts, so rules can match raw key paths of any file.
"""

from __future__ import annotations

from collections.abc import Callable

from sigil_scan.adapters import claude_code, codex, cursor, gemini, generic_mcp, instructions
from sigil_scan.adapters.common import AdaptContext
from sigil_scan.model import Document, Fact

Adapter = Callable[[Document, AdaptContext], list[Fact]]

ADAPTERS: dict[tuple[str, str], Adapter] = {
    ("claude_code", "settings"): claude_code.settings,
    ("claude_code", "mcp"): claude_code.mcp,
    ("claude_code", "plugin_mcp"): generic_mcp.mcp,
    ("claude_code", "hooks"): cursor.hooks_file,  # plugin hooks/hooks.json: {"hooks": {...}}
    ("claude_code", "scheduled_task"): instructions.scheduled_task,
    ("claude_code", "agent"): instructions.agent_file,
    ("claude_code", "loop_prompt"): instructions.loop_prompt,
    ("codex", "settings"): codex.config,
    ("codex", "hooks"): codex.hooks_file,
    ("codex", "exec_rules"): codex.exec_rules,
    ("codex", "requirements"): codex.requirements,
    ("gemini", "settings"): gemini.settings,
    ("gemini", "trusted_folders"): gemini.trusted_folders,
    ("gemini", "extension"): generic_mcp.mcp,
    ("gemini", "hooks"): cursor.hooks_file,
    ("cursor", "mcp"): cursor.mcp,
    ("cursor", "hooks"): cursor.hooks_file,
    ("cursor", "cli"): cursor.cli,
    ("cursor", "ide_permissions"): cursor.ide_permissions,
    ("cursor", "ide_settings"): generic_mcp.vscode_settings,
    ("vscode", "mcp"): generic_mcp.mcp,
    ("vscode", "settings"): generic_mcp.vscode_settings,
    ("claude_desktop", "mcp"): generic_mcp.mcp,
    ("windsurf", "mcp"): generic_mcp.mcp,
    ("windsurf", "settings"): generic_mcp.vscode_settings,
    ("roo_code", "mcp"): generic_mcp.mcp,
    ("kiro", "mcp"): generic_mcp.mcp,
    ("cline", "mcp"): generic_mcp.mcp,
    ("opencode", "settings"): generic_mcp.opencode,
}


def adapt(tool: str, role: str, document: Document, context: AdaptContext) -> list[Fact]:
    if role == "instructions":
        # every agent's instruction / rules files are read the same way
        return instructions.instructions(document, context)
    adapter = ADAPTERS.get((tool, role))
    return adapter(document, context) if adapter else []


__all__ = ["ADAPTERS", "AdaptContext", "adapt"]
