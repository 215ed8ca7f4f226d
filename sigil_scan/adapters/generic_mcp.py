"""Data-only MCP client files: Claude Desktop, VS Code (`servers`), Windsurf (`serverUrl`), Roo
Code, Kiro, and anything else with the common `mcpServers` shape; opencode's `mcp` block and
`permission` map; VS Code settings.json agent toggles and tasks.json automatic tasks
(agent-surfaces.md §5)."""

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


_TASK_PLATFORMS = ("linux", "osx", "windows")


def vscode_tasks(document: Document, context: AdaptContext) -> list[Fact]:
    """.vscode/tasks.json: every task with `runOptions.runOn: "folderOpen"` becomes an `auto_task`
    fact per command it may run (the task's own and its linux/osx/windows overrides). VS Code
    runs such a task when the folder opens, after Workspace Trust (and, since 2026, a second
    prompt); Cursor and other forks ship Workspace Trust off (A9)."""
    facts: list[Fact] = []
    for i, task in enumerate(as_list(as_dict(document.value).get("tasks"))):
        task = as_dict(task)
        if as_str(as_dict(task.get("runOptions")).get("runOn")) != "folderOpen":
            continue
        label = as_str(task.get("label")) or as_str(task.get("script")) or f"task {i}"
        variants: list[tuple[KeyPath, dict[str, Any]]] = [(("tasks", i), task)]
        variants += [(("tasks", i, name), as_dict(task.get(name))) for name in _TASK_PLATFORMS if isinstance(task.get(name), dict)]
        seen: set[str] = set()
        for at, spec in variants:
            command = _task_command(spec, task)
            if command is None or command in seen:
                continue
            seen.add(command)
            where = (*at, "command") if "command" in spec else (*at, "script") if "script" in spec else at
            facts.append(fact(document, "auto_task", where, label=label, command=command, task_type=as_str(task.get("type")) or "process",
                              platform=at[2] if len(at) > 2 else None))
    return facts


def _task_command(spec: dict[str, Any], task: dict[str, Any]) -> str | None:
    """The command line a task runs: `command` and `args` (strings or {value, quoting}), or
    `npm run SCRIPT` for an npm task; None when the task names nothing to run."""
    import shlex

    def text(value: Any) -> str | None:
        value = as_dict(value).get("value") if isinstance(value, dict) else value
        return " ".join(str(v) for v in value) if isinstance(value, list) else as_str(value)

    command = text(spec.get("command"))
    if command is None and (as_str(spec.get("script")) or as_str(task.get("script"))) and as_str(task.get("type")) == "npm":
        return f"npm run {as_str(spec.get('script')) or as_str(task.get('script'))}"
    if command is None:
        return None
    args = [a for a in (text(a) for a in as_list(spec.get("args"))) if a is not None]
    if as_str(task.get("type")) == "shell":
        return " ".join([command, *args])  # the shell reads the whole line, as VS Code passes it
    return shlex.join([command, *args]) if args else command
