"""A malicious repository must not crash, hang, or exhaust the scanner, nor hide a finding.

The tree comes from tests/hostile.py. The scan runs as a real subprocess; when the tests run as
root, the child runs without CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH (setpriv, util-linux), so
chmod 000 really denies it, as it would for a normal user. The time and memory bounds are
safety nets against hangs and blow-ups, far above what the scan takes (see bench/).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import hostile
import pytest
from conftest import sigil_env, write

from sigil_scan.reader import read_file

TIME_BOUND = 10.0  # seconds, whole hostile tree
RSS_BOUND_KB = 300 * 1024

LAUNCHER = """
import os, resource, subprocess, sys
code = subprocess.call(sys.argv[2:])
os.write(int(sys.argv[1]), str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss).encode())
sys.exit(code)
"""


@dataclass
class Run:
    code: int
    stdout: bytes
    stderr: bytes
    wall: float
    max_rss_kb: int

    def json(self) -> dict:
        return json.loads(self.stdout.decode("utf-8"))  # strict UTF-8: the report must be valid


def unprivileged() -> list[str]:
    """A command prefix under which file permissions apply, even to root."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    assert setpriv, "setpriv (util-linux) is needed to test permission errors as root"
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search", "--"]


def run_measured(args: list[str], home: Path, *, cwd: Path, timeout: float = TIME_BOUND) -> Run:
    """Run the CLI; return its output, wall time and peak RSS (of this child alone, via wait4)."""
    # The child is started by a small launcher: a process forked from pytest itself would count
    # pytest's pages in its peak RSS. The launcher writes its child's peak RSS to usage_file.
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, tempfile.TemporaryFile() as usage_file:
        fd = str(usage_file.fileno())
        cmd = [sys.executable, "-c", LAUNCHER, fd, *unprivileged(), sys.executable, "-m", "sigil_scan", *args]
        start = time.monotonic()
        proc = subprocess.Popen(
            cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=cwd, env=sigil_env(home),
            pass_fds=(usage_file.fileno(),), close_fds=True, start_new_session=True,
        )
        killed = threading.Event()

        def kill() -> None:
            killed.set()
            os.killpg(proc.pid, 9)  # the launcher and the scan

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            proc.wait()
        finally:
            timer.cancel()
        wall = time.monotonic() - start
        out.seek(0)
        err.seek(0)
        usage_file.seek(0)
        max_rss = int(usage_file.read() or b"-1")
        result = Run(proc.returncode, out.read(), err.read(), wall, max_rss)
    assert not killed.is_set(), f"scan did not finish within {timeout} s: {result.stderr[-2000:]!r}"
    return result


@pytest.fixture(scope="module")
def tree() -> Iterator[hostile.Hostile]:
    built = hostile.build(hostile.scratch_dir())
    try:
        yield built
    finally:
        hostile.remove(built)


@pytest.fixture(scope="module")
def json_run(tree: hostile.Hostile) -> Run:
    home = tree.root.parent / "home"
    home.mkdir(exist_ok=True)
    return run_measured(["scan", str(tree.root), "--rules", str(tree.rules), "--format", "json", "--fail-on", "never"], home, cwd=tree.root.parent)


def by_item(doc: dict) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for surface in doc["surfaces"]:
        item = surface["scope"]["path"].split("/")[0]
        out.setdefault(item, []).extend(surface["reasons"])
    return out


def test_scan_finishes_in_bounds(json_run: Run) -> None:
    assert json_run.wall < TIME_BOUND
    assert json_run.max_rss_kb < RSS_BOUND_KB, f"peak RSS {json_run.max_rss_kb} KiB"
    assert b"Traceback" not in json_run.stderr, json_run.stderr.decode(errors="replace")


def test_every_item_reported(tree: hostile.Hostile, json_run: Run) -> None:
    doc = json_run.json()
    items = by_item(doc)
    problems = {p["path"].split("/")[0]: p["kind"] for p in doc["problems"]}
    for item, expect in tree.expect.items():
        reasons = items.get(item, [])
        if expect == "finding":
            assert any(r["kind"] == "permissions_allow_broad" or r["kind"].startswith("destructive") for r in reasons), (item, reasons)
        elif expect == "permission_missing":
            assert problems.get(item) == "permission_missing", (item, doc["problems"])
        else:
            kinds = {r.get("error_kind") for r in reasons if r["kind"] == "surface_unparseable"}
            assert expect in kinds, (item, reasons)


