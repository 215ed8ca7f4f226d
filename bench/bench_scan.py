"""Benchmarks of the scan path: each figure printed next to its baseline, the ratio and the target.

Usage: /work/venv/bin/python bench/bench_scan.py [--only cold,repos,home,hash,hostile] [--runs N]
                                                  [--tree-dir DIR] [--keep] [--importtime]
                                                  [--sigil PATH] [--compare PATH]

  cold     `sigil scan` on a small repo (wall, whole process) vs `python -c pass`; target <= 60 ms.
           Also the issue's case: one .claude/settings.json whose hook runs `rm -rf /tmp/build`,
           `sigil scan REPO -q --format jsonl`. Use --sigil with a non-editable install (the
           editable one pays for its path finder, and PYTHONDONTWRITEBYTECODE=1 recompiles it):
             python3 -m venv /tmp/perfvenv && /tmp/perfvenv/bin/pip install -q /work/main
             /work/venv/bin/python bench/bench_scan.py --only cold --runs 15 --sigil /tmp/perfvenv/bin/sigil
           --compare OTHER/bin/sigil times the issue case against another install in alternating
           pairs; the median of the paired differences survives the VM's speed drifting.
  repos    200 repositories with guard files under one root, one `sigil scan ROOT`; target <= 0.15 s
  home     a generated home (~300k files, ~30k dirs: node_modules, .git, caches) scanned with
           `sigil scan --home` vs `find` with the same pruning; target <= 1.2x find, RSS <= 60 MB
  hash     hashing large hook scripts (sigil's hash path) vs raw blake3; target >= 80 %
  hostile  the tests/hostile.py tree (bounded time and memory; the test asserts < 10 s, < 300 MB)

Trees are generated on tmpfs (/dev/shm) when it has room, else in the temp dir; the home tree is
kept between runs with --keep (it takes a few seconds to build). Times are medians of --runs runs
after one warm-up run (so the .pyc files and the derived-data cache are warm, as in pre-commit).
Peak RSS is measured on the scan process alone (a small launcher reports its child's rusage).
Not a test: nothing here asserts; the figures go in bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

RISKY = '{"permissions": {"allow": ["Bash(npm test)", "Read"], "deny": ["Read(./.env)"]}, "hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "bash .claude/hooks/guard.sh"}]}]}}'
MCP = '{"mcpServers": {"docs": {"command": "npx", "args": ["-y", "@acme/docs-mcp@1.2.3"]}}}'
ISSUE_SETTINGS = '{"hooks": {"PreToolUse": [{"matcher": ".*", "hooks": [{"type": "command", "command": "rm -rf /tmp/build"}]}]}}'
GUARD = '#!/bin/bash\nINPUT=$(cat)\nif echo "$INPUT" | grep -q "rm -rf"; then echo blocked; exit 2; fi\n'
LAUNCHER = """
import os, resource, subprocess, sys
code = subprocess.call(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
os.write(int(sys.argv[1]), str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss).encode())
sys.exit(code)
"""

Row = tuple[str, str, str, str, str]  # figure, measured, baseline, ratio, target
rows: list[Row] = []


def report(figure: str, measured: str, baseline: str = "", ratio: str = "", target: str = "") -> None:
    rows.append((figure, measured, baseline, ratio, target))
    print(f"  {figure:<46} {measured:>14}  {baseline:>26}  {ratio:>7}  {target}", flush=True)


def scratch(prefix: str) -> Path:
    import hostile  # tests/hostile.py: one tmpfs-or-disk scratch helper for tests and bench

    return hostile.scratch_dir(prefix, min_free=2 * 1024**3)


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def small_repo(base: Path) -> Path:
    repo = base / "small"
    write(repo / ".claude" / "settings.json", RISKY)
    write(repo / ".claude" / "hooks" / "guard.sh", GUARD)
    write(repo / ".mcp.json", MCP)
    write(repo / "src" / "main.py", "print('hi')\n")
    write(repo / "README.md", "# demo\n")
    return repo


SIGIL: Path | None = None  # --sigil: the `sigil` script of the install to time
COMPARE: Path | None = None  # --compare: another install's `sigil`, timed in alternating pairs


def sigil_cmd() -> list[str]:
    script = SIGIL or Path(sys.executable).with_name("sigil")
    return [str(script)] if script.exists() else [sys.executable, "-m", "sigil_scan"]


def sigil_python() -> str:
    """The interpreter of the install being timed (its floor is what `sigil` starts from)."""
    if SIGIL is not None and SIGIL.with_name("python").exists():
        return str(SIGIL.with_name("python"))
    return sys.executable


def env_for(home: Path, cache: Path | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGIL_")}
    env["HOME"] = str(home)
    if cache is None:
        env["SIGIL_NO_CACHE"] = "1"
    else:
        env["SIGIL_CACHE_DIR"] = str(cache)
    return env


def wall(cmd: list[str], env: dict[str, str], runs: int, cwd: Path | None = None) -> float:
    """Best wall seconds of running cmd over `runs` runs, after one warm-up run.

    The best, not the median: on a shared 2-CPU machine other processes only ever add time, so
    the minimum is the figure that repeats (the median is printed too, for the spread)."""
    times, cpus = [], []
    for i in range(runs + 1):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, check=False)
        elapsed = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if i:
            times.append(elapsed)
            cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    medians[id(cmd)] = statistics.median(times)
    cpu_times[id(cmd)] = min(cpus)
    return min(times)


medians: dict[int, float] = {}
# CPU time (user + sys) of the child: unlike wall time, barely affected by other processes
cpu_times: dict[int, float] = {}


def peak_rss_kb(cmd: list[str], env: dict[str, str], cwd: Path | None = None) -> int:
    with tempfile.TemporaryFile() as usage:
        subprocess.run([sys.executable, "-c", LAUNCHER, str(usage.fileno()), *cmd], env=env, cwd=cwd, pass_fds=(usage.fileno(),), check=False)
        usage.seek(0)
        return int(usage.read() or b"0")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def bench_cold(base: Path, runs: int, importtime: bool) -> None:
    print("cold start: `sigil scan` on a small repo (3 guard files), whole process wall time")
    repo = small_repo(base)
    home = base / "home-cold"
    home.mkdir()
    cache = base / "cache"
    py = wall([sigil_python(), "-c", "pass"], env_for(home, cache), runs)
    scan = sigil_cmd() + ["scan", str(repo)]
    warm = wall(scan, env_for(home, cache), runs, cwd=repo)
    # a copy: medians/cpu_times are keyed by the command list's id, and the warm rows below must
    # not show the no-cache runs' figures
    nocache = wall(list(scan), env_for(home, None), runs, cwd=repo)
    version = wall(sigil_cmd() + ["--version"], env_for(home, cache), runs)
    report("python -c pass (interpreter floor)", ms(py))
    report("sigil --version (argparse + cli only)", ms(version), f"python {ms(py)}", f"{version / py:.1f}x")
    py_cmd = [sigil_python(), "-c", "pass"]
    py_cpu = wall(py_cmd, env_for(home, cache), runs) and cpu_times[id(py_cmd)]
    report("sigil scan, warm cache (pre-commit case)", ms(warm), f"python {ms(py)}", f"{warm / py:.1f}x", "<= 60 ms")
    report("  (median of the same runs)", ms(medians[id(scan)]))
    report("  CPU time (user+sys), sigil scan", ms(cpu_times[id(scan)]), f"python -c pass {ms(py_cpu)}", f"{cpu_times[id(scan)] / py_cpu:.1f}x")
    report("  of which sigil itself (minus floor)", ms(warm - py), "peer (Python) 64 ms", f"{(warm - py) / 0.064:.2f}x")
    report("sigil scan, SIGIL_NO_CACHE=1", ms(nocache), f"warm {ms(warm)}", f"{nocache / warm:.2f}x")
    # the issue's case: one settings file whose hook runs a command (shell analysis is imported)
    issue = base / "issue"
    write(issue / ".claude" / "settings.json", ISSUE_SETTINGS)
    issue_cmd = sigil_cmd() + ["scan", str(issue), "-q", "--format", "jsonl"]
    issue_wall = wall(issue_cmd, env_for(home, cache), runs, cwd=issue)
    report("issue case: settings only, -q --format jsonl", ms(issue_wall), f"python {ms(py)}", f"{issue_wall / py:.1f}x", "<= 60 ms")
    report("  (median of the same runs)", ms(medians[id(issue_cmd)]))
    report("  CPU time (user+sys)", ms(cpu_times[id(issue_cmd)]), f"python -c pass {ms(py_cpu)}", f"{cpu_times[id(issue_cmd)] / py_cpu:.1f}x")
    if COMPARE is not None:
        other_cmd = [str(COMPARE), *issue_cmd[len(sigil_cmd()):]]
        env = env_for(home, cache)
        pairs: list[tuple[float, float]] = []
        for i in range(max(runs, 10) * 2 + 1):
            order = (issue_cmd, other_cmd) if i % 2 else (other_cmd, issue_cmd)
            took = {}
            for cmd in order:
                start = time.perf_counter()
                subprocess.run(cmd, env=env, cwd=issue, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, check=False)
                took[id(cmd)] = time.perf_counter() - start
            if i:  # the first pair warms both installs up
                pairs.append((took[id(issue_cmd)], took[id(other_cmd)]))
        mine = statistics.median(p[0] for p in pairs)
        other = statistics.median(p[1] for p in pairs)
        saved = statistics.median(p[1] - p[0] for p in pairs)
        report(f"issue case vs --compare, {len(pairs)} pairs", ms(mine), f"other {ms(other)}", f"{mine / other:.2f}x")
        report("  median paired difference (other - this)", ms(saved))
    if importtime:
        script = sigil_cmd()
        launch = [sigil_python(), "-X", "importtime", script[0]] if len(script) == 1 else [sys.executable, "-X", "importtime", "-m", "sigil_scan"]
        proc = subprocess.run([*launch, "scan", str(issue), "-q", "--format", "jsonl"], env=env_for(home, cache), cwd=issue, capture_output=True, text=True, check=False)
        selfs: dict[str, int] = {}
        for line in proc.stderr.splitlines():
            if line.startswith("import time:") and "|" in line:
                parts = line[len("import time:"):].split("|")
                try:
                    selfs[parts[2].strip()] = int(parts[0])
                except ValueError:
                    continue
        top = sorted(selfs.items(), key=lambda kv: -kv[1])[:15]
        print("  slowest modules by self import time (python -X importtime, issue case):")
        for name, us in top:
            print(f"    {us / 1000:6.1f} ms  {name}")
        print(f"    total self time {sum(selfs.values()) / 1000:.1f} ms over {len(selfs)} modules")


def many_repos(base: Path, count: int = 200) -> Path:
    root = base / "repos"
    for i in range(count):
        repo = root / f"repo{i:03d}"
        write(repo / ".claude" / "settings.json", RISKY)
        # distinct per repository, so no content-keyed reuse flatters the figure
        write(repo / ".claude" / "hooks" / "guard.sh", GUARD.replace("blocked", f"blocked by repo{i:03d}"))
        write(repo / ".mcp.json", MCP)
        for d in range(3):
            for f in range(5):
                write(repo / "src" / f"pkg{d}" / f"m{f}.py", "x = 1\n")
        for o in range(10):
            write(repo / ".git" / "objects" / f"{o:02x}" / "abc", "")
    return root


def bench_repos(base: Path, runs: int) -> None:
    print("many repos: 200 repositories (settings + hook script + .mcp.json each) under one root")
    root = many_repos(base)
    home = base / "home-repos"
    home.mkdir()
    cache = base / "cache"
    py = wall([sigil_python(), "-c", "pass"], env_for(home, cache), runs)
    repos_cmd = sigil_cmd() + ["scan", str(root), "--format", "json", "--fail-on", "never"]
    total = wall(repos_cmd, env_for(home, cache), runs)
    report("sigil scan ROOT (200 repos, 600 files)", ms(total), f"python {ms(py)}", f"{total / py:.1f}x", "<= 150 ms")
    report("  CPU time (user+sys)", ms(cpu_times[id(repos_cmd)]))
    # the same in one process (no forked assessment): what a 1-CPU machine or SIGIL_JOBS=1 gets
    single_cmd = list(repos_cmd)
    single = wall(single_cmd, {**env_for(home, cache), "SIGIL_JOBS": "1"}, runs)
    report("  same, one process (SIGIL_JOBS=1)", ms(single), f"forked {ms(total)}", f"{single / total:.2f}x")
    inproc = in_process([root], home, home_mode=False)
    report("  in-process Scanner.scan(), repeated (warm memos)", ms(inproc[0]), f"{inproc[1]} surfaces")


def in_process(paths: list[Path], home: Path, *, home_mode: bool) -> tuple[float, int, int]:
    from sigil_scan.scan import Scanner, ScanOptions

    scanner = Scanner(ScanOptions(paths=paths, home=home, home_mode=home_mode, env={}))
    scanner.scan()  # warm
    times = []
    result = None
    for _ in range(3):
        start = time.perf_counter()
        result = scanner.scan()
        times.append(time.perf_counter() - start)
    assert result is not None
    return statistics.median(times), len(result.surfaces), result.files_seen


HOME_STAMP = "sigil-bench-home-v1"


def home_tree(path: Path) -> tuple[int, int]:
    """~40 projects like a developer's home (perf-notes §2); returns (files, dirs)."""
    stamp = path / ".stamp"
    if stamp.exists() and stamp.read_text().startswith(HOME_STAMP):
        files, dirs = map(int, stamp.read_text().split()[1:3])
        return files, dirs
    if path.exists():
        shutil.rmtree(path)
    files = dirs = 0

    def touch(directory: Path, names: list[str]) -> None:
        nonlocal files, dirs
        directory.mkdir(parents=True, exist_ok=True)
        dirs += 1
        for name in names:
            os.close(os.open(directory / name, os.O_CREAT | os.O_WRONLY, 0o644))
        files += len(names)

    twenty = [f"f{i}.js" for i in range(20)]
    for p in range(40):
        proj = path / "code" / f"proj{p:02d}"
        for d in range(50):
            touch(proj / ".git" / "objects" / f"{d:02x}", [f"{i:038x}" for i in range(10)])
        touch(proj / ".git" / "refs" / "heads", ["main"])
        touch(proj / ".git" / "hooks", ["pre-commit.sample", "pre-push.sample"])
        for k in range(60):
            pkg = proj / "node_modules" / f"pkg{k}"
            touch(pkg, ["package.json", "index.js", "README.md"])
            touch(pkg / "lib", twenty)
            touch(pkg / "dist", twenty)
            touch(pkg / "node_modules" / "a", twenty[:6])
            touch(pkg / "node_modules" / "b", twenty[:6])
        for d in range(200):
            touch(proj / "src" / f"mod{d:03d}", [f"file{i}.py" for i in range(20)])
        write(proj / "CLAUDE.md", "# project notes\n")
        write(proj / "AGENTS.md", "# agents\n")
        if p % 2 == 0:
            write(proj / ".claude" / "settings.json", RISKY)
            write(proj / ".claude" / "hooks" / "guard.sh", GUARD)
        if p % 3 == 0:
            write(proj / ".mcp.json", MCP)
        if p % 5 == 0:
            write(proj / ".cursor" / "rules" / "style.mdc", "---\ndescription: style\n---\nUse tabs.\n")
        files += 6
    write(path / ".claude" / "settings.json", RISKY)
    write(path / ".claude.json", MCP)
    write(path / ".codex" / "config.toml", 'approval_policy = "on-request"\n')
    write(path / ".gemini" / "settings.json", '{"tools": {"allowed": ["run_shell_command(git status)"]}}')
    write(path / ".cursor" / "mcp.json", MCP)
    for c in range(3000):
        touch(path / ".cache" / f"c{c:04d}", ["a", "b"])
    for c in range(1500):
        touch(path / ".local" / "share" / f"s{c:04d}", ["a", "b"])
    stamp.write_text(f"{HOME_STAMP} {files} {dirs}\n")
    return files, dirs


