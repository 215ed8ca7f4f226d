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
    __slots__ = ("spec", "parts", "rest", "rest_magic", "first_magic")

    def __init__(self, spec: SurfaceSpec, parts: tuple[str, ...]) -> None:
        self.spec = spec
        self.parts = parts  # relative path split on "/", last part may be a glob
        self.rest = parts[1:]  # below the first part (the walk's marker name)
        self.rest_magic = any(glob.has_magic(part) for part in self.rest)
        self.first_magic = bool(self.rest) and glob.has_magic(self.rest[0])


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
        """Surface files under `root`, given the names of its entries as the caller just listed
        them (in that order)."""
        found: list[tuple[Path, SurfaceSpec]] = []
        names = list(names)
        top = _Listing(os.fspath(root), listed=True)
        by_first = self.by_first
        for name in names:
            patterns = by_first.get(name)
            if patterns:
                _resolve_under(top, root, name, patterns, found)
        for p in self.first_globs:
            for name in names:
                if fnmatch.fnmatchcase(name, p.parts[0]):
                    _resolve_under(top, root, name, (p,), found)
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


class _Listing:
    """One directory's entries, read once: stands in for one lstat (or one glob that finds
    nothing) per catalogue name below a marker such as `.claude` (7 names, most of them absent).
    Answers are what os.path.lexists(path/name) would say, which is what was asked before."""

    __slots__ = ("path", "names", "folded", "searchable")

    def __init__(self, path: str, *, listed: bool = False) -> None:
        self.path = path
        self.folded: frozenset[str] | None = None
        # A listed name is not yet a reachable one: a directory that is readable but not
        # searchable (r without x) lists its names, and lstat of each fails. One successful
        # lstat of a listed name settles it for the directory.
        self.searchable = False
        self.names: frozenset[str] | None = None
        if listed:
            return  # the caller holds the names and only asks about listed ones
        try:
            self.names = frozenset(os.listdir(path))
        except (FileNotFoundError, NotADirectoryError):
            self.names = frozenset()  # a file, a dangling link, gone: nothing lies below it
        except (OSError, ValueError):
            pass  # e.g. searchable but not readable (x without r): ask per name, as before

    def reachable(self, name: str) -> bool:
        """For a name known to be listed here."""
        if self.searchable:
            return True
        self.searchable = os.path.lexists(os.path.join(self.path, name))
        return self.searchable

    def has(self, name: str) -> bool:
        names = self.names
        if names is not None:
            if name in names:
                return self.reachable(name)
            # A case-insensitive file system (macOS, Windows, ext4 casefold) also finds the name
            # in another case: the file system decides then, as it did before the listing.
            if self.folded is None:
                self.folded = frozenset(n.casefold() for n in names)
            if name.casefold() not in self.folded:
                return False
        return os.path.lexists(os.path.join(self.path, name))


def _resolve_under(
    top: _Listing, root: Path, name: str, patterns: Iterable[ProjectPattern], found: list[tuple[Path, SurfaceSpec]]
) -> None:
    """Append the files under root/name (a listed entry of root) that match each pattern's rest,
    in pattern order. A Path is built only for what is found (one costs ~2 µs to make)."""
    below: _Listing | None = None
    for p in patterns:
        rest = p.rest
        if not rest:
            if top.reachable(name):
                found.append((root / name, p.spec))
            continue
        if below is None:
            below = _Listing(os.path.join(root, name))
        if not p.first_magic and not below.has(rest[0]):
            continue  # `.claude/agents/*.md` without `.claude/agents`: no glob to run
        if p.rest_magic:
            found.extend((path, p.spec) for path in _glob_rest(root / name, rest))
            continue
        path = root.joinpath(name, *rest)
        if len(rest) == 1 or os.path.lexists(path):
            found.append((path, p.spec))


def _glob_rest(base: Path, rest: tuple[str, ...]) -> list[Path]:
    """Files matching `base/<rest>` where rest holds a glob, sorted (glob.glob's own semantics:
    hidden names need a leading dot in the pattern, directories on the way may be links)."""
    pattern = os.path.join(glob.escape(str(base)), *rest)
    return sorted(Path(p) for p in glob.glob(pattern))


def as_pure(path: str, platform: str) -> PurePath:
    return PureWindowsPath(path) if platform == "windows" else PurePosixPath(path)
