"""Counters for the heartbeat event, and the per-target rate limit."""

from __future__ import annotations

import os
import time
from collections import Counter, deque
from pathlib import Path
from typing import Any


class Stats:
    def __init__(self, backend: str) -> None:
        self.started = time.monotonic()
        self.backend = backend
        self.by_kind: Counter[str] = Counter()
        self.hash_ms: deque[float] = deque(maxlen=2048)
        self.watches_planned = 0
        self.watches_held: int | None = None
        self.degraded = 0

    def count(self, events: list[dict[str, Any]]) -> None:
        self.by_kind.update(e["evidence"]["kind"] for e in events)

    def percentile(self, q: float) -> float | None:
        if not self.hash_ms:
            return None
        data = sorted(self.hash_ms)
        return round(data[min(len(data) - 1, int(q * len(data)))], 3)

    def heartbeat(self, *, is_final: bool, spool_lag: tuple[int, int] | None, state_db: Path | None) -> dict[str, Any]:
        from sigil_scan.events import envelope

        try:
            db_size = os.stat(state_db).st_size if state_db else None
        except OSError:
            db_size = None
        evidence = {
            "kind": "heartbeat",
            "uptime_s": round(time.monotonic() - self.started, 3),
            "is_final": is_final,
            "events_emitted_total": sum(self.by_kind.values()),
            "events_by_kind": dict(sorted(self.by_kind.items())),
            "hash_p50_ms": self.percentile(0.5),
            "hash_p99_ms": self.percentile(0.99),
            "watcher_backend": self.backend,
            "watches_planned": self.watches_planned,
            "watches_held": self.watches_held,
            "state_db_size_bytes": db_size,
            "spool_lag_events": spool_lag[0] if spool_lag else None,
            "spool_lag_bytes": spool_lag[1] if spool_lag else None,
        }
        event = envelope(evidence, subject={"kind": "self"})
        self.by_kind["heartbeat"] += 1
        return event


class RateLimiter:
    """At most `limit` file events per target in each `window` seconds; the rest are counted and
    summarised in one `rate_limit_exceeded` event when the window closes (state is still kept)."""

    def __init__(self, limit: int, window: float = 10.0) -> None:
        self.limit = limit
        self.window = window
        self.windows: dict[str, tuple[float, int, list[str]]] = {}  # target -> (start, count, dropped paths)

    def allow(self, target: str, path: str, now: float, *, weight: int = 1) -> bool:
        start, count, dropped = self.windows.get(target, (now, 0, []))
        if now - start >= self.window:
            start, count, dropped = now, 0, []
        count += 1
        ok = count <= self.limit * weight
        if not ok:
            dropped.append(path)
        self.windows[target] = (start, count, dropped)
        return ok

    def closed(self, now: float) -> list[dict[str, Any]]:
        """Evidence for each window that closed with drops."""
        out = []
        for target, (start, _count, dropped) in list(self.windows.items()):
            if now - start < self.window:
                continue
            del self.windows[target]
            if dropped:
                prefix = os.path.commonpath(dropped) if len(dropped) > 1 else dropped[0]
                out.append({"kind": "rate_limit_exceeded", "target_id": target, "count_dropped_in_window": len(dropped), "common_path_prefix": prefix, "window_s": self.window})
        return out