def test_unreadable_makes_scan_incomplete(tree: hostile.Hostile, json_run: Run) -> None:
    assert json_run.code == 2  # --fail-on never: 2 only because the scan is incomplete
    items = by_item(json_run.json())
    assert any(r["kind"] == "permission_missing" for r in items["unreadable-file"])


def test_nothing_read_outside_the_root(tree: hostile.Hostile, json_run: Run) -> None:
    text = json_run.stdout.decode()
    assert "s3cr3t-outside-value" not in text
    files = [f["path"] for s in json_run.json()["surfaces"] for f in s["files"]]
    hashed = {f["path"] for s in json_run.json()["surfaces"] for f in s["files"] if f["blake3"]}
    assert not any(p.startswith(("/", "~", "..")) for p in files), files
    assert "escape/.claude/settings.json" not in hashed
    assert "dirlink/.claude/settings.json" not in hashed


def test_hook_scripts_bounded(json_run: Run) -> None:
    reasons = by_item(json_run.json())["hooks"]
    kinds = [r["kind"] for r in reasons]
    # the self-sourcing script is analysed once, and its rm -rf / still found
    assert "destructive_in_hook_script" in kinds
    unscanned = " ".join(r["message"] for r in reasons if r["kind"] == "external_script_unscanned")
    for name in ("fifo.sh", "sparse.sh", "zero.sh"):
        assert name in unscanned, (name, reasons)


def test_text_output_escapes_terminal_sequences(tree: hostile.Hostile) -> None:
    home = tree.root.parent / "home"
    home.mkdir(exist_ok=True)
    run = run_measured(["scan", str(tree.root), "--rules", str(tree.rules), "--fail-on", "never"], home, cwd=tree.root.parent)
    assert run.code == 2
    for stream in (run.stdout, run.stderr):
        assert b"\x1b" not in stream and "\u202e".encode() not in stream
        stream.decode("utf-8")  # strict
    assert rb"evil\nname\x1b[31mRED\x1b[2J\u202eright" in run.stdout
    assert rb"bad\udcffname" in run.stdout


def test_github_annotations_cannot_be_injected(tree: hostile.Hostile) -> None:
    """A newline in a file name must not start a new workflow command (`::set-env ...`)."""
    home = tree.root.parent / "home"
    run = run_measured(["scan", str(tree.root), "--rules", str(tree.rules), "--format", "github", "--fail-on", "never"], home, cwd=tree.root.parent)
    assert run.code == 2
    lines = run.stdout.decode("utf-8").splitlines()
    allowed = ("::warning ", "::error ", "::notice ", "sigil-scan: ")  # annotations, one summary line
    assert lines and all(line.startswith(allowed) for line in lines), [x for x in lines if not x.startswith(allowed)]
    assert b"\x1b" not in run.stdout
    assert any("evil" in line for line in lines)


def test_json_and_jsonl_keep_names_exact(tree: hostile.Hostile, json_run: Run, event_validator: Callable[[dict], None]) -> None:
    paths = {s["scope"]["path"] for s in json_run.json()["surfaces"]}
    assert hostile.EVIL_NAME in paths  # JSON escapes it; the name itself is unchanged
    assert "bad\udcffname" in paths
    home = tree.root.parent / "home"
    run = run_measured(["scan", str(tree.root), "--rules", str(tree.rules), "--format", "jsonl", "--fail-on", "never"], home, cwd=tree.root.parent)
    events = [json.loads(line) for line in run.stdout.decode("utf-8").splitlines() if line]
    assessed = [e for e in events if e["evidence"]["kind"] == "ai_guard_risk_assessed"]
    assert len(assessed) == len(json_run.json()["surfaces"])
    assert {e["evidence"]["scope"]["path"] for e in assessed} == paths
    assert sum(e["evidence"]["kind"] == "permission_missing" for e in events) == 2
    for event in events:
        event_validator(event)


