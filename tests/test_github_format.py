"""`--format github`: workflow-command annotations, escaped so nothing can inject a command."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES, write

from sigil_scan.formats.github import command, escape_data, escape_property


@pytest.mark.parametrize(
    ("text", "data", "prop"),
    (
        ("plain", "plain", "plain"),
        ("50% a:b, c", "50%25 a:b, c", "50%25 a%3Ab%2C c"),
        ("line\nbreak", "line\\nbreak", "line\\nbreak"),  # control characters never reach GitHub raw
        ("cr\rhere", "cr\\rhere", "cr\\rhere"),
        ("esc\x1b[31m", "esc\\x1b[31m", "esc\\x1b[31m"),
        ("x\n::set-env name=A::1", "x\\n::set-env name=A::1", "x\\n%3A%3Aset-env name=A%3A%3A1"),
    ),
)
def test_escaping(text: str, data: str, prop: str) -> None:
    assert escape_data(text) == data
    assert escape_property(text) == prop


def test_command_shape() -> None:
    assert command("error", "m", file="a,b.json", line=3, col=None, title="t: x") == "::error file=a%2Cb.json,line=3,title=t%3A x::m"
    assert command("warning", "m") == "::warning::m"


def test_cli_annotations(run_sigil, tmp_path: Path) -> None:
    repo = shutil.copytree(FIXTURES / "seed", tmp_path / "r")
    proc = run_sigil("scan", str(repo), "--format", "github")
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("::error file=.claude/settings.json,line=7,col=32,title=sigil-scan hook-destructive-inline (high)::PreToolUse hook runs `rm -rf /tmp/build`")
    assert "— fix: Remove the destructive command" in lines[0]
    assert lines[1].startswith("::warning file=.claude/settings.json,line=7,col=32,title=sigil-scan hook-host-shell (medium)::")
    assert lines[2].startswith("::warning file=.claude/settings.json,line=5,col=9,title=sigil-scan hook-broad-matcher (medium)::")
    assert lines[-1] == "sigil-scan: 3 finding(s), 0 suppressed, 0 problem(s)"
    assert all(line.startswith("::") for line in lines[:-1]) and len(lines) == 4


def test_hostile_names_cannot_start_a_command(run_sigil, tmp_path: Path) -> None:
    # a server name with a newline and a workflow command: it must stay inside one annotation
    name = "x\n::add-mask::leak\r\n::error::forged"
    repo = write(tmp_path / "r", {".mcp.json": json.dumps({"mcpServers": {name: {"command": "node"}}})})
    proc = run_sigil("scan", str(repo), "--format", "github", "--fail-on", "never")
    assert proc.returncode == 0
    for line in proc.stdout.splitlines():
        assert line.startswith(("::notice ", "::warning ", "::error ", "sigil-scan: ")), line
    # the hostile text is there, but only in the middle of our own annotation line
    assert any(line.startswith("::") and "add-mask" in line for line in proc.stdout.splitlines())


def test_suppressed_are_counted_not_annotated(run_sigil, tmp_path: Path) -> None:
    repo = shutil.copytree(FIXTURES / "seed", tmp_path / "r")
    write(repo, {".sigil.yaml": "disable: [hook-host-shell]\n"})
    proc = run_sigil("scan", str(repo), "--format", "github")
    assert "hook-host-shell" not in proc.stdout
    assert proc.stdout.splitlines()[-1] == "sigil-scan: 2 finding(s), 1 suppressed, 0 problem(s)"
