"""The durable spool: append/read/commit, rotation, torn tails, the writer lock, retention."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sigil_scan.errors import SigilError
from sigil_scan.spool import Cursor, SpoolReader, SpoolWriter, list_segments, segment_name


def ev(i: int, pad: int = 0) -> dict[str, object]:
    return {"i": i, "text": "line\nwith newline \u2028", "pad": "x" * pad}


def test_append_read_commit_roundtrip(tmp_path: Path) -> None:
    d = tmp_path / "spool"
    with SpoolWriter(d) as w:
        w.append(ev(0))
        w.append_many([ev(1), ev(2)])
    assert oct(d.stat().st_mode & 0o777) == oct(0o750)
    r = SpoolReader(d)
    lines, cur = r.read(max_events=2, max_bytes=1 << 20)
    assert [json.loads(x)["i"] for x in lines] == [0, 1]
    assert json.loads(lines[0])["text"] == "line\nwith newline \u2028"  # escaped, not split
    assert r.lag() == (3, sum(len(json.dumps(ev(i), separators=(",", ":"), ensure_ascii=False).encode()) + 1 for i in range(3)))
    # not committed: the same lines again
    again, cur2 = r.read(max_events=2, max_bytes=1 << 20)
    assert again == lines and cur2 == cur
    r.commit(cur)
    assert json.loads((d / "checkpoint-uploader.json").read_text()) == {"segment": cur.segment, "offset": cur.offset}
    rest, cur3 = r.read(max_events=10, max_bytes=1 << 20)
    assert [json.loads(x)["i"] for x in rest] == [2]
    r.commit(cur3)
    none, cur4 = r.read(max_events=10, max_bytes=1 << 20)
    assert none == [] and cur4 == cur3
    assert r.lag() == (0, 0)


def test_max_bytes_limits_but_always_makes_progress(tmp_path: Path) -> None:
    d = tmp_path / "s"
    with SpoolWriter(d) as w:
        w.append_many([ev(i, pad=100) for i in range(5)])
    r = SpoolReader(d)
    lines, _ = r.read(max_events=100, max_bytes=10)  # smaller than one line
    assert len(lines) == 1
    lines, _ = r.read(max_events=100, max_bytes=300)
    assert len(lines) == 2


def test_rotation_by_size_and_reading_across_segments(tmp_path: Path) -> None:
    d = tmp_path / "s"
    with SpoolWriter(d, max_segment_bytes=400) as w:
        for i in range(20):
            w.append(ev(i, pad=50))
    segs = list_segments(d)
    assert len(segs) > 3 and segs[0] == (1, segment_name(1))
    assert all((d / name).stat().st_size <= 400 for _, name in segs)
    r = SpoolReader(d, consumer="siem")
    got: list[int] = []
    while True:
        lines, cur = r.read(max_events=3, max_bytes=1 << 20)
        if not lines:
            break
        got += [json.loads(x)["i"] for x in lines]
        r.commit(cur)
    assert got == list(range(20))
    # reopening continues the newest segment, numbering never restarts
    with SpoolWriter(d, max_segment_bytes=400) as w:
        w.append(ev(20, pad=50))
    lines, _ = r.read(max_events=10, max_bytes=1 << 20)
    assert [json.loads(x)["i"] for x in lines] == [20]


def test_torn_tail_is_never_read_and_is_truncated_on_reopen(tmp_path: Path) -> None:
    d = tmp_path / "s"
    with SpoolWriter(d) as w:
        w.append(ev(0))
    seg = d / segment_name(1)
    good = seg.stat().st_size
    with open(seg, "ab") as f:
        f.write(b'{"i": 1, "torn')
    r = SpoolReader(d)
    lines, cur = r.read(max_events=10, max_bytes=1 << 20)
    assert [json.loads(x)["i"] for x in lines] == [0] and cur.offset == good
    assert r.lag() == (1, good)
    w = SpoolWriter(d)
    assert w.truncated_bytes == len(b'{"i": 1, "torn')
    assert seg.stat().st_size == good
    w.append(ev(2))
    w.close()
    lines, _ = r.read(max_events=10, max_bytes=1 << 20)
    assert [json.loads(x)["i"] for x in lines] == [0, 2]


def test_second_writer_is_refused_even_from_another_process(tmp_path: Path) -> None:
    d = tmp_path / "s"
    w = SpoolWriter(d)
    with pytest.raises(SigilError, match="already being written"):
        SpoolWriter(d)
    code = "import sys; from sigil_scan.spool import SpoolWriter\ntry:\n    SpoolWriter(sys.argv[1])\nexcept Exception as e:\n    print(type(e).__name__)"
    out = subprocess.run([sys.executable, "-c", code, str(d)], capture_output=True, text=True, timeout=30)
    assert out.stdout.strip() == "SigilError"
    w.close()
    SpoolWriter(d).close()  # released on close


@pytest.mark.parametrize("bad", ["{", '{"segment": "../etc/passwd", "offset": 0}', '{"segment": "events-00000000000000000001.jsonl", "offset": -1}', "[]"])
def test_bad_checkpoint_is_a_clear_error(tmp_path: Path, bad: str) -> None:
    d = tmp_path / "s"
    SpoolWriter(d).close()
    (d / "checkpoint-uploader.json").write_text(bad)
    with pytest.raises(SigilError, match="checkpoint"):
        SpoolReader(d).read(max_events=1, max_bytes=10)


def test_consumer_name_cannot_escape_the_directory(tmp_path: Path) -> None:
    with pytest.raises(SigilError):
        SpoolReader(tmp_path, consumer="../x")


def fill(d: Path, n: int) -> SpoolWriter:
    w = SpoolWriter(d, max_segment_bytes=200)
    for i in range(n):
        w.append(ev(i, pad=100))  # about one line per segment
    return w


def test_soft_retention_keeps_unsent_segments(tmp_path: Path) -> None:
    d = tmp_path / "s"
    w = fill(d, 6)
    # no consumer has read anything: nothing is safe to delete softly
    assert w.enforce_retention(max_total_bytes=1, max_age_s=0).deleted == []
    r = SpoolReader(d)
    lines, cur = r.read(max_events=3, max_bytes=1 << 20)
    r.commit(cur)
    res = w.enforce_retention(max_total_bytes=1)
    floor = int(cur.segment[7:27])
    assert res.deleted and all(int(name[7:27]) < floor for name in res.deleted) and res.force_gc is None
    rest, _ = r.read(max_events=100, max_bytes=1 << 20)
    assert [json.loads(x)["i"] for x in rest] == [3, 4, 5]
    # two consumers: the slower one is the floor
    slow = SpoolReader(d, consumer="slow")
    slow.commit(Cursor(segment_name(5), 0))
    assert all(int(n[7:27]) < 5 for n in w.enforce_retention(max_total_bytes=1).deleted)
    w.close()


def test_age_retention(tmp_path: Path) -> None:
    d = tmp_path / "s"
    w = fill(d, 4)
    r = SpoolReader(d)
    r.commit(Cursor(w.current_segment, 0))
    old = time.time() - 3600
    os.utime(d / segment_name(1), (old, old))
    res = w.enforce_retention(max_age_s=60)
    assert res.deleted == [segment_name(1)]
    w.close()


def test_hard_cap_forces_gc_past_the_checkpoint_and_reports_it(tmp_path: Path) -> None:
    d = tmp_path / "s"
    w = fill(d, 8)
    r = SpoolReader(d)
    r.commit(Cursor(segment_name(2), 0))
    res = w.enforce_retention(max_total_bytes=1, hard_cap_bytes=400)
    assert res.force_gc is not None
    assert res.force_gc["kind"] == "spool_force_gc" and res.force_gc["segments_skipped_past_consumer"] >= 1
    assert res.force_gc["oldest_dropped_segment"] == segment_name(2)
    assert w.current_segment in {n for _, n in list_segments(d)}  # current segment never deleted
    # the reader whose checkpoint segment vanished continues with the oldest surviving line
    lines, _ = r.read(max_events=100, max_bytes=1 << 20)
    assert lines and json.loads(lines[-1])["i"] == 7
    w.close()


def test_force_gc_event_is_appended_and_valid(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, event_validator) -> None:
    from sigil_scan.watch.sink import enforce_retention

    d = tmp_path / "s"
    w = fill(d, 8)
    SpoolReader(d).commit(Cursor(segment_name(3), 0))
    monkeypatch.setenv("SIGIL_SPOOL_HARD_CAP_BYTES", "500")
    events = enforce_retention(w)
    assert len(events) == 1 and events[0]["evidence"]["kind"] == "spool_force_gc"
    event_validator(events[0])
    w.close()
    lines, _ = SpoolReader(d, consumer="late").read(max_events=100, max_bytes=1 << 20)
    assert json.loads(lines[-1])["evidence"]["kind"] == "spool_force_gc"
