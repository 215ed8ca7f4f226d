"""Coalesce bursts of raw file events per path (editors write, rename and chmod in one save).

A path is ready once no event touched it for `window` seconds, or `max_wait` after its first
event (a file rewritten without pause is still reported). The quality of the evidence follows
design.md: several raw events coalesced -> best_effort; more than 1 s queued -> delayed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

DELAYED_AFTER_S = 1.0


@dataclass(slots=True)
class Pending:
    path: Path
    first: float
    last: float
    count: int = 0
    kinds: set[str] = field(default_factory=set)
    rename_from: Path | None = None

    def quality(self, now: float, *, exists: bool) -> str:
        if not exists and self.kinds - {"deleted", "moved_away"}:
            return "incomplete"  # written, then gone before we could hash it
        if now - self.first > DELAYED_AFTER_S:
            return "delayed"
        ops = self.kinds - {"modified", "closed"}
        if len(ops) > 1 or (ops and ops != {"created"} and "modified" in self.kinds):
            return "best_effort"  # several operations coalesced (delete+create, rename+write, ...)
        return "definitive"


class Debouncer:
    def __init__(self, window: float = 0.15, max_wait: float = 2.0) -> None:
        self.window = window
        self.max_wait = max_wait
        self.pending: dict[Path, Pending] = {}

    def add(self, kind: str, path: Path, now: float, *, dest: Path | None = None) -> None:
        if kind == "moved" and dest is not None:
            # the source is gone and the destination is (re)written; flushed together
            self._touch(path, "moved_away", now)
            entry = self._touch(dest, "moved_in", now)
            entry.rename_from = path
            return
        self._touch(path, kind, now)

    def _touch(self, path: Path, kind: str, now: float) -> Pending:
        entry = self.pending.get(path)
        if entry is None:
            entry = self.pending[path] = Pending(path, now, now)
        entry.last = now
        entry.count += 1
        entry.kinds.add(kind)
        return entry

    def next_deadline(self) -> float | None:
        if not self.pending:
            return None
        return min(min(e.last + self.window, e.first + self.max_wait) for e in self.pending.values())

    def pop_ready(self, now: float, *, force: bool = False) -> list[Pending]:
        ready = {p for p, e in self.pending.items() if force or now >= e.last + self.window or now >= e.first + self.max_wait}
        # a rename's source travels with its destination, so "renamed" is never split in two
        for p in list(ready):
            src = self.pending[p].rename_from
            if src is not None and src in self.pending:
                ready.add(src)
        return [self.pending.pop(p) for p in sorted(ready)]
