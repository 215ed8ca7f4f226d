"""The dead-letter directory: events a receiver refused permanently, with its reason.

One JSONL file per UTC day (`dead-letter-YYYY-MM-DD.jsonl`), each line
`{dead_lettered_at, sink, status, reason, event_id, event}`, appended and fsynced before the
spool checkpoint moves past the event. An event already in the directory is not written again
(a batch retried after a crash re-meets the same refusal).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any


class DeadLetters:
    def __init__(self, directory: Path, *, sink: str) -> None:
        self.directory = directory
        self.sink = sink
        self._seen: set[str] | None = None

    def _ids(self) -> set[str]:
        if self._seen is None:
            self._seen = set()
            for path in sorted(self.directory.glob("dead-letter-*.jsonl")):
                try:
                    text = path.read_text(encoding="utf-8", errors="replace")
                except OSError:
                    continue
                for line in text.splitlines():
                    try:
                        self._seen.add(str(json.loads(line)["event_id"]))
                    except (ValueError, KeyError, TypeError):
                        continue
        return self._seen

    def count(self) -> int:
        return len(self._ids())

    def add(self, entries: list[tuple[str, Any, int | None, str]]) -> int:
        """entries: (event_id, event or raw text, HTTP status or None, reason). Returns how many were new."""
        seen = self._ids()
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        lines = []
        for event_id, event, status, reason in entries:
            if event_id in seen:
                continue
            seen.add(event_id)
            record = {"dead_lettered_at": now, "sink": self.sink, "status": status, "reason": reason, "event_id": event_id, "event": event}
            lines.append(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
        if not lines:
            return 0
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o750)
        path = self.directory / f"dead-letter-{time.strftime('%Y-%m-%d', time.gmtime())}.jsonl"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o640)
        try:
            os.write(fd, "".join(lines).encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        return len(lines)
