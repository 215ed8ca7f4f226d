"""`sigil scan` and `sigil explain`.

The scan command is a sequence of steps, each a small function below, so that each feature
(packs, suppressions, state/drift, spool, watch) owns one place:
  load_scan_library -> Scanner.scan -> apply_project_policy -> record_state -> emit -> exit code
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from sigil_scan.commands.argparsing import DIRECTORY, FILE, AppendTuple, Leaf, PathArg
from sigil_scan.commands.common import (
    INCOMPLETE_KINDS,
    echo,
    fail,
    split_home,
    use_colour,
    write_output,
)
from sigil_scan.errors import SigilError
from sigil_scan.formats import FORMATS
from sigil_scan.model import Bucket, ScanResult

FAIL_ON = ("low", "medium", "high", "critical", "never")


class ScanRequest:
    """Everything the user asked for on the command line (a plain class: no dataclasses import
    on the scan path)."""

    __slots__ = (
        "paths", "home_flag", "fmt", "output", "fail_on", "rules_dirs", "follow_symlinks", "colour", "quiet", "verbose",
        "baseline", "write_baseline", "config", "exit_zero", "project", "justifications",
        "packs", "trust", "state_db", "spool", "policy", "watch", "poll", "extra",
    )  # fmt: skip

    def __init__(
        self,
        *,
        paths: tuple[Path, ...] = (),
        home_flag: bool = False,
        fmt: str = "text",
        output: Path | None = None,
        fail_on: str = "high",
        rules_dirs: tuple[Path, ...] = (),
        follow_symlinks: bool = False,
        colour: str = "auto",
        quiet: bool = False,
        verbose: bool = False,
        baseline: Path | None = None,
        write_baseline: Path | None = None,
        config: Path | None = None,
        exit_zero: bool = False,
        project: Any = None,
        justifications: dict[str, str] | None = None,
        packs: tuple[Path, ...] = (),
        trust: Path | None = None,
        state_db: Path | None = None,
        spool: Path | None = None,
        policy: Path | None = None,
        watch: bool = False,
        poll: bool = False,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.paths = paths
        self.home_flag = home_flag
        self.fmt = fmt
        self.output = output
        self.fail_on = fail_on
        self.rules_dirs = rules_dirs
        self.follow_symlinks = follow_symlinks
        self.colour = colour
        self.quiet = quiet
        self.verbose = verbose
        # CI: baselines, suppressions, project config (sigil_scan/suppress.py)
        self.baseline = baseline
        self.write_baseline = write_baseline
        self.config = config
        self.exit_zero = exit_zero
        self.project = project  # suppress.ProjectConfig once loaded
        self.justifications: dict[str, str] = {} if justifications is None else justifications  # fingerprint -> why suppressed
        # signed rule packs (sigil_scan/packs/)
        self.packs = packs
        self.trust = trust
        # state, drift, spool, watch (sigil_scan/state.py, spool.py, watch/)
        self.state_db = state_db
        self.spool = spool
        self.policy = policy
        self.watch = watch
        self.poll = poll
        self.extra: dict[str, Any] = {} if extra is None else extra

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"ScanRequest({fields})"


def load_scan_library(req: ScanRequest) -> Any:
    """The bundled library, --rules directories, then verified signed packs on top: installed
    ones (packs dir) and --pack files. Sets req.extra["pack_events"] / ["pack_problems"]."""
    from sigil_scan.engine.library import load_library
    from sigil_scan.locations import packs_dir

    key = (req.rules_dirs, req.packs, req.trust, req.state_db)
    cached = req.extra.get("library")
    if cached is not None and cached[0] == key:  # called again (policy merge): verify once
        return cached[1]
    library = load_library(list(req.rules_dirs))
    installed = packs_dir()
    if req.packs or (installed.is_dir() and any(installed.glob("*.sigpack"))):
        from sigil_scan.packs.apply import load_for_scan  # nacl/sqlite only when packs exist

        library, req.extra["pack_events"], req.extra["pack_problems"] = load_for_scan(
            library, packs=req.packs, trust_path=req.trust, state_db=req.state_db, text_format=req.fmt == "text", quiet=req.quiet
        )
    req.extra["library"] = (key, library)
    return library


def run(req: ScanRequest) -> tuple[ScanResult, Any, Any]:
    from sigil_scan.model import ScopeKind
    from sigil_scan.paths import PathDisplay
    from sigil_scan.scan import Scanner, ScanOptions, display_roots

    roots, home_mode, home = split_home(req.paths, req.home_flag)
    options = ScanOptions(paths=roots, home_mode=home_mode, home=home, rules_dirs=list(req.rules_dirs), follow_symlinks=req.follow_symlinks)
    scanner = Scanner(options, load_scan_library(req))
    for warning in scanner.library.warnings:
        echo(f"sigil: warning: {warning}", err=True)
    progress = home_mode and sys.stderr.isatty() and not req.quiet
    if progress:
        echo(f"sigil: scanning {home} ...", err=True, nl=False)
    result = scanner.scan()
    result.problems.extend(req.extra.get("pack_problems", []))  # a refused --pack: exit 2
    if progress:
        echo("\r\x1b[K", err=True, nl=False)
    named = {r for r in result.roots if r.is_file()}
    projects = (s.scope.path for s in result.surfaces if s.scope.kind is ScopeKind.PROJECT and s.scope.path and any(f.path in named for f in s.files))
    return result, PathDisplay(display_roots(result.roots, projects), home), scanner


def load_project_config(req: ScanRequest) -> None:
    """Before the scan: find .sigil.yaml (or --config) and add its rule directories."""
    from sigil_scan.projectfile import find_config

    roots, home_mode, _home = split_home(req.paths, req.home_flag)
    path = req.config or find_config(roots, home_mode=home_mode)
    if path is None:
        return
    from sigil_scan import suppress

    req.project = suppress.load_config(path)
    req.rules_dirs = (*req.rules_dirs, *req.project.rules_dirs)


def apply_project_policy(req: ScanRequest, result: ScanResult, display: Any, scanner: Any) -> None:
    """Suppressions from a project config (.sigil.yaml) and a baseline; may change req.fail_on."""
    if req.project is None and req.baseline is None and req.write_baseline is None:
        return
    from sigil_scan import suppress
    from sigil_scan.resources import rules_dir

    if req.project is not None:
        bundled = {p.stem for p in (rules_dir() / "rules").rglob("*.y*ml")}
        suppress.check_config_rules(req.project, scanner.library, bundled)
        for warning in req.project.warnings:
            echo(f"sigil: warning: {warning}", err=True)
        req.fail_on = req.fail_on or req.project.fail_on or ""
    baseline = suppress.read_baseline(req.baseline) if req.baseline is not None else None
    req.justifications = suppress.apply(result, display, scanner.rubric, req.project, baseline)
    if req.write_baseline is not None:
        document = suppress.baseline_document(result, display)
        suppress.write_baseline(req.write_baseline, document)
        # the run reports what the next run with this baseline will report: nothing new
        written = {f["fingerprint"] for f in document["findings"]}
        req.justifications.update(suppress.apply(result, display, scanner.rubric, None, written))
        req.baseline = req.write_baseline


def record_state(req: ScanRequest, result: ScanResult, display: Any) -> list[dict[str, Any]]:
    """With --state-db: file_change and ai_guard_toggle_drift events since the last run."""
    if not req.state_db:
        return []
    from sigil_scan.state import StateDB
    from sigil_scan.watch.tracking import record_run

    eff = effective_policy(req)
    db = StateDB(req.state_db)

    def spool_first(events: list[dict[str, Any]]) -> None:
        # with --spool the drift events go through state.db's outbox: committed with the state,
        # then appended; a crash in between re-sends them next run (emit_to_spool skips them later)
        _set_host_id(req, events)
        _spool_writer(req).append_many(events)
        req.extra.setdefault("spooled", set()).update(e["event_id"] for e in events)

    try:
        return record_run(db, result, display, eff, home=split_home(req.paths, req.home_flag)[2], emit=spool_first if req.spool else None)[0]
    finally:
        db.close()


def _spool_writer(req: ScanRequest) -> Any:
    from sigil_scan.spool import SpoolWriter

    if "spool_writer" not in req.extra:
        assert req.spool is not None
        req.extra["spool_writer"] = SpoolWriter(req.spool)
    return req.extra["spool_writer"]


def _set_host_id(req: ScanRequest, events: list[dict[str, Any]]) -> None:
    if req.policy:
        from sigil_scan.policy import resolve_host_id

        host = resolve_host_id(effective_policy(req))
        for event in events if host else ():
            event["host_id"] = host


def effective_policy(req: ScanRequest) -> Any:
    """The merged --policy (built-in targets included); None without --policy and outside home mode."""
    from sigil_scan.policy import load_policy, merge
    from sigil_scan.surfaces import current_platform

    if "policy" not in req.extra:
        policy = load_policy(req.policy) if req.policy else None
        _, home_mode, home = split_home(req.paths, req.home_flag)
        req.extra["policy"] = merge(policy, load_scan_library(req), platform=current_platform(), home=home) if policy or home_mode else None
    return req.extra["policy"]


def emit_to_spool(req: ScanRequest, events: list[dict[str, Any]]) -> None:
    """With --spool: append every event durably to the spool for the uploader."""
    _set_host_id(req, events)
    if req.spool:
        from sigil_scan.watch.sink import enforce_retention

        done = req.extra.get("spooled", set())
        with _spool_writer(req) as writer:
            writer.append_many(e for e in events if e["event_id"] not in done)
            enforce_retention(writer)


def exit_code(result: ScanResult, fail_on: str) -> int:
    if any(p.kind in INCOMPLETE_KINDS for p in result.problems):
        return 2
    if fail_on == "never":
        return 0
    threshold = Bucket.parse(fail_on)
    hit = any(s.bucket >= threshold and any(not r.suppressed_by for r in s.reasons) for s in result.surfaces)
    return 1 if hit else 0


def scan_arguments(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add("paths", nargs="*", type=PathArg(), metavar="PATHS")
    add("--home", dest="home_flag", action="store_true", help="Scan the home directory: user-global surfaces and every repository under it.")
    add("--format", dest="fmt", choices=FORMATS, default="text", help="Report format.  [default: text]")
    add("-o", "--output", type=FILE, metavar="FILE", help="Write the report to this file instead of stdout.")
    add("--fail-on", choices=FAIL_ON, default=None, help="Exit 1 when a surface's bucket reaches this level [default: high].")
    add("--exit-zero", action="store_true", help="Exit 0 even with findings (errors still exit 2).")
    add("--rules", dest="rules_dirs", action=AppendTuple, default=(), type=DIRECTORY, metavar="DIRECTORY", help="Extra rule directory (repeatable).")
    add("--pack", dest="packs", action=AppendTuple, default=(), type=FILE, metavar="FILE", help="Signed rule pack to load (repeatable); verified first.")
    add("--trust", type=FILE, metavar="FILE", help="Trust store of rule-pack signing keys.")
    add("--baseline", type=FILE, metavar="FILE", help="Report only findings not in this baseline file.")
    add("--write-baseline", type=FILE, metavar="FILE", help="Write the current findings as a baseline file.")
    add("--config", type=FILE, metavar="FILE", help="Project config (default: .sigil.yaml at the scanned root).")
    add("--state-db", type=FILE, metavar="FILE", help="State database: report file changes and drift since the last run.")
    add("--spool", type=DIRECTORY, metavar="DIRECTORY", help="Append events durably to this spool directory (for `sigil upload`).")
    add("--policy", type=FILE, metavar="FILE", help="Policy YAML (targets, workspace roots, host id strategy).")
    add("--watch", action="store_true", help="Keep running: re-score a surface the moment one of its files changes.")
    add("--poll", action="store_true", help="With --watch: poll instead of kernel notifications (NFS, 9p, containers).")
    add("--example", action="store_true", help="Scan the example repository bundled with sigil-scan (a quick demo).")
    add("--follow-symlinks", action="store_true", help="Read guard files that are symlinks to outside the scanned root.")
    add("--color", dest="colour", choices=("auto", "always", "never"), default="auto", help="Colour in text output (NO_COLOR is respected).")
    add("-q", "--quiet", action="store_true", help="No summary on stderr.")
    add("-v", "--verbose", action="store_true", help="Show clean surfaces and file hashes too.")


def run_scan(args: argparse.Namespace) -> int:
    """Scan PATHS (default .) for AI agent guard surfaces; `sigil scan ~` scans a home directory."""
    options = vars(args)
    example, fail_on, paths = options.pop("example"), options.pop("fail_on"), tuple(options.pop("paths"))
    req = ScanRequest(paths=paths, **options)
    req.fail_on = fail_on or ""
    if example:
        req.paths = (*req.paths, Path(__file__).resolve().parent.parent / "examples" / "risky-repo")
    if req.poll and not req.watch:
        fail("--poll only applies to --watch")
    if req.watch:
        from sigil_scan.watch.runner import run_watch

        sys.exit(run_watch(req))
    load_project_config(req)
    result, display, scanner = run(req)
    apply_project_policy(req, result, display, scanner)
    req.fail_on = req.fail_on or "high"
    events: list[dict[str, Any]] | None = None
    if req.spool or req.fmt == "jsonl" or req.state_db or req.policy:
        from sigil_scan.events import scan_events

        events = req.extra.get("pack_events", []) + record_state(req, result, display) + scan_events(result, display)
        emit_to_spool(req, events)
    text = render(req, result, display, scanner, events)
    write_output(text, req.output)
    if not req.quiet:
        from sigil_scan.formats.text import safe, summary

        for problem in result.problems:
            if req.fmt != "text":
                echo(f"sigil: {safe(problem.message)}", err=True)
        echo(f"sigil: {summary(result)}", err=True)
    code = exit_code(result, req.fail_on)
    return 0 if code == 1 and req.exit_zero else code


def render(req: ScanRequest, result: ScanResult, display: Any, scanner: Any, events: list[dict[str, Any]] | None) -> str:
    library = scanner.library

    def help_for(rule_id: str) -> str:
        rule = library.rule(rule_id)
        return str(rule.get("help", "")) if rule else ""

    if req.fmt == "text":
        from sigil_scan.formats import text

        colour = use_colour(req.colour, sys.stdout) and req.output is None
        return text.render(result, display, help_for, colour=colour, verbose=req.verbose)
    if req.fmt == "jsonl":
        from sigil_scan.formats import jsonl

        return jsonl.render(events or [])
    if req.fmt == "json":
        from sigil_scan.formats import json

        return json.render(result, display, fail_on=req.fail_on, pretty=req.output is None and sys.stdout.isatty())
    if req.fmt == "sarif":
        from sigil_scan.formats import sarif

        return sarif.render(result, display, library, scanner.rubric, justifications=req.justifications, baseline=req.baseline is not None)
    if req.fmt == "github":
        from sigil_scan.formats import github

        return github.render(result, display, help_for)
    raise SigilError(f"--format {req.fmt} is not available in this build yet")


def explain_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", type=PathArg(), metavar="PATHS")
    parser.add_argument("--home", dest="home_flag", action="store_true", help="Explain a home-directory scan.")
    parser.add_argument("--rules", dest="rules_dirs", action=AppendTuple, default=(), type=DIRECTORY, metavar="DIRECTORY")


def run_explain(args: argparse.Namespace) -> int:
    """Print the arithmetic behind each surface's score."""
    from sigil_scan.formats.text import safe

    result, display, scanner = run(ScanRequest(paths=tuple(args.paths), home_flag=args.home_flag, rules_dirs=args.rules_dirs))
    rubric = scanner.rubric
    lines: list[str] = []
    for s in result.surfaces:
        scope = s.scope.wire(display)
        lines.append(f"{s.tool} · {scope['kind']} {safe(scope.get('path', scope.get('app', '')))}".rstrip())
        seen: dict[str, int] = {}
        total = 0.0
        for r in s.reasons:
            if r.suppressed_by:
                lines.append(f"  {r.kind:<34} suppressed ({r.suppressed_by})")
                continue
            i = seen.get(r.group, 0)
            seen[r.group] = i + 1
            total += r.contribution
            how = f"{r.weight:g}" if i == 0 else f"{r.weight:g} × (1 + {rubric.surcharge:g}×{i}) = {r.contribution:g}"
            lines.append(f"  {r.kind:<34} {how:>28}   [{r.group}]")
        capped = f" capped at {rubric.max_score:g}" if total > rubric.max_score else ""
        lines.append(f"  {'total':<34} {total:>28g}{capped} -> score {s.score:g}, bucket {s.bucket.wire if s.reasons else 'clean'}")
        lines.append("")
    bounds = {b.wire: v for v, b in rubric.bounds}
    lines.append(f"buckets: score < {bounds['medium']:g} low, < {bounds['high']:g} medium, < {bounds['critical']:g} high, else critical")
    echo("\n".join(lines))
    return 0


scan = Leaf(run_scan.__doc__ or "", scan_arguments, run_scan)
explain = Leaf(run_explain.__doc__ or "", explain_arguments, run_explain)
