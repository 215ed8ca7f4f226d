"""The shared MCP server shape (`mcpServers`, `servers`, `[mcp_servers.*]`) -> mcp_server facts.

Every client routes its server definitions through server_facts, so the remote / local-command /
launcher / unpinned / secret checks are one set of rules for all of them.
"""

from __future__ import annotations

from typing import Any

from sigil_scan.adapters.common import KeyPath, as_dict, as_str, fact, str_list
from sigil_scan.model import Document, Fact


def _transport(entry: dict[str, Any]) -> str:
    declared = as_str(entry.get("type")) or as_str(entry.get("transport"))
    if declared:
        return {"streamable-http": "http", "streamableHttp": "http", "local": "stdio"}.get(declared, declared)
    if entry.get("url") or entry.get("httpUrl") or entry.get("serverUrl"):
        return "http" if entry.get("httpUrl") else "remote"
    return "stdio"


def server_facts(document: Document, servers: Any, key_path: KeyPath, **extra: Any) -> list[Fact]:
    """One mcp_server fact per entry of a servers mapping at key_path."""
    facts = []
    for name, raw in as_dict(servers).items():
        entry = as_dict(raw)
        url = as_str(entry.get("url")) or as_str(entry.get("httpUrl")) or as_str(entry.get("serverUrl"))
        command = entry.get("command")
        argv = str_list(command) if isinstance(command, list) else []
        command_str = as_str(command) or (argv[0] if argv else None)
        args = argv[1:] + str_list(entry.get("args"))
        facts.append(
            fact(
                document,
                "mcp_server",
                (*key_path, name),
                name=str(name),
                transport=_transport(entry),
                command=command_str,
                args=args,
                command_line=" ".join([command_str or "", *args]).strip() or None,
                env={str(k): v for k, v in as_dict(entry.get("env")).items()},
                url=url,
                headers={str(k): v for k, v in as_dict(entry.get("headers")).items()},
                headers_helper=as_str(entry.get("headersHelper")),
                cwd=as_str(entry.get("cwd")),
                trust=entry.get("trust"),
                auto_approve=entry.get("autoApprove", entry.get("alwaysAllow")),
                disabled=bool(entry.get("disabled", False)),
                raw=entry,
                **extra,
            )
        )
    return facts
