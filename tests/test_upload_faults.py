"""Delivery under faults: receiver down at start, killed mid-batch, 500, 429 + Retry-After, a hang
past the timeout, a malformed answer, a poison event. After recovery every event is held once by
the receiver, the dead-letter directory holds only what was refused permanently, nothing is lost.

`sigil serve` is used where a real receiver can show the fault (down, killed); a small scripted
HTTPS server (fleet_helpers.FaultServer) plays the misbehaving receiver otherwise."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import sigil_env
from fleet_helpers import (
    FaultServer,
    Recorded,
    ServeProc,
    checkpoint,
    dead_letters,
    make_pki,
    run_upload,
    sample_event,
    start_fault_server,
    upload_config,
    wait_for,
    write_spool,
)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return make_pki(tmp_path_factory.mktemp("pki"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_upload(home: Path, config: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "sigil_scan", "upload", "--config", str(config)],
        env=sigil_env(home), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL,
    )


def finish(proc: subprocess.Popen[str], timeout: float = 60) -> tuple[int, str]:
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate(timeout=10)
        raise AssertionError(f"upload did not finish: {err}") from None
    return proc.returncode, err


def assert_exactly_once(fault: FaultServer, ids: list[str]) -> None:
    assert set(fault.stored) == set(ids)


# -- with the real receiver --------------------------------------------------------------------
def test_receiver_down_at_start(tmp_path: Path, home: Path, pki: Any) -> None:
    port = free_port()
    ids = write_spool(tmp_path / "spool", [sample_event(i) for i in range(40)])
    config = upload_config(tmp_path / "upload.yaml", f"https://127.0.0.1:{port}", pki)
    proc = start_upload(home, config)
    server = None
    try:
        wait_for(lambda: (tmp_path / "spool" / "upload-status-uploader.json").exists(), 20, "a first failed attempt")
        assert server is None and checkpoint(tmp_path / "spool") is None
        server = ServeProc(tmp_path, pki, port=port)
        code, err = finish(proc)
        assert code == 0, err
        assert "(network)" in err  # the refused connections were reported
        assert sorted(server.event_ids()) == sorted(ids)
        assert dead_letters(tmp_path / "dead-letter") == []
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        if server is not None:
            server.stop()


def test_receiver_killed_mid_upload_and_restarted(tmp_path: Path, home: Path, pki: Any) -> None:
    ids = write_spool(tmp_path / "spool", [sample_event(i) for i in range(400)])
    server = ServeProc(tmp_path, pki)
    port, db = server.port, server.db
    config = upload_config(tmp_path / "upload.yaml", server.url, pki, batch={"max_events": 8, "max_bytes": 65536})
    proc = start_upload(home, config)
    try:
        wait_for(lambda: len(server.event_ids()) > 0, 30, "the first acknowledged batch")
        server.kill()  # SIGKILL: no clean shutdown, possibly mid-request
        held = server.event_ids()
        assert 0 < len(held) < len(ids), "the receiver must die mid-upload for this test to mean anything"
        server = ServeProc(tmp_path, pki, port=port, db=db)
        code, err = finish(proc, 120)
        assert code == 0, err
        got = server.event_ids()
        assert len(got) == len(set(got)) and set(got) == set(ids)
        assert dead_letters(tmp_path / "dead-letter") == []
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        server.stop()


# -- with the scripted receiver ----------------------------------------------------------------
@pytest.mark.parametrize(
    "script",
    [
        pytest.param([500, 503, "ok"], id="500-then-ok"),
        pytest.param(["drop", "ok"], id="connection-dropped-mid-body"),
        pytest.param(["garbage", "garbage", "ok"], id="malformed-answer"),
        pytest.param([401, 403, "ok"], id="auth-refused-then-fixed"),
    ],
)
def test_transient_failures_recover_exactly_once(tmp_path: Path, home: Path, pki: Any, script: list[Any]) -> None:
    ids = write_spool(tmp_path / "spool", [sample_event(i) for i in range(30)])
    with start_fault_server(FaultServer(pki, script=list(script))) as fault:
        result = run_upload(home, upload_config(tmp_path / "upload.yaml", fault.url, pki, batch={"max_events": 10, "max_bytes": 65536}))
        assert result.returncode == 0, result.stderr
        assert_exactly_once(fault, ids)
        # the failing batch was retried (same events), every request is a well-formed batch
        assert len(fault.requests) == 3 + len(script) - 1
        batches = [[e["event_id"] for e in json.loads(r.body)["events"]] for r in fault.requests if r.body]
        assert batches[-3:] == [ids[:10], ids[10:20], ids[20:]]
        assert all(b == ids[:10] for b in batches[:-3])
    assert dead_letters(tmp_path / "dead-letter") == []
    assert checkpoint(tmp_path / "spool") is not None
    if 401 in script:
        assert "sigil: error:" in result.stderr and "(auth)" in result.stderr


def test_429_retry_after_is_honoured(tmp_path: Path, home: Path, pki: Any) -> None:
    ids = write_spool(tmp_path / "spool", [sample_event(i) for i in range(5)])
    with start_fault_server(FaultServer(pki, script=[("status", 429, {"Retry-After": "1"}), "ok"])) as fault:
        result = run_upload(home, upload_config(tmp_path / "upload.yaml", fault.url, pki))
        assert result.returncode == 0, result.stderr
        assert_exactly_once(fault, ids)
        first, second = fault.requests[0].at, fault.requests[1].at
    # backoff alone would have waited ~0.05 s; the server asked for 1 s
    assert second - first >= 0.9
    assert "(throttled)" in result.stderr


def test_hang_past_the_timeout_is_retried(tmp_path: Path, home: Path, pki: Any) -> None:
    ids = write_spool(tmp_path / "spool", [sample_event(i) for i in range(12)])
    with start_fault_server(FaultServer(pki, script=["hang"], hang_seconds=2.0)) as fault:
        result = run_upload(home, upload_config(tmp_path / "upload.yaml", fault.url, pki, timeout=0.5))
        assert result.returncode == 0, result.stderr
        assert "(timeout)" in result.stderr
        assert_exactly_once(fault, ids)
    assert dead_letters(tmp_path / "dead-letter") == []


def test_poison_event_is_bisected_out_and_dead_lettered(tmp_path: Path, home: Path, pki: Any) -> None:
    events = [sample_event(i) for i in range(16)]
    poison = events[6]["event_id"]
    ids = write_spool(tmp_path / "spool", events)

    def refuse_poison(rec: Recorded) -> tuple[int, dict[str, str], bytes]:
        if poison.encode() in rec.body:
            return 400, {}, b'{"error": "field too long"}'
        from fleet_helpers import native_ack

        with fault.lock:
            return 200, {}, json.dumps(native_ack(rec.body, fault.stored)).encode()

    with start_fault_server(FaultServer(pki, default=refuse_poison)) as fault:
        result = run_upload(home, upload_config(tmp_path / "upload.yaml", fault.url, pki, batch={"max_events": 16, "max_bytes": 65536}))
        assert result.returncode == 0, result.stderr
        assert set(fault.stored) == set(ids) - {poison}
        assert all(n == 1 for n in fault.stored.values())
    dead = dead_letters(tmp_path / "dead-letter")
    assert [d["event_id"] for d in dead] == [poison]
    assert dead[0]["status"] == 400 and dead[0]["reason"] == "HTTP 400: field too long"
    assert dead[0]["event"] == events[6]


def test_timeout_with_nothing_delivered_keeps_everything(tmp_path: Path, home: Path, pki: Any) -> None:
    ids = write_spool(tmp_path / "spool", [sample_event(i) for i in range(7)])
    with start_fault_server(FaultServer(pki, default=500)) as fault:
        result = run_upload(home, upload_config(tmp_path / "upload.yaml", fault.url, pki, deadline=0.8))
        assert result.returncode == 2
        assert "7 pending" in result.stderr
    assert checkpoint(tmp_path / "spool") is None
    assert dead_letters(tmp_path / "dead-letter") == []
    status = json.loads((tmp_path / "spool" / "upload-status-uploader.json").read_text())
    assert status["lag_events"] == 7 and status["last_status"] == 500 and status["last_ack_at"] is None
    # and the next run delivers all of them
    with start_fault_server(FaultServer(pki)) as fault:
        result = run_upload(home, upload_config(tmp_path / "upload.yaml", fault.url, pki))
        assert result.returncode == 0
        assert_exactly_once(fault, ids)


def test_uploader_killed_mid_upload_loses_nothing(tmp_path: Path, home: Path, pki: Any) -> None:
    """SIGKILL the uploader between a receiver's ack and its checkpoint (or anywhere): the next
    run resends from the checkpoint and the receiver still holds each event once."""
    ids = write_spool(tmp_path / "spool", [sample_event(i) for i in range(400)])
    server = ServeProc(tmp_path, pki)
    try:
        config = upload_config(tmp_path / "upload.yaml", server.url, pki, batch={"max_events": 8, "max_bytes": 65536})
        proc = start_upload(home, config)
        try:
            wait_for(lambda: len(server.event_ids()) > 0, 30, "the first acknowledged batch")
        finally:
            proc.kill()
            proc.wait(10)
        held = server.event_ids()
        assert 0 < len(held) < len(ids)
        result = run_upload(home, config)
        assert result.returncode == 0, result.stderr
        got = server.event_ids()
        assert len(got) == len(set(got)) and set(got) == set(ids)
        assert dead_letters(tmp_path / "dead-letter") == []
    finally:
        server.stop()
