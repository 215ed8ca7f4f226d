"""Gemini CLI coverage: approval modes (new and legacy names), sandbox, allowed tools, MCP trust,
hooks, folder trust, trustedFolders.json, system settings as controls."""

from __future__ import annotations

from pathlib import Path

from conftest import write
from coverage_helpers import assess_with_managed, copy_fixture, kinds, reasons, scan_events


def test_clean_settings_have_no_finding(run_sigil, tmp_path: Path, event_validator) -> None:
    repo = copy_fixture("gemini/clean", tmp_path / "repo")
    events = scan_events(run_sigil, event_validator, str(repo), expect_rc=0)
    assert [e["evidence"]["reasons"] for e in events] == [[]]


def test_risky_settings(run_sigil, tmp_path: Path, event_validator) -> None:
    repo = copy_fixture("gemini/risky", tmp_path / "repo")
    events = scan_events(run_sigil, event_validator, str(repo), expect_rc=1)
    assert {
        "auto_approval_enabled", "sandbox_disabled", "network_unrestricted", "permissions_allow_broad",
        "permissions_allow_dangerous", "broad_trust_grant", "sensitive_path_allowed", "trusted_mcp_server",
        "mcp_package_unpinned", "mcp_insecure_transport", "secret_in_config", "project_helper_command",
        "destructive_in_inline_command", "broad_matcher", "instruction_file_directive",
    } <= kinds(events, "gemini")
    assert {r["mode"] for r in reasons(events, "auto_approval_enabled")} == {"yolo", "autoAccept"}
    assert "Sample!4567x" not in str(events)


def test_legacy_flat_names(run_sigil, tmp_path: Path, event_validator) -> None:
    repo = write(tmp_path / "repo", {".gemini/settings.json": '{"sandbox": false, "allowedTools": ["run_shell_command"], "folderTrust": false, "toolDiscoveryCommand": "./discover.sh"}'})
    events = scan_events(run_sigil, event_validator, str(repo))
    assert {"sandbox_disabled", "permissions_allow_broad", "broad_trust_grant", "project_helper_command"} <= kinds(events)


def test_trusted_folders(run_sigil, home: Path, event_validator) -> None:
    write(home, {".gemini/trustedFolders.json": f'{{"{home}": "TRUST_FOLDER", "{home}/src/app": "TRUST_FOLDER", "{home}/clones": "TRUST_PARENT"}}'})
    events = scan_events(run_sigil, event_validator, "--home")
    assert sorted(r["path"] for r in reasons(events, "broad_trust_grant")) == sorted([str(home), str(home)])


def test_system_settings_are_controls(tmp_path: Path) -> None:
    surfaces = assess_with_managed(
        {"gemini-system-settings": '{"security": {"disableYoloMode": true}, "admin": {"secureModeEnabled": true}}'},
        {".gemini/settings.json": '{"general": {"defaultApprovalMode": "auto_edit"}}'},
        tmp_path,
    )
    managed = next(s for s in surfaces if s.scope.kind.value == "managed")
    assert {c.fields["key"] for c in managed.controls} == {"security.disableYoloMode", "admin.secureModeEnabled"}
    project = next(s for s in surfaces if s.scope.kind.value == "project")
    assert [r.kind for r in project.reasons] == ["auto_approval_enabled"]