def find_cmd(home: Path) -> list[str]:
    """`find` with the pruning discovery applies in home mode (rules/discovery.yaml)."""
    from sigil_scan.yamlload import load_yaml

    config = load_yaml((ROOT / "rules" / "discovery.yaml").read_bytes())
    terms: list[str] = []
    for name in config.get("prune") or []:
        if "/" in name or any(c in name for c in "*?["):
            terms += ["-path", f"{home}/{name.strip('/')}"]
        else:
            terms += ["-name", name]
    for name in config.get("home_prune") or []:
        terms += ["-path", f"{home}/{name.strip('/')}"]
    expr: list[str] = []
    for i in range(0, len(terms), 2):
        expr += (["-o"] if expr else []) + terms[i : i + 2]
    return ["find", str(home), "(", *expr, ")", "-prune", "-o", "-type", "f", "-print"]


def bench_home(tree_dir: Path | None, keep: bool, runs: int) -> None:
    print("home: generated home directory scanned with `sigil scan --home` vs pruned `find`")
    base = tree_dir or Path("/dev/shm" if os.access("/dev/shm", os.W_OK) else tempfile.gettempdir()) / "sigil-bench-home"
    start = time.perf_counter()
    files, dirs = home_tree(base)
    print(f"  tree {base}: {files:,} files in {dirs:,} dirs (ready in {time.perf_counter() - start:.1f} s)")
    cache = base.parent / "sigil-bench-cache"
    env = env_for(base, cache)
    env["SIGIL_CACHE_DIR"] = str(cache)
    find = find_cmd(base)
    t_find = wall(find, env, runs)
    listed = subprocess.run(find, capture_output=True, check=False).stdout.count(b"\n")
    # the ten names of perf-notes §2: fewer predicates per entry, so a faster (harsher) baseline
    ten = ["node_modules", ".git", ".cache", ".venv", "venv", "__pycache__", "target", "dist", "build", ".tox"]
    expr: list[str] = []
    for name in ten:
        expr += (["-o"] if expr else []) + ["-name", name]
    find10 = ["find", str(base), "(", *expr, ")", "-prune", "-o", "-type", "f", "-print"]
    t_find10 = wall(find10, env, runs)
    scan = sigil_cmd() + ["scan", "--home", "--format", "json", "--fail-on", "never", "-q"]
    t_scan = wall(scan, env, runs, cwd=base)
    py = wall([sigil_python(), "-c", "pass"], env, runs)
    rss = peak_rss_kb(scan, env, cwd=base)
    inproc, surfaces, seen = in_process([base], base, home_mode=True)
    report("find, same pruning as discovery.yaml", ms(t_find), f"{listed:,} files listed")
    report("find, 10 prune names (perf-notes)", ms(t_find10))
    report("sigil scan --home (whole process)", ms(t_scan), f"find {ms(t_find)}", f"{t_scan / t_find:.2f}x", "<= 1.2x find")
    report("  vs find with 10 prune names", ms(t_scan), f"find {ms(t_find10)}", f"{t_scan / t_find10:.2f}x")
    report("  minus interpreter floor", ms(t_scan - py), f"find {ms(t_find10)}", f"{(t_scan - py) / t_find10:.2f}x")
    report("  in-process walk+parse+score", ms(inproc), f"{surfaces} surfaces", f"{seen / inproc / 1e6:.2f}M/s", f"{seen:,} entries seen")
    report("  CPU time (user+sys): sigil / find", ms(cpu_times[id(scan)]), f"find {ms(cpu_times[id(find)])}", f"{cpu_times[id(scan)] / cpu_times[id(find)]:.2f}x")
    report("  peak RSS of the scan process", f"{rss / 1024:.1f} MB", "", "", "<= 60 MB")
    if not keep and tree_dir is None:
        shutil.rmtree(base, ignore_errors=True)
        shutil.rmtree(cache, ignore_errors=True)


