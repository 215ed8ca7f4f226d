"""The one-shot scan driver: discover -> read+hash -> parse -> adapt -> evaluate -> score.

Watch mode and pre-commit call the same functions; nothing here prints or exits.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

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
from sigil_scan.parallel import fork_map, processes_for
from sigil_scan.parsers import ParseError, parse
from sigil_scan.paths import PathDisplay
from sigil_scan.reader import DEFAULT_MAX_BYTES, read_file
from sigil_scan.rubric import Rubric
from sigil_scan.surfaces import current_platform

if TYPE_CHECKING:
    from hashlib import sha256
else:
    try:  # CPython's built-in SHA-256: hashlib first loads OpenSSL (_hashlib), ~3 ms of every run
        from _sha256 import sha256  # 3.11
    except ImportError:  # other versions and interpreters
        try:
            from _sha2 import sha256  # 3.12+
        except ImportError:
            from hashlib import sha256


class ScanOptions:
    """What to scan and how. A plain slotted class: a @dataclass costs ~0.7 ms of import time."""

    __slots__ = ("paths", "home_mode", "home", "platform", "env", "rules_dirs", "max_bytes", "follow_symlinks")

    def __init__(
        self,
        paths: list[Path] | None = None,
        home_mode: bool = False,
        home: Path | None = None,
        platform: str | None = None,
        env: Mapping[str, str] | None = None,
        rules_dirs: list[Path] | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
        follow_symlinks: bool = False,  # follow symlinked guard files out of the scanned roots
    ) -> None:
        self.paths: list[Path] = [Path(".")] if paths is None else paths
        self.home_mode = home_mode
        self.home: Path = Path.home() if home is None else home
        self.platform: str = current_platform() if platform is None else platform
        self.env = env
        self.rules_dirs: list[Path] = [] if rules_dirs is None else rules_dirs
        self.max_bytes = max_bytes
        self.follow_symlinks = follow_symlinks


def fingerprint(rule_id: str, path: str, key_path: tuple[str | int, ...], extra: str = "") -> str:
    """Stable across unrelated edits: rule, file and the key path it points at (never a line)."""
    anchor = "/".join(str(k) for k in key_path)
    data = "\x1f".join((rule_id, path, anchor, extra)).encode("utf-8", "surrogateescape")  # undecodable file names
    return sha256(data).hexdigest()[:32]


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
        allowed = _AllowedRoots(self.options, roots)
        allowed.resolve()  # once, before any fork
        work = list(groups.items())

        def one(group: tuple[tuple[str, Scope], list[Candidate]]) -> tuple[SurfaceAssessment, list[ScanProblem]]:
            (tool, scope), members = group
            found: list[ScanProblem] = []
            return self._assess_group(tool, scope, members, allowed, found, display), found

        surfaces = []
        for surface, found in fork_map(one, work, processes_for(len(work))):  # in group order
            surfaces.append(surface)
            problems.extend(found)
        surfaces.sort(key=lambda s: (s.scope.sort_key(), s.tool))
        return surfaces

    def _assess_group(
        self,
        tool: str,
        scope: Scope,
        members: list[Candidate],
        allowed: _AllowedRoots,
        problems: list[ScanProblem],
        display: PathDisplay,
    ) -> SurfaceAssessment:
        surface = SurfaceAssessment(tool=tool, scope=scope)
        inputs: list[SurfaceInput] = []
        for c in sorted(members, key=lambda m: str(m.path)):
            read = read_file(c.path, max_bytes=self.options.max_bytes, allowed_roots=allowed.for_candidate(c))
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
        reasons = [r._replace(fingerprint=fingerprint(r.rule_id, display(r.file), r.key_path, _anchor_extra(r))) for r in reasons]
        # heaviest kinds first, then file order; repeats are counted in this same order, so the
        # printed arithmetic (sigil explain) reads top to bottom
        reasons.sort(key=lambda r: (-self.rubric.weight_of(r.kind, r.fields)[0], display(r.file), r.line or 0, r.rule_id))
        surface.score, surface.bucket, surface.reasons = self.rubric.score(reasons)
        return surface


class _AllowedRoots:
    """Where a project file may resolve to; the realpath calls run once per assess(), not once
    per candidate file (a home scan has hundreds)."""

    __slots__ = ("_options", "_roots", "_resolved")

    def __init__(self, options: ScanOptions, roots: list[Path]) -> None:
        self._options = options
        self._roots = roots
        self._resolved: tuple[Path, ...] | None = None

    def for_candidate(self, candidate: Candidate) -> tuple[Path, ...] | None:
        if self._options.follow_symlinks or candidate.scope.kind is not ScopeKind.PROJECT:
            # user and managed files are often symlinks into a dotfiles repository: follow them
            return None
        return self.resolve()

    def resolve(self) -> tuple[Path, ...]:
        if self._resolved is None:
            base = [r if r.is_dir() else r.parent for r in self._roots]
            if self._options.home_mode:
                base.append(Path(os.path.abspath(self._options.home)))
            self._resolved = tuple(Path(os.path.realpath(b)) for b in base)
        return self._resolved


def _anchor_extra(reason: Reason) -> str:
    # reasons on the same key path differ by what they name (two servers in one surface-level fact)
    return str(reason.fields.get("server_name") or reason.fields.get("rule") or "")
