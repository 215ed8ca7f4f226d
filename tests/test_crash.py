"""SIGKILL at random moments (seeded): the spool never yields a torn line, never loses an
acknowledged one, and the watcher reports after a restart whatever changed while it was down.

SIGIL_CRASH_ITERATIONS raises the iteration count (a longer run for benchmarking; CI uses 50+).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from conftest import write
from watch_helpers import WatchProc, atomic_write, b3, kind

from sigil_scan.spool import SpoolReader, SpoolWriter

ITERATIONS = int(os.environ.get("SIGIL_CRASH_ITERATIONS", "50"))

WRITER = r"""
import json, random, sys, time
from sigil_scan.spool import SpoolWriter
directory, seq, seed, torn = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "torn"
rng = random.Random(seed)
# "torn" mode: multi-MB lines without fsync, so the kill mostly lands inside write() and leaves a
# partial line (the kernel stops a large write at a page boundary on SIGKILL); a process kill
# keeps the page cache, so an acknowledged line must survive here too
w = SpoolWriter(directory, max_segment_bytes=16 << 20 if torn else 512 * 1024, fsync=not torn)
print("truncated", w.truncated_bytes, flush=True)
budget = 14 << 20
while True:
    if torn and budget <= 0:
        time.sleep(3600)
    sizes = (2 << 20, 4 << 20) if torn else (10, 200, 5000, 20000, 300000)
    batch = [{"seq": seq + i, "pad": "x" * rng.choice(sizes)} for i in range(1 if torn else rng.choice((1, 1, 3)))]
    budget -= sum(len(e["pad"]) for e in batch)
    if torn:
        print("w", flush=True)  # the test kills shortly after this: inside encode or write()
    if len(batch) == 1:
        w.append(batch[0])
    else:
        w.append_many(batch)
    seq += len(batch)
    print("ack", seq - 1, flush=True)   # only after append returned: written and fsynced
