"""Codex CLI coverage: approval_policy never, danger-full-access, profiles, network, MCP in TOML,
trust, notify, exec-policy rules, requirements.toml as controls."""

from __future__ import annotations

from pathlib import Path

from conftest import write
from coverage_helpers import assess_with_managed, copy_fixture, kinds, reasons, scan_events


def test_clean_config_has_no_finding(run_sigil, tmp_path: Path, event_validator) -> None:
    repo = copy_fixture("codex/clean", tmp_path / "repo")
    events = scan_events(run_sigil, event_validator, str(repo), expect_rc=0)
    assert [e["evidence"]["reasons"] for e in events] == [[]]


def test_risky_config_and_profile(run_sigil, tmp_path: Path, event_validator) -> None:
    repo = copy_fixture("codex/risky", tmp_path / "repo")
    events = scan_events(run_sigil, event_validator, str(repo), expect_rc=1)
    assert {
        "approval_never", "sandbox_disabled", "network_unrestricted", "sensitive_path_allowed", "api_endpoint_override",
        "mcp_package_unpinned", "secret_in_config", "project_helper_command", "trusted_mcp_server",
        "standing_command_approval", "permissions_allow_dangerous",
    } <= kinds(events, "codex")
    # the risky values sit in a profile that is not the default: still reported, and named
    never = reasons(events, "approval_never")[0]
    assert never["profile"] == "yolo" and never["line"] == 10
    assert reasons(events, "sandbox_disabled")[0]["profile"] == "yolo"
    # the forbidden rule is not a standing approval; default decision (allow) is
    assert sorted(r["pattern"] for r in reasons(events, "standing_command_approval")) == ["git status", "python"]


def test_user_config_trusting_home(run_sigil, home: Path, event_validator) -> None:
    write(home, {".codex/config.toml": f'[projects."{home}"]\ntrust_level = "trusted"\n[projects."{home}/src/app"]\ntrust_level = "trusted"\n'})
    events = scan_events(run_sigil, event_validator, "--home")
    trust = reasons(events, "broad_trust_grant")
    assert len(trust) == 1 and trust[0]["line"] == 2


def test_requirements_are_controls(tmp_path: Path) -> None:
    surfaces = assess_with_managed(
        {"codex-requirements": 'allowed_approval_policies = ["on-request", "never"]\nallowed_sandbox_modes = ["read-only"]\n[features]\nhooks = false\n'},
        {".codex/config.toml": 'approval_policy = "never"\n'},
        tmp_path,
    )
    managed = next(s for s in surfaces if s.scope.kind.value == "managed")
    assert managed.reasons == []
    keys = {c.fields["key"] for c in managed.controls}
    assert {"allowed_approval_policies", "allowed_sandbox_modes", "features", "allowed_approval_policies allows never"} == keys
    project = next(s for s in surfaces if s.scope.kind.value == "project")
    assert [r.kind for r in project.reasons] == ["approval_never"]


def test_broken_rules_and_toml_never_crash(run_sigil, tmp_path: Path, event_validator) -> None:
    repo = write(tmp_path / "repo", {
        ".codex/rules/x.rules": 'prefix_rule(pattern=["a", ["b", "c"]], decision="allow"\nprefix_rule(\n' + "(" * 5000,
        ".codex/config.toml": "approval_policy = [1, 2]\n[profiles]\nx = 3\n[mcp_servers]\ny = 'z'\n",
        ".codex/hooks.json": '{"hooks": {"PreToolUse": "nope"}}',
    })
    events = scan_events(run_sigil, event_validator, str(repo))
    assert "standing_command_approval" in kinds(events, "codex")
