"""Durable JSONL spool: numbered segments, one writer, checkpointed consumers (perf-notes §6).

A line counts once it is fsynced: `append` returns only after write + fsync, so anything the
writer acknowledged survives SIGKILL and power loss (to the extent fsync is honoured). On open the
writer truncates a torn last line of the newest segment (a crash mid-write); the reader only ever
returns lines that end in "\\n". Consumers keep a checkpoint file written atomically (tmp + fsync +
rename + dir fsync). Retention never deletes a segment at or after any consumer's checkpoint unless
the hard cap forces it, and then reports a `spool_force_gc` evidence dict.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sigil_scan.errors import SigilError
from sigil_scan.fsutil import fsync_dir, write_atomic

SEGMENT_RE = re.compile(r"^events-(\d{20})\.jsonl$")
_CONSUMER_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
LOCK_NAME = "writer.lock"
_CHUNK = 1 << 16


def segment_name(n: int) -> str:
    return f"events-{n:020d}.jsonl"


def list_segments(directory: Path) -> list[tuple[int, str]]:
    """(number, name) of every segment file, oldest first."""
    try:
        names = os.listdir(directory)
    except FileNotFoundError:
        return []
    out = []
    for name in names:
        m = SEGMENT_RE.match(name)
        if m:
            out.append((int(m.group(1)), name))
    out.sort()
    return out



def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def encode_event(event: dict[str, Any]) -> bytes:
    # json.dumps escapes control characters, so the line never contains a raw "\n".
    line = json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    if b"\n" in line:  # pragma: no cover - defensive: json never emits one
        raise SigilError("spool: event encodes to a line with a newline")
    return line


@dataclass(frozen=True, slots=True)
class Cursor:
    segment: str
    offset: int


@dataclass(slots=True)
class RetentionResult:
    deleted: list[str] = field(default_factory=list)
    force_gc: dict[str, Any] | None = None  # evidence of a `spool_force_gc` event, when the cap forced it


class SpoolWriter:
    """The single writer of a spool directory (held by an flock on writer.lock)."""

    def __init__(self, directory: Path, *, max_segment_bytes: int = 8 * 1024 * 1024, fsync: bool = True) -> None:
        self.directory = Path(directory)
        self.max_segment_bytes = max(1, int(max_segment_bytes))
        self.fsync = fsync
        self.truncated_bytes = 0
        self.lines_written = 0
        self._fd = -1
        self._lock_fd = -1
        try:
            self.directory.mkdir(mode=0o750, parents=True, exist_ok=True)
        except OSError as exc:
            raise SigilError(f"spool: cannot create {self.directory}: {exc.strerror or exc}") from exc
        self._lock()
        try:
            self._open_newest()
        except BaseException:
            self._unlock()
            raise

    # -- open / lock -------------------------------------------------------------------------
    def _lock(self) -> None:
        import fcntl

        path = self.directory / LOCK_NAME
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o640)
        except OSError as exc:
            raise SigilError(f"spool: cannot open lock file {path}: {exc.strerror or exc}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            raise SigilError(f"spool: {self.directory} is already being written by another process (writer.lock held)") from exc
        self._lock_fd = fd

    def _unlock(self) -> None:
        if self._lock_fd >= 0:
            os.close(self._lock_fd)  # closing the fd releases the flock
            self._lock_fd = -1

    def _open_newest(self) -> None:
        segments = list_segments(self.directory)
        if not segments:
            self._start_segment(1)
            return
        n, name = segments[-1]
        path = self.directory / name
        fd = os.open(path, os.O_RDWR | os.O_APPEND)
        try:
            size = os.fstat(fd).st_size
            keep = _last_newline_end(fd, size)
            if keep < size:
                # A crash mid-write left a partial line: it was never acknowledged, drop it.
                os.ftruncate(fd, keep)
                os.fsync(fd)
                self.truncated_bytes += size - keep
        except BaseException:
            os.close(fd)
            raise
        self._fd, self._n, self._size = fd, n, keep

    def _start_segment(self, n: int) -> None:
        path = self.directory / segment_name(n)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o640)
        if self.fsync:
            os.fsync(fd)
            fsync_dir(self.directory)
        if self._fd >= 0:
            os.close(self._fd)
        self._fd, self._n, self._size = fd, n, 0

    # -- appending ---------------------------------------------------------------------------
    @property
    def current_segment(self) -> str:
        return segment_name(self._n)

    def cursor(self) -> Cursor:
        """The position just after the last acknowledged line."""
        return Cursor(self.current_segment, self._size)

    def append(self, event: dict[str, Any]) -> None:
        self.append_many((event,))

    def append_many(self, events: Iterable[dict[str, Any]]) -> None:
        """Group commit: every line of the batch is written, then one fsync per touched segment."""
        if self._fd < 0:
            raise SigilError("spool: writer is closed")
        pending: list[bytes] = []
        size = 0
        for event in events:
            line = encode_event(event)
            if self._size + size > 0 and self._size + size + len(line) + 1 > self.max_segment_bytes:
                self._flush(pending)
                pending, size = [], 0
                self._start_segment(self._n + 1)
            pending += (line, b"\n")
            size += len(line) + 1
            self.lines_written += 1
        self._flush(pending)

    def _flush(self, chunks: list[bytes]) -> None:
        if not chunks:
            return
        data = b"".join(chunks)
        _write_all(self._fd, data)
        if self.fsync:
            os.fsync(self._fd)
        self._size += len(data)

    # -- retention ---------------------------------------------------------------------------
    def enforce_retention(
        self,
        *,
        max_total_bytes: int | None = None,
        max_age_s: float | None = None,
        hard_cap_bytes: int | None = None,
        now: float | None = None,
    ) -> RetentionResult:
        """Soft limits delete only fully consumed segments; the hard cap deletes oldest-first."""
        now = time.time() if now is None else now
        result = RetentionResult()
        floor = consumer_floor(self.directory)
        entries = []
        for n, name in list_segments(self.directory):
            try:
                st = os.stat(self.directory / name)
            except FileNotFoundError:
                continue
            entries.append((n, name, st.st_size, st.st_mtime))
        total = sum(e[2] for e in entries)
        for n, name, size, mtime in list(entries):
            if n >= self._n or floor is None or n >= floor:
                break
            too_big = max_total_bytes is not None and total > max_total_bytes
            too_old = max_age_s is not None and now - mtime > max_age_s
            if not (too_big or too_old):
                continue
            self._unlink(name)
            entries.remove((n, name, size, mtime))
            total -= size
            result.deleted.append(name)
        if hard_cap_bytes is not None and total > hard_cap_bytes:
            past, oldest_age, first_dropped = 0, 0.0, ""
            for n, name, size, mtime in list(entries):
                if total <= hard_cap_bytes or n >= self._n:
                    break
                if floor is None or n >= floor:
                    past += 1
                    oldest_age = max(oldest_age, now - mtime)
                    first_dropped = first_dropped or name
                self._unlink(name)
                total -= size
                result.deleted.append(name)
            if past:
                result.force_gc = {
                    "kind": "spool_force_gc",
                    "total_bytes": total,
                    "hard_cap_bytes": hard_cap_bytes,
                    "segments_deleted": len(result.deleted),
                    "segments_skipped_past_consumer": past,
                    "oldest_dropped_segment": first_dropped,
                    "oldest_segment_age_s": round(oldest_age, 3),
                }
        if result.deleted:
            fsync_dir(self.directory)
        return result

    def _unlink(self, name: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.directory / name)

    # -- lifecycle ---------------------------------------------------------------------------
    def close(self) -> None:
        if self._fd >= 0:
            if self.fsync:
                with contextlib.suppress(OSError):
                    os.fsync(self._fd)
            os.close(self._fd)
            self._fd = -1
        self._unlock()

    def __enter__(self) -> SpoolWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _last_newline_end(fd: int, size: int) -> int:
    """Offset just after the last b"\\n" in the file (0 if none), scanning backwards."""
    pos = size
    while pos > 0:
        start = max(0, pos - _CHUNK)
        chunk = os.pread(fd, pos - start, start)
        i = chunk.rfind(b"\n")
        if i >= 0:
            return start + i + 1
        pos = start
    return 0


def consumer_floor(directory: Path) -> int | None:
    """The lowest segment number any consumer still needs; None when no consumer has a checkpoint.

    With no checkpoint at all, nothing has been sent, so nothing is safe to delete softly.
    """
    floor: int | None = None
    seen = False
    for path in Path(directory).glob("checkpoint-*.json"):
        try:
            cur = _load_checkpoint(path)
        except SigilError:
            return None  # an unreadable checkpoint protects everything
        if cur is None:
            continue
        seen = True
        m = SEGMENT_RE.match(cur.segment)
        n = int(m.group(1)) if m else 0
        floor = n if floor is None else min(floor, n)
    return floor if seen else None


def _load_checkpoint(path: Path) -> Cursor | None:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise SigilError(f"spool: cannot read checkpoint {path}: {exc.strerror or exc}") from exc
    try:
        data = json.loads(raw)
        segment, offset = data["segment"], data["offset"]
    except (ValueError, TypeError, KeyError) as exc:
        raise SigilError(f"spool: checkpoint {path} is not {{\"segment\": name, \"offset\": int}}") from exc
    if not isinstance(segment, str) or not SEGMENT_RE.match(segment) or not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise SigilError(f"spool: checkpoint {path} has an invalid segment or offset")
    return Cursor(segment, offset)


class SpoolReader:
    """A consumer of a spool directory; its position lives in checkpoint-<consumer>.json."""

    def __init__(self, directory: Path, *, consumer: str = "uploader") -> None:
        if not _CONSUMER_RE.match(consumer):
            raise SigilError(f"spool: invalid consumer name {consumer!r} (letters, digits, '_', '.', '-')")
        self.directory = Path(directory)
        self.consumer = consumer
        self.checkpoint_path = self.directory / f"checkpoint-{consumer}.json"

    def checkpoint(self) -> Cursor | None:
        return _load_checkpoint(self.checkpoint_path)

    def _positions(self) -> Iterator[tuple[str, int, bool]]:
        """(segment name, start offset, is_last) for the checkpoint segment and every later one."""
        cp = self.checkpoint()
        segments = list_segments(self.directory)
        start_n = 0
        start_off = 0
        if cp is not None:
            m = SEGMENT_RE.match(cp.segment)
            start_n = int(m.group(1)) if m else 0
            start_off = cp.offset
        for i, (n, name) in enumerate(segments):
            if n < start_n:
                continue
            # A checkpoint segment removed by a forced GC: continue from the next one at 0.
            off = start_off if n == start_n else 0
            yield name, off, i == len(segments) - 1

    def read(self, *, max_events: int, max_bytes: int) -> tuple[list[bytes], Cursor]:
        """Complete lines after the checkpoint, oldest first; at least one if any (so a line
        larger than max_bytes cannot stall the consumer)."""
        cp = self.checkpoint()
        cursor = cp if cp is not None else Cursor(segment_name(1), 0)
        lines: list[bytes] = []
        used = 0
        for name, off, _last in self._positions():
            if len(lines) >= max_events:
                break
            try:
                fd = os.open(self.directory / name, os.O_RDONLY)
            except FileNotFoundError:
                continue  # removed by retention between listing and open
            try:
                pos = off
                buf = b""
                full = False
                while not full:
                    chunk = os.pread(fd, _CHUNK, pos + len(buf))
                    if not chunk:
                        break
                    buf += chunk
                    while True:
                        i = buf.find(b"\n")
                        if i < 0:
                            break
                        line = buf[:i]
                        if lines and (len(lines) >= max_events or used + len(line) > max_bytes):
                            full = True
                            break
                        buf = buf[i + 1 :]
                        pos += i + 1
                        cursor = Cursor(name, pos)
                        if line:
                            lines.append(line)
                            used += len(line)
                        if len(lines) >= max_events:
                            full = True
                            break
                # A partial tail left in `buf` is either being written (last segment) or garbage
                # in a segment that never grows again; either way it is not returned.
                if full:
                    break
            finally:
                os.close(fd)
        if not lines:
            return [], cp if cp is not None else Cursor(segment_name(1), 0)
        return lines, cursor

    def commit(self, cursor: Cursor) -> None:
        if not SEGMENT_RE.match(cursor.segment) or cursor.offset < 0:
            raise SigilError(f"spool: invalid cursor {cursor!r}")
        data = json.dumps({"segment": cursor.segment, "offset": cursor.offset}).encode()
        write_atomic(self.checkpoint_path, data, mode=0o640, durable=True)

    def lag(self) -> tuple[int, int]:
        """(complete events, bytes) after the checkpoint."""
        events = 0
        size = 0
        for name, off, _ in self._positions():
            try:
                fd = os.open(self.directory / name, os.O_RDONLY)
            except FileNotFoundError:
                continue
            try:
                # chunked, so a large backlog is counted in constant memory
                pos, complete = off, off
                while chunk := os.pread(fd, 1 << 20, pos):
                    n = chunk.count(b"\n")
                    if n:
                        events += n
                        complete = pos + chunk.rfind(b"\n") + 1
                    pos += len(chunk)
                size += complete - off
            finally:
                os.close(fd)
        return events, size
