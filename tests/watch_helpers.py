"""Start the real watcher (`python -m sigil_scan scan --watch`) and read its spool."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from blake3 import blake3
from conftest import sigil_env

from sigil_scan.spool import SpoolReader

Event = dict[str, Any]


def b3(data: bytes | str) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return "blake3:" + blake3(raw).hexdigest()


class WatchProc:
    def __init__(self, home: Path, args: list[str], spool: Path, *, env: dict[str, str] | None = None) -> None:
        self.spool = spool
        self.home = home
        self.reader: SpoolReader | None = None
        self.seen: list[Event] = []
        if spool.exists():  # a restart: only what this process appends counts
            self.reader = SpoolReader(spool, consumer="test")
            while True:
                lines, cursor = self.reader.read(max_events=100_000, max_bytes=1 << 26)
                if not lines:
                    break
                self.reader.commit(cursor)
        full_env = sigil_env(home, **{"SIGIL_WATCH_HEARTBEAT_S": "30", "SIGIL_WATCH_DEBOUNCE_MS": "100", **(env or {})})
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sigil_scan", "scan", "--watch", "--spool", str(spool), *args],
            env=full_env,
            cwd=home,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )

    def poll_events(self) -> list[Event]:
        """Events appended since the last call (the test is a spool consumer too)."""
        if self.reader is None:
            if not self.spool.exists():
                return []
            self.reader = SpoolReader(self.spool, consumer="test")
        lines, cursor = self.reader.read(max_events=10_000, max_bytes=1 << 24)
        if lines:
            self.reader.commit(cursor)
        new = [json.loads(x) for x in lines]
        self.seen.extend(new)
        return new

    def wait_for(self, pred: Callable[[Event], bool], timeout: float = 15.0) -> list[Event]:
        """Events read until one matches `pred` (inclusive); fails on timeout or exit."""
        got: list[Event] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for e in self.poll_events():
                got.append(e)
                if pred(e):
                    return got
            if self.proc.poll() is not None:
                raise AssertionError(f"watcher exited {self.proc.returncode}: {self.proc.stderr.read() if self.proc.stderr else ''}")
            time.sleep(0.02)
        raise AssertionError(f"timed out; events so far: {[(e['evidence']['kind'], e['subject'].get('value')) for e in got]}")

    def settle(self, seconds: float = 0.5) -> list[Event]:
        time.sleep(seconds)
        return self.poll_events()

    def ready(self) -> list[Event]:
        return self.wait_for(lambda e: e["evidence"]["kind"] == "heartbeat", timeout=30)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
            raise
        finally:
            if self.proc.stderr:
                self.proc.stderr.close()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        if self.proc.stderr:
            self.proc.stderr.close()


def kind(e: Event) -> str:
    return str(e["evidence"]["kind"])


def changes(events: list[Event]) -> list[tuple[str, str]]:
    return [(e["evidence"]["change_kind"], e["subject"]["value"]) for e in events if kind(e) == "file_change"]


def atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(text)
    os.replace(tmp, path)
