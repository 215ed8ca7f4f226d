"""state.db: what the last run saw, so a run (or the watcher) reports what changed since.

sqlite in WAL mode with a busy timeout: the signed-packs code keeps its own table in the same file
with its own connection, so every table here is prefixed `drift_`. Per path: last blake3, size,
mtime; per surface (tool, scope): last reason-set hash, score and risky toggles. A root seen for
the first time is a baseline: recorded silently, no event flood.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from blake3 import blake3

from sigil_scan.errors import SigilError
from sigil_scan.model import SurfaceAssessment

Display = Callable[[Any], str]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS drift_files (
    path TEXT PRIMARY KEY, blake3 TEXT, size INTEGER, mtime_ns INTEGER,
    surface_key TEXT, target_id TEXT, scope_root TEXT NOT NULL, updated_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS drift_files_root ON drift_files(scope_root);
CREATE TABLE IF NOT EXISTS drift_surfaces (
    surface_key TEXT PRIMARY KEY, reason_hash TEXT NOT NULL, score REAL NOT NULL,
    toggles TEXT NOT NULL, updated_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS drift_roots (root TEXT PRIMARY KEY, established_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS drift_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS drift_outbox (seq INTEGER PRIMARY KEY, event TEXT NOT NULL);
"""


@cache
def risky_toggles() -> frozenset[str]:
    """Reason kinds tracked for off -> on drift (rules/drift.yaml)."""
    from sigil_scan.resources import rules_dir
    from sigil_scan.yamlload import load_yaml

    doc = load_yaml((rules_dir() / "drift.yaml").read_bytes()) or {}
    return frozenset(str(k) for k in doc.get("toggles") or ())


@dataclass(frozen=True, slots=True)
class FileRow:
    path: str
    blake3: str | None
    size: int | None
    mtime_ns: int | None
    surface_key: str | None
    target_id: str | None
    scope_root: str


@dataclass(frozen=True, slots=True)
class SurfaceRow:
    surface_key: str
    reason_hash: str
    score: float
    toggles: frozenset[str]


