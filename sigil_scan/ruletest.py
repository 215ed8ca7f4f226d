"""Run every rule's embedded examples through the real pipeline (`sigil rules test`, and CI)."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sigil_scan.engine.library import RuleLibrary
from sigil_scan.scan import Scanner, ScanOptions


@dataclass(frozen=True, slots=True)
class ExampleResult:
    rule_id: str
    name: str
    expect: str
    passed: bool
    detail: str


def _write(base: Path, files: dict[str, str]) -> None:
    for rel, content in files.items():
        path = base / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")


def run_example(library: RuleLibrary, rule: dict[str, Any], example: dict[str, Any], platform: str = "linux") -> ExampleResult:
    name = example.get("name", "")
    with tempfile.TemporaryDirectory(prefix="sigil-example-") as tmp:
        base = Path(tmp)
        home = base / "home"
        project = base / "project"
        home.mkdir()
        project.mkdir()
        _write(project, example.get("files") or {})
        _write(home, example.get("home_files") or {})
        home_mode = "home_files" in example
        options = ScanOptions(paths=[home] if home_mode else [project], home_mode=home_mode, home=home, platform=platform, env={"HOME": str(home)})
        result = Scanner(options, library).scan()
    hits = [r for s in result.surfaces for r in s.reasons if r.rule_id == rule["id"]]
    wanted = example.get("fields") or {}
    matching = [h for h in hits if all(h.fields.get(k) == v for k, v in wanted.items())]
    if example["expect"] == "match":
        passed = bool(matching)
        detail = "" if passed else (f"fired with fields {[h.fields for h in hits]}" if hits else "did not fire")
    else:
        passed = not hits
        detail = "" if passed else f"fired: {hits[0].message}"
    return ExampleResult(rule["id"], name, example["expect"], passed, detail)


def coverage(rule: dict[str, Any]) -> ExampleResult | None:
    """A rule must show both sides: one example it fires on and one it stays quiet on."""
    kinds = {ex.get("expect") for ex in rule.get("examples") or []}
    missing = [k for k in ("match", "no-match") if k not in kinds]
    if not missing:
        return None
    return ExampleResult(rule["id"], "examples", "coverage", False, f"no `expect: {' / '.join(missing)}` example")


def run_all(library: RuleLibrary, rule_ids: set[str] | None = None) -> list[ExampleResult]:
    """Every example of every rule (or of the rules named), plus a coverage check per rule."""
    out: list[ExampleResult] = []
    for rule in library.rules:
        if rule_ids is not None and rule["id"] not in rule_ids:
            continue
        gap = coverage(rule)
        if gap is not None:
            out.append(gap)
        out.extend(run_example(library, rule, ex) for ex in rule.get("examples") or [])
    return out
