"""Helpers shared by the per-tool coverage tests: copy a fixture, scan it with the real CLI,
index the reasons by tool and kind; assess managed files in-process (their real paths are
system directories a test must not write)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from conftest import FIXTURES, parse_jsonl

COVERAGE = FIXTURES / "coverage"


def copy_fixture(name: str, dest: Path) -> Path:
    shutil.copytree(COVERAGE / name, dest)
    return dest


def scan_events(run_sigil: Any, validator: Any, *args: str, expect_rc: int | None = None) -> list[dict[str, Any]]:
    proc = run_sigil("scan", *args, "--format", "jsonl", "--fail-on", "low")
    if expect_rc is not None:
        assert proc.returncode == expect_rc, proc.stdout + proc.stderr
    events = parse_jsonl(proc.stdout)
    for event in events:
        validator(event)
    return [e for e in events if e["evidence"]["kind"] == "ai_guard_risk_assessed"]


def kinds(events: list[dict[str, Any]], tool: str | None = None) -> set[str]:
    return {r["kind"] for e in events if tool is None or e["evidence"]["tool"] == tool for r in e["evidence"]["reasons"]}


def reasons(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [r for e in events for r in e["evidence"]["reasons"] if r["kind"] == kind]


def assess_with_managed(managed: dict[str, str], project_files: dict[str, str], tmp: Path) -> list[Any]:
    """Assess managed files (surface id -> content) next to a project, through the real pipeline."""
    from sigil_scan.engine.library import load_library
    from sigil_scan.model import Candidate, Scope, ScopeKind
    from sigil_scan.scan import Scanner, ScanOptions

    library = load_library()
    home = tmp / "home"
    project = tmp / "project"
    home.mkdir(parents=True, exist_ok=True)
    for rel, text in project_files.items():
        (project / rel).parent.mkdir(parents=True, exist_ok=True)
        (project / rel).write_text(text)
    scanner = Scanner(ScanOptions(paths=[project], home=home, platform="linux", env={"HOME": str(home)}), library)
    found = scanner.scan()
    candidates = []
    for surface_id, text in managed.items():
        entry = library.surface(surface_id)
        assert entry is not None, surface_id
        path = tmp / "managed" / surface_id / Path(entry.paths["linux"][0]).name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        candidates.append(Candidate(path, entry.spec, Scope(ScopeKind.MANAGED)))
    managed_surfaces = scanner.assess(candidates, [project], [])
    return [*found.surfaces, *managed_surfaces]