class StateDB:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.conn = sqlite3.connect(os.fspath(self.path), timeout=10.0, isolation_level=None, check_same_thread=False)
            self.conn.execute("PRAGMA busy_timeout = 10000")
            self.conn.execute("PRAGMA journal_mode = WAL")
            # NORMAL in WAL: a commit survives a process crash; power loss may drop the last one,
            # which the next run reports again as drift (never a silent loss of a change).
            self.conn.execute("PRAGMA synchronous = NORMAL")
            self.conn.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise SigilError(f"--state-db {self.path}: not a usable sqlite database ({exc})") from exc
        except OSError as exc:
            raise SigilError(f"--state-db {self.path}: {exc.strerror or exc}") from exc

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()

    # -- outbox: events committed with the state they describe, then handed to the sink ----------
    def outbox_add(self, events: Iterable[dict[str, Any]]) -> None:
        """Queue events in the current transaction: they commit (or roll back) with the state."""
        self.conn.executemany("INSERT INTO drift_outbox (event) VALUES (?)", [(json.dumps(e),) for e in events])

    def outbox_flush(self, emit: Callable[[list[dict[str, Any]]], None]) -> None:
        """Hand every queued event to `emit` (a durable sink), then forget them.

        A crash before the emit re-sends them at the next flush, a crash after it re-sends them
        with the same event_id (at least once, deduplicated downstream): the sink never misses a
        change the state already records, and never sees one the state rolled back."""
        rows = self.conn.execute("SELECT seq, event FROM drift_outbox ORDER BY seq").fetchall()
        if not rows:
            return
        emit([json.loads(event) for _, event in rows])
        with self.transaction():
            self.conn.execute("DELETE FROM drift_outbox WHERE seq <= ?", (rows[-1][0],))

    # -- files ----------------------------------------------------------------------------------
    def file(self, path: str) -> FileRow | None:
        row = self.conn.execute("SELECT path, blake3, size, mtime_ns, surface_key, target_id, scope_root FROM drift_files WHERE path = ?", (path,)).fetchone()
        return FileRow(*row) if row else None

    def files(self, scope_roots: Iterable[str] | None = None) -> list[FileRow]:
        sql = "SELECT path, blake3, size, mtime_ns, surface_key, target_id, scope_root FROM drift_files"
        rows = self.conn.execute(sql).fetchall()
        wanted = None if scope_roots is None else set(scope_roots)
        return [FileRow(*r) for r in rows if wanted is None or r[6] in wanted]

    def put_file(self, row: FileRow) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO drift_files VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (row.path, row.blake3, row.size, row.mtime_ns, row.surface_key, row.target_id, row.scope_root, time.time()),
        )

    def drop_file(self, path: str) -> None:
        self.conn.execute("DELETE FROM drift_files WHERE path = ?", (path,))

    # -- surfaces -------------------------------------------------------------------------------
    def surface(self, key: str) -> SurfaceRow | None:
        row = self.conn.execute("SELECT surface_key, reason_hash, score, toggles FROM drift_surfaces WHERE surface_key = ?", (key,)).fetchone()
        return SurfaceRow(row[0], row[1], row[2], frozenset(json.loads(row[3]))) if row else None

    def put_surface(self, row: SurfaceRow) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO drift_surfaces VALUES (?, ?, ?, ?, ?)",
            (row.surface_key, row.reason_hash, row.score, json.dumps(sorted(row.toggles)), time.time()),
        )

    def drop_surface(self, key: str) -> None:
        self.conn.execute("DELETE FROM drift_surfaces WHERE surface_key = ?", (key,))

    # -- roots and meta -------------------------------------------------------------------------
    def baselined(self, root: str) -> bool:
        return self.conn.execute("SELECT 1 FROM drift_roots WHERE root = ?", (root,)).fetchone() is not None

    def mark_baselined(self, root: str) -> None:
        self.conn.execute("INSERT OR IGNORE INTO drift_roots VALUES (?, ?)", (root, time.time()))

    def meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM drift_meta WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT OR REPLACE INTO drift_meta VALUES (?, ?)", (key, value))


def surface_key(surface: SurfaceAssessment) -> str:
    return surface.tool + "\x1f" + json.dumps(surface.scope.wire(), sort_keys=True)


def reason_hash(surface: SurfaceAssessment) -> str:
    items = sorted(f"{r.kind}\x1f{r.rule_id}\x1f{r.fingerprint}" for r in surface.reasons if not r.suppressed_by)
    return "blake3:" + blake3("\x1e".join(items).encode()).hexdigest()


def surface_toggles(surface: SurfaceAssessment) -> frozenset[str]:
    tracked = risky_toggles()
    return frozenset(r.kind for r in surface.reasons if not r.suppressed_by and r.kind in tracked)


@dataclass(frozen=True, slots=True)
class Observed:
    """A tracked file as it is now (blake3 None: present but unreadable)."""

    path: Path
    blake3: str | None
    size: int | None
    surface_key: str | None
    target_id: str | None
    scope_root: str


@dataclass(frozen=True, slots=True)
class Hint:
    """What the watcher knows about a change beyond the hashes."""

    quality: str = "definitive"  # definitive | best_effort | delayed | incomplete
    rename_from: Path | None = None


def mtime_ns(path: Path) -> int | None:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


