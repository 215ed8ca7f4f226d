"""The seed example of the brief, end to end through the real CLI: 7.5 / critical."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import FIXTURES, parse_jsonl


def _repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "seed", repo)
    return repo


def test_seed_text(run_sigil, tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    proc = run_sigil("scan", str(repo), "--color", "never")
    assert proc.returncode == 1, proc.stderr
    out = proc.stdout
    assert out.splitlines()[0].startswith("7.5 critical  claude_code · project")
    for kind, line in (("destructive_in_inline_command", 7), ("no_sandbox", 7), ("broad_matcher", 5)):
        assert f".claude/settings.json:{line}  {kind}" in out
    assert "fix: " in out
    assert "1 critical" in proc.stderr


def test_seed_jsonl(run_sigil, tmp_path: Path, event_validator) -> None:
    repo = _repo(tmp_path)
    proc = run_sigil("scan", str(repo), "--format", "jsonl")
    assert proc.returncode == 1, proc.stderr
    events = parse_jsonl(proc.stdout)
    assert len(events) == 1
    event = events[0]
    event_validator(event)
    evidence = event["evidence"]
    assert evidence["kind"] == "ai_guard_risk_assessed"
    assert evidence["tool"] == "claude_code"
    assert evidence["scope"] == {"kind": "project", "path": "."}
    assert evidence["score"] == 7.5 and evidence["bucket"] == "critical"
    kinds = {r["kind"]: r for r in evidence["reasons"]}
    assert set(kinds) == {"destructive_in_inline_command", "no_sandbox", "broad_matcher"}
    assert [kinds[k]["contribution"] for k in ("destructive_in_inline_command", "no_sandbox", "broad_matcher")] == [4.0, 2.0, 1.5]
    assert kinds["broad_matcher"]["hook_event"] == "PreToolUse" and kinds["broad_matcher"]["line"] == 5
    assert sum(r["contribution"] for r in evidence["reasons"]) == evidence["score"]
    digest = evidence["files"][0]["blake3"]
    import blake3

    assert digest == "blake3:" + blake3.blake3((repo / ".claude/settings.json").read_bytes()).hexdigest()
    assert event["severity"] == "warn"
    assert event["subject"] == {"kind": "path", "value": ".claude/settings.json"}


def test_clean_configuration_has_no_finding(run_sigil, tmp_path: Path, event_validator) -> None:
    repo = tmp_path / "clean"
    shutil.copytree(FIXTURES / "clean", repo)
    proc = run_sigil("scan", str(repo), "--format", "jsonl", "--fail-on", "low")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    events = parse_jsonl(proc.stdout)
    assert len(events) == 1
    event_validator(events[0])
    assert events[0]["evidence"]["score"] == 0 and events[0]["evidence"]["reasons"] == []
    assert {f["path"] for f in events[0]["evidence"]["files"]} == {".claude/settings.json", ".mcp.json"}
