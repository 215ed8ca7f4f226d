"""Cursor: mcp.json, hooks.json, CLI permissions (cli-config.json, .cursor/cli.json) and the IDE
auto-run allow-lists (permissions.json) (agent-surfaces.md §4). Rules files go through
adapters/instructions.py."""

from __future__ import annotations

from sigil_scan.adapters.claude_code import hooks
from sigil_scan.adapters.common import (
    AdaptContext,
    as_dict,
    as_list,
    as_str,
    fact,
    str_list,
    tool_rule_fact,
)
from sigil_scan.adapters.mcp import server_facts
from sigil_scan.model import Document, Fact


def mcp(document: Document, context: AdaptContext) -> list[Fact]:
    return server_facts(document, as_dict(document.value).get("mcpServers"), ("mcpServers",))


def hooks_file(document: Document, context: AdaptContext) -> list[Fact]:
    """`{"version": 1, "hooks": {"<event>": [{"command": ..., "matcher": ...}]}}`."""
    return hooks(document, as_dict(document.value).get("hooks"), ("hooks",))


def cli(document: Document, context: AdaptContext) -> list[Fact]:
    """CLI permissions: Shell(...), Read(...), Write(...), WebFetch(...), Mcp(server:tool)."""
    data = as_dict(document.value)
    facts: list[Fact] = []
    if "permissions" in data:
        perms = as_dict(data.get("permissions"))
        facts.append(
            fact(
                document,
                "permissions",
                ("permissions",),
                allow=str_list(perms.get("allow")),
                deny=str_list(perms.get("deny")),
                ask=[],
                additional_directories=[],
                default_mode=None,
                has_allow="allow" in perms,
            )
        )
        for decision in ("allow", "deny"):
            for i, rule in enumerate(as_list(perms.get(decision))):
                if isinstance(rule, str):
                    facts.append(tool_rule_fact(document, ("permissions", decision, i), decision, rule))
    mode = as_str(data.get("approvalMode"))
    if mode:
        facts.append(fact(document, "permission_mode", ("approvalMode",), mode=mode, key="approvalMode"))
    sandbox = as_dict(data.get("sandbox"))
    if sandbox.get("mode") is not None:
        facts.append(fact(document, "sandbox", ("sandbox", "mode"), mode=str(sandbox.get("mode")), enabled=sandbox.get("mode") != "disabled", key="sandbox.mode"))
    for key_path, value in ((("sandbox", "networkAllowlist"), sandbox.get("networkAllowlist")), (("webFetchDomainAllowlist",), data.get("webFetchDomainAllowlist"))):
        for i, domain in enumerate(as_list(value)):
            if isinstance(domain, str):
                facts.append(fact(document, "network_allow", (*key_path, i), domain=domain, source=".".join(key_path)))
    return facts


def ide_permissions(document: Document, context: AdaptContext) -> list[Fact]:
    """`permissions.json`: terminalAllowlist (command prefixes) and mcpAllowlist (`server:tool`)."""
    data = as_dict(document.value)
    facts = []
    for i, entry in enumerate(as_list(data.get("terminalAllowlist"))):
        if isinstance(entry, str):
            facts.append(tool_rule_fact(document, ("terminalAllowlist", i), "allow", f"Shell({entry})" if entry != "*" else "Shell(*)"))
    for i, entry in enumerate(as_list(data.get("mcpAllowlist"))):
        if isinstance(entry, str):
            facts.append(tool_rule_fact(document, ("mcpAllowlist", i), "allow", f"Mcp({entry})"))
    return facts
