"""What matchers may know about the surface being evaluated."""

from __future__ import annotations

from pathlib import Path
from typing import Any


# A plain slotted class, not a dataclass: `dataclasses` (and the inspect/ast it imports) stays off
# the scan path, and one is built per surface.
class EvalContext:
    __slots__ = ("patterns", "home", "project_dir", "tool", "scope_kind", "scripts", "files_read", "memo", "shared")

    def __init__(
        self,
        patterns: dict[str, Any],
        home: Path,
        project_dir: Path | None = None,
        tool: str = "",
        scope_kind: str = "",
        scripts: dict[Path, Any] | None = None,
        files_read: list[tuple[Path, str | None, int | None]] | None = None,
        memo: dict[tuple[str, int, Any], Any] | None = None,
        shared: dict[tuple[str, int, Any], Any] | None = None,
    ) -> None:
        self.patterns = patterns
        self.home = home
        self.project_dir = project_dir
        self.tool = tool
        self.scope_kind = scope_kind
        # hook scripts analysed for this surface: path -> ScriptAnalysis (each read once per scan)
        self.scripts: dict[Path, Any] = {} if scripts is None else scripts
        # every extra file read (hook scripts, sourced files): (path, blake3, size)
        self.files_read: list[tuple[Path, str | None, int | None]] = [] if files_read is None else files_read
        # analyser results on this surface, keyed by (kind, id(rule argument), value): several
        # rules often ask the same analyser about the same command or URL
        self.memo: dict[tuple[str, int, Any], Any] = {} if memo is None else memo
        # results of pure analysers (value, argument and pattern sets decide them): the Evaluator
        # hands every surface of a scan the same mapping, so a command repeated across
        # repositories is analysed once
        self.shared: dict[tuple[str, int, Any], Any] = {} if shared is None else shared

    def __repr__(self) -> str:
        return f"EvalContext(tool={self.tool!r}, scope_kind={self.scope_kind!r}, project_dir={self.project_dir!r})"
