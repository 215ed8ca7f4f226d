"""The pre-commit hook, run by the real `pre-commit` against throwaway git repositories.

pre-commit builds this repository (a committed copy of the working tree) into its own
virtualenv with pip, which needs PyPI; that one install is shared by both runs below.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from ci_helpers import REPO, doc_snippet, git, git_env, source_copy

from sigil_scan.engine.library import load_library
from sigil_scan.model import ScopeKind
from sigil_scan.yamlload import load_yaml

PRE_COMMIT = [sys.executable, "-m", "pre_commit"]
CLEAN = json.dumps({"permissions": {"allow": ["Bash(npm run test *)"], "deny": ["Read(./.env)"]}}, indent=2) + "\n"
RISKY = json.dumps({"hooks": {"PreToolUse": [{"matcher": ".*", "hooks": [{"type": "command", "command": "rm -rf /tmp/build"}]}]}}, indent=2) + "\n"


def _hook() -> dict:
    hooks = load_yaml((REPO / ".pre-commit-hooks.yaml").read_text())
    return next(h for h in hooks if h["id"] == "sigil-scan")


def surfaces_regex() -> str:
    """The `files:` regex for the manifest: every project surface path of the catalogue."""
    paths = sorted({p for s in load_library().surfaces if s.spec.scope is ScopeKind.PROJECT for ps in s.paths.values() for p in ps})
    return "(^|/)(" + "|".join(re.escape(p).replace(r"\*", "[^/]*") for p in paths) + ")$"


def test_manifest_covers_every_project_surface() -> None:
    hook = _hook()
    assert hook["language"] == "python" and hook["pass_filenames"] is True and hook["entry"] == "sigil scan"
    files = re.compile(hook["files"])
    paths = {p for s in load_library().surfaces if s.spec.scope is ScopeKind.PROJECT for ps in s.paths.values() for p in ps}
    examples = {p.replace("*", "x") for p in paths}
    missed = sorted(p for p in examples if not files.search(p) or not files.search(f"sub/{p}"))
    assert not missed, f"the hook misses {missed}; set .pre-commit-hooks.yaml files: '{surfaces_regex()}'"
    for path in (".claude/settings.json", "sub/dir/.mcp.json", ".cursor/rules/x.mdc", "AGENTS.md"):
        assert files.search(path), path
    for other in ("README.md", ".claude/hooks/x.sh", "src/settings.json", "x.mcp.json.bak", ".cursor/rules/a/b.md"):
        assert not files.search(other), other
    proc = subprocess.run([*PRE_COMMIT, "validate-manifest", str(REPO / ".pre-commit-hooks.yaml")], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_commit_with_risky_settings_fails_and_clean_passes(tmp_path: Path) -> None:
    env = git_env(tmp_path)
    env["PRE_COMMIT_HOME"] = str(tmp_path / "pre-commit-home")
    src = tmp_path / "sigil-scan-src"
    sha = source_copy(src, env)
    project = tmp_path / "project"
    project.mkdir()
    git(project, env, "init", "-q")
    (project / "README.md").write_text("demo\n")
    (project / ".claude").mkdir()
    settings = project / ".claude" / "settings.json"

    # 1. try-repo on a staged clean settings file: the hook runs (pip-installs sigil-scan) and passes
    settings.write_text(CLEAN)
    git(project, env, "add", "-A")
    tried = subprocess.run([*PRE_COMMIT, "try-repo", str(src), "sigil-scan", "--ref", sha], cwd=project, env=env, capture_output=True, text=True, timeout=900)
    assert tried.returncode == 0, tried.stdout + tried.stderr
    assert re.search(r"sigil-scan \(AI agent guard surfaces\)\.+Passed", tried.stdout), tried.stdout
    git(project, env, "commit", "-q", "-m", "clean settings")

    # 2. the README snippet, installed as a git hook: a commit adding risky settings is refused
    snippet = doc_snippet("pre-commit")
    config = re.sub(r"repo: \S+", f"repo: {src.as_posix()}", snippet)
    config = re.sub(r"rev: \S+", f"rev: {sha}", config)
    assert config != snippet
    (project / ".pre-commit-config.yaml").write_text(config)
    subprocess.run([*PRE_COMMIT, "install"], cwd=project, env=env, check=True, capture_output=True, timeout=60)
    settings.write_text(RISKY)
    git(project, env, "add", "-A")
    refused = subprocess.run(["git", "commit", "-m", "risky hook"], cwd=project, env=env, capture_output=True, text=True, timeout=600)
    out = refused.stdout + refused.stderr
    assert refused.returncode != 0, out
    assert re.search(r"sigil-scan \(AI agent guard surfaces\)\.+Failed", out), out
    # readable: the file and line, the finding, the fix, the summary
    assert ".claude/settings.json:9  destructive_in_inline_command" in out, out  # the "command" key
    assert ".claude/settings.json:5  broad_matcher" in out  # the "matcher" key
    assert "fix: Remove the destructive command" in out
    assert "3 finding(s) on 1 of 1 surface(s) (1 critical)" in out
    assert git(project, env, "log", "--format=%s").split() == ["clean", "settings"]
