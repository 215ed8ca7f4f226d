"""Anti-rollback memory: the last applied sequence per (kind, pack name) in the state db.

Our own table in the shared sqlite file (other tables belong to other features); our own
connection with WAL and a busy timeout, so concurrent scanners and the uploader wait rather
than fail. The check-and-record runs in one IMMEDIATE transaction (compare-and-set).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sigil_scan.errors import SigilError

_SCHEMA = """CREATE TABLE IF NOT EXISTS pack_sequence (
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    sequence INTEGER NOT NULL,
    digest TEXT NOT NULL,
    key_id TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    applied_at TEXT NOT NULL,
    PRIMARY KEY (kind, name)
)"""


@dataclass(frozen=True, slots=True)
class Applied:
    sequence: int
    digest: str
    key_id: str
    expires_at: str
    applied_at: str


def _connect(path: Path) -> Any:
    import sqlite3

    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(os.fspath(path), timeout=10.0, isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 10000")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(_SCHEMA)
    return conn


def last_applied(path: Path | None, *, kind: str, name: str) -> Applied | None:
    if path is None:
        return None
    import sqlite3

    if not path.exists():
        return None
    try:
        conn = _connect(path)
        try:
            row = conn.execute(
                "SELECT sequence, digest, key_id, expires_at, applied_at FROM pack_sequence WHERE kind = ? AND name = ?",
                (kind, name),
            ).fetchone()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        # fail closed: without the watermark we cannot tell a rollback from an update
        raise SigilError(f"state db {path}: {exc}") from exc
    return Applied(*row) if row else None


def check_sequence(previous: Applied | None, *, name: str, sequence: int, digest: str) -> None:
    """Higher sequence: an update. Same sequence and same manifest: the current pack again
    (a scan re-applies it every run). Anything else is a rollback or an equivocation."""
    from sigil_scan.packs import PackRejected

    if previous is None or sequence > previous.sequence:
        return
    if sequence == previous.sequence and digest == previous.digest:
        return
    if sequence == previous.sequence:
        raise PackRejected("sequence_replay", f"{name}: sequence {sequence} was already applied with different content")
    raise PackRejected("sequence_replay", f"{name}: sequence {sequence} is older than the last applied {previous.sequence}")


def record_applied(path: Path, *, kind: str, name: str, sequence: int, digest: str, key_id: str, expires_at: str) -> None:
    """Advance the watermark; re-checks inside the transaction so a racing older pack loses."""
    import sqlite3

    from sigil_scan.packs.canonical import format_ts

    try:
        conn = _connect(path)
        try:
            conn.execute("BEGIN IMMEDIATE")
            row = conn.execute(
                "SELECT sequence, digest, key_id, expires_at, applied_at FROM pack_sequence WHERE kind = ? AND name = ?",
                (kind, name),
            ).fetchone()
            try:
                check_sequence(Applied(*row) if row else None, name=name, sequence=sequence, digest=digest)
            except SigilError:
                conn.execute("ROLLBACK")
                raise
            conn.execute(
                "INSERT OR REPLACE INTO pack_sequence (kind, name, sequence, digest, key_id, expires_at, applied_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (kind, name, sequence, digest, key_id, expires_at, format_ts(time.time())),
            )
            conn.execute("COMMIT")
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise SigilError(f"state db {path}: {exc}") from exc
