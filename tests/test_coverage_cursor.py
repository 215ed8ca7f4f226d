"""Cursor coverage: mcp.json, hooks.json, CLI permissions, .cursorrules and .cursor/rules."""

from __future__ import annotations

from pathlib import Path

from coverage_helpers import copy_fixture, kinds, reasons, scan_events


def test_clean_project_has_no_finding(run_sigil, tmp_path: Path, event_validator) -> None:
    repo = copy_fixture("cursor/clean", tmp_path / "repo")
    events = scan_events(run_sigil, event_validator, str(repo), expect_rc=0)
    assert [e["evidence"]["reasons"] for e in events] == [[]]
    assert {f["path"] for f in events[0]["evidence"]["files"]} == {".cursor/mcp.json", ".cursor/cli.json", ".cursor/rules/style.mdc"}


def test_risky_project(run_sigil, tmp_path: Path, event_validator) -> None:
    repo = copy_fixture("cursor/risky", tmp_path / "repo")
    events = scan_events(run_sigil, event_validator, str(repo), expect_rc=1)
    assert {
        "permissions_allow_broad", "permissions_allow_dangerous", "sensitive_path_allowed", "auto_approval_enabled",
        "sandbox_disabled", "network_unrestricted", "secret_in_config", "mcp_package_unpinned",
        "mcp_server_suspicious_launcher", "destructive_in_inline_command", "instruction_file_directive",
    } <= kinds(events, "cursor")
    assert sorted(r["rule"] for r in reasons(events, "permissions_allow_broad")) == ["Mcp(*:*)", "Shell(*)", "Write(**)"]
    assert "sbp_0123456789abcdef" not in str(events)
