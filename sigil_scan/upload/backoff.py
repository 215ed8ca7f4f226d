"""Exponential backoff with jitter, and Retry-After parsing."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime


class Backoff:
    """Doubling delays from `initial` up to `cap`, with "equal jitter": each delay is drawn from
    [d/2, d], so a fleet that failed together does not retry together, yet never retries at once."""

    def __init__(self, initial: float, cap: float, *, rng: Callable[[], float] = random.random) -> None:
        self.initial = max(0.0, initial)
        self.cap = max(self.initial, cap)
        self.attempt = 0
        self._rng = rng

    def next_delay(self) -> float:
        base = float(min(self.cap, self.initial * (2.0 ** min(self.attempt, 62))))
        self.attempt += 1
        return base / 2 + self._rng() * base / 2

    def reset(self) -> None:
        self.attempt = 0


def parse_retry_after(value: str | None, *, now: float | None = None, cap: float = 3600.0) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), capped; None if absent
    or unparseable (a hostile or buggy server must not park the uploader forever)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), cap)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    delta = when.timestamp() - (time.time() if now is None else now)
    return min(max(0.0, delta), cap)
