"""What matchers may know about the surface being evaluated."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(slots=True)
class EvalContext:
    patterns: dict[str, Any]
    home: Path
    project_dir: Path | None = None
    tool: str = ""
    scope_kind: str = ""
    # hook scripts analysed for this surface: path -> ScriptAnalysis (each read once per scan)
    scripts: dict[Path, Any] = field(default_factory=dict)
    # every extra file read (hook scripts, sourced files): (path, blake3, size)
    files_read: list[tuple[Path, str | None, int | None]] = field(default_factory=list)
    # analyser results on this surface, keyed by (kind, id(rule argument), value): several
    # rules often ask the same analyser about the same command or URL
    memo: dict[tuple[str, int, Any], Any] = field(default_factory=dict)
