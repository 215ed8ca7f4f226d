"""The guard analysers on the shapes that matter (and on hostile input): package pins, dangerous
allow prefixes, sensitive paths, launchers, open domains."""

from __future__ import annotations

from pathlib import Path

import pytest

from sigil_scan.adapters.codex import MAX_RULES, exec_rules
from sigil_scan.adapters.common import AdaptContext
from sigil_scan.engine.context import EvalContext
from sigil_scan.engine.guard_analysers import dangerous_allow, domain_open, sensitive_path
from sigil_scan.engine.launcher_analysers import (
    launch_unreviewed,
    launcher_shell,
    package_unpinned,
    transient_path,
)
from sigil_scan.model import Document, Scope, ScopeKind

CTX = EvalContext(patterns={}, home=Path("/home/me"), project_dir=Path("/work/app"))


@pytest.mark.parametrize(("argv", "unpinned"), [
    (["npx", "-y", "@upstash/context7-mcp"], True),
    (["npx", "@playwright/mcp@latest"], True),
    (["npx", "-y", "pkg@^1.2.0"], True),
    (["npx", "-y", "@scope/pkg@1.2.3"], False),
    (["npx", "-y", "./local-server"], False),
    (["uvx", "code-review-graph", "serve"], True),
    (["uvx", "mcp-server-time==0.6.2"], False),
    (["uvx", "--from", "git+https://x/y", "y"], True),
    (["uv", "run", "--with", "mcp", "main.py"], True),
    (["uv", "run", "main.py"], False),
    (["pipx", "run", "pkg"], True),
    (["docker", "run", "-i", "--rm", "-e", "TOKEN", "mcp/fetch"], True),
    (["docker", "run", "ghcr.io/a/b:latest"], True),
    (["docker", "run", "ghcr.io/a/b:1.4"], False),
    (["docker", "run", "ghcr.io/a/b@sha256:" + "0" * 64], False),
    (["docker", "run", "--env-file", ".env", "local-build"], False),
    (["nix", "run", "nixpkgs#mcp-nixos"], True),
    (["nix", "run", "github:NixOS/nixpkgs/" + "a" * 40 + "#mcp-nixos"], False),
    ("NODE_ENV=production npx -y some-mcp", True),
    (["node", "server.js"], False),
    ([], False),
])
def test_package_pins(argv: object, unpinned: bool) -> None:
    assert bool(package_unpinned(argv, True, CTX)) is unpinned


@pytest.mark.parametrize(("rule", "dangerous"), [
    ("Bash(python:*)", True),
    ("Bash(python3 -c ' *)", True),
    ("Bash(node -e \":*)", True),
    ("Bash(bash -n:*)", False),
    ("Bash(timeout:*)", True),
    ("Bash(timeout 30 pio device monitor:*)", False),
    ("Bash(xargs sed:*)", True),
    ("Bash(xargs ls *)", False),
    ("Bash(git *)", True),
    ("Bash(git checkout:*)", False),
    ("Bash(git push origin main)", True),
    ("PowerShell(git push origin dev)", True),
    ("Bash(npm run test:*)", False),
    ("Bash(npm run *)", True),
    ("Bash(sudo ln:*)", True),
    ("Bash(/tmp/run.sh)", True),
    ("Bash(./gradlew:*)", False),
    ("Bash(rm -rf build/)", False),
    ("Shell(curl)", True),
    ("Shell(git status)", False),
    ("run_shell_command(python)", True),
    ("Read(**)", False),
    ("Bash(" + "a " * 50_000 + ":*)", False),
    ("Bash(" + "'" * 999 + ")", False),
])
def test_dangerous_allow(rule: str, dangerous: bool) -> None:
    assert bool(dangerous_allow(rule, True, CTX)) is dangerous


@pytest.mark.parametrize(("path", "kind"), [
    ("~", "home"), ("/", "root"), ("/Users/alice", "home"), ("C:\\Users\\bob", "home"), ("//c/Users/bob/", "home"),
    ("/home/me/.ssh/id_ed25519", "ssh_keys"), ("~/.aws/**", "cloud_credentials"), ("/home/x/.config/opencode", "agent_config"),
    ("C:\\Users\\u\\.claude\\projects\\p", "agent_transcripts"), (".env.local", "env_file"), ("$HOME/.kube", "cloud_credentials"),
    ("/home/me/src/app", None), ("src/**", None), ("//tmp/**", None), ("d:\\client\\shop", None), ("/" * 5000, "root"),
])
def test_sensitive_paths(path: str, kind: str | None) -> None:
    found = sensitive_path(path, True, CTX)
    assert (found["path_kind"] if isinstance(found, dict) else None) == kind


def test_launchers() -> None:
    assert launcher_shell(["bash", "-lc", "x"], True, CTX)
    assert launcher_shell(["cmd.exe", "/c", "x"], True, CTX)
    assert launcher_shell(["pwsh", "-Command", "x"], True, CTX)
    assert not launcher_shell(["bash", "-e", "x.sh"], True, CTX)
    assert not launcher_shell(["node", "-e", "x"], True, CTX)
    assert transient_path(["node", "/dev/shm/x.js"], True, CTX)
    assert transient_path(["C:\\Users\\u\\AppData\\Local\\Temp\\x.exe"], True, CTX)
    assert not transient_path(["node", "/tmp"], True, CTX)
    assert not transient_path(["node", "~/tmp/x.js"], True, CTX)


@pytest.mark.parametrize(("argv", "launch"), [
    (["node", "./server.js"], None),
    (["node", "/work/app/dist/index.js"], None),
    (["node", "/mnt/e/other/dist/index.js"], "outside_project"),
    (["node", "C:\\Users\\u\\code\\app\\dist\\index.js"], None),  # another checkout of this repository
    (["/home/me/.nvm/versions/node/v22/bin/node", "dist/index.js"], None),
    (["agentic-memory-mcp", "serve"], "installed_command"),
    (["python", "-m", "repo_mcp"], None),
    (["npx", "-y", "pkg@1.0.0"], None),
    (["npx", "-y", "pkg"], None),  # unpinned packages are their own kind
])
def test_launch_unreviewed(argv: list[str], launch: str | None) -> None:
    found = launch_unreviewed(argv, True, CTX)
    assert (found["launch"] if isinstance(found, dict) else None) == launch


def test_open_domains() -> None:
    assert domain_open("*.vercel.app", True, CTX)
    assert domain_open("WebFetch(domain:*)", True, CTX)
    assert domain_open("paste.ee", True, CTX)
    assert not domain_open("my-app.vercel.app", True, CTX)
    assert not domain_open("WebFetch(domain:docs.python.org)", True, CTX)


def test_hostile_rules_file_is_bounded() -> None:
    text = "prefix_rule(" * 50_000
    doc = Document(Path("/p/.codex/rules/x.rules"), "text", text, text)
    context = AdaptContext("codex", Scope(ScopeKind.PROJECT, path=Path("/p")), "exec_rules", "x", Path("/h"), True)
    assert len(exec_rules(doc, context)) == MAX_RULES
