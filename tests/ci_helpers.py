"""Helpers for the CI-integration tests: a committed copy of this source tree, git plumbing.

pre-commit and pip read a repository at a commit (or build in place), so the tests work on a
throwaway copy of the working tree, committed in its own repository: the real checkout's git
state and files are never touched, and uncommitted work is what gets tested.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "README.md"
_SKIP = {".git", ".hypothesis", ".mypy_cache", ".pytest_cache", ".ruff_cache", "__pycache__", "build", "dist", "tests", "bench", ".venv", ".ci-venv"}


def git_env(tmp: Path) -> dict[str, str]:
    """An environment where git ignores the user's config and hooks and has an identity."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "SIGIL_", "PRE_COMMIT"))}
    gitconfig = tmp / "gitconfig"
    if not gitconfig.exists():
        gitconfig.write_text("[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n")
    env.update(
        GIT_CONFIG_GLOBAL=str(gitconfig),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.invalid",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.invalid",
    )
    return env


def git(cwd: Path, env: dict[str, str], *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True, timeout=60).stdout


def source_copy(dest: Path, env: dict[str, str]) -> str:
    """Copy the working tree (no tests, caches or VCS data) to dest, commit it; return the sha."""

    def ignore(directory: str, names: list[str]) -> set[str]:
        return {n for n in names if n in _SKIP or n.endswith(".egg-info")}

    shutil.copytree(REPO, dest, ignore=ignore)
    git(dest, env, "init", "-q")
    git(dest, env, "add", "-A")
    git(dest, env, "commit", "-q", "-m", "sigil-scan under test")
    return git(dest, env, "rev-parse", "HEAD").strip()


def doc_snippet(marker: str) -> str:
    """The fenced block that follows `<!-- snippet: marker -->` in README.md (tested verbatim)."""
    text = DOCS.read_text(encoding="utf-8")
    match = re.search(rf"<!-- snippet: {re.escape(marker)} -->\s*```[a-z]*\n(.*?)```", text, re.DOTALL)
    assert match, f"README.md has no snippet {marker!r}"
    return match.group(1)
