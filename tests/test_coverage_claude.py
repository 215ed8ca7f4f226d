"""Claude Code coverage: every surface scored, precedence, managed controls, clean config."""

from __future__ import annotations

from pathlib import Path

from conftest import write
from coverage_helpers import assess_with_managed, copy_fixture, kinds, reasons, scan_events

from sigil_scan.events import risk_assessed


def test_clean_project_has_no_finding(run_sigil, tmp_path: Path, event_validator) -> None:
    repo = copy_fixture("claude/clean", tmp_path / "repo")
    events = scan_events(run_sigil, event_validator, str(repo), expect_rc=0)
    assert len(events) == 1 and events[0]["evidence"]["reasons"] == [] and events[0]["evidence"]["score"] == 0
    files = {f["path"] for f in events[0]["evidence"]["files"]}
    assert files == {".claude/settings.json", ".mcp.json", "CLAUDE.md"}


def test_risky_project_reports_each_kind(run_sigil, tmp_path: Path, event_validator) -> None:
    repo = copy_fixture("claude/risky", tmp_path / "repo")
    proc = run_sigil("scan", str(repo), "--format", "jsonl")
    assert proc.returncode == 1
    events = scan_events(run_sigil, event_validator, str(repo), expect_rc=1)
    found = kinds(events, "claude_code")
    assert {
        "auto_approval_enabled", "permissions_allow_dangerous", "permissions_allow_broad", "sensitive_path_allowed",
        "project_mcp_auto_enabled", "api_endpoint_override", "secret_in_config", "project_helper_command",
        "plugin_auto_enabled", "hook_forwards_tool_calls", "broad_matcher", "no_sandbox", "mcp_package_unpinned",
        "mcp_server_suspicious_launcher", "mcp_insecure_transport", "instruction_file_directive",
    } <= found
    directives = {r["directive_kind"] for r in reasons(events, "instruction_file_directive")}
    assert directives == {"fetch_pipe", "override_marker", "hidden_text"}
    assert {r["path_kind"] for r in reasons(events, "sensitive_path_allowed")} >= {"ssh_keys", "cloud_credentials", "root"}
    # secrets are named, never shown, in every format
    for token in ("ghp_0123456789abcdefghijklmnopqrstuvwxyzAB", "ghp_abcdefghijklmnopqrstuvwxyz0123456789"):
        assert token not in proc.stdout
        assert token not in run_sigil("scan", str(repo), "--color", "never").stdout
    assert events[0]["evidence"]["score"] == 10.0 and events[0]["evidence"]["bucket"] == "critical"


def test_project_override_is_reported_on_the_project(run_sigil, home: Path, event_validator) -> None:
    # a strict user setting does not hide a risky project setting: findings stay per file
    write(home, {
        ".claude/settings.json": '{"permissions": {"defaultMode": "default", "deny": ["Read(~/.ssh/**)"]}, "disableAllHooks": true}',
        "src/app/.claude/settings.json": '{"permissions": {"defaultMode": "bypassPermissions"}, "disableAllHooks": false}',
    })
    events = scan_events(run_sigil, event_validator, "--home")
    by_scope = {e["evidence"]["scope"]["kind"]: e for e in events if e["evidence"]["tool"] == "claude_code"}
    assert by_scope["user_global"]["evidence"]["reasons"] == []
    project = by_scope["project"]["evidence"]
    assert project["scope"]["path"].endswith("src/app")
    assert [r["kind"] for r in project["reasons"]] == ["auto_approval_enabled"]
    assert project["reasons"][0]["file"].endswith(".claude/settings.json")


def test_managed_settings_are_controls_and_hide_nothing(tmp_path: Path, event_validator) -> None:
    project = {".claude/settings.json": '{"permissions": {"defaultMode": "bypassPermissions", "allow": ["Bash(curl:*)"]}}'}
    managed = {"claude-managed-settings": '{"permissions": {"disableBypassPermissionsMode": "disable", "deny": ["Read(~/.ssh/**)"]}, "allowManagedHooksOnly": true}'}
    with_managed = assess_with_managed(managed, project, tmp_path / "a")
    alone = assess_with_managed({}, project, tmp_path / "b")
    project_a = next(s for s in with_managed if s.scope.kind.value == "project")
    project_b = next(s for s in alone if s.scope.kind.value == "project")
    assert project_a.score == project_b.score > 0
    assert [r.kind for r in project_a.reasons] == [r.kind for r in project_b.reasons]
    managed_surface = next(s for s in with_managed if s.scope.kind.value == "managed")
    assert managed_surface.reasons == [] and managed_surface.score == 0
    keys = {c.fields["key"] for c in managed_surface.controls}
    assert keys == {"permissions.disableBypassPermissionsMode", "permissions.deny", "allowManagedHooksOnly"}
    event = risk_assessed(managed_surface, str)
    event_validator(event)
    assert {c["key"] for c in event["evidence"]["controls"]} == keys


def test_home_state_scheduled_tasks_and_trust(run_sigil, home: Path, event_validator) -> None:
    write(home, {
        ".claude/scheduled-tasks/nightly/SKILL.md": "Summarise yesterday's commits.",
        ".claude/loop.md": "Keep going until the tests pass.",
        ".claude/settings.json": '{"skipDangerousModePermissionPrompt": true}',
        ".claude.json": '{"projects": {"/": {"hasTrustDialogAccepted": true, "mcpServers": {"x": {"command": "uvx", "args": ["some-mcp"]}},'
        ' "allowedTools": ["Bash(node:*)"]}}}',
    })
    events = scan_events(run_sigil, event_validator, "--home")
    found = kinds(events, "claude_code")
    assert {"unattended_scheduled_task", "unattended_loop_prompt", "auto_approval_enabled", "broad_trust_grant",
            "mcp_package_unpinned", "permissions_allow_dangerous"} <= found
    assert reasons(events, "unattended_scheduled_task")[0]["name"] == "nightly"


def test_odd_shapes_never_crash(run_sigil, tmp_path: Path, event_validator) -> None:
    repo = write(tmp_path / "repo", {
        ".claude/settings.json": '{"permissions": {"allow": [1, null, {"x": 1}, "Bash("], "additionalDirectories": "~"},'
        ' "hooks": {"PreToolUse": {"matcher": 3}}, "env": ["x"], "enabledPlugins": [], "sandbox": 5}',
        ".mcp.json": '{"mcpServers": {"a": null, "b": {"command": ["node", 3]}, "c": {"args": "x"}, "d": {"command": "bash -c \'unterminated"}}}',
        "CLAUDE.md": "```\n" * 3 + "\u202e" * 2,
    })
    events = scan_events(run_sigil, event_validator, str(repo))
    assert events and "instruction_file_directive" in kinds(events)