def best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def bench_hash(base: Path) -> None:
    print("hashing: sigil's hash path vs raw blake3 over the same bytes (best of 15, interleaved)")
    from blake3 import blake3

    from sigil_scan.reader import hash_bytes, read_file

    for size in (256 * 1024, 1024 * 1024, 16 * 1024 * 1024, 256 * 1024 * 1024):
        data = os.urandom(1024 * 1024) * (size // (1024 * 1024)) if size >= 1024 * 1024 else os.urandom(size)
        reps = max(1, (64 * 1024 * 1024) // size)
        raw_times, our_times = [], []
        for _ in range(15):  # interleaved, best of each: load from other processes hits both alike
            raw_times.append(best(lambda data=data, reps=reps: [blake3(data).digest() for _ in range(reps)], 1) / reps)
            our_times.append(best(lambda data=data, reps=reps: [hash_bytes(data) for _ in range(reps)], 1) / reps)
        raw, ours = min(raw_times), min(our_times)
        label = f"{size // 1024} KiB" if size < 1024 * 1024 else f"{size // (1024 * 1024)} MiB"
        report(f"hash_bytes, {label}", f"{size / ours / 1e9:.2f} GB/s", f"raw {size / raw / 1e9:.2f} GB/s", f"{raw / ours:.0%}", ">= 80%")
    script = base / "big-hook.sh"
    script.write_bytes(b"echo hello world; grep -q 'rm -rf' || true\n" * (1024 * 1024 // 44))
    size = script.stat().st_size

    def raw_read() -> None:
        with open(script, "rb", buffering=0) as f:
            blake3(f.read()).digest()

    t_raw = t_ours = float("inf")
    for _ in range(15):
        t_raw = min(t_raw, best(lambda: [raw_read() for _ in range(50)], 1) / 50)
        t_ours = min(t_ours, best(lambda: [read_file(script).size for _ in range(50)], 1) / 50)  # keep no data alive
    report("read_file (checks+read+hash), 1 MiB script", f"{size / t_ours / 1e9:.2f} GB/s", f"open+read+blake3 {size / t_raw / 1e9:.2f}", f"{t_raw / t_ours:.0%}", ">= 80%")


def bench_hostile(runs: int) -> None:
    print("hostile tree (tests/hostile.py): one scan, whole process")
    import hostile

    built = hostile.build(hostile.scratch_dir())
    try:
        home = built.root.parent / "home"
        home.mkdir()
        env = env_for(home, built.root.parent / "cache")
        cmd = sigil_cmd() + ["scan", str(built.root), "--rules", str(built.rules), "--format", "json", "--fail-on", "never"]
        t = wall(cmd, env, runs)
        rss = peak_rss_kb(cmd, env)
        report("sigil scan of the hostile tree", ms(t), f"{len(built.expect)} items", "", "< 10 s (test bound)")
        report("  peak RSS", f"{rss / 1024:.1f} MB", "", "", "< 300 MB (test bound)")
    finally:
        hostile.remove(built)
    # Wide but valid guard files just under the 1 MiB read cap: every entry becomes a fact that
    # every rule looks at, so the cost is linear in the entries; these show the worst case.
    base = scratch("sigil-bench-wide-")
    try:
        home = base / "home"
        home.mkdir()
        env = env_for(home, base / "cache")
        servers = {f"s{i}": {"command": "npx", "args": ["-y", f"pkg{i}"]} for i in range(17_500)}
        write(base / "mcp" / ".mcp.json", json.dumps({"mcpServers": servers}))
        hooks = [{"type": "command", "command": f"echo {i} && rm -rf /tmp/x{i}"} for i in range(15_000)]
        write(base / "hooks" / ".claude" / "settings.json", json.dumps({"hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": hooks}]}}))
        allow = [f"Bash(c{i} *)" for i in range(58_000)]
        write(base / "allow" / ".claude" / "settings.json", json.dumps({"permissions": {"allow": allow}}))
        for name, count in (("mcp", "17,500 MCP servers"), ("hooks", "15,000 hook commands"), ("allow", "58,000 allow rules")):
            size = sum(p.stat().st_size for p in (base / name).rglob("*.json"))
            t = wall(sigil_cmd() + ["scan", str(base / name), "--format", "json", "--fail-on", "never"], env, 1)
            report(f"wide file: {count}", ms(t), f"{size / 1024:.0f} KiB file")
    finally:
        shutil.rmtree(base, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="cold,repos,home,hash,hostile")
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--tree-dir", type=Path, help="where to build (or reuse) the home tree")
    parser.add_argument("--keep", action="store_true", help="keep the home tree for the next run")
    parser.add_argument("--importtime", action="store_true", help="list the slowest imports of `sigil scan`")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON here")
    parser.add_argument("--sigil", type=Path, help="the `sigil` script to time (default: the one next to this python)")
    parser.add_argument("--compare", type=Path, help="with cold: time the issue case against this other `sigil` in pairs")
    args = parser.parse_args()
    global SIGIL, COMPARE
    SIGIL, COMPARE = args.sigil, args.compare
    only = set(args.only.split(","))
    load = os.getloadavg()[0]
    print(f"python {sys.version.split()[0]} on {os.cpu_count()} CPUs; sigil = {' '.join(sigil_cmd())}; load average {load:.1f}")
    if load > (os.cpu_count() or 1) * 0.5:
        print("  warning: the machine is busy; wall times below include waiting for a CPU")
    print(f"  {'figure':<46} {'measured':>14}  {'baseline':>26}  {'ratio':>7}  target")
    base = scratch("sigil-bench-")
    try:
        if "cold" in only:
            bench_cold(base, args.runs, args.importtime)
        if "repos" in only:
            bench_repos(base, args.runs)
        if "home" in only:
            bench_home(args.tree_dir, args.keep, max(3, args.runs // 2))
        if "hash" in only:
            bench_hash(base)
        if "hostile" in only:
            bench_hostile(3)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    if args.json:
        args.json.write_text(json.dumps([dict(zip(("figure", "measured", "baseline", "ratio", "target"), r, strict=True)) for r in rows], indent=2))


if __name__ == "__main__":
    main()
