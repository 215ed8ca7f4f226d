"""Discovery in repo and home mode, through the real CLI's JSON output."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from conftest import write


def _files(proc) -> set[str]:
    doc = json.loads(proc.stdout)
    return {f["path"] for s in doc["surfaces"] for f in s["files"]}


def test_repo_mode_nested_repos_and_pruning(run_sigil, tmp_path: Path) -> None:
    repo = write(
        tmp_path / "repo",
        {
            ".claude/settings.json": "{}",
            ".claude/settings.local.json": "{}",
            ".mcp.json": '{"mcpServers": {}}',
            "packages/inner/.mcp.json": '{"mcpServers": {}}',
            "node_modules/evil/.claude/settings.json": "{}",
            ".venv/lib/.mcp.json": "{}",
            "src/app.py": "print(1)",
        },
    )
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / ".gitignore").write_text(".claude/settings.local.json\n")
    proc = run_sigil("scan", str(repo), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert _files(proc) == {".claude/settings.json", ".claude/settings.local.json", ".mcp.json", "packages/inner/.mcp.json"}
    scopes = {s["scope"]["path"] for s in json.loads(proc.stdout)["surfaces"]}
    assert scopes == {".", "packages/inner"}


def test_explicit_file_is_scanned(run_sigil, tmp_path: Path) -> None:
    repo = write(tmp_path / "repo", {".claude/settings.json": '{"permissions": {"allow": ["Bash"]}}'})
    proc = run_sigil("scan", str(repo / ".claude/settings.json"), "--format", "json")
    doc = json.loads(proc.stdout)
    assert [r["kind"] for s in doc["surfaces"] for r in s["reasons"]] == ["permissions_allow_broad", "permissions_deny_empty"]
    assert proc.returncode == 0  # 2.0 + 1.0 = 3.0: medium, below the default --fail-on high


def test_home_mode(run_sigil, home: Path) -> None:
    write(
        home,
        {
            ".claude/settings.json": '{"enableAllProjectMcpServers": true}',
            ".claude.json": '{"mcpServers": {"u": {"command": "node", "args": ["s.js"]}}}',
            "code/proj/.mcp.json": '{"mcpServers": {}}',
            "code/proj/node_modules/x/.mcp.json": "{}",
            ".cache/y/.mcp.json": "{}",
        },
    )
    proc = run_sigil("scan", str(home), "--format", "json")
    doc = json.loads(proc.stdout)
    assert doc["home_mode"] is True
    assert _files(proc) == {"~/.claude/settings.json", "~/.claude.json", "code/proj/.mcp.json"} or _files(proc) == {
        ".claude/settings.json",
        ".claude.json",
        "code/proj/.mcp.json",
    }
    kinds = {(s["scope"]["kind"], r["kind"]) for s in doc["surfaces"] for r in s["reasons"]}
    assert ("user_global", "project_mcp_auto_enabled") in kinds
    assert ("user_global", "mcp_server_local_command") in kinds


def test_home_flag_equals_tilde(run_sigil, home: Path) -> None:
    write(home, {".claude/settings.json": '{"permissions": {"defaultMode": "bypassPermissions"}}'})
    a = json.loads(run_sigil("scan", "--home", "--format", "json").stdout)
    b = json.loads(run_sigil("scan", str(home), "--format", "json").stdout)
    assert a["surfaces"] == b["surfaces"] and a["surfaces"][0]["scope"]["kind"] == "user_global"
