"""Where a project config (`.sigil.yaml`) applies: looked up on every `sigil scan`, so kept apart
from sigil_scan/suppress.py, which reads and applies a config and is imported only when one is
found (~1.5 ms of NamedTuple and pattern setup saved on every scan of a repository without one)."""

from __future__ import annotations

import os
from pathlib import Path

from sigil_scan.errors import SigilError

CONFIG_NAMES = (".sigil.yaml", ".sigil.yml")


def find_config(roots: list[Path], *, home_mode: bool) -> Path | None:
    """`.sigil.yaml` at the scanned root; for files (pre-commit), in the nearest parent up to the
    repository top (`.git`). Never in home mode. Two different configs for one run is an error."""
    if home_mode:
        return None
    found: set[Path] = set()
    for root in roots:
        start = Path(os.path.abspath(root))
        try:
            candidates = [start] if start.is_dir() else _upwards(start.parent)
        except OSError:  # a name too long or a loop: discovery reports the root itself
            continue
        for directory in candidates:
            hit = next((directory / n for n in CONFIG_NAMES if _is_file(directory / n)), None)
            if hit is not None:
                found.add(hit)
                break
    if len(found) > 1:
        raise SigilError(f"several project configs apply ({', '.join(sorted(map(str, found)))}); pass --config")
    return found.pop() if found else None


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:
        return False


def _upwards(directory: Path) -> list[Path]:
    """The directory and its parents up to the repository top; outside a repository, never the
    home directory or the filesystem root (a stray ~/.sigil.yaml must not apply to every scan)."""
    home = Path(os.path.abspath(os.path.expanduser("~")))
    out = []
    for d in (directory, *directory.parents):
        if (d == home or d == Path(d.anchor)) and not (d / ".git").exists():
            break
        out.append(d)
        if (d / ".git").exists():
            break
    return out
