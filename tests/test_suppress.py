"""Baselines, the project config (.sigil.yaml) and suppressions, through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FIXTURES, parse_jsonl, write

from sigil_scan.model import Bucket, Reason
from sigil_scan.suppress import Ignore

MEDIUM = {".claude/settings.json": '{"permissions": {"allow": ["Bash"]}}'}  # 2.0 + 1.0 = medium
RISKY = (FIXTURES / "seed" / ".claude" / "settings.json").read_text()


def _reasons(doc: dict) -> list[dict]:
    return [r for s in doc["surfaces"] for r in s["reasons"]]


def _json(run_sigil, *args: str) -> tuple[int, dict, str]:
    proc = run_sigil("scan", *args, "--format", "json")
    return proc.returncode, json.loads(proc.stdout) if proc.stdout else {}, proc.stderr


@pytest.mark.parametrize(
    ("config", "cli", "code"),
    (
        ("", (), 0),  # medium surface, default fail-on high
        ("fail_on: medium\n", (), 1),  # the config lowers it
        ("fail_on: medium\n", ("--fail-on", "high"), 0),  # the command line wins
        ("fail_on: never\n", (), 0),
    ),
)
def test_config_fail_on(run_sigil, tmp_path: Path, config: str, cli: tuple[str, ...], code: int) -> None:
    repo = write(tmp_path / "r", {**MEDIUM, ".sigil.yaml": config or "version: 1\n"})
    assert run_sigil("scan", str(repo), *cli).returncode == code


def test_disable_and_ignore_keep_findings_visible(run_sigil, tmp_path: Path) -> None:
    repo = write(
        tmp_path / "r",
        {
            ".claude/settings.json": RISKY,
            ".sigil.yaml": (
                "disable: [hook-host-shell]\n"
                "ignore:\n"
                "  - rule: hook-destructive-inline\n"
                "    path: .claude/*.json\n"
                "    key: hooks.PreToolUse.0\n"
                "    reason: the build directory is disposable\n"
                "  - rule: hook-broad-matcher\n"
                "    path: .claude/*.json\n"
                "    key: hooks.Stop\n"  # a different subtree: must not suppress
                "    reason: not this one\n"
            ),
        },
    )
    code, doc, stderr = _json(run_sigil, str(repo))
    by_rule = {r["rule_id"]: r for r in _reasons(doc)}
    assert by_rule["hook-host-shell"]["suppressed_by"] == "config"
    assert by_rule["hook-destructive-inline"]["suppressed_by"] == "config"
    assert "suppressed_by" not in by_rule["hook-broad-matcher"]
    assert doc["findings"] == 1 and len(by_rule) == 3  # counted, not dropped
    assert doc["surfaces"][0]["score"] == 1.5 and doc["surfaces"][0]["bucket"] == "medium"  # re-scored
    assert code == 0 and "1 finding(s) on 1 of 1 surface(s) (1 medium), 2 suppressed" in stderr
    events = parse_jsonl(run_sigil("scan", str(repo), "--format", "jsonl").stdout)
    suppressed = [r for e in events for r in e["evidence"].get("reasons", []) if r.get("suppressed_by")]
    assert len(suppressed) == 2


@pytest.mark.parametrize(
    ("config", "message"),
    (
        ("ignore:\n  - rule: hook-host-shell\n    path: '*'\n", "'reason' is a required property"),
        ("ignore:\n  - rule: hook-host-shell\n    path: '*'\n    reason: '   '\n", "ignore.0.reason"),
        ("fail_on: sometimes\n", "fail_on"),
        ("disable: hook-host-shell\n", "disable"),
        ("surprise: 1\n", "surprise"),
        ("a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n", "YAML bomb"),
        ("[unclosed\n", "invalid YAML"),
    ),
)
def test_bad_config_is_exit_2_with_a_readable_message(run_sigil, tmp_path: Path, config: str, message: str) -> None:
    repo = write(tmp_path / "r", {**MEDIUM, ".sigil.yaml": config})
    proc = run_sigil("scan", str(repo), timeout=20)
    assert proc.returncode == 2
    assert message in proc.stderr and ".sigil.yaml" in proc.stderr and "Traceback" not in proc.stderr


def test_unknown_rule_in_config_is_a_warning(run_sigil, tmp_path: Path) -> None:
    repo = write(tmp_path / "r", {**MEDIUM, ".sigil.yaml": "disable: [no-such-rule]\n"})
    proc = run_sigil("scan", str(repo))
    assert proc.returncode == 0 and "unknown rule id 'no-such-rule'" in proc.stderr


RULE = """id: {id}
title: Project forbids bypass mode
reason: auto_approval_enabled
fact: document
roles: [settings]
select: $.permissions.defaultMode
where:
  value: {{equals: plan}}
