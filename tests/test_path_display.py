"""How paths are shown: relative to a scan root, else ~/..., else absolute; never a false prefix."""

from __future__ import annotations

from pathlib import Path

from sigil_scan.paths import PathDisplay


def test_paths_under_a_root_are_relative_and_siblings_are_not(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    show = PathDisplay([root], tmp_path / "home")
    assert show(root) == "."
    assert show(root / ".claude" / "settings.json") == ".claude/settings.json"
    assert show(root / "a" / ".." / ".mcp.json") == ".mcp.json"  # normalised like abspath
    # /x/repo2 starts with the string /x/repo but is not inside it
    assert show(tmp_path / "repo2" / "f.json") == (tmp_path / "repo2" / "f.json").as_posix()


def test_first_matching_root_wins_and_file_roots_show_their_directory(tmp_path: Path) -> None:
    outer, inner = tmp_path / "outer", tmp_path / "outer" / "inner"
    inner.mkdir(parents=True)
    named = tmp_path / "other" / "settings.json"
    named.parent.mkdir()
    named.write_text("{}")
    show = PathDisplay([outer, inner, named], tmp_path / "home")
    assert show(inner / "x.json") == "inner/x.json"
    assert show(named) == "settings.json"


def test_home_is_a_tilde_and_the_rest_stays_absolute(tmp_path: Path) -> None:
    home = tmp_path / "home"
    show = PathDisplay([tmp_path / "repo"], home)
    assert show(home) == "~"
    assert show(home / ".claude" / "settings.json") == "~/.claude/settings.json"
    assert show(tmp_path / "homework" / "f") == (tmp_path / "homework" / "f").as_posix()
    assert show(Path("/etc/passwd")) == "/etc/passwd"


def test_filesystem_root_as_scan_root() -> None:
    show = PathDisplay([Path("/")], Path("/nonexistent-home"))
    assert show(Path("/")) == "."
    assert show(Path("/etc/hosts")) == "etc/hosts"
