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

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .compile import CATEGORIES, compiled_for
from .resolve import resolve_script_path

PatternSets = dict[str, Any]

__all__ = [
    "CATEGORIES", "CommandHit", "PatternSets", "ScriptAnalysis", "analyse_command",
    "analyse_script", "resolve_script_path",
]


@dataclass(frozen=True, slots=True)
class CommandHit:
    category: str  # one of CATEGORIES
    pattern: str  # id of the pattern inside its set
    snippet: str  # the simple command that matched (capped at 120 chars, one line)
    target: str | None = None  # what it acts on: "/", "~", "$HOME", "system", "relative", ...
    line: int | None = None  # line in a script (1-based); None for an inline command
    chain: tuple[str, ...] = ()  # source chain: entry script, ..., file that matched


@dataclass(slots=True)
class ScriptAnalysis:
    hits: list[CommandHit] = field(default_factory=list)
    unscanned: str | None = None  # why the script could not be analysed, if it could not
    files: list[tuple[Path, str | None, int | None]] = field(default_factory=list)  # (path, blake3, size)


def analyse_command(command: str, patterns: PatternSets) -> list[CommandHit]:
    """Classify what an inline command (hook, MCP launcher, helper) executes."""
    from .walker import Walker

    walker = Walker(compiled_for(patterns))
    walker.source_text(command, 1, 0)
    return [CommandHit(h.category, h.pattern, h.snippet, h.target) for h in walker.hits]


def analyse_script(
    path: Path, patterns: PatternSets, *, base_dir: Path | None = None, home: Path | None = None
) -> ScriptAnalysis:
    """Read a hook script safely and classify what it executes, following `source` chains."""
    from .script import ScriptState, analyse_file

    state = ScriptState(compiled_for(patterns), base_dir, home)
    unscanned = analyse_file(state, Path(path), (), 0)
    hits = [CommandHit(h.category, h.pattern, h.snippet, h.target, h.line, chain)
            for h, chain in state.hits]
    return ScriptAnalysis(hits=hits, unscanned=unscanned, files=state.files)
