"""Policy YAML: validation errors name the line and the key; merge; platform path expansion."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import parse_jsonl, write

from sigil_scan.engine.library import load_library
from sigil_scan.errors import SigilError
from sigil_scan.policy import load_policy, merge, tracked_paths

LIBRARY = load_library()

GOOD = """\
version: 1
host_id_strategy: static
host_id: laptop-042
workspaces: [~/code, $WORK/src]
overrides:
  - id: shell-startup
    tier: critical
  - id: linux-user-autostart
    disabled: true
targets:
  - id: deploy-keys
    description: CI deploy keys
    tier: critical
    paths: ["~/keys/*.pem", "%APPDATA%\\\\Deploy\\\\keys.json"]
  - id: mac-only
    platform: macos
    paths: [~/Library/Preferences/com.example.plist]
"""


def load(tmp_path: Path, text: str) -> object:
    p = tmp_path / "policy.yaml"
    p.write_text(text)
    return load_policy(p)


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        ("version: 2\n", ":1:", ["version", "1 was expected"]),
        ("version: 1\ntargets:\n  - id: x\n    paths: [a]\n    recursve: true\n", ":5:", ["targets[0]", "unknown key 'recursve'"]),
        ("version: 1\ntargets:\n  - id: x\n    tier: hot\n    paths: [a]\n", ":4:", ["targets[0].tier", "'hot'"]),
        ("version: 1\ntargets:\n  - id: x\n    description: no paths\n", ":3:", ["targets[0]", "missing required key 'paths'"]),
        ("version: 1\nhost_id_strategy: mac\n", ":2:", ["host_id_strategy", "'mac'"]),
        ("version: 1\nhost_id_strategy: static\n", ":2:", ["host_id_strategy", "needs a `host_id`"]),
        ("version: 1\ntargets:\n  - id: x\n    paths: [~/a/**/b]\n", ":4:", ["targets[0].paths[0]", "'**'"]),
        ("version: 1\ntargets:\n  - id: x\n    paths: [a]\n    follow_symlinks: true\n", ":5:", ["follow_symlinks"]),
        ("version: 1\ntargets:\n  - id: x\n    paths: [a]\n  - id: x\n    paths: [b]\n", ":5:", ["targets[1].id", "duplicate"]),
        ("version: 1\nextra: 1\n", ":2:", ["extra", "unknown key"]),
        ("version: [1\n", ":", ["not valid YAML"]),
        ("- just a list\n", "", ["mapping"]),
    ],
)
def test_errors_name_the_line_and_the_key(tmp_path: Path, text: str, where: str, words: list[str]) -> None:
    with pytest.raises(SigilError) as info:
        load(tmp_path, text)
    message = str(info.value)
    assert message.startswith(str(tmp_path / "policy.yaml") + where), message
    for w in words:
        assert w in message, message


def test_unknown_override_id_names_its_line(tmp_path: Path) -> None:
    policy = load(tmp_path, "version: 1\noverrides:\n  - id: cursor-thing\n    disabled: true\n")
    with pytest.raises(SigilError, match=r"policy.yaml:3: overrides.id: 'cursor-thing' is not a built-in target"):
        merge(policy, LIBRARY, platform="linux", home=tmp_path)  # type: ignore[arg-type]


def test_merge_overrides_targets_and_platform_filter(tmp_path: Path) -> None:
    policy = load(tmp_path, GOOD)
    home = Path("/home/u")
    linux = merge(policy, LIBRARY, platform="linux", home=home, env={"WORK": "/srv/w"})  # type: ignore[arg-type]
    ids = [t.id for t in linux.targets]
    assert "deploy-keys" in ids and "mac-only" not in ids and "linux-user-autostart" not in ids
    assert "claude-user-settings" in ids and "credential-files" in ids
    assert linux.target("shell-startup").tier == "critical"  # type: ignore[union-attr]
    assert linux.disabled == {"linux-user-autostart"}
    assert linux.workspaces == [Path("/home/u/code"), Path("/srv/w/src")]
    wire = linux.wire(home=home, env={})
    deploy = next(t for t in wire["targets"] if t["id"] == "deploy-keys")
    assert deploy["paths"][0] == "/home/u/keys/*.pem"
    assert deploy["paths"][1].endswith("(variable not set)")  # %APPDATA% is not set on this "machine"
    mac = merge(policy, LIBRARY, platform="macos", home=Path("/Users/u"))  # type: ignore[arg-type]
    assert "mac-only" in [t.id for t in mac.targets]
    launch = next(t for t in mac.wire(home=Path("/Users/u"), env={})["targets"] if t["id"] == "macos-launch-agents")
    assert launch["paths"] == ["/Users/u/Library/LaunchAgents/*.plist"]


def test_windows_paths_expand_on_linux(tmp_path: Path) -> None:
    policy = load(tmp_path, GOOD)
    win = merge(policy, LIBRARY, platform="windows", home=Path("C:/Users/u"))  # type: ignore[arg-type]
    env = {"APPDATA": r"C:\Users\u\AppData\Roaming"}
    wire = win.wire(home=Path(r"C:\Users\u"), env=env)
    deploy = next(t for t in wire["targets"] if t["id"] == "deploy-keys")
    assert deploy["paths"] == [r"C:\Users\u\keys\*.pem", r"C:\Users\u\AppData\Roaming\Deploy\keys.json"]
    cred = next(t for t in wire["targets"] if t["id"] == "credential-files")
    assert r"C:\Users\u\.aws\credentials" in cred["paths"]  # %USERPROFILE% falls back to home
    startup = next(t for t in wire["targets"] if t["id"] == "windows-startup-folder")
    assert startup["paths"] == [r"C:\Users\u\AppData\Roaming\Microsoft\Windows\Start Menu\Programs\Startup\*"]


def test_tracked_paths_resolves_globs_and_recursive_dirs(tmp_path: Path) -> None:
    home = tmp_path / "home"
    write(home, {"keys/a.pem": "A", "keys/b.txt": "B", "etc/x/1": "1", "etc/x/deep/2": "2", ".bashrc": "x"})
    policy = load(tmp_path, 'version: 1\ntargets:\n  - id: keys\n    paths: ["~/keys/*.pem"]\n  - id: etc\n    recursive: true\n    paths: [~/etc/x]\n')
    eff = merge(policy, LIBRARY, platform="linux", home=home)  # type: ignore[arg-type]
    found = {(p.relative_to(home).as_posix(), t.id) for p, t in tracked_paths(eff, home=home)}
    assert {("keys/a.pem", "keys"), ("etc/x/1", "etc"), ("etc/x/deep/2", "etc"), (".bashrc", "shell-startup")} <= found
    assert not any(p == "keys/b.txt" for p, _ in found)


def test_show_config_prints_the_merged_policy(run_sigil, tmp_path: Path, home: Path) -> None:
    (tmp_path / "policy.yaml").write_text(GOOD)
    proc = run_sigil("show", "config", "--policy", str(tmp_path / "policy.yaml"))
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)["policy"]
    assert data["host_id_strategy"] == "static" and data["disabled_builtin_targets"] == ["linux-user-autostart"]
    assert next(t for t in data["targets"] if t["id"] == "deploy-keys")["paths"][0] == f"{home}/keys/*.pem"
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\ntargets:\n  - id: x\n    paths: [a]\n    tier: hot\n")
    proc = run_sigil("show", "config", "--policy", str(bad))
    assert proc.returncode == 2 and f"{bad}:5: targets[0].tier" in proc.stderr
    # the default location is picked up when present
    (home / ".config/sigil-scan").mkdir(parents=True)
    (home / ".config/sigil-scan/policy.yaml").write_text("version: 1\n")
    assert json.loads(run_sigil("show", "config").stdout)["policy"]["host_id_strategy"] == "machine_id"


def test_scan_with_policy_tracks_targets_and_sets_host_id(run_sigil, tmp_path: Path, home: Path) -> None:
    write(home, {"keys/a.pem": "one"})
    repo = write(tmp_path / "r", {".mcp.json": "{}"})
    (tmp_path / "policy.yaml").write_text('version: 1\nhost_id_strategy: static\nhost_id: box-7\ntargets:\n  - id: keys\n    paths: ["~/keys/*.pem"]\n')
    args = ("scan", str(repo), "--policy", str(tmp_path / "policy.yaml"), "--state-db", str(tmp_path / "s.db"), "--format", "jsonl", "--fail-on", "never")
    first = parse_jsonl(run_sigil(*args).stdout)
    assert {e["host_id"] for e in first} == {"box-7"}
    (home / "keys/a.pem").write_text("two")
    second = parse_jsonl(run_sigil(*args).stdout)
    fc = [e for e in second if e["evidence"]["kind"] == "file_change"]
    assert len(fc) == 1 and fc[0]["target_id"] == "keys" and fc[0]["evidence"]["change_kind"] == "modified"