def test_sarif_stays_valid_with_hostile_names(tree: hostile.Hostile, json_run: Run) -> None:
    home = tree.root.parent / "home"
    run = run_measured(["scan", str(tree.root), "--rules", str(tree.rules), "--format", "sarif", "--fail-on", "never"], home, cwd=tree.root.parent)
    assert run.code == 2, run.stderr[-2000:]
    doc = json.loads(run.stdout.decode("utf-8"))  # strict UTF-8, valid JSON
    uris = {
        loc["physicalLocation"]["artifactLocation"]["uri"]
        for r in doc["runs"][0]["results"] for loc in r.get("locations", [])
    }
    assert any("evil" in u for u in uris), sorted(uris)[:20]
    for uri in uris:
        assert "\n" not in uri and "\x1b" not in uri  # URIs are percent-encoded, never raw controls


def test_home_mode_special_files(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".claude").mkdir(parents=True)
    (home / ".claude" / "settings.json").symlink_to("/dev/zero")
    (home / ".claude" / "settings.local.json").symlink_to("/dev/urandom")
    os.mkfifo(home / ".claude.json")
    loop = home / "projects" / "loop"
    loop.mkdir(parents=True)
    (loop / "again").symlink_to("..")
    write(home / "projects" / "ok", {".claude/settings.json": hostile.RISKY})
    run = run_measured(["scan", "--home", "--format", "json", "--fail-on", "never"], home, cwd=home)
    doc = run.json()
    kinds = {(r["file"], r.get("error_kind")) for s in doc["surfaces"] for r in s["reasons"] if r["kind"] == "surface_unparseable"}
    assert kinds == {(".claude/settings.json", "not_regular"), (".claude/settings.local.json", "not_regular"), (".claude.json", "not_regular")}
    assert any(r["kind"] == "permissions_allow_broad" for s in doc["surfaces"] for r in s["reasons"])
    assert run.code == 0


# --- the race between the checks and the open, driven deterministically -------------------------


def _swap_before_open(monkeypatch: pytest.MonkeyPatch, victim: Path, swap: Callable[[], None]) -> list[Callable[[], None]]:
    """Run `swap` (real filesystem changes) at the exact moment the reader opens `victim`."""
    import sigil_scan.reader as reader

    real_open = os.open
    target = victim.resolve()
    pending = [swap]

    def racing_open(path: os.PathLike[str] | str, flags: int, *args: int, **kwargs: int) -> int:
        if pending and isinstance(path, (str, os.PathLike)) and Path(path) == target:
            pending.pop()()
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(reader.os, "open", racing_open)
    return pending  # empty once the swap has happened


def _fifo_over(victim: Path) -> Callable[[], None]:
    def swap() -> None:
        victim.unlink()
        os.mkfifo(victim)

    return swap


def _file_over(victim: Path, content: bytes) -> Callable[[], None]:
    def swap() -> None:
        other = victim.with_name("other")
        other.write_bytes(content)
        os.replace(other, victim)

    return swap


@pytest.mark.parametrize(
    ("swap_kind", "error_kind"),
    (
        ("fifo", "not_regular"),  # O_NONBLOCK: opening it does not wait for a writer
        ("removed", "missing"),
        ("other_file", "io_error"),  # a different inode than the one checked
        ("symlink_out", "not_regular"),  # O_NOFOLLOW
        ("huge", "io_error"),
    ),
)
def test_file_swapped_between_stat_and_open(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, swap_kind: str, error_kind: str) -> None:
    root = tmp_path / "r"
    victim = write(root, {".claude/settings.json": "{}"}) / ".claude/settings.json"
    swaps = {
        "fifo": _fifo_over(victim),
        "removed": victim.unlink,
        "other_file": _file_over(victim, b'{"a": 1}'),
        "symlink_out": lambda: (victim.unlink(), victim.symlink_to("/etc/passwd")),
        "huge": _file_over(victim, b" " * (2 * 1024 * 1024)),
    }
    pending = _swap_before_open(monkeypatch, victim, swaps[swap_kind])
    read = read_file(victim, allowed_roots=(root.resolve(),))
    assert not pending
    assert read.data is None
    assert read.error_kind == error_kind, read


