"""`sigil scan --watch`: the main loop (raw events -> debounce -> batch -> events -> sink).

Timers (seconds; environment overrides, documented in the README, "Watch mode"): debounce window,
heartbeat, reconcile (full rescan, the safety net for anything the kernel did not tell us),
re-attestation, per-target rate limit. SIGINT/SIGTERM: flush what is pending, final heartbeat,
exit 0.
"""

from __future__ import annotations

import os
import queue
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sigil_scan.errors import SigilError


def _env(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise SigilError(f"{name}={raw!r}: not a number") from exc
    if value <= 0:
        raise SigilError(f"{name}={raw!r}: must be positive")
    return value


@dataclass(slots=True)
class WatchConfig:
    debounce: float = 0.15
    max_wait: float = 2.0
    heartbeat: float = 60.0
    reconcile: float = 300.0
    reattest: float = 3600.0
    rate_limit: int = 200  # file events per target per window
    rate_window: float = 10.0
    poll_interval: float = 0.5

    @classmethod
    def from_env(cls) -> WatchConfig:
        return cls(
            debounce=_env("SIGIL_WATCH_DEBOUNCE_MS", 150) / 1000,
            max_wait=_env("SIGIL_WATCH_MAX_WAIT_S", 2.0),
            heartbeat=_env("SIGIL_WATCH_HEARTBEAT_S", 60),
            reconcile=_env("SIGIL_WATCH_RECONCILE_S", 300),
            reattest=_env("SIGIL_WATCH_REATTEST_S", 3600),
            rate_limit=int(_env("SIGIL_WATCH_RATE_LIMIT", 200)),
            rate_window=_env("SIGIL_WATCH_RATE_WINDOW_S", 10),
            poll_interval=_env("SIGIL_WATCH_POLL_S", 0.5),
        )


def _degraded(backend: str, to: str, reason: str, detail: str) -> dict[str, Any]:
    from sigil_scan.events import envelope

    evidence = {"kind": "watcher_degraded", "from": backend, "to": to, "reason": reason, "detail": detail}
    return envelope(evidence, subject={"kind": "self"}, severity="warn")


def run_watch(req: Any) -> int:
    from sigil_scan.commands.common import split_home
    from sigil_scan.commands.scan import load_scan_library
    from sigil_scan.hostmeta import host_meta_event, snapshot, snapshot_hash
    from sigil_scan.locations import default_state_db
    from sigil_scan.paths import PathDisplay
    from sigil_scan.policy import load_policy, merge, resolve_host_id
    from sigil_scan.scan import Scanner, ScanOptions
    from sigil_scan.state import StateDB
    from sigil_scan.surfaces import current_platform
    from sigil_scan.watch.debounce import Debouncer
    from sigil_scan.watch.observer import Watcher, inotify_limit
    from sigil_scan.watch.plan import Planner
    from sigil_scan.watch.session import Session
    from sigil_scan.watch.sink import Sink
    from sigil_scan.watch.stats import RateLimiter, Stats

    raw: queue.Queue[Any] = queue.Queue()
    stop = threading.Event()

    def on_signal(signum: int, _frame: Any) -> None:
        stop.set()
        raw.put(None)  # wake the loop

    # first thing: a SIGTERM during the initial scan must still end with a clean shutdown
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    cfg = WatchConfig.from_env()
    paths, home_mode, home = split_home(req.paths, req.home_flag)
    library = load_scan_library(req)
    refused = req.extra.get("pack_problems", [])
    platform = current_platform()
    eff = merge(load_policy(req.policy) if req.policy else None, library, platform=platform, home=home)
    roots = [Path(os.path.abspath(p)) for p in paths]
    for w in eff.workspaces:
        if w.is_dir() and w not in roots:
            roots.append(Path(os.path.abspath(w)))
    for r in roots:
        if not r.exists():
            raise SigilError(f"{r}: no such file or directory")
    options = ScanOptions(paths=roots, home_mode=home_mode, home=home, rules_dirs=list(req.rules_dirs), follow_symlinks=req.follow_symlinks)
    scanner = Scanner(options, library)
    display = PathDisplay(roots, home)
    state_path = req.state_db or default_state_db()
    db = StateDB(state_path)
    sink = Sink(req.spool, host_id=resolve_host_id(eff))
    # rule_pack_applied / rule_pack_rejected reach the spool as in a one-shot scan; a --pack named
    # on the command line that was refused stops the watcher (exit 2): a long-running watcher on
    # rules the user did not ask for would look healthy while it is not
    sink.emit(req.extra.get("pack_events", []))
    if refused:
        sink.close()
        db.close()
        raise SigilError("; ".join(p.message for p in refused))
    watcher = Watcher(raw, poll=req.poll, poll_interval=cfg.poll_interval)
    stats = Stats(watcher.backend)
    planner = Planner(library, platform=platform, home=home, home_mode=home_mode, roots=roots, eff=eff)
    session = Session(scanner, planner, db, display, eff, stats, RateLimiter(cfg.rate_limit, cfg.rate_window))
    debouncer = Debouncer(cfg.debounce, cfg.max_wait)

    def emit(events: list[dict[str, Any]]) -> None:
        stats.count(events)
        sink.emit(events)

    def add_watches(replay: bool) -> None:
        planned = session.plan.dirs
        before = set(watcher.watched)
        failed = watcher.add(planned)
        limit = inotify_limit()
        new = set(watcher.watched) - before
        if replay:
            # files created in a new directory before its watch existed: replay them
            now = time.monotonic()
            for d in new:
                try:
                    for entry in os.scandir(d):
                        if entry.is_file(follow_symlinks=False):
                            debouncer.add("created", Path(entry.path), now)
                except OSError:
                    continue
        held_planned, held = watcher.verify()
        stats.watches_planned, stats.watches_held = held_planned, held
        if failed:
            stats.degraded += 1
            detail = f"{len(failed)} of {len(planned)} directories not watched (first: {display(failed[0][0])}: {failed[0][1]}); limit {limit}"
            emit([_degraded(watcher.backend, "reconcile_only", "watch_failed", detail)])
        elif held is not None and held < held_planned:
            stats.degraded += 1
            emit([_degraded(watcher.backend, "reconcile_only", "watch_limit", f"{held} watches held of {held_planned} planned; limit {limit}")])

    snap = snapshot()
    snap_hash = snapshot_hash(snap)
    with db.transaction():
        same = db.meta("host_meta_hash") == snap_hash
        db.set_meta("host_meta_hash", snap_hash)
    try:
        emit([host_meta_event(snap, is_reattestation=same)])
        session.full_pass(reason="start", emit=emit)
        add_watches(replay=False)
        emit([stats.heartbeat(is_final=False, spool_lag=sink.lag(), state_db=state_path)])  # "ready"
        now = time.monotonic()
        next_beat, next_reconcile, next_reattest = now + cfg.heartbeat, now + cfg.reconcile, now + cfg.reattest
        while not stop.is_set():
            deadline = min(d for d in (debouncer.next_deadline(), next_beat, next_reconcile, next_reattest) if d is not None)
            replan = False
            try:
                item = raw.get(timeout=max(0.0, deadline - time.monotonic()))
                while item is not None:
                    kind, src, dest, is_dir, ts = item
                    if is_dir:
                        replan = True
                        if kind in ("deleted", "moved"):
                            watcher.forget(Path(src))
                        created = Path(dest) if kind == "moved" and dest else Path(src) if kind == "created" else None
                        if created is not None:
                            for found in planner.new_directory(created):
                                debouncer.add("created", found, ts)
                    elif kind != "closed" or Path(src) not in debouncer.pending:
                        debouncer.add(kind, Path(src), ts, dest=Path(dest) if dest else None)
                    item = raw.get_nowait()
            except queue.Empty:
                pass
            now = time.monotonic()
            if watcher.overflow.is_set():
                watcher.overflow.clear()
                stats.degraded += 1
                emit([_degraded(watcher.backend, watcher.backend, "queue_overflow", "kernel event queue overflowed; full rescan")])
                debouncer.pending.clear()
                session.full_pass(reason="reconcile", emit=emit)
                replan = True
            batch = debouncer.pop_ready(now)
            if batch:
                session.handle(batch, now, emit)
            if replan:
                session.plan = planner.build(session.surfaces.values())
                add_watches(replay=True)
            if now >= next_reconcile:
                session.full_pass(reason="reconcile", emit=emit)
                add_watches(replay=False)
                next_reconcile = now + cfg.reconcile
            if now >= next_reattest:
                session.full_pass(reason="reattest", emit=emit)
                next_reattest = now + cfg.reattest
            if now >= next_beat:
                emit(session.rate_limit_events())
                emit(sink.retention())
                current = snapshot()
                if snapshot_hash(current) != snap_hash:
                    snap, snap_hash = current, snapshot_hash(current)
                    with db.transaction():
                        db.set_meta("host_meta_hash", snap_hash)
                    emit([host_meta_event(snap, is_reattestation=False)])
                emit([stats.heartbeat(is_final=False, spool_lag=sink.lag(), state_db=state_path)])
                next_beat = now + cfg.heartbeat
        # shutdown: flush the debounce window, then a final heartbeat
        batch = debouncer.pop_ready(time.monotonic(), force=True)
        if batch:
            session.handle(batch, time.monotonic(), emit)
        emit(session.rate_limit_events())
        emit([stats.heartbeat(is_final=True, spool_lag=sink.lag(), state_db=state_path)])
    finally:
        watcher.stop()
        sink.close()
        db.close()
    return 0
