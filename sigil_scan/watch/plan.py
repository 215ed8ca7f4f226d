"""Which directories to watch, and what a changed path means (which surface to re-assess).

Every watch is a non-recursive directory watch added by us (perf-notes §5: recursive mode
cannot prune and a home directory must never be watched recursively). Parents of surface files
are watched, so a file that does not exist yet is seen when it is created; when a directory on
the way is missing, its nearest existing ancestor is watched and the plan is rebuilt when a
directory appears. Hook convention directories (`.claude/hooks`) are walked and each subdir
watched, with the discovery prune list applied.
"""

from __future__ import annotations

import fnmatch
import glob
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sigil_scan.engine.library import RuleLibrary
from sigil_scan.model import ScopeKind, SurfaceAssessment
from sigil_scan.policy import Effective
from sigil_scan.surfaces import ProjectIndex, expand, global_surfaces

HOOK_DIRS = (".claude/hooks",)  # convention dirs watched recursively (agent-surfaces.md §1.1)
_PRUNE = {".git", "node_modules", "__pycache__", ".venv", "venv", ".tox", "dist", "build"}
MAX_HOOK_DIRS = 2_000


@dataclass(frozen=True, slots=True)
class Affect:
    """What a changed path asks for: re-assess a scope, or just hash a tracked target's file."""

    kind: str  # global | project | tracked
    root: Path | None = None  # project root
    target: str | None = None  # tracked target id


@dataclass(slots=True)
class WatchPlan:
    dirs: set[Path] = field(default_factory=set)
    project_roots: set[Path] = field(default_factory=set)
    hook_dirs: list[tuple[Path, Affect]] = field(default_factory=list)
    global_patterns: list[str] = field(default_factory=list)
    tracked_patterns: list[tuple[str, str, bool]] = field(default_factory=list)  # pattern, target, recursive


def _static_prefix(pattern: str) -> Path:
    parts = Path(pattern).parts
    out: list[str] = []
    for part in parts:
        if glob.has_magic(part):
            break
        out.append(part)
    return Path(*out) if out else Path(".")


def _existing_ancestor(path: Path, stop: Path | None = None) -> Path | None:
    p = path
    while not p.is_dir():
        if stop is not None and p == stop:
            return None
        if p.parent == p:
            return None
        p = p.parent
    return p


def _walk_dirs(top: Path, limit: int) -> list[Path]:
    out: list[Path] = []
    stack = [top]
    while stack and len(out) < limit:
        d = stack.pop()
        out.append(d)
        try:
            with os.scandir(d) as it:
                stack.extend(Path(e.path) for e in it if e.name not in _PRUNE and e.is_dir(follow_symlinks=False))
        except OSError:
            continue
    return out


