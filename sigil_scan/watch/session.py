"""One watch session: full passes (start, reconcile, re-attestation) and debounced change batches.

A batch re-runs the pipeline for the affected surfaces only: the changed path is classified
(project root, global scope, or a track-only target), the candidates of that scope are collected
the way discovery would, and `Scanner.assess` scores just those.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sigil_scan.events import risk_assessed
from sigil_scan.model import Candidate, ScanProblem, Scope, ScopeKind, SurfaceAssessment
from sigil_scan.policy import Effective
from sigil_scan.reader import read_file
from sigil_scan.scan import Scanner
from sigil_scan.state import DriftRecorder, Hint, Observed, StateDB, surface_key
from sigil_scan.surfaces import existing, global_surfaces
from sigil_scan.watch.debounce import Pending
from sigil_scan.watch.plan import Affect, Planner, WatchPlan
from sigil_scan.watch.stats import RateLimiter, Stats
from sigil_scan.watch.tracking import Roots, observe_surfaces, observe_tracked, record_run


def _never(_: str) -> bool:
    return False


def affect_of_key(key: str | None) -> Affect | None:
    if not key or "\x1f" not in key:
        return None
    try:
        scope = json.loads(key.split("\x1f", 1)[1])
    except ValueError:
        return None
    if scope.get("kind") == ScopeKind.PROJECT.value and scope.get("path"):
        return Affect("project", Path(scope["path"]))
    return Affect("global")


class Session:
    def __init__(
        self,
        scanner: Scanner,
        planner: Planner,
        db: StateDB,
        display: Callable[[Any], str],
        eff: Effective,
        stats: Stats,
        limiter: RateLimiter,
    ) -> None:
        self.scanner = scanner
        self.planner = planner
        self.db = db
        self.display = display
        self.eff = eff
        self.stats = stats
        self.limiter = limiter
        opts = scanner.options
        self.roots = [Path(os.path.abspath(p)) for p in opts.paths]
        self.home = Path(os.path.abspath(opts.home))
        self.owner = Roots(self.roots, self.home, opts.home_mode)
        self.recorder = DriftRecorder(db, display)
        self.surfaces: dict[str, SurfaceAssessment] = {}
        self.plan = WatchPlan()

    # -- full passes ---------------------------------------------------------------------------
    def full_pass(self, *, reason: str, emit: Callable[[list[dict[str, Any]]], None]) -> None:
        """reason: start (drift since the last run, every surface reported), reconcile (safety net:
        only what changed), reattest (every surface, is_reattestation when unchanged)."""
        result = self.scanner.scan()
        start = time.perf_counter()
        tracked = observe_tracked(self.eff, self.owner, home=self.home, include_builtin=self.scanner.options.home_mode)
        if tracked:
            per_file = (time.perf_counter() - start) * 1000 / len(tracked)
            self.stats.hash_ms.extend([per_file] * min(len(tracked), 64))
        self.plan = self.planner.build(result.surfaces)
        tracked += self._hook_dir_files(result.surfaces, {o.path for o in tracked})
        quality = "definitive" if reason == "reattest" else "delayed"
        _, changed = record_run(self.db, result, self.display, self.eff, home=self.home, tracked=tracked, quality=quality, emit=lambda evs: emit(self._limit(evs)))
        events: list[dict[str, Any]] = []
        self.surfaces = {surface_key(s): s for s in result.surfaces}
        for s in result.surfaces:
            key = surface_key(s)
            if s.files and (reason != "reconcile" or key in changed):
                events.append(risk_assessed(s, self.display, is_reattestation=key not in changed))
        for problem in result.problems:
            events.append(_problem_event(problem, self.display))
        emit(events)

    def _hook_dir_files(self, surfaces: list[SurfaceAssessment], skip: set[Path]) -> list[Observed]:
        """Scripts in hook convention dirs that no setting references (yet): tracked too, so a
        full pass sees the same files the real-time path does."""
        referenced = {f.path for s in surfaces for f in s.files} | skip
        out: list[Observed] = []
        for hook_dir, affect in self.plan.hook_dirs:
            if not hook_dir.is_dir():
                continue
            key = next((surface_key(s) for s in surfaces if _affect_matches(s, affect)), None)
            for d in sorted(d for d in self.plan.dirs if d == hook_dir or hook_dir in d.parents):
                try:
                    entries = [Path(e.path) for e in os.scandir(d) if e.is_file(follow_symlinks=False)]
                except OSError:
                    continue
                for path in sorted(entries):
                    if path not in referenced:
                        read = read_file(path)
                        out.append(Observed(path, read.blake3, read.size, key, "hooks-dir", self.owner.of(path)))
        return out

    # -- change batches ------------------------------------------------------------------------
    def handle(self, batch: list[Pending], now: float, emit: Callable[[list[dict[str, Any]]], None]) -> None:
        scopes: dict[tuple[str, str], Affect] = {}
        hints: dict[Path, Hint] = {}
        gone: list[Path] = []
        tracked: list[Observed] = []
        hook_files: list[tuple[Path, Affect]] = []
        for entry in batch:
            path = entry.path
            exists = os.path.lexists(path)
            if exists and os.path.isdir(path):
                continue
            rename_from = entry.rename_from if entry.rename_from is not None and self.db.file(os.fspath(entry.rename_from)) else None
            hints[path] = Hint(entry.quality(now, exists=exists), rename_from)
            affects = self.planner.classify(self.plan, path)
            row = self.db.file(os.fspath(path))
            if row is not None:
                by_key = affect_of_key(row.surface_key)
                if by_key is not None:
                    affects.append(by_key)
                elif row.target_id and not any(a.kind == "tracked" for a in affects):
                    affects.append(Affect("tracked", target=row.target_id))
            if rename_from is not None:
                src_row = self.db.file(os.fspath(rename_from))
                src_affect = affect_of_key(src_row.surface_key if src_row else None)
                if src_affect is not None:
                    affects.append(src_affect)
            if not affects:
                continue
            if not exists:
                gone.append(path)
            for a in affects:
                if a.kind == "tracked":
                    if exists:
                        t0 = time.perf_counter()
                        read = read_file(path)
                        self.stats.hash_ms.append((time.perf_counter() - t0) * 1000)
                        tracked.append(Observed(path, read.blake3, read.size, None, a.target, self.owner.of(path)))
                else:
                    scopes[(a.kind, os.fspath(a.root or ""))] = a
                    if exists and any(hd in path.parents for hd, _ in self.plan.hook_dirs):
                        hook_files.append((path, a))
        surfaces: list[SurfaceAssessment] = []
        problems: list[ScanProblem] = []
        for affect in scopes.values():
            t0 = time.perf_counter()
            assessed = self.scanner.assess(self._candidates(affect), self.roots, problems)
            files = sum(len(s.files) for s in assessed)
            if files:
                self.stats.hash_ms.extend([(time.perf_counter() - t0) * 1000 / files] * min(files, 64))
            surfaces.extend(assessed)
        observed = observe_surfaces(surfaces, self.owner, self.eff.disabled) + tracked
        covered = {o.path for o in observed}
        for path, affect in hook_files:
            if path not in covered:  # a script in a hooks dir that no setting references (yet)
                read = read_file(path)
                key = next((surface_key(s) for s in surfaces if _affect_matches(s, affect)), None)
                observed.append(Observed(path, read.blake3, read.size, key, "hooks-dir", self.owner.of(path)))
        with self.db.transaction():
            events = self.recorder.files(observed, gone, quiet=_never, hints=hints, default=Hint("best_effort"))
            drift, changed = self.recorder.surfaces(surfaces, quiet=_never, root_of=lambda s: "")
            any_change = bool(events)
            events = self._limit(events) + drift
            self._reassessed(surfaces, changed, any_change, events)
            for problem in problems:
                events.append(_problem_event(problem, self.display))
            self.db.outbox_add(events)  # commits with the state it describes (see record_run)
        self.db.outbox_flush(emit)

    def _reassessed(self, surfaces: list[SurfaceAssessment], changed: set[str], any_change: bool, events: list[dict[str, Any]]) -> None:
        for s in surfaces:
            key = surface_key(s)
            self.surfaces[key] = s
            # a change in the batch re-scores the scopes it touched (a hook script edit included,
            # even when no rule had to read the script); unchanged scopes stay quiet
            if s.files and (key in changed or any_change):
                events.append(risk_assessed(s, self.display, is_reattestation=False))

    def _candidates(self, affect: Affect) -> list[Candidate]:
        lib = self.scanner.library
        disabled = self.eff.disabled
        out: list[Candidate] = []
        if affect.kind == "project" and affect.root is not None:
            root = affect.root
            try:
                names = os.listdir(root)
            except OSError:
                return []
            for path, spec in self.planner.index.candidates_at(root, names):
                if not spec.track_only and spec.id not in disabled:
                    out.append(Candidate(path, spec, Scope(ScopeKind.PROJECT, path=root)))
            return out
        claimed: set[Path] = set()
        opts = self.scanner.options
        for g in global_surfaces(lib, platform=opts.platform, home=opts.home, env=opts.env):
            if g.spec.track_only or g.spec.id in disabled:
                continue
            for path in existing(g.pattern):
                if path not in claimed:
                    claimed.add(path)
                    out.append(Candidate(path, g.spec, Scope(g.spec.scope, app=g.spec.app)))
        return out

    def _limit(self, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Per-target rate limit on file_change events (critical targets get 5x the budget)."""
        now = time.monotonic()
        out = []
        for e in events:
            if e["evidence"]["kind"] == "file_change":
                target = e.get("target_id") or "untargeted"
                t = self.eff.target(target)
                weight = 5 if t is not None and t.tier == "critical" else 1
                if not self.limiter.allow(target, e["subject"]["value"], now, weight=weight):
                    continue
            out.append(e)
        return out

    def rate_limit_events(self) -> list[dict[str, Any]]:
        from sigil_scan.events import envelope

        return [envelope(ev, subject={"kind": "self"}, severity="warn", target_id=ev["target_id"]) for ev in self.limiter.closed(time.monotonic())]


def _affect_matches(s: SurfaceAssessment, affect: Affect) -> bool:
    if affect.kind == "project":
        return s.scope.kind is ScopeKind.PROJECT and s.scope.path is not None and Path(os.path.abspath(s.scope.path)) == affect.root
    return s.scope.kind is not ScopeKind.PROJECT


def _problem_event(problem: ScanProblem, display: Callable[[Any], str]) -> dict[str, Any]:
    from sigil_scan.events import envelope

    subject = {"kind": "path", "value": display(problem.path)} if problem.path else {"kind": "self"}
    return envelope({"kind": "scan_problem", "problem": problem.kind, "message": problem.message}, subject=subject, severity="warn")