message: "defaultMode plan is forbidden here"
help: Do not use plan mode in this repository.
examples:
  - name: plan
    expect: match
    files: {{.claude/settings.json: '{{"permissions": {{"defaultMode": "plan"}}}}'}}
  - name: default
    expect: no-match
    files: {{.claude/settings.json: '{{"permissions": {{"defaultMode": "default"}}}}'}}
"""


def test_config_rule_dirs_may_add_but_not_replace(run_sigil, tmp_path: Path) -> None:
    settings = {".claude/settings.json": '{"permissions": {"defaultMode": "plan", "deny": ["Read(./.env)"]}}'}
    repo = write(tmp_path / "r", {**settings, ".sigil.yaml": "rules: [policy]\n", "policy/rules/local.yaml": RULE.format(id="local-no-plan")})
    code, doc, _ = _json(run_sigil, str(repo))
    assert code == 0 and [r["rule_id"] for r in _reasons(doc)] == ["local-no-plan"]
    assert run_sigil("rules", "test", str(repo / "policy")).returncode == 0
    # replacing a bundled rule (same id) would let a repository switch a check off: refused
    write(repo, {"policy/rules/local.yaml": RULE.format(id="default-mode-auto-approval")})
    proc = run_sigil("scan", str(repo))
    assert proc.returncode == 2 and "replaces a bundled rule" in proc.stderr
    # and so is re-weighting through a rubric
    write(repo, {"policy/rules/local.yaml": RULE.format(id="local-no-plan"), "policy/rubric.yaml": "weights: {auto_approval_enabled: 0}\n"})
    proc = run_sigil("scan", str(repo))
    assert proc.returncode == 2 and "may only add rules" in proc.stderr


def test_config_not_read_in_home_mode(run_sigil, home: Path) -> None:
    write(home, {".claude/settings.json": RISKY, ".sigil.yaml": "fail_on: never\ndisable: [hook-destructive-inline]\n"})
    proc = run_sigil("scan", "--home", "--format", "json")
    assert proc.returncode == 1
    assert not any(r.get("suppressed_by") for r in _reasons(json.loads(proc.stdout)))


def test_config_found_above_named_files(run_sigil, tmp_path: Path) -> None:
    # pre-commit passes `.claude/settings.json` from the repository root
    repo = write(tmp_path / "r", {".claude/settings.json": RISKY, ".sigil.yaml": "fail_on: never\n"})
    (repo / ".git").mkdir()
    assert run_sigil("scan", ".claude/settings.json", cwd=repo).returncode == 0
    explicit = write(tmp_path / "cfg", {"strict.yaml": "fail_on: low\n"}) / "strict.yaml"
    assert run_sigil("scan", ".claude/settings.json", "--config", str(explicit), cwd=repo).returncode == 1


def test_baseline_reports_only_new_findings(run_sigil, tmp_path: Path) -> None:
    repo = write(tmp_path / "r", {".claude/settings.json": RISKY})
    baseline = tmp_path / "baseline.json"
    proc = run_sigil("scan", str(repo), "--write-baseline", str(baseline))
    assert proc.returncode == 0 and "0 finding(s) on 0 of 1 surface(s), 3 suppressed" in proc.stderr
    written = json.loads(baseline.read_text())
    assert written["version"] == 1 and len(written["findings"]) == 3
    first = written["findings"][0]
    assert set(first) == {"fingerprint", "rule_id", "path", "key", "message"} and first["path"] == ".claude/settings.json"
    code, doc, _ = _json(run_sigil, str(repo), "--baseline", str(baseline))
    assert code == 0 and doc["findings"] == 0 and all(r["suppressed_by"] == "baseline" for r in _reasons(doc))
    # lines move (unrelated edit) and a new risky server appears: only the new one counts
    settings = json.loads(RISKY)
    settings["permissions"] = {"allow": ["Bash"]}
    (repo / ".claude/settings.json").write_text("\n\n" + json.dumps(settings, indent=4))
    code, doc, stderr = _json(run_sigil, str(repo), "--baseline", str(baseline), "--fail-on", "medium")
    active = [r["rule_id"] for r in _reasons(doc) if not r.get("suppressed_by")]
    assert sorted(active) == ["permissions-allow-broad", "permissions-deny-empty"]
    assert code == 1 and "3 suppressed" in stderr
    sarif = json.loads(run_sigil("scan", str(repo), "--baseline", str(baseline), "--format", "sarif").stdout)
    states = sorted(r["baselineState"] for r in sarif["runs"][0]["results"])
    assert states == ["new", "new", "unchanged", "unchanged", "unchanged"]


@pytest.mark.parametrize(
    "content",
    ("not json", "[]", '{"version": 2, "findings": []}', '{"version": 1, "findings": [{"rule_id": "x"}]}'),
)
def test_bad_baseline_is_exit_2(run_sigil, tmp_path: Path, content: str) -> None:
    repo = write(tmp_path / "r", MEDIUM)
    baseline = write(tmp_path, {"b.json": content}) / "b.json"
    proc = run_sigil("scan", str(repo), "--baseline", str(baseline))
    assert proc.returncode == 2 and "baseline" in proc.stderr and "Traceback" not in proc.stderr
    assert run_sigil("scan", str(repo), "--baseline", str(tmp_path / "missing.json")).returncode == 2


def _reason(rule: str, key_path: tuple) -> Reason:
    return Reason("k", rule, {}, Path("x"), 1, 1, key_path, "m", Bucket.LOW)


@pytest.mark.parametrize(
    ("ignore", "rule", "path", "key_path", "hit"),
    (
        (Ignore("r", ".mcp.json", "why"), "r", ".mcp.json", ("mcpServers", "fs"), True),
        (Ignore("r", ".mcp.json", "why"), "other", ".mcp.json", (), False),
        (Ignore("r", "*.json", "why"), "r", "sub/.mcp.json", (), True),  # * matches /
        (Ignore("r", ".claude/*", "why"), "r", ".mcp.json", (), False),
        (Ignore("r", "*", "why", key="mcpServers.fs"), "r", "a", ("mcpServers", "fs", "args", 0), True),
        (Ignore("r", "*", "why", key="mcpServers.fs"), "r", "a", ("mcpServers", "fsx"), False),
        (Ignore("r", "*", "why", key="permissions.allow.0"), "r", "a", ("permissions", "allow", 0), True),
        (Ignore("r", "*", "why", key="permissions.allow.1"), "r", "a", ("permissions", "allow", 0), False),
    ),
)
def test_ignore_matching(ignore: Ignore, rule: str, path: str, key_path: tuple, hit: bool) -> None:
    assert ignore.matches(_reason(rule, key_path), path) is hit


def test_baseline_from_a_directory_scan_applies_to_named_files(run_sigil, tmp_path: Path) -> None:
    # written by `sigil scan .` in CI, used by the pre-commit hook, which names files
    repo = write(tmp_path / "r", {".claude/settings.json": RISKY, ".mcp.json": '{"mcpServers": {"x": {"command": "node"}}}'})
    assert run_sigil("scan", ".", "--write-baseline", "b.json", cwd=repo).returncode == 0
    for args in ((".claude/settings.json", ".mcp.json"), (".mcp.json", ".claude/settings.json"), (str(repo / ".claude/settings.json"),)):
        proc = run_sigil("scan", *args, "--baseline", "b.json", "--fail-on", "low", "--format", "json", cwd=repo)
        doc = json.loads(proc.stdout)
        assert proc.returncode == 0 and doc["findings"] == 0 and len(_reasons(doc)) == (5 if len(args) == 2 else 3), (args, proc.stderr)
        assert {r["file"] for r in _reasons(doc)} <= {".claude/settings.json", ".mcp.json"}


def test_stray_config_in_home_is_not_picked_up(run_sigil, home: Path) -> None:
    # a named file outside any repository: the search stops below the home directory
    write(home, {".sigil.yaml": "fail_on: never\n", "proj/.claude/settings.json": RISKY})
    assert run_sigil("scan", "proj/.claude/settings.json", cwd=home).returncode == 1