def test_directory_on_the_path_swapped_for_a_link_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "r"
    victim = write(root, {".claude/settings.json": "{}"}) / ".claude/settings.json"
    outside = write(tmp_path / "outside", {"settings.json": '{"leaked": true}'})

    def swap() -> None:
        shutil.rmtree(root / ".claude")
        (root / ".claude").symlink_to(outside)

    pending = _swap_before_open(monkeypatch, victim, swap)
    read = read_file(victim, allowed_roots=(root.resolve(),))
    assert not pending
    assert read.data is None and read.error_kind == "io_error", read


def test_file_grows_past_the_cap_while_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    victim = write(tmp_path, {"s.json": "{}"}) / "s.json"

    def grow() -> None:
        with open(victim, "ab") as f:
            f.write(b" " * 4096)

    pending = _swap_before_open(monkeypatch, victim, grow)
    read = read_file(victim, max_bytes=1024)
    assert not pending
    assert read.data is None and read.error_kind == "too_large", read


def test_reads_during_rename_storm_never_hang_or_raise(tmp_path: Path) -> None:
    """A real concurrent race: a thread keeps swapping a FIFO, a file and nothing in place."""
    victim = tmp_path / "settings.json"
    good = b'{"ok": true}'
    victim.write_bytes(good)
    stop = threading.Event()

    def storm() -> None:
        staged = tmp_path / "staged"
        while not stop.is_set():
            for make in (lambda: os.mkfifo(staged), lambda: staged.write_bytes(good)):
                make()
                os.replace(staged, victim)
            victim.unlink(missing_ok=True)

    thread = threading.Thread(target=storm, daemon=True)
    thread.start()
    outcomes: set[str] = set()
    try:
        for _ in range(3000):
            read = read_file(victim)
            if read.data is not None:
                assert read.data == good
                outcomes.add("read")
            else:
                assert read.error_kind in ("not_regular", "missing", "io_error"), read
                outcomes.add(read.error_kind or "")
    finally:
        stop.set()
        thread.join(5)
    assert not thread.is_alive()
    assert outcomes <= {"read", "not_regular", "missing", "io_error"}


# --- the derived-data cache (sigil_scan/cache.py) is an optimisation, never trusted --------------


