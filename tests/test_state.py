"""state.db: one-shot drift since the last run, the sqlite file shared with other tables."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

import pytest
from conftest import parse_jsonl, write
from watch_helpers import b3, changes, kind

from sigil_scan.state import FileRow, StateDB

SETTINGS = '{"hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": ".claude/hooks/guard.sh"}]}]}}'
GUARD = "#!/bin/sh\nexit 2\n"


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    return write(tmp_path / "repo", {".claude/settings.local.json": SETTINGS, ".claude/hooks/guard.sh": GUARD})


def test_one_shot_state_db_reports_drift_since_last_run(run_sigil, repo: Path, tmp_path: Path, event_validator) -> None:
    db = str(tmp_path / "st.db")
    first = parse_jsonl(run_sigil("scan", str(repo), "--state-db", db, "--format", "jsonl", "--fail-on", "never").stdout)
    assert [kind(e) for e in first] == ["ai_guard_risk_assessed"]  # baseline: no flood
    bypass = '{"permissions": {"defaultMode": "bypassPermissions"}}'
    (repo / ".claude/settings.local.json").write_text(bypass)
    (repo / ".mcp.json").write_text("{}")
    (repo / ".claude/hooks/guard.sh").unlink()
    second = parse_jsonl(run_sigil("scan", str(repo), "--state-db", db, "--format", "jsonl", "--fail-on", "never").stdout)
    for e in second:
        event_validator(e)
    assert sorted(changes(second)) == [("created", ".mcp.json"), ("modified", ".claude/settings.local.json"), ("removed", ".claude/hooks/guard.sh")]
    mod = next(e for e in second if e["subject"]["value"] == ".claude/settings.local.json" and kind(e) == "file_change")
    assert (mod["evidence"]["before_hash"], mod["evidence"]["after_hash"]) == (b3(SETTINGS), b3(bypass))
    assert [e["evidence"]["toggle"] for e in second if kind(e) == "ai_guard_toggle_drift"] == ["auto_approval_enabled"]
    # unchanged: nothing; off then on again: the drift re-arms
    third = parse_jsonl(run_sigil("scan", str(repo), "--state-db", db, "--format", "jsonl", "--fail-on", "never").stdout)
    assert [kind(e) for e in third] == ["ai_guard_risk_assessed"]
    (repo / ".claude/settings.local.json").write_text("{}")
    run_sigil("scan", str(repo), "--state-db", db, "--format", "jsonl", "--fail-on", "never")
    (repo / ".claude/settings.local.json").write_text(bypass)
    fifth = parse_jsonl(run_sigil("scan", str(repo), "--state-db", db, "--format", "jsonl", "--fail-on", "never").stdout)
    assert [e["evidence"]["toggle"] for e in fifth if kind(e) == "ai_guard_toggle_drift"] == ["auto_approval_enabled"]


def test_state_db_and_spool_errors_are_clean(run_sigil, repo: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_text("this is not sqlite" * 100)
    proc = run_sigil("scan", str(repo), "--state-db", str(bad))
    assert proc.returncode == 2 and "not a usable sqlite database" in proc.stderr
    sp = tmp_path / "sp"
    proc = run_sigil("scan", str(repo), "--spool", str(sp), "--fail-on", "never")
    assert proc.returncode == 0
    lines = [json.loads(x) for f in sorted(sp.glob("events-*.jsonl")) for x in f.read_text().splitlines()]
    assert [kind(e) for e in lines] == ["ai_guard_risk_assessed"]


def test_sqlite_is_wal_with_prefixed_tables_and_tolerates_another_writer(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    db = StateDB(path)
    assert db.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    # the signed-packs code keeps its own table in the same file, with its own connection
    other = sqlite3.connect(path, timeout=10, check_same_thread=False)
    other.execute("CREATE TABLE IF NOT EXISTS pack_sequence (pack TEXT PRIMARY KEY, version INTEGER)")
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO pack_sequence VALUES ('p', 1)")

    def release() -> None:
        other.commit()

    timer = threading.Timer(0.3, release)
    timer.start()
    with db.transaction():  # waits for the other writer (busy timeout), does not fail
        db.put_file(FileRow("/x", "blake3:" + "0" * 64, 1, 1, None, "t", "global"))
    timer.join()
    tables = {r[0] for r in db.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {"pack_sequence", "drift_files", "drift_surfaces", "drift_roots", "drift_meta", "drift_outbox"}
    assert db.file("/x") is not None
    db.close()
    other.close()


def test_outbox_resends_what_a_crash_left_between_commit_and_sink(tmp_path: Path) -> None:
    """Events commit with the state they describe; a crash before the sink got them re-sends them
    (same event_id), a failing sink keeps them, a delivered batch is not sent twice."""
    path = tmp_path / "st.db"
    db = StateDB(path)
    with db.transaction():
        db.outbox_add([{"event_id": "a"}, {"event_id": "b"}])
    db.close()  # the process dies here: committed, never handed to the sink
    db = StateDB(path)
    got: list[dict] = []
    db.outbox_flush(got.extend)
    assert [e["event_id"] for e in got] == ["a", "b"]
    again: list[dict] = []
    db.outbox_flush(again.extend)
    assert again == []
    with db.transaction():
        db.outbox_add([{"event_id": "c"}])

    def broken_sink(events: list[dict]) -> None:
        raise OSError("disk full")

    with pytest.raises(OSError):
        db.outbox_flush(broken_sink)
    later: list[dict] = []
    db.outbox_flush(later.extend)
    assert [e["event_id"] for e in later] == ["c"]
    db.close()
