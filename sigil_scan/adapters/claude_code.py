"""Claude Code: settings.json family and the MCP files (.mcp.json, ~/.claude.json).

Facts: hook, permissions, permission_rule, permission_mode, env_var, mcp_server, helper_command.
Shapes follow agent-surfaces.md §1; odd shapes seen in real repositories (a hook command placed
directly under the matcher entry, an event holding an object) are read the way Claude reads them
or skipped, never a crash.
"""

from __future__ import annotations

import re
from typing import Any

from sigil_scan.adapters.common import AdaptContext, as_dict, as_list, as_str, fact, str_list
from sigil_scan.adapters.mcp import server_facts
from sigil_scan.model import Document, Fact

_RULE = re.compile(r"^\s*([^()]+?)\s*(?:\((.*)\))?\s*$", re.DOTALL)

# settings keys whose value is a shell command Claude runs (A13 in agent-surfaces.md)
_HELPER_COMMANDS = ("apiKeyHelper", "awsAuthRefresh", "awsCredentialExport", "gcpAuthRefresh", "otelHeadersHelper")
_HELPER_OBJECTS = ("statusLine", "subagentStatusLine", "fileSuggestion")


def settings(document: Document, context: AdaptContext) -> list[Fact]:
    data = as_dict(document.value)
    facts: list[Fact] = []
    facts += hooks(document, data.get("hooks"), ("hooks",))
    facts += _permissions(document, data)
    for name, value in as_dict(data.get("env")).items():
        facts.append(fact(document, "env_var", ("env", name), name=str(name), value=value))
    for key in _HELPER_COMMANDS:
        command = as_str(data.get(key))
        if command:
            facts.append(fact(document, "helper_command", (key,), key=key, command=command))
    for key in _HELPER_OBJECTS:
        command = as_str(as_dict(data.get(key)).get("command"))
        if command:
            facts.append(fact(document, "helper_command", (key, "command"), key=key, command=command))
    if "mcpServers" in data:
        facts += server_facts(document, data["mcpServers"], ("mcpServers",))
    return facts


def mcp(document: Document, context: AdaptContext) -> list[Fact]:
    """`.mcp.json` and `~/.claude.json` (user servers, and each project's local servers)."""
    data = as_dict(document.value)
    facts = server_facts(document, data.get("mcpServers"), ("mcpServers",))
    for project, entry in as_dict(data.get("projects")).items():
        facts += server_facts(document, as_dict(entry).get("mcpServers"), ("projects", project, "mcpServers"), project=project)
    return facts


def hooks(document: Document, value: Any, at: tuple[str | int, ...]) -> list[Fact]:
    """Hook facts from a Claude-shaped `hooks` object (also used by Codex, Gemini and plugins)."""
    facts = []
    for event, groups in as_dict(value).items():
        for i, group in enumerate(as_list(groups)):
            group = as_dict(group)
            matcher = group.get("matcher")
            handlers = group.get("hooks")
            if handlers is None and ("command" in group or "type" in group):
                # legacy shape seen in the field: the handler sits directly in the matcher entry
                items: list[tuple[tuple[str | int, ...], dict[str, Any]]] = [((*at, event, i), group)]
            else:
                items = [((*at, event, i, "hooks", j), as_dict(h)) for j, h in enumerate(as_list(handlers))]
            for key_path, handler in items:
                kind = as_str(handler.get("type")) or "command"
                command = as_str(handler.get("command"))
                args = str_list(handler.get("args"))
                if command is None and args:
                    command = " ".join(args)
                anchor = (*key_path, "command") if "command" in handler else (*key_path, "url") if "url" in handler else key_path
                facts.append(
                    fact(
                        document,
                        "hook",
                        anchor,
                        event=str(event),
                        matcher=matcher if matcher is None or isinstance(matcher, str) else str(matcher),
                        type=kind,
                        command=command,
                        url=as_str(handler.get("url")),
                        server=as_str(handler.get("server")),
                        timeout=handler.get("timeout"),
                        run_async=bool(handler.get("async", False)),
                    )
                )
                if "matcher" in group:
                    facts[-1].anchors["matcher"] = (*at, event, i, "matcher")
    return facts


def _permissions(document: Document, data: dict[str, Any]) -> list[Fact]:
    if "permissions" not in data:
        return []
    perms = as_dict(data.get("permissions"))
    facts = [
        fact(
            document,
            "permissions",
            ("permissions",),
            allow=str_list(perms.get("allow")),
            deny=str_list(perms.get("deny")),
            ask=str_list(perms.get("ask")),
            additional_directories=str_list(perms.get("additionalDirectories")),
            default_mode=as_str(perms.get("defaultMode")),
        )
    ]
    for decision in ("allow", "ask", "deny"):
        for i, rule in enumerate(as_list(perms.get(decision))):
            if not isinstance(rule, str):
                continue
            m = _RULE.match(rule)
            tool, specifier = (m.group(1), m.group(2)) if m else (rule, None)
            facts.append(
                fact(document, "permission_rule", ("permissions", decision, i), decision=decision, rule=rule, tool=tool, specifier=specifier)
            )
    for i, directory in enumerate(as_list(perms.get("additionalDirectories"))):
        if isinstance(directory, str):
            facts.append(fact(document, "additional_directory", ("permissions", "additionalDirectories", i), path=directory))
    mode = as_str(perms.get("defaultMode"))
    if mode:
        facts.append(fact(document, "permission_mode", ("permissions", "defaultMode"), mode=mode))
    return facts
