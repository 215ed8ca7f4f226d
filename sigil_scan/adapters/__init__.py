"""Adapters: a parsed native file -> normalized guard facts (design.md §2). One module per tool.

The registry is explicit: (tool, role) -> adapter. A surface whose (tool, role) has no adapter
still gets `document` facts, so rules can match raw key paths of any file.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping

from sigil_scan.adapters.common import AdaptContext
from sigil_scan.model import Document, Fact

Adapter = Callable[[Document, AdaptContext], list[Fact]]

# (tool, role) -> "module.function" inside sigil_scan.adapters; a module is imported the first
# time a file of its tool is adapted, so a Claude-only repository never loads the Codex adapter
_REGISTRY: dict[tuple[str, str], str] = {
    ("claude_code", "settings"): "claude_code.settings",
    ("claude_code", "mcp"): "claude_code.mcp",
    ("claude_code", "plugin_mcp"): "generic_mcp.mcp",
    ("claude_code", "hooks"): "cursor.hooks_file",  # plugin hooks/hooks.json: {"hooks": {...}}
    ("claude_code", "scheduled_task"): "instructions.scheduled_task",
    ("claude_code", "agent"): "instructions.agent_file",
    ("claude_code", "loop_prompt"): "instructions.loop_prompt",
    ("codex", "settings"): "codex.config",
    ("codex", "hooks"): "codex.hooks_file",
    ("codex", "exec_rules"): "codex.exec_rules",
    ("codex", "requirements"): "codex.requirements",
    ("gemini", "settings"): "gemini.settings",
    ("gemini", "trusted_folders"): "gemini.trusted_folders",
    ("gemini", "extension"): "generic_mcp.mcp",
    ("gemini", "hooks"): "cursor.hooks_file",
    ("cursor", "mcp"): "cursor.mcp",
    ("cursor", "hooks"): "cursor.hooks_file",
    ("cursor", "cli"): "cursor.cli",
    ("cursor", "ide_permissions"): "cursor.ide_permissions",
    ("cursor", "ide_settings"): "generic_mcp.vscode_settings",
    ("vscode", "mcp"): "generic_mcp.mcp",
    ("vscode", "settings"): "generic_mcp.vscode_settings",
    ("vscode", "tasks"): "generic_mcp.vscode_tasks",
    ("claude_desktop", "mcp"): "generic_mcp.mcp",
    ("windsurf", "mcp"): "generic_mcp.mcp",
    ("windsurf", "hooks"): "windsurf.hooks_file",
    ("windsurf", "settings"): "generic_mcp.vscode_settings",
    ("roo_code", "mcp"): "generic_mcp.mcp",
    ("kiro", "mcp"): "generic_mcp.mcp",
    ("cline", "mcp"): "generic_mcp.mcp",
    ("opencode", "settings"): "generic_mcp.opencode",
}


_INSTRUCTIONS = "instructions.instructions"  # every agent's instruction / rules files alike


def _resolve(spec: str) -> Adapter:
    module, _, function = spec.rpartition(".")
    adapter: Adapter = getattr(importlib.import_module(f"sigil_scan.adapters.{module}"), function)
    return adapter


class _Adapters(Mapping[tuple[str, str], Adapter]):
    """The registry as a mapping of callables, importing each adapter module on first use."""

    def __getitem__(self, key: tuple[str, str]) -> Adapter:
        return _resolve(_REGISTRY[key])

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(_REGISTRY)

    def __len__(self) -> int:
        return len(_REGISTRY)


ADAPTERS: Mapping[tuple[str, str], Adapter] = _Adapters()


def adapt(tool: str, role: str, document: Document, context: AdaptContext) -> list[Fact]:
    spec = _INSTRUCTIONS if role == "instructions" else _REGISTRY.get((tool, role))
    return _resolve(spec)(document, context) if spec else []


__all__ = ["ADAPTERS", "AdaptContext", "adapt"]
