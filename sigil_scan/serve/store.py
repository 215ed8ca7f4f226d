"""sqlite storage for received events: deduplicated by event_id, with receive time and client identity."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    host_id TEXT NOT NULL,
    ts TEXT NOT NULL,
    kind TEXT NOT NULL,
    received_at REAL NOT NULL,
    client TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_host ON events(host_id, kind, seq);
"""


class Store:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # one connection shared by the handler threads, serialised by a lock (sqlite writes are
        # serial anyway; this keeps the code free of per-thread connection bookkeeping)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")  # an acknowledged event survives a crash
            self._db.executescript(SCHEMA)

    def insert(self, events: list[dict[str, Any]], client: str) -> int:
        """Insert all in one transaction (committed before the answer is sent); duplicates are ignored."""
        now = time.time()
        rows = [
            (
                e["event_id"],
                e["host_id"],
                e["ts"],
                str(e.get("evidence", {}).get("kind", "")),
                now,
                client,
                json.dumps(e, separators=(",", ":"), ensure_ascii=False),
            )
            for e in events
        ]
        with self._lock:
            before = self._db.total_changes
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany(
                    "INSERT OR IGNORE INTO events(event_id, host_id, ts, kind, received_at, client, body) VALUES (?,?,?,?,?,?,?)", rows
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            return self._db.total_changes - before

    def hosts(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT host_id, COUNT(*), MAX(ts), MAX(received_at) FROM events GROUP BY host_id ORDER BY host_id"
            ).fetchall()
        return [{"host_id": h, "events": n, "last_event_ts": ts, "last_received_at": r} for h, n, ts, r in rows]

    def posture(self, host: str) -> list[dict[str, Any]]:
        """The latest ai_guard_risk_assessed event per (tool, scope) of one host."""
        with self._lock:
            rows = self._db.execute(
                "SELECT body FROM events WHERE host_id = ? AND kind = 'ai_guard_risk_assessed' ORDER BY seq", (host,)
            ).fetchall()
        latest: dict[str, dict[str, Any]] = {}
        for (body,) in rows:
            event = json.loads(body)
            ev = event["evidence"]
            key = json.dumps([ev.get("tool"), ev.get("scope")], sort_keys=True)
            latest[key] = {"tool": ev.get("tool"), "scope": ev.get("scope"), "score": ev.get("score"), "bucket": ev.get("bucket"), "ts": event["ts"], "event_id": event["event_id"]}
        return sorted(latest.values(), key=lambda s: (-(s["score"] or 0), str(s["tool"])))

    def events_since(self, since: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, received_at, client, body FROM events WHERE seq > ? ORDER BY seq LIMIT ?", (since, limit)
            ).fetchall()
        out = [{"seq": s, "received_at": r, "client": c, "event": json.loads(b)} for s, r, c, b in rows]
        return out, (rows[-1][0] if rows else since)

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM events").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()
