"""Every YAML the scanner loads — rule library, configs, and frontmatter of scanned markdown —
refuses alias bombs before anything (the JSON cache, a schema, an adapter) walks the value."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import write

from sigil_scan.yamlload import load_yaml

BOMB = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n' + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
)


@pytest.mark.parametrize("use_cache", (True, False))
def test_load_yaml_refuses_alias_bomb(use_cache: bool) -> None:
    with pytest.raises(ValueError, match="alias expansion"):
        load_yaml(BOMB, use_cache=use_cache)


def test_small_aliases_still_load() -> None:
    assert load_yaml("a: &x [1, 2]\nb: *x\n") == {"a": [1, 2], "b": [1, 2]}


def test_bomb_in_agent_frontmatter_does_not_hang_the_scan(run_sigil, tmp_path: Path) -> None:
    repo = write(
        tmp_path / "r",
        {
            ".claude/agents/evil.md": f"---\n{BOMB}---\nYou are a helpful agent.\n",
            ".claude/settings.json": '{"permissions": {"defaultMode": "bypassPermissions"}}',
        },
    )
    proc = run_sigil("scan", str(repo), "--format", "json", "--fail-on", "never", timeout=30)
    assert proc.returncode == 0, proc.stderr
    assert "auto_approval_enabled" in proc.stdout
