"""Event identity: UUIDv7 event ids, RFC 3339 timestamps, and a stable, non-reversible host id."""

from __future__ import annotations

import os
import time
import uuid
from datetime import datetime, timezone
from functools import cache
from pathlib import Path

from blake3 import blake3

_MACHINE_ID_FILES = ("/etc/machine-id", "/var/lib/dbus/machine-id")


def uuid7(now_ms: int | None = None) -> str:
    """A UUIDv7 (RFC 9562): 48-bit ms timestamp, version 7, 74 random bits. Sorts by time."""
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= ((rand >> 62) & 0xFFF) << 64
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    return str(uuid.UUID(int=value))


def rfc3339_ms(ts: float | None = None) -> str:
    moment = datetime.fromtimestamp(time.time() if ts is None else ts, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@cache
def host_id(strategy: str = "machine_id") -> str:
    """Stable per machine, derived from the machine id by a keyed hash: never the raw id."""
    raw = None
    if strategy == "machine_id":
        for name in _MACHINE_ID_FILES:
            try:
                raw = Path(name).read_text().strip() or None
            except OSError:
                continue
            if raw:
                break
    if raw is None:
        import socket  # only when there is no machine id (≈3 ms of import otherwise)

        raw = "hostname:" + socket.gethostname()
    return "h-" + blake3(raw.encode(), derive_key_context="sigil-scan 2026 host id v1").hexdigest()[:32]
