"""Google Gemini CLI: settings.json (system defaults, user, project, system overrides) in the
nested format and the legacy flat names, trustedFolders.json (agent-surfaces.md §3)."""

from __future__ import annotations

from typing import Any

from sigil_scan.adapters.claude_code import controls, hooks
from sigil_scan.adapters.common import (
    AdaptContext,
    KeyPath,
    as_dict,
    as_list,
    as_str,
    fact,
    tool_rule_fact,
)
from sigil_scan.adapters.mcp import server_facts
from sigil_scan.model import Document, Fact, ScopeKind


def _first(data: dict[str, Any], *paths: KeyPath) -> tuple[KeyPath, Any] | None:
    """The first key path (new name first, then legacy names) present in the settings."""
    for path in paths:
        node: Any = data
        for part in path:
            node = node.get(part) if isinstance(node, dict) else None
            if node is None:
                break
        if node is not None:
            return path, node
    return None


_COMMANDS = (
    ("tools.discoveryCommand", (("tools", "discoveryCommand"), ("toolDiscoveryCommand",))),
    ("tools.callCommand", (("tools", "callCommand"), ("toolCallCommand",))),
    ("mcp.serverCommand", (("mcp", "serverCommand"), ("mcpServerCommand",))),
)

_SYSTEM_CONTROLS = (
    ("security", "disableYoloMode"),
    ("admin", "secureModeEnabled"),
    ("security", "disableAlwaysAllow"),
    ("security", "folderTrust", "enabled"),
    ("security", "blockGitExtensions"),
    ("security", "allowedExtensions"),
    ("admin", "mcp", "enabled"),
    ("admin", "extensions", "enabled"),
    ("mcp", "allowed"),
    ("mcp", "excluded"),
    ("tools", "sandbox"),
)


def settings(document: Document, context: AdaptContext) -> list[Fact]:
    data = as_dict(document.value)
    facts: list[Fact] = []
    found = _first(data, ("general", "defaultApprovalMode"), ("tools", "approvalMode"), ("approvalMode",))
    if found and isinstance(found[1], str):
        facts.append(fact(document, "permission_mode", found[0], mode=found[1], key=".".join(map(str, found[0]))))
    found = _first(data, ("tools", "autoAccept"), ("autoAccept",))
    if found and found[1] is True:
        facts.append(fact(document, "permission_mode", found[0], mode="autoAccept", key=".".join(map(str, found[0]))))
    found = _first(data, ("tools", "sandbox"), ("sandbox",))
    if found is not None:
        facts.append(fact(document, "sandbox", found[0], mode=found[1] if isinstance(found[1], str) else None, enabled=found[1] is not False, key=".".join(map(str, found[0]))))
    found = _first(data, ("tools", "sandboxNetworkAccess"), ("sandboxNetworkAccess",))
    if found and found[1] is True:
        facts.append(fact(document, "network_access", found[0], key=".".join(map(str, found[0]))))
    found = _first(data, ("tools", "allowed"), ("allowedTools",))
    if found:
        for i, rule in enumerate(as_list(found[1])):
            if isinstance(rule, str):
                facts.append(tool_rule_fact(document, (*found[0], i), "allow", rule))
    found = _first(data, ("security", "folderTrust", "enabled"), ("folderTrust",), ("folderTrustFeature",))
    if found and found[1] is False:
        facts.append(fact(document, "trust_grant", found[0], path="*", level="trusted", mechanism="folder_trust_disabled"))
    found = _first(data, ("context", "includeDirectories"), ("includeDirectories",))
    if found:
        for i, path in enumerate(as_list(found[1])):
            if isinstance(path, str):
                facts.append(fact(document, "additional_directory", (*found[0], i), path=path))
    for key, paths in _COMMANDS:
        found = _first(data, *paths)
        if found and isinstance(found[1], str) and found[1].strip():
            facts.append(fact(document, "helper_command", found[0], key=key, command=found[1]))
    for name, value in as_dict(data.get("env")).items():
        facts.append(fact(document, "env_var", ("env", name), name=str(name), value=value, pair={str(name): value}))
    facts += server_facts(document, data.get("mcpServers"), ("mcpServers",))
    facts += hooks(document, data.get("hooks"), ("hooks",))
    if context.scope.kind is ScopeKind.MANAGED:
        facts += controls(document, data, _SYSTEM_CONTROLS)
    return facts


def trusted_folders(document: Document, context: AdaptContext) -> list[Fact]:
    """`~/.gemini/trustedFolders.json`: path -> TRUST_FOLDER | TRUST_PARENT | DO_NOT_TRUST."""
    facts = []
    for path, level in as_dict(document.value).items():
        level_s = as_str(level) or ""
        if level_s in ("TRUST_FOLDER", "TRUST_PARENT"):
            # TRUST_PARENT on a folder trusts its parent (and every sibling)
            effective = str(path).rstrip("/\\").rsplit("/", 1)[0] if level_s == "TRUST_PARENT" and "/" in str(path) else str(path)
            facts.append(fact(document, "trust_grant", (path,), path=effective or "/", level=level_s, mechanism="trustedFolders"))
    return facts