"""


PAD_SIZES = {10, 200, 5000, 20000, 300000, 2 << 20, 4 << 20}


def seq_of(line: bytes) -> int:
    """The seq of a writer line, checking the line is whole without parsing megabytes of JSON."""
    head, sep, _ = line.partition(b',"pad":"')
    assert head.startswith(b'{"seq":') and sep and line.endswith(b'"}'), f"torn line read back: {line[:60]!r}...{line[-20:]!r}"
    seq = int(head[7:])
    assert len(line) - len(head) - len(sep) - 2 in PAD_SIZES, f"line {seq} has a wrong length"
    return seq


def read_all(directory: Path, consumer: str) -> list[bytes]:
    r = SpoolReader(directory, consumer=consumer)
    out: list[bytes] = []
    while True:
        lines, cur = r.read(max_events=1000, max_bytes=64 << 20)
        if not lines:
            return out
        out.extend(lines)
        r.commit(cur)


def test_spool_writer_killed_mid_append_loses_no_acknowledged_line(tmp_path: Path) -> None:
    rng = random.Random(20261125)
    acked = -1
    next_seq = 0
    truncations = 0
    spool = tmp_path / "spool0"
    for i in range(max(ITERATIONS, 50)):
        if i % 10 == 0:  # a fresh spool every 10 kills keeps the files small
            if i:
                shutil.rmtree(spool)
            spool = tmp_path / f"spool{i}"
            acked, next_seq = -1, 0
        torn = i % 2 == 1
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(spool), str(next_seq), str(rng.randrange(1 << 30)), "torn" if torn else "fsync"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        assert proc.stdout is not None
        # never hang: a stuck writer is killed, and the reads below see end-of-file
        guard = threading.Timer(20, proc.kill)
        guard.start()
        head = proc.stdout.readline().split()
        assert head and head[0] == "truncated", proc.stderr.read() if proc.stderr else ""
        truncations += int(head[1]) > 0
        # a concurrent reader never sees a partial line while the writer is live
        pre: list[str] = []
        if torn:
            wanted = rng.randrange(1, 4)
            while wanted:  # at most 3: the 14 MiB budget is at least 4 lines
                pre.append(proc.stdout.readline().strip())
                assert pre[-1], "writer ended early"
                wanted -= pre[-1] == "w"
            time.sleep(rng.uniform(0.001, 0.006))
        else:
            time.sleep(rng.uniform(0.0, 0.15))
        live, _ = SpoolReader(spool, consumer=f"live{i}").read(max_events=500, max_bytes=8 << 20)
        for line in live:
            seq_of(line)
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate(timeout=10)
        guard.cancel()
        # an ack counts only when its whole line arrived (the kill can cut stdout too)
        for line in pre + out.split("\n")[:-1]:
            if line.startswith("ack "):
                acked = max(acked, int(line.split()[1]))
        # everything on disk, read back by a fresh consumer: whole, in order, nothing acked missing
        seqs = [seq_of(line) for line in read_all(spool, f"check{i}")]
        assert seqs == list(range(len(seqs))), f"iteration {i}: gap or duplicate"
        assert len(seqs) - 1 >= acked, f"iteration {i}: acknowledged line {acked} lost"
        next_seq = len(seqs)
        for cp in spool.glob("checkpoint-*.json"):
            cp.unlink()
    # reopening after the last kill truncates a torn tail, if there is one, and keeps the rest
    with SpoolWriter(spool) as w:
        truncations += w.truncated_bytes > 0
    assert [seq_of(x) for x in read_all(spool, "final")] == list(range(next_seq))
    print(f"spool crash: {max(ITERATIONS, 50)} kills, {truncations} torn tails truncated, {next_seq} lines kept")


SETTINGS = ['{"permissions": {"allow": ["Read"]}}', '{"permissions": {"defaultMode": "bypassPermissions"}}',
            '{"hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": ".claude/hooks/guard.sh"}]}]}}']
FILES = (".claude/settings.json", ".claude/settings.local.json", ".mcp.json", ".claude/hooks/guard.sh")


def mutate(repo: Path, rng: random.Random, stop: threading.Event) -> None:
    n = 0
    while not stop.is_set():
        rel = rng.choice(FILES)
        path = repo / rel
        n += 1
        op = rng.random()
        if op < 0.15 and path.exists():
            path.unlink()
        else:
            text = f"#!/bin/sh\nexit {n % 3}\n" if rel.endswith(".sh") else rng.choice(SETTINGS) if "settings" in rel else json.dumps({"mcpServers": {f"s{n}": {"command": "node"}}})
            (atomic_write if op < 0.5 else Path.write_text)(path, text)
        stop.wait(rng.uniform(0.005, 0.06))


def test_watcher_killed_at_random_moments_reports_drift_after_restart(home: Path, tmp_path: Path, run_sigil) -> None:
    rng = random.Random(6)
    repo = write(tmp_path / "repo", {FILES[0]: SETTINGS[2], FILES[1]: SETTINGS[0], FILES[2]: "{}", FILES[3]: "#!/bin/sh\nexit 2\n"})
    initial = {rel: b3((repo / rel).read_bytes()) for rel in FILES}
    spool, db = tmp_path / "spool", tmp_path / "st.db"
    args = ["scan", str(repo), "--state-db", str(db)]
    seen: list[str] = []  # event ids read back before some later kill
    # the baseline (silent) is the initial content, before anything changes
    assert run_sigil(*args, "--fail-on", "never", "--format", "json").returncode == 0
    stop = threading.Event()
    mutator = threading.Thread(target=mutate, args=(repo, random.Random(7), stop), daemon=True)
    mutator.start()
    try:
        for i in range(ITERATIONS):
            w = WatchProc(home, args[1:], spool, env={"SIGIL_WATCH_DEBOUNCE_MS": "20"})
            time.sleep(rng.uniform(0.05, 0.9))
            before = [json.loads(x)["event_id"] for x in read_all(spool, f"it{i}")] if spool.exists() else []
            w.kill()
            after = [json.loads(x)["event_id"] for x in read_all(spool, f"post{i}")] if spool.exists() else []
            assert after[: len(before)] == before, f"iteration {i}: a line read back before the kill is gone"
            seen = after
    finally:
        stop.set()
        mutator.join(timeout=10)
    # the final watcher reports what changed while it was down: the last hash reported for every
    # file is its content now
    w = WatchProc(home, args[1:], spool)
    try:
        w.ready()
    finally:
        assert w.stop() == 0
    lines = read_all(spool, "final")
    events = [json.loads(x) for x in lines]  # every line parses: no torn line read back
    ids = [e["event_id"] for e in events]
    assert ids[: len(seen)] == seen
    last: dict[str, str | None] = {}
    for e in events:
        if kind(e) == "file_change":
            last[e["subject"]["value"]] = e["evidence"]["after_hash"]
    for rel in FILES:
        path = repo / rel
        now = b3(path.read_bytes()) if path.exists() else None
        assert last.get(rel, initial[rel]) == now, f"{rel}: last reported {last.get(rel)} but the file is {now}"
