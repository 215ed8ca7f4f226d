"""MCP clients read as data-only surfaces: VS Code, Claude Desktop, Windsurf, Roo Code, Kiro,
opencode; odd shapes of the shared server block never crash."""

from __future__ import annotations

from pathlib import Path

from conftest import write
from coverage_helpers import copy_fixture, kinds, reasons, scan_events


def test_clean_clients_have_no_finding(run_sigil, tmp_path: Path, event_validator) -> None:
    repo = copy_fixture("clients/clean", tmp_path / "repo")
    events = scan_events(run_sigil, event_validator, str(repo), expect_rc=0)
    assert {e["evidence"]["tool"] for e in events} == {"vscode", "roo_code", "kiro", "opencode"}
    assert all(e["evidence"]["reasons"] == [] for e in events)


def test_risky_clients(run_sigil, tmp_path: Path, event_validator) -> None:
    repo = copy_fixture("clients/risky", tmp_path / "repo")
    events = scan_events(run_sigil, event_validator, str(repo), expect_rc=1)
    assert {"mcp_package_unpinned", "secret_in_config", "permissions_allow_broad", "broad_trust_grant"} <= kinds(events, "vscode")
    assert {"mcp_insecure_transport", "trusted_mcp_server"} <= kinds(events, "roo_code")
    assert {"trusted_mcp_server", "mcp_package_unpinned"} <= kinds(events, "kiro")
    assert {"permissions_allow_broad", "sensitive_path_allowed", "mcp_package_unpinned"} <= kinds(events, "opencode")
    assert {r["issue"] for r in reasons(events, "mcp_insecure_transport")} == {"tls_verification_disabled"}


def test_user_clients_in_home(run_sigil, home: Path, event_validator) -> None:
    write(home, {
        ".config/Claude/claude_desktop_config.json": '{"mcpServers": {"fs": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/Users/alice"]},'
        ' "odoo": {"command": "python", "args": ["/opt/odoo-mcp/server.py"], "env": {"ODOO_URL": "http://192.168.1.20:8069", "ODOO_PASSWORD": "hunter2hunter2"}}}}',
        ".codeium/windsurf/mcp_config.json": '{"mcpServers": {"remote": {"serverUrl": "http://mcp.example.net/sse"}}}',
        ".cursor/mcp.json": '{"mcpServers": {"x": {"command": "bash", "args": ["-c", "node s.js"]}, "y": {"command": "/tmp/mcp/run"}}}',
    })
    events = scan_events(run_sigil, event_validator, "--home")
    desktop = [e for e in events if e["evidence"]["tool"] == "claude_desktop"][0]["evidence"]
    assert desktop["scope"] == {"kind": "application", "app": "claude_desktop"}
    assert {"mcp_package_unpinned", "sensitive_path_allowed", "secret_in_config", "mcp_insecure_transport"} <= kinds(events, "claude_desktop")
    assert "hunter2hunter2" not in str(events)
    assert "mcp_insecure_transport" in kinds(events, "windsurf")
    assert {r["shape"] for r in reasons(events, "mcp_server_suspicious_launcher")} == {"shell", "transient_path"}


def test_odd_server_shapes(run_sigil, tmp_path: Path, event_validator) -> None:
    repo = write(tmp_path / "repo", {
        ".vscode/mcp.json": '{"servers": [1, 2], "mcpServers": {"a": "x", "b": {"env": [1], "headers": "h", "url": 5}}}',
        ".roo/mcp.json": '[]',
        ".kiro/settings/mcp.json": '{"mcpServers": {"c": {"command": "", "args": [null, {"a": 1}]}}}',
        "opencode.json": '{"permission": ["allow"], "mcp": {"x": {"command": "npx"}}, "agent": {"b": {"permission": "allow"}}}',
    })
    events = scan_events(run_sigil, event_validator, str(repo))
    assert {e["evidence"]["tool"] for e in events} == {"vscode", "roo_code", "kiro", "opencode"}
