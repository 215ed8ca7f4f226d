"""Below a marker directory (`.claude`, `.cursor` …) discovery lists the directory once instead of
one lstat/glob per catalogue name; what it finds must be what os.path.lexists and glob.glob
found: same files, same order, same answers for links, non-directories and permissions."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import sigil_env, write

from sigil_scan.discover import discover
from sigil_scan.engine.library import load_library


def _found(root: Path, home: Path) -> list[tuple[str, str]]:
    result = discover([root], load_library(), home_mode=False, home=home, platform="linux", env={})
    return [(c.path.relative_to(root).as_posix(), c.spec.id) for c in result.candidates]


def _by_marker(found: list[tuple[str, str]]) -> list[tuple[str, str]]:
    # markers come in the directory's listing order; within one marker the order is the
    # catalogue's (then sorted glob matches), which a stable sort on the marker keeps
    return sorted(found, key=lambda f: f[0].split("/")[0])


def test_catalogue_names_below_markers_in_catalogue_order(tmp_path: Path) -> None:
    root = write(tmp_path / "repo", {
        ".mcp.json": "{}",
        "AGENTS.md": "# a",
        ".claude/settings.json": "{}",
        ".claude/settings.local.json": "{}",
        ".claude/CLAUDE.md": "# c",
        ".claude/agents/b.md": "# b",
        ".claude/agents/a.md": "# a",
        ".claude/agents/.hidden.md": "# not matched by *.md, as glob.glob decides",
        ".claude/agents/notes.txt": "",
        ".claude/skills/s1/SKILL.md": "# s",
        ".claude/skills/s2/README.md": "",
        ".claude/unrelated.json": "{}",
        ".cursor/rules/y.md": "",
        ".cursor/rules/x.mdc": "",
        ".github/instructions/q.instructions.md": "",
        ".github/workflows/ci.yml": "",
    })
    (root / ".claude" / "loop.md").symlink_to(tmp_path / "nowhere")  # dangling: lexists said yes
    (root / ".cursor" / "hooks.json").mkdir()  # a directory by a file's name: lexists said yes
    assert _by_marker(_found(root, tmp_path)) == [
        (".claude/settings.json", "claude-project-settings"),
        (".claude/settings.local.json", "claude-project-local-settings"),
        (".claude/CLAUDE.md", "claude-project-instructions"),
        (".claude/loop.md", "claude-project-loop-prompt"),
        (".claude/agents/a.md", "claude-project-agents"),
        (".claude/agents/b.md", "claude-project-agents"),
        (".claude/skills/s1/SKILL.md", "claude-project-agents"),
        (".cursor/hooks.json", "cursor-project-hooks"),
        (".cursor/rules/x.mdc", "cursor-project-rules"),
        (".cursor/rules/y.md", "cursor-project-rules"),
        (".github/instructions/q.instructions.md", "vscode-project-instructions"),
        (".mcp.json", "claude-project-mcp"),
        ("AGENTS.md", "codex-project-instructions"),
    ]


def test_markers_that_are_not_plain_directories(tmp_path: Path) -> None:
    outside = write(tmp_path / "elsewhere", {"settings.json": "{}", "agents/z.md": "# z", "skills/k/SKILL.md": ""})
    root = write(tmp_path / "repo", {"file/.claude": "a file, not a directory", "real/.claude/skills/own/SKILL.md": ""})
    for name, target in (("linked", outside), ("dangling", tmp_path / "missing"), ("loop", Path("loop/.claude"))):
        (root / name).mkdir()
        (root / name / ".claude").symlink_to(target)
    (root / "real" / ".claude" / "skills" / "via-link").symlink_to(outside / "skills" / "k")
    assert _by_marker(_found(root, tmp_path)) == [
        # a marker that is a link to a directory is read through, as lexists and glob did
        ("linked/.claude/settings.json", "claude-project-settings"),
        ("linked/.claude/agents/z.md", "claude-project-agents"),
        ("linked/.claude/skills/k/SKILL.md", "claude-project-agents"),
        ("real/.claude/skills/own/SKILL.md", "claude-project-agents"),
        ("real/.claude/skills/via-link/SKILL.md", "claude-project-agents"),
    ]


def test_a_name_in_another_case_is_left_to_the_file_system(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On a case-insensitive file system lstat(".claude/settings.json") finds SETTINGS.JSON; the
    listing, which is case-sensitive, must then ask the file system rather than answer no."""
    root = write(tmp_path / "repo", {".claude/SETTINGS.JSON": "{}", ".claude/Other.json": "{}"})
    assert _found(root, tmp_path) == []  # this file system is case-sensitive: lstat says no
    asked: list[str] = []
    real_lexists = os.path.lexists

    def case_insensitive(path: str | os.PathLike[str]) -> bool:
        text = os.fspath(path)
        asked.append(text)
        if text.endswith("/.claude/settings.json"):
            return real_lexists(text[: -len("settings.json")] + "SETTINGS.JSON")
        return real_lexists(text)

    monkeypatch.setattr(os.path, "lexists", case_insensitive)
    assert _found(root, tmp_path) == [(".claude/settings.json", "claude-project-settings")]
    assert [Path(a).name for a in asked] == ["settings.json"]  # only the name with a case variant


def _unprivileged() -> list[str]:
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if not setpriv:
        pytest.skip("running as root without setpriv: permissions cannot be denied")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search", "--"]


def test_permissions_decide_as_lstat_did(tmp_path: Path) -> None:
    """x without r: the listing fails, each name is asked for (found). r without x: the names
    are listed but lstat of each fails (not found, as before), in the walked directory as well
    as below a marker."""
    home = tmp_path / "home"
    home.mkdir()
    root = write(tmp_path / "repo", {
        "search-only/.claude/settings.json": "{}",
        "list-only-marker/.claude/settings.json": "{}",
        "list-only-marker/.mcp.json": '{"mcpServers": {}}',
        "list-only-dir/.mcp.json": '{"mcpServers": {}}',
        "list-only-dir/.claude/settings.json": "{}",
    })
    modes = {"search-only/.claude": 0o311, "list-only-marker/.claude": 0o644, "list-only-dir": 0o444}
    for rel, mode in modes.items():
        os.chmod(root / rel, mode)
    try:
        proc = subprocess.run(
            [*_unprivileged(), sys.executable, "-m", "sigil_scan", "scan", str(root), "--format", "json", "--fail-on", "never"],
            capture_output=True, text=True, env=sigil_env(home), cwd=home, timeout=60, stdin=subprocess.DEVNULL,
        )
    finally:
        for rel in modes:
            os.chmod(root / rel, 0o755)
    assert proc.returncode == 0, proc.stderr
    files = {f["path"] for s in json.loads(proc.stdout)["surfaces"] for f in s["files"]}
    assert files == {"search-only/.claude/settings.json", "list-only-marker/.mcp.json"}