def _scan_with_cache(repo: Path, home: Path, cache: Path | None, *extra: str, rules: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = sigil_env(home)
    if cache is None:
        env["SIGIL_NO_CACHE"] = "1"
    else:
        env["SIGIL_CACHE_DIR"] = str(cache)
    return subprocess.run(
        [sys.executable, *extra, "-m", "sigil_scan", "scan", str(repo), "--format", "json", "--fail-on", "never",
         *(["--rules", str(rules)] if rules else [])],
        env=env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )


def _findings(proc: subprocess.CompletedProcess[str]) -> list[tuple[str, str]]:
    assert proc.returncode == 0, proc.stderr
    return sorted((r["kind"], r["fingerprint"]) for s in json.loads(proc.stdout)["surfaces"] for r in s["reasons"])


@pytest.fixture()
def cache_repo(tmp_path: Path) -> Path:
    return write(tmp_path / "r", {
        ".claude/settings.json": hostile.RISKY,
        ".mcp.json": '{"mcpServers": {"x": {"command": "npx", "args": ["-y", "some-mcp"]}}}',
    })


def test_warm_scan_does_not_import_heavy_modules(cache_repo: Path, home: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cold = _scan_with_cache(cache_repo, home, cache)
    assert (cache / "derived-v1.txt").is_file()
    warm = _scan_with_cache(cache_repo, home, cache, "-X", "importtime")
    imported = {line.split("|")[-1].strip() for line in warm.stderr.splitlines() if line.startswith("import time:")}
    assert "sigil_scan.scan" in imported  # the measurement itself works
    heavy = {"yaml", "jsonschema", "pathspec", "sarif_om", "watchdog", "nacl", "tomli", "tomllib", "http.client", "ssl"}
    assert not heavy & imported, heavy & imported
    warm.stderr = "\n".join(line for line in warm.stderr.splitlines() if not line.startswith("import time:"))
    assert _findings(warm) == _findings(cold) == _findings(_scan_with_cache(cache_repo, home, None))


@pytest.mark.parametrize("damage", ["garbage", "truncated", "flipped", "huge", "directory", "wrong_value"])
def test_damaged_cache_is_ignored(cache_repo: Path, home: Path, tmp_path: Path, damage: str) -> None:
    cache = tmp_path / "cache"
    expected = _findings(_scan_with_cache(cache_repo, home, None))
    _scan_with_cache(cache_repo, home, cache)
    file = cache / "derived-v1.txt"
    data = file.read_bytes()
    if damage == "garbage":
        file.write_bytes(os.urandom(len(data)))
    elif damage == "truncated":
        file.write_bytes(data[: len(data) // 2])
    elif damage == "flipped":  # one bit in every value: each line fails its checksum
        lines = data.split(b"\n")
        file.write_bytes(b"\n".join(line[:-1] + bytes([line[-1] ^ 1]) if line else line for line in lines))
    elif damage == "huge":
        with open(file, "ab") as f:
            f.truncate(64 * 1024 * 1024)
    elif damage == "directory":
        file.unlink()
        file.mkdir()
    elif damage == "wrong_value":  # a checksum-valid line whose value is not even JSON
        lines = data.split(b"\n")
        key = lines[0].split(b"\t")[0]
        from blake3 import blake3

        value = b"{not json"
        lines[0] = key + b"\t" + blake3(value).hexdigest(length=8).encode() + b"\t" + value
        file.write_bytes(b"\n".join(lines))
    again = _scan_with_cache(cache_repo, home, cache)
    assert _findings(again) == expected
    assert "Traceback" not in again.stderr


def test_unwritable_cache_location(cache_repo: Path, home: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    proc = _scan_with_cache(cache_repo, home, blocker / "cache")
    assert _findings(proc) == _findings(_scan_with_cache(cache_repo, home, None))
    assert "Traceback" not in proc.stderr


def test_extra_rules_validated_once(cache_repo: Path, home: Path, tmp_path: Path) -> None:
    """--rules input is validated with jsonschema the first time; unchanged, it is not re-validated
    (and a changed, invalid file still is)."""
    rules = write(tmp_path / "rules", {"surfaces/x.yaml": hostile.HOSTILE_SURFACES})
    cache = tmp_path / "cache"
    first = _scan_with_cache(cache_repo, home, cache, "-X", "importtime", rules=rules)
    assert "jsonschema" in first.stderr and first.returncode == 0
    second = _scan_with_cache(cache_repo, home, cache, "-X", "importtime", rules=rules)
    assert second.returncode == 0
    imported = {line.split("|")[-1].strip() for line in second.stderr.splitlines() if line.startswith("import time:")}
    assert "jsonschema" not in imported and "yaml" not in imported
    (rules / "surfaces" / "x.yaml").write_text(hostile.HOSTILE_SURFACES.replace("scope: project", "scope: nowhere", 1))
    bad = _scan_with_cache(cache_repo, home, cache, rules=rules)
    assert bad.returncode == 2 and "scope" in bad.stderr


# --- the walk skips what it is told to skip (else a big tree slows every scan down) ---------------


def test_walk_pruning(tmp_path: Path) -> None:
    from sigil_scan.discover import discover
    from sigil_scan.engine.library import load_library

    rules = write(tmp_path / "rules", {"discovery.yaml": (
        "prune: [node_modules, .git, go/pkg, 'gen-*/out', '**/tmp-cache']\n"
        "home_prune: [Downloads]\nmax_depth: 6\n"
    )})
    library = load_library([rules])
    files = {f"{where}/.claude/settings.json": "{}" for where in (
        "node_modules/a", "x/node_modules/b", ".git/c", "go/pkg/d", "sub/go/pkg/e", "gen-1/out/f",
        "gen-1/keep/g", "p/q/tmp-cache/h", "Downloads/i", "sub/Downloads/j", "ok/k", "1/2/3/4/5/6/deep",
    )}
    root = write(tmp_path / "root", files)
    found = discover([root], library, home_mode=False, home=tmp_path, platform="linux")
    seen = {c.path.relative_to(root).parts[0:-2] for c in found.candidates}
    assert seen == {("sub", "go", "pkg", "e"), ("gen-1", "keep", "g"), ("Downloads", "i"), ("sub", "Downloads", "j"), ("ok", "k")}
    home_found = discover([root], library, home_mode=True, home=root, platform="linux", env={})
    in_home = {c.path.relative_to(root).parts[0:-2] for c in home_found.candidates if root in c.path.parents}
    assert ("Downloads", "i") not in in_home and ("sub", "Downloads", "j") in in_home
