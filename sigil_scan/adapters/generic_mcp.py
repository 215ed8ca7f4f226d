"""Data-only MCP client files: Claude Desktop, VS Code (`servers`), Windsurf (`serverUrl`), Roo
Code, Kiro, and anything else with the common `mcpServers` shape; opencode's `mcp` block and
`permission` map; VS Code settings.json agent toggles (agent-surfaces.md §5)."""

from __future__ import annotations

from typing import Any

from sigil_scan.adapters.common import AdaptContext, KeyPath, as_dict, as_list, as_str, fact
from sigil_scan.adapters.mcp import server_facts
from sigil_scan.model import Document, Fact


def mcp(document: Document, context: AdaptContext) -> list[Fact]:
    """`mcpServers` (most clients) or `servers` (VS Code); both when a file has both."""
    data = as_dict(document.value)
    facts = server_facts(document, data.get("mcpServers"), ("mcpServers",))
    facts += server_facts(document, data.get("servers"), ("servers",))
    return facts


def opencode(document: Document, context: AdaptContext) -> list[Fact]:
    """opencode.json: `mcp` servers, and `permission` ("allow" or per-tool maps) as rules."""
    data = as_dict(document.value)
    facts = server_facts(document, data.get("mcp"), ("mcp",))
    facts += _opencode_permission(document, data.get("permission"), ("permission",))
    for name, agent in as_dict(data.get("agent")).items():
        facts += _opencode_permission(document, as_dict(agent).get("permission"), ("agent", name, "permission"))
    return facts


_OPENCODE_TOOL = {"bash": "Bash", "edit": "Edit", "write": "Write", "read": "Read", "webfetch": "WebFetch", "apply_patch": "Edit", "patch": "Edit"}


def _opencode_permission(document: Document, value: Any, at: KeyPath) -> list[Fact]:
    facts: list[Fact] = []
    if value == "allow":
        return [fact(document, "permission_rule", at, decision="allow", rule="*", tool="*", specifier=None)]
    for tool, spec in as_dict(value).items():
        name = _OPENCODE_TOOL.get(str(tool), str(tool))
        if tool == "external_directory" and spec == "allow":
            facts.append(fact(document, "additional_directory", (*at, tool), path="/"))
        elif isinstance(spec, str):
            if spec == "allow":
                facts.append(fact(document, "permission_rule", (*at, tool), decision="allow", rule=name, tool=name, specifier=None))
        else:
            for pattern, decision in as_dict(spec).items():
                if decision == "allow":
                    rule = f"{name}({pattern})"
                    facts.append(fact(document, "permission_rule", (*at, tool, pattern), decision="allow", rule=rule, tool=name, specifier=str(pattern)))
    return facts


_VSCODE_AUTO = ("chat.tools.global.autoApprove", "chat.tools.autoApprove")


def vscode_settings(document: Document, context: AdaptContext) -> list[Fact]:
    """VS Code / Cursor / Windsurf settings.json: agent auto-approval, terminal allow-lists,
    workspace trust, automatic tasks, and an `mcp.servers` block."""
    data = as_dict(document.value)
    facts: list[Fact] = []
    for key in _VSCODE_AUTO:
        if data.get(key) is True:
            facts.append(fact(document, "permission_mode", (key,), mode="autoApprove", key=key))
    terminal = as_dict(data.get("chat.tools.terminal.autoApprove"))
    for pattern, allowed in terminal.items():
        if allowed is True or (isinstance(allowed, dict) and allowed.get("approve") is True):
            text = str(pattern)
            rule = "Shell(*)" if text.strip("/^$") in (".*", ".+", "") else f"Shell({text.strip('/')})"
            facts.append(fact(document, "permission_rule", ("chat.tools.terminal.autoApprove", text), decision="allow", rule=rule, tool="Shell", specifier=text))
    for key in ("roo-cline.allowedCommands", "windsurf.cascadeCommandsAllowList"):
        for i, command in enumerate(as_list(data.get(key))):
            if isinstance(command, str):
                rule = "Shell(*)" if command.strip() == "*" else f"Shell({command}:*)"
                facts.append(fact(document, "permission_rule", (key, i), decision="allow", rule=rule, tool="Shell", specifier=command))
    if data.get("security.workspace.trust.enabled") is False:
        facts.append(fact(document, "trust_grant", ("security.workspace.trust.enabled",), path="*", level="trusted", mechanism="workspace_trust_disabled"))
    if as_str(data.get("task.allowAutomaticTasks")) == "on":
        facts.append(fact(document, "setting", ("task.allowAutomaticTasks",), key="task.allowAutomaticTasks", value="on"))
    mcp_block = as_dict(data.get("mcp"))
    facts += server_facts(document, mcp_block.get("servers"), ("mcp", "servers"))
    return facts
