"""Instruction and prompt files of every agent (CLAUDE.md, AGENTS.md, GEMINI.md, .cursorrules,
.cursor/rules/*.mdc, .windsurfrules, copilot-instructions.md), scheduled tasks and loop prompts.

An instruction file grants nothing by itself; it is a prompt-injection carrier. Facts:
`instruction` (one per non-empty line, with whether it sits in a fenced code block) and
`instruction_file` (the whole text, for hidden-character checks), `scheduled_task`,
`loop_prompt`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sigil_scan.adapters.common import AdaptContext
from sigil_scan.lazyre import LazyPattern
from sigil_scan.model import Document, Fact
from sigil_scan.yamlload import load_yaml

MAX_LINES = 20_000  # a pathological file must not turn into millions of facts
_FENCE = ("```", "~~~")


def shown(path: Path, context: AdaptContext) -> str:
    """The file as a reason shows it: project-relative, ~/..., else its name (never absolute)."""
    for base, prefix in ((context.scope.path, ""), (context.home, "~/")):
        if base is not None:
            try:
                return prefix + path.relative_to(base).as_posix()
            except ValueError:
                continue
    return path.name


def instructions(document: Document, context: AdaptContext) -> list[Fact]:
    text = document.text if isinstance(document.text, str) else ""
    name = shown(document.path, context)
    facts = [Fact("instruction_file", {"instruction_file": name, "text": text}, document.path, (), 1, 1)]
    in_code = False
    continued = ""
    for number, line in enumerate(text.splitlines()[:MAX_LINES], 1):
        stripped = line.strip()
        if stripped.startswith(_FENCE):
            in_code = not in_code
            continued = ""
            continue
        if not stripped:
            continue
        if in_code and stripped.endswith("\\"):
            # a shell line continued with a trailing backslash is one command
            continued += stripped[:-1] + " "
            continue
        body = continued + stripped if in_code else stripped
        continued = ""
        facts.append(Fact("instruction", {"instruction_file": name, "line_fields": {"text": body, "code": in_code}}, document.path, (number,), number, 1))
    return facts


def scheduled_task(document: Document, context: AdaptContext) -> list[Fact]:
    """`~/.claude/scheduled-tasks/<name>/SKILL.md`: a prompt that runs on a schedule."""
    return [Fact("scheduled_task", {"name": document.path.parent.name, "file": shown(document.path, context)}, document.path, (), 1, 1)]


def loop_prompt(document: Document, context: AdaptContext) -> list[Fact]:
    """`loop.md`: the default prompt of an unattended loop."""
    source = "project" if context.scope.path is not None else "user"
    return [Fact("loop_prompt", {"source": source, "file": shown(document.path, context)}, document.path, (), 1, 1)]


_FRONT = LazyPattern(r"\A(?:\ufeff)?---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
MAX_FRONTMATTER = 64 * 1024


def _frontmatter(text: str) -> tuple[dict[str, Any], int]:
    """YAML frontmatter of a markdown file (empty when absent or unreadable) and its length."""
    m = _FRONT.match(text)
    if not m or len(m.group(1)) > MAX_FRONTMATTER:
        return {}, 0
    try:
        value = load_yaml(m.group(1).encode("utf-8", "replace"), use_cache=False)  # untrusted text: keep it out of the cache
    except Exception:  # a broken frontmatter is ignored by the agent too: no facts, no crash
        return {}, m.end()
    return (value if isinstance(value, dict) else {}), m.end()


def _line_of(text: str, key: str) -> int:
    m = re.search(rf"^\s*{re.escape(key)}\s*:", text, re.MULTILINE)
    return text.count("\n", 0, m.start()) + 1 if m else 1


def agent_file(document: Document, context: AdaptContext) -> list[Fact]:
    """Subagents, skills and slash commands (markdown with YAML frontmatter): `permissionMode`,
    `allowed-tools` (pre-approved while the skill runs, not gated by trust), `mcpServers`,
    `hooks`; the body is read like an instruction file."""
    from sigil_scan.adapters.claude_code import hooks
    from sigil_scan.adapters.mcp import server_facts

    text = document.text or ""
    front, _end = _frontmatter(text)
    facts = instructions(document, context)
    mode = front.get("permissionMode")
    if isinstance(mode, str):
        line = _line_of(text, "permissionMode")
        facts.append(Fact("permission_mode", {"mode": mode, "key": "permissionMode"}, document.path, ("permissionMode",), line, 1))
    tools = front.get("allowed-tools", front.get("allowedTools"))
    items = [t.strip() for t in re.split(r",(?![^(]*\))", tools)] if isinstance(tools, str) else tools if isinstance(tools, list) else []
    line = _line_of(text, "allowed-tools")
    for i, rule in enumerate(str(t) for t in items if isinstance(t, str) and t.strip()):
        tool, _, rest = rule.partition("(")
        specifier = rest[:-1] if rest.endswith(")") else (rest or None)
        facts.append(Fact("permission_rule", {"decision": "allow", "rule": rule, "tool": tool.strip(), "specifier": specifier}, document.path, ("allowed-tools", i), line, 1))
    if isinstance(front.get("mcpServers"), dict):
        facts += server_facts(document, front["mcpServers"], ("mcpServers",))
    if isinstance(front.get("hooks"), dict):
        facts += hooks(document, front["hooks"], ("hooks",))
    return facts
