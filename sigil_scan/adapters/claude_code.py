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
from sigil_scan.lazyre import LazyPattern
from sigil_scan.model import Document, Fact, ScopeKind

_RULE = LazyPattern(r"^\s*([^()]+?)\s*(?:\((.*)\))?\s*$", re.DOTALL)

# settings keys whose value is a shell command Claude runs (A13 in agent-surfaces.md)
_HELPER_COMMANDS = ("apiKeyHelper", "awsAuthRefresh", "awsCredentialExport", "gcpAuthRefresh", "otelHeadersHelper")
_HELPER_OBJECTS = ("statusLine", "subagentStatusLine", "fileSuggestion")


def settings(document: Document, context: AdaptContext) -> list[Fact]:
    data = as_dict(document.value)
    facts: list[Fact] = []
    facts += hooks(document, data.get("hooks"), ("hooks",))
    facts += _permissions(document, data)
    for name, value in as_dict(data.get("env")).items():
        facts.append(fact(document, "env_var", ("env", name), name=str(name), value=value, pair={str(name): value}))
    for key in _HELPER_COMMANDS:
        command = as_str(data.get(key))
        if command:
            facts.append(fact(document, "helper_command", (key,), key=key, command=command))
    for key in _HELPER_OBJECTS:
        command = as_str(as_dict(data.get(key)).get("command"))
        if command:
            facts.append(fact(document, "helper_command", (key, "command"), key=key, command=command))
    # `mcpServers` is not a settings.json key (Claude reads servers from .mcp.json and
    # ~/.claude.json only): a block placed here is ignored by Claude, so it yields no server fact.
    facts += _sandbox(document, as_dict(data.get("sandbox")))
    facts += _plugins(document, data)
    if context.scope.kind is ScopeKind.MANAGED:
        facts += controls(document, data, _MANAGED_CONTROLS)
    return facts


# managed keys reported as controls (report-only; they never lower a score or hide a finding)
_MANAGED_CONTROLS = (
    ("permissions", "disableBypassPermissionsMode"),
    ("permissions", "disableAutoMode"),
    ("disableAutoMode",),
    ("allowManagedPermissionRulesOnly",),
    ("allowManagedHooksOnly",),
    ("allowManagedMcpServersOnly",),
    ("allowedMcpServers",),
    ("deniedMcpServers",),
    ("disableAllHooks",),
    ("sandbox", "enabled"),
    ("sandbox", "failIfUnavailable"),
    ("sandbox", "allowUnsandboxedCommands"),
    ("sandbox", "network", "allowManagedDomainsOnly"),
    ("strictKnownMarketplaces",),
    ("blockedMarketplaces",),
    ("forceRemoteSettingsRefresh",),
    ("forceLoginMethod",),
    ("forceLoginOrgUUID",),
    ("permissions", "deny"),
)


def controls(document: Document, data: dict[str, Any], keys: tuple[tuple[str, ...], ...]) -> list[Fact]:
    """`control` facts for the managed keys present (absent keys are not reported)."""
    out = []
    for key_path in keys:
        node: Any = data
        for part in key_path:
            node = node.get(part) if isinstance(node, dict) else None
        if node is not None:
            out.append(fact(document, "control", key_path, key=".".join(key_path), value=node))
    return out


def _sandbox(document: Document, sandbox: dict[str, Any]) -> list[Fact]:
    if not sandbox:
        return []
    network = as_dict(sandbox.get("network"))
    filesystem = as_dict(sandbox.get("filesystem"))
    facts = [
        fact(
            document,
            "sandbox",
            ("sandbox",),
            enabled=sandbox.get("enabled"),
            allow_unsandboxed=sandbox.get("allowUnsandboxedCommands"),
            excluded_commands=str_list(sandbox.get("excludedCommands")),
            unix_sockets=str_list(network.get("allowUnixSockets")),
            all_unix_sockets=network.get("allowAllUnixSockets"),
        )
    ]
    for i, domain in enumerate(as_list(network.get("allowedDomains"))):
        if isinstance(domain, str):
            facts.append(fact(document, "network_allow", ("sandbox", "network", "allowedDomains", i), domain=domain, source="sandbox.network.allowedDomains"))
    for i, path in enumerate(as_list(filesystem.get("allowWrite"))):
        if isinstance(path, str):
            facts.append(fact(document, "writable_root", ("sandbox", "filesystem", "allowWrite", i), path=path))
    return facts