class Planner:
    def __init__(self, library: RuleLibrary, *, platform: str, home: Path, home_mode: bool, roots: Iterable[Path], eff: Effective | None, env: Mapping[str, str] | None = None) -> None:
        self.library = library
        self.platform = platform
        self.home = Path(os.path.abspath(home))
        self.home_mode = home_mode
        self.roots = [Path(os.path.abspath(r)) for r in roots if Path(r).is_dir()]
        self.eff = eff
        self.env = os.environ if env is None else env
        self.index = ProjectIndex(library, platform)
        self.extra_projects: set[Path] = set()  # project roots found in directories created later
        self.extra_dirs: set[Path] = set()  # directories created under a root after the start

    def build(self, surfaces: Iterable[SurfaceAssessment]) -> WatchPlan:
        plan = WatchPlan()
        disabled = self.eff.disabled if self.eff else set()
        if self.home_mode:
            for g in global_surfaces(self.library, platform=self.platform, home=self.home, env=self.env):
                if g.spec.track_only or g.spec.id in disabled:
                    continue
                plan.global_patterns.append(g.pattern)
                self._watch_parent(plan, g.pattern)
            for rel in HOOK_DIRS:
                self._hook_dir(plan, self.home / rel, Affect("global"))
        if self.eff is not None:
            for t in self.eff.targets:
                if not t.track_only or (t.builtin and not self.home_mode):
                    continue
                for raw in t.paths:
                    pattern = expand(raw, home=self.home, env=self.env, platform=self.platform)
                    if not pattern:
                        continue
                    plan.tracked_patterns.append((pattern, t.id, t.recursive))
                    if t.recursive and Path(pattern).is_dir():
                        plan.dirs.update(_walk_dirs(Path(pattern), MAX_HOOK_DIRS))
                    else:
                        self._watch_parent(plan, pattern)
        # the home directory itself is not a project (its .claude/ is the user-global scope)
        projects = {r for r in self.roots if not (self.home_mode and r == self.home)} | self.extra_projects
        plan.dirs.update(d for d in self.extra_dirs if d.is_dir())
        for s in surfaces:
            if s.scope.kind is ScopeKind.PROJECT and s.scope.path is not None:
                projects.add(Path(os.path.abspath(s.scope.path)))
            for f in s.files:
                if f.role == "hook_script":
                    parent = _existing_ancestor(Path(f.path).parent)
                    if parent is not None:
                        plan.dirs.add(parent)
        for p in sorted(projects):
            self._project(plan, p)
        return plan

    def _watch_parent(self, plan: WatchPlan, pattern: str) -> None:
        parent = _static_prefix(pattern) if glob.has_magic(pattern) else Path(pattern).parent
        found = _existing_ancestor(parent)
        if found is not None:
            plan.dirs.add(found)

    def _hook_dir(self, plan: WatchPlan, path: Path, affect: Affect) -> None:
        plan.hook_dirs.append((path, affect))
        if path.is_dir():
            plan.dirs.update(_walk_dirs(path, MAX_HOOK_DIRS))
        else:
            found = _existing_ancestor(path)
            if found is not None:
                plan.dirs.add(found)

    def _project(self, plan: WatchPlan, root: Path) -> None:
        plan.project_roots.add(root)
        plan.dirs.add(root)
        for p in self.index.patterns:
            if p.spec.track_only or len(p.parts) < 2:
                continue
            parent = root.joinpath(*p.parts[:-1])
            found = _existing_ancestor(_static_prefix(str(parent)), stop=root)
            plan.dirs.add(found or root)
        for rel in HOOK_DIRS:
            self._hook_dir(plan, root / rel, Affect("project", root))

    def new_directory(self, path: Path) -> list[Path]:
        """A directory appeared under a scan root (a fresh clone, a new .claude/): watch it and
        return the surface files already inside (created before the watch existed)."""
        from sigil_scan.discover import discover

        absolute = Path(os.path.abspath(path))
        if absolute.name in _PRUNE or not absolute.is_dir():
            return []
        if not any(r in absolute.parents for r in self.roots):
            return []
        self.extra_dirs.add(absolute)
        found = discover([absolute], self.library, home_mode=False, home=self.home, platform=self.platform, env=self.env)
        for c in found.candidates:
            if c.scope.path is not None and not c.explicit:
                self.extra_projects.add(Path(os.path.abspath(c.scope.path)))
        return [c.path for c in found.candidates]

    def classify(self, plan: WatchPlan, path: Path) -> list[Affect]:
        """The scopes a changed path belongs to (empty: not ours, ignore it)."""
        text = os.fspath(path)
        out: list[Affect] = []
        for pattern in plan.global_patterns:
            if fnmatch.fnmatchcase(text, pattern):
                out.append(Affect("global"))
                break
        for pattern, target, recursive in plan.tracked_patterns:
            if fnmatch.fnmatchcase(text, pattern) or (recursive and text.startswith(pattern.rstrip(os.sep) + os.sep)):
                out.append(Affect("tracked", target=target))
                break
        for hook_dir, affect in plan.hook_dirs:
            if hook_dir in path.parents:
                out.append(affect)
        match = self.index.match_file(path)
        if match is not None and not match[1].track_only:
            root = Path(os.path.abspath(match[0]))
            if root != self.home and (root in plan.project_roots or any(r == root or r in root.parents for r in self.roots)):
                out.append(Affect("project", root))
        return out
