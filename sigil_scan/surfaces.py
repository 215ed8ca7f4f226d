"""Resolve the surface catalogue for one machine: platform paths, ~ and %VAR% expansion, globs.

The platform is a parameter, so macOS and Windows paths are tested on Linux.
"""

from __future__ import annotations

import fnmatch
import glob
import os
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath

from sigil_scan.engine.library import RuleLibrary, SurfaceEntry
from sigil_scan.model import ScopeKind, SurfaceSpec

_WIN_VAR = re.compile(r"%([A-Za-z_][A-Za-z0-9_()]*)%")
_POSIX_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def current_platform() -> str:
    if sys.platform == "darwin":
        return "macos"
    if sys.platform.startswith("win"):
        return "windows"
    return "linux"


def platform_paths(entry: SurfaceEntry, platform: str) -> tuple[str, ...]:
    return entry.paths.get(platform, ()) + entry.paths.get("any", ())


def expand(pattern: str, *, home: Path | str, env: Mapping[str, str], platform: str) -> str | None:
    """Expand ~, %VAR% and $VAR; None when a variable is not set (the path does not apply)."""
    missing = False

    def var(name: str) -> str:
        nonlocal missing
        if platform == "windows" and name.upper() == "USERPROFILE" and name not in env:
            return str(home)
        value = env.get(name)
        if value is None:
            missing = True
            return ""
        return value

    out = _WIN_VAR.sub(lambda m: var(m.group(1)), pattern)
    out = _POSIX_VAR.sub(lambda m: var(m.group(1) or m.group(2)), out)
    if out == "~" or out.startswith(("~/", "~\\")):
        out = str(home) + out[1:]
    if platform == "windows":
        out = str(PureWindowsPath(out))
    return None if missing else out


class GlobalSurface:
    # plain slotted classes here: a @dataclass costs ~1 ms of import time on every `sigil scan`
    __slots__ = ("spec", "pattern")

    def __init__(self, spec: SurfaceSpec, pattern: str) -> None:
        self.spec = spec
        self.pattern = pattern  # expanded, possibly with a glob


def global_surfaces(
    library: RuleLibrary, *, platform: str, home: Path, env: Mapping[str, str] | None = None
) -> list[GlobalSurface]:
    """Every non-project surface of this machine, with its expanded path pattern."""
    env = os.environ if env is None else env
    out: list[GlobalSurface] = []
    for entry in library.surfaces:
        if entry.spec.scope is ScopeKind.PROJECT:
            continue
        for raw in platform_paths(entry, platform):
            expanded = expand(raw, home=home, env=env, platform=platform)
            if expanded:
                out.append(GlobalSurface(entry.spec, expanded))
    return out


def existing(pattern: str) -> list[Path]:
    """Files matching an expanded pattern on this machine (a plain path: itself, if present)."""
    if glob.has_magic(pattern):
        return sorted(Path(p) for p in glob.glob(pattern))
    path = Path(pattern)
    return [path] if os.path.lexists(path) else []


class ProjectPattern:
    __slots__ = ("spec", "parts")

    def __init__(self, spec: SurfaceSpec, parts: tuple[str, ...]) -> None:
        self.spec = spec
        self.parts = parts  # relative path split on "/", last part may be a glob


class ProjectIndex:
    """The project surfaces, arranged for a directory walk: which names at a root matter."""

    def __init__(self, library: RuleLibrary, platform: str) -> None:
        self.patterns: list[ProjectPattern] = []
        for entry in library.surfaces:
            if entry.spec.scope is not ScopeKind.PROJECT:
                continue
            for raw in platform_paths(entry, platform):
                self.patterns.append(ProjectPattern(entry.spec, tuple(PurePosixPath(raw).parts)))
        # first path component -> patterns; a walk only looks deeper when the first part exists
        self.by_first: dict[str, list[ProjectPattern]] = {}
        self.first_globs: list[ProjectPattern] = []
        for p in self.patterns:
            if glob.has_magic(p.parts[0]):
                self.first_globs.append(p)
            else:
                self.by_first.setdefault(p.parts[0], []).append(p)

    def marker_names(self) -> set[str]:
        return set(self.by_first)

    def candidates_at(self, root: Path, names: Iterable[str]) -> list[tuple[Path, SurfaceSpec]]:
        """Surface files under `root`, given the names of its entries."""
        found: list[tuple[Path, SurfaceSpec]] = []
        names = list(names)
        for name in names:
            for p in self.by_first.get(name, ()):
                found.extend((path, p.spec) for path in _resolve_rest(root / name, p.parts[1:]))
        for p in self.first_globs:
            for name in names:
                if fnmatch.fnmatchcase(name, p.parts[0]):
                    found.extend((path, p.spec) for path in _resolve_rest(root / name, p.parts[1:]))
        return found

    def match_file(self, path: Path) -> tuple[Path, SurfaceSpec] | None:
        """For a file named explicitly: its project root and surface, by the longest suffix match."""
        parts = path.parts
        best: tuple[int, Path, SurfaceSpec] | None = None
        for p in self.patterns:
            n = len(p.parts)
            if n > len(parts):
                continue
            tail = parts[-n:]
            if all(fnmatch.fnmatchcase(a, b) for a, b in zip(tail, p.parts, strict=True)) and (best is None or n > best[0]):
                best = (n, Path(*parts[:-n]) if len(parts) > n else Path("."), p.spec)
        return (best[1], best[2]) if best else None


def _resolve_rest(base: Path, rest: tuple[str, ...]) -> list[Path]:
    if not rest:
        return [base] if os.path.lexists(base) else []
    if any(glob.has_magic(part) for part in rest):
        pattern = os.path.join(glob.escape(str(base)), *rest)
        return sorted(Path(p) for p in glob.glob(pattern))
    path = base.joinpath(*rest)
    return [path] if os.path.lexists(path) else []


def as_pure(path: str, platform: str) -> PurePath:
    return PureWindowsPath(path) if platform == "windows" else PurePosixPath(path)