class DriftRecorder:
    """Compares what is observed now with state.db, records it, and returns the events."""

    def __init__(self, db: StateDB, display: Display, *, target_of: Callable[[str | None], str | None] | None = None) -> None:
        self.db = db
        self.display = display
        self.target_of = target_of or (lambda t: t)

    def _file_event(self, path: Path, kind: str, before: str | None, after: str | None, size: int | None, target: str | None, hint: Hint, rename_from: str | None = None) -> dict[str, Any]:
        from sigil_scan.events import envelope

        evidence = {
            "kind": "file_change",
            "change_kind": kind,
            "before_hash": before,
            "after_hash": after,
            "recheck_hash": None,
            "rename_from": rename_from,
            "size_after": size,
            "evidence_quality": hint.quality,
        }
        return envelope(evidence, subject={"kind": "path", "value": self.display(path)}, severity="warn", source="file_system", target_id=self.target_of(target))

    def files(
        self,
        observed: Iterable[Observed],
        gone: Iterable[Path] = (),
        *,
        quiet: Callable[[str], bool],
        hints: dict[Path, Hint] | None = None,
        default: Hint | None = None,
    ) -> list[dict[str, Any]]:
        """file_change events for created / modified / renamed / removed files; records them.

        `default` is the hint for a file the caller had no event for (a reconcile found it)."""
        hints = hints or {}
        default = default or Hint()
        events: list[dict[str, Any]] = []
        consumed: set[str] = set()
        for ob in observed:
            key = os.fspath(ob.path)
            hint = hints.get(ob.path, default)
            prev = self.db.file(key)
            if ob.blake3 is None:
                continue  # unreadable right now: keep the last known hash
            src_row = None
            if hint.rename_from is not None and prev is None:
                src_row = self.db.file(os.fspath(hint.rename_from))
            if not quiet(ob.scope_root):
                if src_row is not None:
                    events.append(self._file_event(ob.path, "renamed", src_row.blake3, ob.blake3, ob.size, ob.target_id, hint, self.display(hint.rename_from)))
                elif prev is None:
                    events.append(self._file_event(ob.path, "created", None, ob.blake3, ob.size, ob.target_id, hint))
                elif prev.blake3 != ob.blake3:
                    events.append(self._file_event(ob.path, "modified", prev.blake3, ob.blake3, ob.size, ob.target_id, hint))
            if src_row is not None:
                self.db.drop_file(src_row.path)
                consumed.add(src_row.path)
            self.db.put_file(FileRow(key, ob.blake3, ob.size, mtime_ns(ob.path), ob.surface_key, ob.target_id, ob.scope_root))
        for path in gone:
            key = os.fspath(path)
            if key in consumed or os.path.lexists(path):
                continue
            prev = self.db.file(key)
            if prev is None:
                continue
            if not quiet(prev.scope_root):
                hint = hints.get(path, default)
                events.append(self._file_event(path, "removed", prev.blake3, None, None, prev.target_id, hint))
            self.db.drop_file(key)
        return events

    def surfaces(self, surfaces: Iterable[SurfaceAssessment], *, quiet: Callable[[str], bool], root_of: Callable[[SurfaceAssessment], str]) -> tuple[list[dict[str, Any]], set[str]]:
        """ai_guard_toggle_drift events for toggles gone off -> on; also the keys whose reason set
        changed (so the caller knows a risk_assessed is not a re-attestation)."""
        from sigil_scan.events import envelope

        events: list[dict[str, Any]] = []
        changed: set[str] = set()
        for s in surfaces:
            key = surface_key(s)
            prev = self.db.surface(key)
            now_hash, toggles = reason_hash(s), surface_toggles(s)
            if prev is None or prev.reason_hash != now_hash:
                changed.add(key)
            before = prev.toggles if prev is not None else frozenset()
            if not quiet(root_of(s)):
                primary = s.files[0] if s.files else None
                for toggle in sorted(toggles - before):
                    evidence = {"kind": "ai_guard_toggle_drift", "tool": s.tool, "scope": s.scope.wire(self.display), "toggle": toggle}
                    subject = {"kind": "path", "value": self.display(primary.path)} if primary else {"kind": "self"}
                    events.append(envelope(evidence, subject=subject, severity="warn", target_id=self.target_of(primary.surface_id if primary else None)))
            self.db.put_surface(SurfaceRow(key, now_hash, s.score, toggles))
        return events, changed
