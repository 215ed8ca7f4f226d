"""The delivery loop: spool -> batches -> sink -> checkpoint.

Invariant: the checkpoint moves past a batch only when every event in it is either acknowledged
by the receiver or written (fsynced) to the dead-letter directory. Anything else - a crash, a
timeout, a malformed answer - leaves the checkpoint where it was and the batch is sent again;
receivers deduplicate by event_id (native: primary key; `_bulk`: `_id`).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

from sigil_scan.upload.backoff import Backoff
from sigil_scan.upload.config import UploadConfig
from sigil_scan.upload.deadletter import DeadLetters
from sigil_scan.upload.sinks import BatchRejected, Item, Retry, make_sink
from sigil_scan.upload.status import UploadStatus, heartbeat_event, save_status, status_path

SLOW_KINDS = ("tls", "auth")  # need an operator: say so loudly, retry on the slow schedule


def parse_lines(lines: list[bytes]) -> tuple[list[Item], list[tuple[str, Any, int | None, str]]]:
    """Spool lines -> items; a line that is not an event object cannot be sent and is dead-lettered."""
    items: list[Item] = []
    bad: list[tuple[str, Any, int | None, str]] = []
    for line in lines:
        try:
            event = json.loads(line)
            event_id = event["event_id"]
            if not isinstance(event_id, str) or not event_id:
                raise TypeError
        except (ValueError, KeyError, TypeError):
            from blake3 import blake3

            bad.append(("line:" + blake3(line).hexdigest()[:32], line.decode("utf-8", "replace"), None, "unparseable spool line"))
            continue
        items.append(Item(event_id, line, event))
    return items, bad


class Uploader:
    def __init__(self, config: UploadConfig, *, log: Callable[[str], None], stop: threading.Event | None = None) -> None:
        from sigil_scan.errors import SigilError
        from sigil_scan.locations import default_spool, state_dir
        from sigil_scan.spool import SpoolReader
        from sigil_scan.upload.transport import TransportError, client_context

        try:
            client_context(config.tls)  # unreadable certificates are a config error: fail now, not retry forever
        except TransportError as exc:
            raise SigilError(f"upload config: {exc}") from exc
        self.config = config
        self.spool = config.spool or default_spool()
        self.reader = SpoolReader(self.spool, consumer=config.consumer)
        self.sink = make_sink(config)
        self.dead = DeadLetters(config.dead_letter_dir or state_dir() / "dead-letter", sink=config.sink)
        self.stop = stop or threading.Event()
        self._log = log
        self.fast = Backoff(config.backoff_initial, config.backoff_max)
        self.slow = Backoff(config.auth_backoff_initial, config.auth_backoff_max)
        self.status_file = status_path(self.spool, config.consumer)
        self.status = UploadStatus(sink=config.sink, url=config.url, dead_letter_dir=str(self.dead.directory))
        self.status.dead_letters = self.dead.count()
        self.puller: Any = None
        if config.packs is not None and config.sink == "native":
            from sigil_scan.upload.packpull import PackPuller

            client = getattr(self.sink, "client", None)
            auth = f"{config.auth_scheme} {config.token}" if config.token else None
            self.puller = PackPuller(config.packs, client, self.spool / f"upload-packs-{config.consumer}.json", auth)  # type: ignore[arg-type]

    # -- reporting ---------------------------------------------------------------------------
    def log(self, text: str) -> None:
        if self.config.token:
            text = text.replace(self.config.token, "***")
        self._log(text)

    def _refresh_lag(self) -> None:
        self.status.lag_events, self.status.lag_bytes = self.reader.lag()

    def _save(self) -> None:
        self.status.dead_letters = self.dead.count()
        save_status(self.status_file, self.status)

    # -- delivery ----------------------------------------------------------------------------
    def _wait(self, delay: float, deadline: float | None) -> bool:
        if deadline is not None and time.monotonic() + delay > deadline:
            return False
        return not self.stop.wait(delay)

    def deliver(self, items: list[Item], deadline: float | None) -> bool:
        """Deliver or dead-letter every item; False if stopped or out of time first."""
        pending = [items] if items else []
        while pending:
            if self.stop.is_set():
                return False
            chunk = pending.pop()
            self.status.last_attempt_at = time.time()
            try:
                verdict = self.sink.deliver(chunk)
            except Retry as r:
                self.status.consecutive_failures += 1
                self.status.last_status, self.status.last_error, self.status.last_error_kind = r.status, str(r), r.kind
                if r.retry_after is not None:
                    delay = r.retry_after
                else:
                    delay = (self.slow if r.kind in SLOW_KINDS else self.fast).next_delay()
                prefix = "error" if r.kind in SLOW_KINDS else "warning"
                self.log(f"sigil: {prefix}: upload to {self.config.url} failed ({r.kind}): {r}; retrying in {delay:.2f} s")
                self._save()
                pending.append(chunk)
                if not self._wait(delay, deadline):
                    return False
                continue
            except BatchRejected as b:
                if len(chunk) > 1:
                    # one bad event must not sink its neighbours: bisect down to the refused ones
                    mid = len(chunk) // 2
                    pending.extend([chunk[mid:], chunk[:mid]])
                else:
                    self.dead.add([(chunk[0].event_id, chunk[0].event, b.status, b.reason)])
                    self.log(f"sigil: warning: event {chunk[0].event_id} rejected permanently: {b.reason}")
                continue
            self.fast.reset()
            self.slow.reset()
            self.status.consecutive_failures = 0
            self.status.last_error = self.status.last_error_kind = None
            self.status.last_status = 200
            self.status.last_ack_at = time.time()
            self.status.delivered += len(verdict.acked)
            if verdict.rejected:
                by_id = {i.event_id: i for i in chunk}
                self.dead.add([(eid, by_id[eid].event, None, reason) for eid, reason in verdict.rejected.items()])
                self.log(f"sigil: warning: {len(verdict.rejected)} event(s) rejected permanently (see {self.dead.directory})")
            retry = [i for i in chunk if i.event_id in verdict.retry]
            if retry:
                pending.append(retry)
                if not self._wait(self.fast.next_delay(), deadline):
                    return False
        return True

    def flush(self, deadline: float | None) -> bool:
        """Deliver everything in the spool; True when it is drained."""
        self._refresh_lag()
        try:
            while not self.stop.is_set():
                lines, cursor = self.reader.read(max_events=self.config.max_events, max_bytes=self.config.max_bytes)
                if not lines:
                    return True
                items, bad = parse_lines(lines)
                if bad:
                    self.dead.add(bad)
                if not self.deliver(items, deadline):
                    return False
                self.reader.commit(cursor)
                self.status.lag_events = max(0, self.status.lag_events - len(lines))
                self.status.lag_bytes = max(0, self.status.lag_bytes - sum(len(x) + 1 for x in lines))
                self._save()
            return False
        finally:
            self._refresh_lag()
            self._save()

    def heartbeat(self) -> bool:
        """One attempt, no retry: a lost heartbeat is replaced by the next one."""
        if self.config.heartbeat_interval <= 0:
            return False
        self._refresh_lag()
        self.status.dead_letters = self.dead.count()
        event = heartbeat_event(self.status)
        item = Item(event["event_id"], json.dumps(event, separators=(",", ":")).encode(), event)
        try:
            verdict = self.sink.deliver([item])
        except (Retry, BatchRejected):
            return False
        return item.event_id in verdict.acked

    def pull_packs(self) -> None:
        if self.puller is None:
            return
        outcome, message = self.puller.pull()
        if outcome in ("installed", "rejected", "error"):
            self.log(f"sigil: {'warning: ' if outcome != 'installed' else ''}{message}")

    def run_once(self) -> bool:
        deadline = time.monotonic() + self.config.deadline if self.config.deadline > 0 else None
        self.pull_packs()
        drained = self.flush(deadline)
        if drained:
            self.heartbeat()
        return drained

    def follow(self, *, max_seconds: float | None = None) -> None:
        """Deliver as events arrive until stopped (SIGTERM / SIGINT) or max_seconds pass."""
        end = None if max_seconds is None else time.monotonic() + max_seconds
        next_beat = next_pull = time.monotonic()
        while not self.stop.is_set() and (end is None or time.monotonic() < end):
            self.flush(end)
            now = time.monotonic()
            if self.config.heartbeat_interval > 0 and now >= next_beat:
                self.heartbeat()
                next_beat = now + self.config.heartbeat_interval
            if self.config.packs is not None and now >= next_pull:
                self.pull_packs()
                next_pull = now + self.config.packs.interval
            wait = self.config.poll if end is None else max(0.0, min(self.config.poll, end - time.monotonic()))
            self.stop.wait(wait)

    def close(self) -> None:
        self.sink.close()

