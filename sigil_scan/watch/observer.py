"""The only module that imports watchdog: kernel notifications (or polling) -> a queue.

perf-notes §5 traps handled here: an explicit `event_filter` (the default mask livelocks past ~6k
dirs), our own non-recursive watches (counted and verified against /proc/self/fdinfo, since
watchdog hides ENOSPC), and a handler on watchdog's inotify loggers that turns a queue overflow
into a flag the runner answers with `watcher_degraded` and a full rescan.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import sys
import threading
import time
from pathlib import Path
from typing import Any

RawEvent = tuple[str, str, str | None, bool, float]  # type, src, dest, is_directory, monotonic time


class _OverflowHandler(logging.Handler):
    def __init__(self, flag: threading.Event) -> None:
        super().__init__(logging.WARNING)
        self.flag = flag

    def emit(self, record: logging.LogRecord) -> None:
        if "overflow" in record.getMessage().lower():
            self.flag.set()


def inotify_watch_count() -> int | None:
    """inotify watches this process holds (None where /proc is not available)."""
    base = "/proc/self/fdinfo"
    try:
        names = os.listdir(base)
    except OSError:
        return None
    total = 0
    for name in names:
        try:
            with open(os.path.join(base, name), "rb") as f:
                total += f.read().count(b"inotify wd:")
        except OSError:
            continue
    return total


def inotify_limit() -> int | None:
    try:
        return int(Path("/proc/sys/fs/inotify/max_user_watches").read_text())
    except (OSError, ValueError):
        return None


class Watcher:
    def __init__(self, events: queue.Queue[RawEvent], *, poll: bool, poll_interval: float = 0.5) -> None:
        from watchdog.events import (
            DirCreatedEvent,
            DirDeletedEvent,
            DirMovedEvent,
            FileClosedEvent,
            FileCreatedEvent,
            FileDeletedEvent,
            FileModifiedEvent,
            FileMovedEvent,
            FileSystemEvent,
            FileSystemEventHandler,
        )

        self.event_filter: list[type[FileSystemEvent]] = [
            FileCreatedEvent, FileModifiedEvent, FileClosedEvent, FileDeletedEvent, FileMovedEvent,
            DirCreatedEvent, DirDeletedEvent, DirMovedEvent,
        ]
        self.overflow = threading.Event()
        self._log_handler = _OverflowHandler(self.overflow)
        for name in ("watchdog.observers.inotify_c", "watchdog.observers.inotify"):
            logging.getLogger(name).addHandler(self._log_handler)

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event: FileSystemEvent) -> None:
                dest = os.fsdecode(event.dest_path) if event.dest_path else None
                events.put((event.event_type, os.fsdecode(event.src_path), dest, event.is_directory, time.monotonic()))

        self.handler = Handler()
        self.observer: Any
        if poll:
            from watchdog.observers.polling import PollingObserver

            self.observer = PollingObserver(timeout=poll_interval)
            self.backend = "poll"
        elif sys.platform.startswith("linux"):
            from watchdog.observers.inotify import InotifyObserver

            self.observer = InotifyObserver()
            self.backend = "inotify"
        else:  # pragma: no cover - macOS / Windows
            from watchdog.observers import Observer

            self.observer = Observer()
            self.backend = {"darwin": "fsevents", "win32": "windows"}.get(sys.platform, "native")
        self.watched: dict[Path, Any] = {}  # dir -> watchdog ObservedWatch
        self.observer.start()

    def add(self, dirs: set[Path]) -> list[tuple[Path, str]]:
        """Watch each new directory (non-recursively); returns those that could not be watched."""
        failed: list[tuple[Path, str]] = []
        for d in sorted(dirs - set(self.watched)):
            try:
                self.watched[d] = self.observer.schedule(self.handler, os.fspath(d), recursive=False, event_filter=self.event_filter)
            except OSError as exc:
                failed.append((d, exc.strerror or str(exc)))
        return failed

    def forget(self, d: Path) -> None:
        """A watched directory was deleted or moved: its kernel watch is gone, drop ours too."""
        watch = self.watched.pop(d, None)
        if watch is not None:
            with contextlib.suppress(KeyError, OSError):
                self.observer.unschedule(watch)

    def verify(self) -> tuple[int, int | None]:
        """(watches planned, watches the kernel really holds for us)."""
        if self.backend != "inotify":
            return len(self.watched), len(self.watched)
        return len(self.watched), inotify_watch_count()

    def stop(self) -> None:
        for name in ("watchdog.observers.inotify_c", "watchdog.observers.inotify"):
            logging.getLogger(name).removeHandler(self._log_handler)
        self.observer.stop()
        self.observer.join(timeout=5)
