"""Windsurf (Cascade) hooks: `~/.codeium/windsurf/hooks.json` and a repository's
`.windsurf/hooks.json` (agent-surfaces.md §5).

`{"hooks": {"pre_run_command": [{"command": "python3 check.py", "show_output": true}]}}`; an
entry may also give one command per shell, `{"bash": "...", "powershell": "..."}`. Events are
specific (`pre_run_command`, `pre_write_code`, `post_cascade_response` …), so there is no
matcher. Every command becomes a `hook` fact, so the hook rules (host shell, destructive or
fetch-and-run commands, scripts) apply as they do to Claude Code, Codex, Gemini and Cursor.
"""

from __future__ import annotations

from sigil_scan.adapters.claude_code import hook_fact, hooks
from sigil_scan.adapters.common import AdaptContext, as_dict, as_list, as_str
from sigil_scan.model import Document, Fact

_SHELLS = ("bash", "powershell")


def hooks_file(document: Document, context: AdaptContext) -> list[Fact]:
    value = as_dict(as_dict(document.value).get("hooks"))
    facts = hooks(document, value, ("hooks",))  # entries with `command` (the Claude-like shape)
    for event, entries in value.items():
        for i, entry in enumerate(as_list(entries)):
            entry = as_dict(entry)
            if "command" in entry or "hooks" in entry:
                continue
            for shell in _SHELLS:
                command = as_str(entry.get(shell))
                if command is not None:
                    facts.append(hook_fact(document, ("hooks", event, i, shell), event, None, entry, command))
    return facts