def _plugins(document: Document, data: dict[str, Any]) -> list[Fact]:
    registered = as_dict(data.get("extraKnownMarketplaces"))
    facts = []
    for plugin, enabled in as_dict(data.get("enabledPlugins")).items():
        marketplace = str(plugin).rpartition("@")[2] if "@" in str(plugin) else ""
        source = as_dict(as_dict(registered.get(marketplace)).get("source"))
        facts.append(
            fact(
                document,
                "plugin",
                ("enabledPlugins", plugin),
                plugin=str(plugin),
                enabled=enabled is True,
                marketplace=marketplace,
                registered_here=marketplace in registered,
                source=as_str(source.get("repo")) or as_str(source.get("url")) or as_str(source.get("path")) or as_str(source.get("source")),
            )
        )
    return facts


def mcp(document: Document, context: AdaptContext) -> list[Fact]:
    """`.mcp.json` and `~/.claude.json` (user servers, each project's local servers and state)."""
    data = as_dict(document.value)
    facts = server_facts(document, data.get("mcpServers"), ("mcpServers",))
    if data.get("bypassPermissionsModeAccepted") is True:
        facts.append(fact(document, "setting", ("bypassPermissionsModeAccepted",), key="bypassPermissionsModeAccepted", value=True))
    for project, entry in as_dict(data.get("projects")).items():
        entry = as_dict(entry)
        facts += server_facts(document, entry.get("mcpServers"), ("projects", project, "mcpServers"), project=project)
        if entry.get("hasTrustDialogAccepted") is True:
            facts.append(fact(document, "trust_grant", ("projects", project, "hasTrustDialogAccepted"), path=str(project), level="trusted", mechanism="hasTrustDialogAccepted"))
        for i, rule in enumerate(as_list(entry.get("allowedTools"))):
            if isinstance(rule, str):
                facts.append(_rule_fact(document, ("projects", project, "allowedTools", i), "allow", rule))
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
                command = as_str(handler.get("command"))
                args = str_list(handler.get("args"))
                if command is None and args:
                    command = " ".join(args)
                anchor = (*key_path, "command") if "command" in handler else (*key_path, "url") if "url" in handler else key_path
                facts.append(hook_fact(document, anchor, event, matcher if matcher is None or isinstance(matcher, str) else str(matcher), handler, command))
                if "matcher" in group:
                    facts[-1] = facts[-1]._replace(anchors={"matcher": (*at, event, i, "matcher")})
    return facts


def hook_fact(document: Document, key_path: tuple[str | int, ...], event: Any, matcher: str | None, handler: dict[str, Any], command: str | None) -> Fact:
    """One `hook` fact: what every hook rule reads, whichever agent's file it comes from."""
    return fact(
        document,
        "hook",
        key_path,
        event=str(event),
        matcher=matcher,
        type=as_str(handler.get("type")) or "command",
        command=command,
        url=as_str(handler.get("url")),
        server=as_str(handler.get("server")),
        timeout=handler.get("timeout"),
        run_async=bool(handler.get("async", False)),
    )


def _rule_fact(document: Document, key_path: tuple[str | int, ...], decision: str, rule: str) -> Fact:
    m = _RULE.match(rule)
    tool, specifier = (m.group(1), m.group(2)) if m else (rule, None)
    return fact(document, "permission_rule", key_path, decision=decision, rule=rule, tool=tool, specifier=specifier)


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
            has_allow="allow" in perms,
        )
    ]
    for decision in ("allow", "ask", "deny"):
        for i, rule in enumerate(as_list(perms.get(decision))):
            if not isinstance(rule, str):
                continue
            facts.append(_rule_fact(document, ("permissions", decision, i), decision, rule))
    for i, directory in enumerate(as_list(perms.get("additionalDirectories"))):
        if isinstance(directory, str):
            facts.append(fact(document, "additional_directory", ("permissions", "additionalDirectories", i), path=directory))
    mode = as_str(perms.get("defaultMode"))
    if mode:
        facts.append(fact(document, "permission_mode", ("permissions", "defaultMode"), mode=mode, key="permissions.defaultMode"))
    return facts
