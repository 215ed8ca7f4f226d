"""Canonical bytes, digests, timestamps and versions shared by signing and verification."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from typing import Any

# Domain separation: a signature made for a sigil document is never valid as anything else
# the same key might sign, and the payload's `kind` separates packs from policies.
SIGNING_PREFIX = b"sigil-scan signed document v1\n"
_TS_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def canonical_bytes(obj: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8. Payloads carry no floats, so this form is unique."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def digest(data: bytes) -> str:
    import blake3

    return "blake3:" + blake3.blake3(data).hexdigest()


def file_hash(data: bytes) -> str:
    import blake3

    return blake3.blake3(data).hexdigest()


def format_ts(epoch: float) -> str:
    return datetime.fromtimestamp(int(epoch), tz=timezone.utc).strftime(_TS_FORMAT)


def parse_ts(value: Any) -> float:
    """RFC 3339 UTC timestamp ("2026-01-31T00:00:00Z"; YAML may already hand us a datetime)."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return moment.timestamp()
    if not isinstance(value, str):
        raise ValueError(f"not a timestamp: {value!r}")
    try:
        return datetime.strptime(value, _TS_FORMAT).replace(tzinfo=timezone.utc).timestamp()
    except ValueError:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            raise ValueError(f"timestamp without a time zone: {value!r}") from None
        return moment.timestamp()


def now_or(now: float | None) -> float:
    return time.time() if now is None else now


def parse_version(value: str) -> tuple[int, ...]:
    """"1.2.3" -> (1, 2, 3); pre-release suffixes are ignored ("0.2.0rc1" -> (0, 2, 0))."""
    parts: list[int] = []
    for piece in value.split(".")[:4]:
        digits = ""
        for ch in piece:
            if not ch.isdigit():
                break
            digits += ch
        if not digits:
            raise ValueError(f"not a version: {value!r}")
        parts.append(int(digits))
    while len(parts) < 3:
        parts.append(0)
    return tuple(parts)
