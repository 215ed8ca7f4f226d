"""Where watch events go: the durable spool (--spool) or JSONL on stdout, one line per event."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from sigil_scan.errors import SigilError
from sigil_scan.spool import SpoolReader, SpoolWriter


def _env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


def enforce_retention(writer: SpoolWriter) -> list[dict[str, Any]]:
    """Soft size/age limits (consumed segments only) and the hard cap; appends and returns the
    `spool_force_gc` event when the cap had to delete unsent segments."""
    result = writer.enforce_retention(
        max_total_bytes=_env_int("SIGIL_SPOOL_MAX_BYTES", 256 << 20),
        max_age_s=_env_int("SIGIL_SPOOL_MAX_AGE_S", 7 * 86400),
        hard_cap_bytes=_env_int("SIGIL_SPOOL_HARD_CAP_BYTES", 1 << 30),
    )
    if result.force_gc is None:
        return []
    from sigil_scan.events import envelope

    event = envelope(result.force_gc, subject={"kind": "path", "value": os.fspath(writer.directory)}, severity="warn")
    writer.append(event)
    return [event]


class Sink:
    def __init__(self, spool: Path | None, *, host_id: str | None = None) -> None:
        self.writer = SpoolWriter(spool) if spool else None
        self.reader = SpoolReader(spool) if spool else None
        self.host_id = host_id

    def emit(self, events: list[dict[str, Any]]) -> None:
        if not events:
            return
        if self.host_id:
            for e in events:
                e["host_id"] = self.host_id
        if self.writer is not None:
            self.writer.append_many(events)  # one fsync for the batch (group commit)
            return
        out = "".join(json.dumps(e, separators=(",", ":"), ensure_ascii=False) + "\n" for e in events)
        try:
            sys.stdout.write(out)
            sys.stdout.flush()
        except BrokenPipeError as exc:  # the reader went away: stop rather than lose events silently
            raise SigilError("stdout was closed; use --spool for durable output") from exc

    def lag(self) -> tuple[int, int] | None:
        if self.reader is None:
            return None
        try:
            return self.reader.lag()
        except (SigilError, OSError):  # a consumer's broken checkpoint must not stop the watcher
            return None

    def retention(self) -> list[dict[str, Any]]:
        return enforce_retention(self.writer) if self.writer is not None else []

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
