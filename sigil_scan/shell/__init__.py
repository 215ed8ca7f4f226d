"""Command analysis: what a shell command or hook script *does* (not what it mentions).

Public interface used by the rule engine:

    analyse_command(command, patterns) -> list[CommandHit]
    analyse_script(path, patterns, *, base_dir, home) -> ScriptAnalysis
    resolve_script_path(command, *, project_dir, home) -> Path | None

`patterns` maps pattern-set name -> raw YAML document from rules/patterns/; the documents with
`kind: shell` / `kind: shell-grammar` are compiled once per mapping (see compile.py). The
pipeline is lexer.py (quote-aware tokens) -> parse.py (pipelines of simple commands) ->
walker.py (unwrap, recurse into payloads, classify) with exfil.py and interp.py for the
network and interpreter-code shapes; script.py reads hook files safely.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any, NamedTuple

PatternSets = dict[str, Any]

# Every category a CommandHit can carry (one rules/patterns/<category>.yaml each).
CATEGORIES = (
    "destructive", "fetch_execute", "exfiltration", "obfuscation", "privilege",
    "history_tampering", "git_destructive", "permission_widening", "persistence",
)

__all__ = [
    "CATEGORIES", "CommandHit", "PatternSets", "ScriptAnalysis", "analyse_command",
    "analyse_script", "resolve_script_path",
]


# A NamedTuple and a slotted class, not dataclasses: this package is imported by every scan, and
# `import dataclasses` plus each @dataclass cost milliseconds of start-up (see model.py).
class CommandHit(NamedTuple):
    category: str  # one of CATEGORIES
    pattern: str  # id of the pattern inside its set
    snippet: str  # the simple command that matched (capped at 120 chars, one line)
    target: str | None = None  # what it acts on: "/", "~", "$HOME", "system", "relative", ...
    line: int | None = None  # line in a script (1-based); None for an inline command
    chain: tuple[str, ...] = ()  # source chain: entry script, ..., file that matched


class ScriptAnalysis:
    __slots__ = ("hits", "unscanned", "files")

    def __init__(
        self,
        hits: list[CommandHit] | None = None,
        unscanned: str | None = None,  # why the script could not be analysed, if it could not
        files: list[tuple[Path, str | None, int | None]] | None = None,  # (path, blake3, size)
    ) -> None:
        self.hits: list[CommandHit] = [] if hits is None else hits
        self.unscanned = unscanned
        self.files: list[tuple[Path, str | None, int | None]] = [] if files is None else files


def analyse_command(command: str, patterns: PatternSets) -> list[CommandHit]:
    """Classify what an inline command (hook, MCP launcher, helper) executes."""
    from .compile import compiled_for
    from .walker import Walker

    walker = Walker(compiled_for(patterns))
    with contextlib.suppress(RecursionError):  # all recursion is capped; this is a last guard
        walker.source_text(command, 1, 0)
    return [CommandHit(h.category, h.pattern, h.snippet, h.target) for h in walker.hits]


def analyse_script(
    path: Path, patterns: PatternSets, *, base_dir: Path | None = None, home: Path | None = None
) -> ScriptAnalysis:
    """Read a hook script safely and classify what it executes, following `source` chains."""
    from .compile import compiled_for
    from .script import ScriptState, analyse_file

    state = ScriptState(compiled_for(patterns), base_dir, home)
    # Path(a_path) parses it again (~2 µs a script); str paths from callers are still accepted
    unscanned = analyse_file(state, path if isinstance(path, Path) else Path(path), (), 0)
    hits = [CommandHit(h.category, h.pattern, h.snippet, h.target, h.line, chain)
            for h, chain in state.hits]
    return ScriptAnalysis(hits=hits, unscanned=unscanned, files=state.files)


def resolve_script_path(command: str, *, project_dir: Path | None,
                        home: Path | None) -> Path | None:
    """The script file a command runs (`bash x.sh`, `"$CLAUDE_PROJECT_DIR"/.claude/hooks/x.sh`,
    `~/bin/x`, `uv run /abs/x.py`), resolved against project_dir / home; None if it runs none."""
    from .resolve import resolve_script_path as _resolve

    return _resolve(command, project_dir=project_dir, home=home)
