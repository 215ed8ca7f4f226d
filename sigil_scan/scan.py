"""The one-shot scan driver: discover -> read+hash -> parse -> adapt -> evaluate -> score.

Watch mode and pre-commit call the same functions; nothing here prints or exits.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from sigil_scan.adapters import AdaptContext, adapt
from sigil_scan.discover import discover
from sigil_scan.engine.context import EvalContext
from sigil_scan.engine.evaluate import Evaluator, SurfaceInput
from sigil_scan.engine.library import RuleLibrary, load_library
from sigil_scan.model import (
    Candidate,
    Fact,
    Reason,
    ScanProblem,
    ScanResult,
    Scope,
    ScopeKind,
    SourceFile,
    SurfaceAssessment,
)
from sigil_scan.parsers import ParseError, parse
from sigil_scan.paths import PathDisplay
from sigil_scan.reader import DEFAULT_MAX_BYTES, read_file
from sigil_scan.rubric import Rubric
from sigil_scan.surfaces import current_platform


@dataclass(slots=True)
class ScanOptions:
    paths: list[Path] = field(default_factory=lambda: [Path(".")])
    home_mode: bool = False
    home: Path = field(default_factory=Path.home)
    platform: str = field(default_factory=current_platform)
    env: Mapping[str, str] | None = None
    rules_dirs: list[Path] = field(default_factory=list)
    max_bytes: int = DEFAULT_MAX_BYTES
    follow_symlinks: bool = False  # follow symlinked guard files out of the scanned roots


def fingerprint(rule_id: str, path: str, key_path: tuple[str | int, ...], extra: str = "") -> str:
    """Stable across unrelated edits: rule, file and the key path it points at (never a line)."""
    anchor = "/".join(str(k) for k in key_path)
    data = "\x1f".join((rule_id, path, anchor, extra)).encode("utf-8", "surrogateescape")  # undecodable file names
    return hashlib.sha256(data).hexdigest()[:32]


def display_roots(roots: list[Path], explicit_projects: Iterable[Path]) -> list[Path]:
    """Scan roots plus the project root of each file named on the command line, outermost first.

    A named file then shows as `.claude/settings.json`, not `settings.json`, so pre-commit (which
    passes files) and a directory scan print the same paths and compute the same fingerprints.
    """
    extra = sorted({Path(os.path.abspath(p)) for p in explicit_projects}, key=lambda p: (len(p.parts), str(p)))
    return [*roots, *extra]


def _file_error(candidate: Candidate, kind: str, message: str, line: int | None = None) -> Fact:
    return Fact("file_error", {"error_kind": kind, "message": message}, candidate.path, (), line)


class Scanner:
    """Holds the loaded library; scan() may be called many times (watch mode does)."""

    def __init__(self, options: ScanOptions, library: RuleLibrary | None = None) -> None:
        self.options = options
        self.library = library or load_library(options.rules_dirs)
        self.rubric = Rubric(self.library.rubric)
        self.evaluator = Evaluator(self.library.rules, self.rubric)

    def scan(self) -> ScanResult:
        opts = self.options
        roots = [Path(os.path.abspath(p)) for p in opts.paths]
        found = discover(roots, self.library, home_mode=opts.home_mode, home=opts.home, platform=opts.platform, env=opts.env)
        result = ScanResult(roots=roots, home_mode=opts.home_mode, problems=list(found.problems), files_seen=found.files_seen)
        result.surfaces = self.assess(found.candidates, roots, result.problems)
        return result

    def assess(self, candidates: list[Candidate], roots: list[Path], problems: list[ScanProblem]) -> list[SurfaceAssessment]:
        """Assess a set of candidate files, grouped into (tool, scope) surfaces."""
        groups: dict[tuple[str, Scope], list[Candidate]] = {}
        for c in candidates:
            groups.setdefault((c.spec.tool, c.scope), []).append(c)
        display = PathDisplay(display_roots(roots, (c.scope.path for c in candidates if c.explicit and c.scope.path)), self.options.home)
        surfaces = [self._assess_group(tool, scope, members, roots, problems, display) for (tool, scope), members in groups.items()]
        surfaces.sort(key=lambda s: (s.scope.sort_key(), s.tool))
        return surfaces

    def _allowed_roots(self, candidate: Candidate, roots: list[Path]) -> tuple[Path, ...] | None:
        if self.options.follow_symlinks or candidate.scope.kind is not ScopeKind.PROJECT:
            # user and managed files are often symlinks into a dotfiles repository: follow them
            return None
        base = [r if r.is_dir() else r.parent for r in roots]
        if self.options.home_mode:
            base.append(Path(os.path.abspath(self.options.home)))
        return tuple(Path(os.path.realpath(b)) for b in base)

    def _assess_group(
        self,
        tool: str,
        scope: Scope,
        members: list[Candidate],
        roots: list[Path],
        problems: list[ScanProblem],
        display: PathDisplay,
    ) -> SurfaceAssessment:
        surface = SurfaceAssessment(tool=tool, scope=scope)
        inputs: list[SurfaceInput] = []
        for c in sorted(members, key=lambda m: str(m.path)):
            read = read_file(c.path, max_bytes=self.options.max_bytes, allowed_roots=self._allowed_roots(c, roots))
            surface.files.append(SourceFile(c.path, read.blake3, read.size, c.spec.role, c.spec.id))
            item = SurfaceInput(c.path, c.spec.role, c.spec.id, c.spec.shared, None)
            inputs.append(item)
            if read.data is None:
                kind = read.error_kind or "io_error"
                item.facts.append(_file_error(c, kind, read.error or "unreadable"))
                if kind in ("permission_missing", "io_error"):
                    problems.append(ScanProblem(c.path, kind, f"{c.path}: {read.error}"))
                continue
            try:
                document, notes = parse(c.path, read.data, c.spec.format)
            except ParseError as exc:
                item.facts.append(_file_error(c, "parse", str(exc), exc.line))
                continue
            surface.errors.extend(f"{display(c.path)}: {n}" for n in notes + document.notes)
            item.document = document
            context = AdaptContext(tool, scope, c.spec.role, c.spec.id, self.options.home, c.spec.shared)
            try:
                item.facts.extend(adapt(tool, c.spec.role, document, context))
            except (RecursionError, MemoryError) as exc:  # pathological nesting survived the parser
                item.facts.append(_file_error(c, "parse", f"structure too deep to assess: {type(exc).__name__}"))
        ctx = EvalContext(
            patterns=self.library.patterns,
            home=self.options.home,
            project_dir=scope.path,
            tool=tool,
            scope_kind=scope.kind.value,
        )
        reasons = self.evaluator.evaluate(inputs, ctx)
        # managed settings are reported as controls: listed, never scored, never hiding a finding
        surface.controls = [f for item in inputs for f in item.facts if f.kind == "control"]
        for path, digest, size in ctx.files_read:
            if all(f.path != path for f in surface.files):
                surface.files.append(SourceFile(path, digest, size, "hook_script", "hook-script"))
        reasons = [replace(r, fingerprint=fingerprint(r.rule_id, display(r.file), r.key_path, _anchor_extra(r))) for r in reasons]
        # heaviest kinds first, then file order; repeats are counted in this same order, so the
        # printed arithmetic (sigil explain) reads top to bottom
        reasons.sort(key=lambda r: (-self.rubric.weight_of(r.kind, r.fields)[0], display(r.file), r.line or 0, r.rule_id))
        surface.score, surface.bucket, surface.reasons = self.rubric.score(reasons)
        return surface


def _anchor_extra(reason: Reason) -> str:
    # reasons on the same key path differ by what they name (two servers in one surface-level fact)
    return str(reason.fields.get("server_name") or reason.fields.get("rule") or "")
