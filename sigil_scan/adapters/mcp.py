"""The shared MCP server shape (`mcpServers`, `servers`, `[mcp_servers.*]`, opencode `mcp`) ->
mcp_server facts.

Every client routes its server definitions through server_facts, so the remote / local-command /
launcher / unpinned / secret checks are one set of rules for all of them. Field spellings of
the different clients are folded here: `url`/`httpUrl`/`serverUrl`, `env`/`environment`,
`command` as a string or an argv list, `disabled: true`/`enabled: false`, `trust`,
`alwaysAllow`/`autoApprove`, Codex per-tool `approval_mode = "auto"`.
"""

from __future__ import annotations

import shlex
from typing import Any

from sigil_scan.adapters.common import KeyPath, as_dict, as_str, fact, str_list
from sigil_scan.model import Document, Fact


def _transport(entry: dict[str, Any]) -> str:
    declared = as_str(entry.get("type")) or as_str(entry.get("transport"))
    if declared:
        return {"streamable-http": "http", "streamableHttp": "http", "local": "stdio", "remote": "remote"}.get(declared, declared)
    if entry.get("url") or entry.get("httpUrl") or entry.get("serverUrl"):
        return "http" if entry.get("httpUrl") else "remote"
    return "stdio"


def _split(command: str) -> list[str]:
    try:
        return shlex.split(command, posix=True)
    except ValueError:
        return command.split()


def _argv(entry: dict[str, Any]) -> list[str]:
    command = entry.get("command")
    args = str_list(entry.get("args"))
    if isinstance(command, list):
        return str_list(command) + args
    if isinstance(command, str) and command.strip():
        # a whole command line in `command` with no args (seen in the field): split it like a shell
        head = _split(command) if (not args and " " in command.strip()) else [command]
        return head + args
    return args


def _arg_pairs(argv: list[str]) -> dict[str, str]:
    """`--flag value` and `--flag=value` pairs of a launcher (where tokens hide in args)."""
    pairs: dict[str, str] = {}
    for i, word in enumerate(argv):
        if not word.startswith("-") or word in ("-", "--"):
            continue
        name, eq, value = word.partition("=")
        if eq:
            pairs[name] = value
        elif i + 1 < len(argv) and not argv[i + 1].startswith("-"):
            pairs[name] = argv[i + 1]
    return pairs


def _auto_approve(entry: dict[str, Any]) -> Any:
    for key in ("alwaysAllow", "autoApprove"):
        value = entry.get(key)
        if value:
            return {"mechanism": key, "tools": value if isinstance(value, list) else [str(value)]}
    tools = as_dict(entry.get("tools"))
    auto = [name for name, spec in tools.items() if as_dict(spec).get("approval_mode") in ("auto", "approve", "never_prompt")]
    if entry.get("default_tools_approval_mode") in ("auto", "approve"):
        return {"mechanism": "default_tools_approval_mode", "tools": ["*"]}
    if auto:
        return {"mechanism": "approval_mode", "tools": auto}
    return None


def server_facts(document: Document, servers: Any, key_path: KeyPath, **extra: Any) -> list[Fact]:
    """One mcp_server fact per entry of a servers mapping at key_path."""
    facts = []
    for name, raw in as_dict(servers).items():
        entry = as_dict(raw)
        url = as_str(entry.get("url")) or as_str(entry.get("httpUrl")) or as_str(entry.get("serverUrl"))
        argv = _argv(entry)
        command_str = argv[0] if argv else None
        args = argv[1:]
        env = as_dict(entry.get("env")) or as_dict(entry.get("environment"))
        disabled = bool(entry.get("disabled", False)) or entry.get("enabled") is False
        facts.append(
            fact(
                document,
                "mcp_server",
                (*key_path, name),
                name=str(name),
                transport=_transport(entry),
                command=command_str,
                args=args,
                argv=argv,
                arg_pairs=_arg_pairs(args),
                command_line=shlex.join(argv) if argv else None,
                env={str(k): v for k, v in env.items()},
                url=url,
                headers={str(k): v for k, v in (as_dict(entry.get("headers")) or as_dict(entry.get("http_headers"))).items()},
                headers_helper=as_str(entry.get("headersHelper")),
                cwd=as_str(entry.get("cwd")),
                trust=entry.get("trust"),
                auto_approve=_auto_approve(entry),
                disabled=disabled,
                raw=entry,
                **extra,
            )
        )
    return facts
