"""End to end over real TLS on 127.0.0.1: `sigil scan` writes a spool, `sigil serve` (subprocess,
mTLS required) receives, `sigil upload` delivers; the receiver holds exactly the spool's events."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, RunSigil, sigil_env
from fleet_helpers import (
    ServeProc,
    make_pki,
    run_upload,
    sample_event,
    upload_config,
    urlopen_tls,
    write_spool,
)


def spool_ids(spool: Path) -> list[str]:
    ids = []
    for seg in sorted(spool.glob("events-*.jsonl")):
        ids += [json.loads(line)["event_id"] for line in seg.read_text().splitlines() if line]
    return ids


def stored_events(db: Path) -> list[dict[str, Any]]:
    import sqlite3

    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return [json.loads(b) for (b,) in con.execute("SELECT body FROM events ORDER BY seq")]
    finally:
        con.close()


def test_scan_spool_upload_serve_end_to_end(tmp_path: Path, home: Path, run_sigil: RunSigil, event_validator: Callable[[dict[str, Any]], None]) -> None:
    pki = make_pki(tmp_path / "pki")
    spool = tmp_path / "spool"
    scanned = run_sigil("scan", str(FIXTURES), "--spool", str(spool), "--format", "jsonl", "--exit-zero")
    assert scanned.returncode == 0, scanned.stderr
    # a few more events so that several batches and two segments are involved
    write_spool(spool, [sample_event(i) for i in range(130)], max_segment_bytes=40_000)
    expected = spool_ids(spool)
    assert len(expected) > 130 and len(list(spool.glob("events-*.jsonl"))) >= 2
    token = tmp_path / "read-token"
    token.write_text("read-token-0123456789abcdef\n")
    server = ServeProc(tmp_path, pki, "--client-ca", str(pki.ca), "--require-client-cert", "--read-token-file", str(token))
    try:
        config = upload_config(tmp_path / "upload.yaml", server.url, pki, heartbeat_interval=60)
        result = run_upload(home, config)
        assert result.returncode == 0, result.stderr
        assert "0 pending, 0 dead-lettered" in result.stderr
        events = stored_events(server.db)
        data = [e for e in events if e["evidence"]["kind"] != "uploader_heartbeat"]
        beats = [e for e in events if e["evidence"]["kind"] == "uploader_heartbeat"]
        # exactly the spool: same set, no duplicates, nothing extra
        assert sorted(e["event_id"] for e in data) == sorted(expected)
        assert len({e["event_id"] for e in data}) == len(data)
        # the heartbeat reports the drained spool and is a valid event
        assert len(beats) == 1
        event_validator(beats[0])
        assert beats[0]["evidence"]["lag_events"] == 0 and beats[0]["evidence"]["last_ack_at"]
        for e in events:
            event_validator(e)
        # a second run has nothing to send and sends nothing again
        again = run_upload(home, config)
        assert again.returncode == 0 and "0 delivered" in again.stderr
        assert sorted(e["event_id"] for e in stored_events(server.db) if e["evidence"]["kind"] != "uploader_heartbeat") == sorted(expected)
        # the read API shows the host and its posture from the scan's risk events
        hosts = urlopen_tls(server.url + "/v1/hosts", pki, token="read-token-0123456789abcdef")
        assert [h["host_id"] for h in hosts["hosts"]] == [data[0]["host_id"]]
        posture = urlopen_tls(server.url + f"/v1/hosts/{data[0]['host_id']}/posture", pki, token="read-token-0123456789abcdef")
        assessed = [e for e in data if e["evidence"]["kind"] == "ai_guard_risk_assessed"]
        assert assessed and len(posture["surfaces"]) >= 1
        assert {s["bucket"] for s in posture["surfaces"]} <= {"low", "medium", "high", "critical"}
        page = urlopen_tls(server.url + "/v1/events?since=0&limit=7", pki, token="read-token-0123456789abcdef")
        assert len(page["events"]) == 7 and page["next_since"] == page["events"][-1]["seq"]
        assert page["events"][0]["client"].startswith("cert:laptop-1:sha256:")
    finally:
        server.stop()


def test_follow_delivers_events_written_while_running(tmp_path: Path, home: Path) -> None:
    import subprocess
    import sys
    import time

    from fleet_helpers import wait_for

    pki = make_pki(tmp_path / "pki")
    server = ServeProc(tmp_path, pki, "--client-ca", str(pki.ca), "--require-client-cert")
    proc = None
    try:
        first = write_spool(tmp_path / "spool", [sample_event(i) for i in range(10)])
        config = upload_config(tmp_path / "upload.yaml", server.url, pki)
        proc = subprocess.Popen(
            [sys.executable, "-m", "sigil_scan", "upload", "--config", str(config), "--follow", "--max-seconds", "60"],
            env=sigil_env(home), stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
        )
        wait_for(lambda: set(first) <= set(server.event_ids()), 30, "first events")
        time.sleep(0.2)
        second = write_spool(tmp_path / "spool", [sample_event(i) for i in range(10, 25)])
        wait_for(lambda: set(first + second) <= set(server.event_ids()), 30, "events written while following")
        proc.terminate()  # SIGTERM: a clean stop
        assert proc.wait(20) == 0
        assert sorted(server.event_ids()) == sorted(first + second)
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(10)
        server.stop()


@pytest.mark.parametrize("bad", ["token: literal-secret-value", "sink: carrier-pigeon", "url: http://127.0.0.1:1", "url: https://admin:literal-secret-value@127.0.0.1:1"])
def test_bad_config_is_a_usage_error(tmp_path: Path, home: Path, bad: str) -> None:
    cfg = tmp_path / "upload.yaml"
    key, _, value = bad.partition(": ")
    cfg.write_text(f"sink: native\nurl: https://127.0.0.1:1\n{key}: {value}\n" if key != "url" else f"url: {value}\n")
    result = run_upload(home, cfg)
    assert result.returncode == 2
    assert "sigil: error: upload config" in result.stderr
    assert "literal-secret-value" not in result.stderr + result.stdout


def test_token_from_env_is_used_and_never_printed(tmp_path: Path, home: Path) -> None:
    pki = make_pki(tmp_path / "pki")
    tokens = tmp_path / "tokens.yaml"
    from sigil_scan.identity import host_id

    tokens.write_text(f"{host_id()}: s3cret-token-for-this-host-42\n")
    server = ServeProc(tmp_path, pki, "--tokens-file", str(tokens))
    try:
        ids = write_spool(tmp_path / "spool", [sample_event(i) for i in range(5)])
        config = upload_config(tmp_path / "upload.yaml", server.url, pki, token={"env": "SIGIL_TEST_TOKEN"}, deadline=1)
        env = sigil_env(home, SIGIL_TEST_TOKEN="wrong-token-wrong-token-0000")
        refused = run_upload(home, config, env=env)
        assert refused.returncode == 2
        assert "(auth)" in refused.stderr and "sigil: error:" in refused.stderr
        assert "wrong-token-wrong-token-0000" not in refused.stderr
        assert server.event_ids() == []
        env = sigil_env(home, SIGIL_TEST_TOKEN="s3cret-token-for-this-host-42")
        ok = run_upload(home, config, env=env)
        assert ok.returncode == 0, ok.stderr
        assert sorted(server.event_ids()) == sorted(ids)
    finally:
        server.stop()


def test_doctor_reports_the_uploader_heartbeat(tmp_path: Path, home: Path, run_sigil: RunSigil) -> None:
    from fleet_helpers import FaultServer, start_fault_server

    pki = make_pki(tmp_path / "pki")
    # the default locations: ~/.config/sigil-scan/upload.yaml and ~/.local/state/sigil-scan/spool
    (home / ".config/sigil-scan").mkdir(parents=True)
    write_spool(home / ".local/state/sigil-scan/spool", [sample_event(i) for i in range(3)])
    with start_fault_server(FaultServer(pki, default=500)) as fault:
        config = upload_config(home / ".config/sigil-scan/upload.yaml", fault.url, pki, spool=None, deadline=0.5)
        failed = run_sigil("upload")
        assert failed.returncode == 2
        doctor = run_sigil("doctor")
        assert "FAIL uploader last error (server): HTTP 500: injected 500" in doctor.stdout
        assert "uploader lag: 3 events" in doctor.stdout and "no acknowledgement yet" in doctor.stdout
        assert doctor.returncode == 1
        fault.default = "ok"
        assert run_sigil("upload").returncode == 0
    doctor = run_sigil("doctor")
    assert "ok   uploader (native): last acknowledgement" in doctor.stdout
    assert "uploader lag: 0 events, 0 bytes" in doctor.stdout
    assert "FAIL uploader" not in doctor.stdout
    assert config.exists()


def test_unreadable_certificate_is_a_config_error(tmp_path: Path, home: Path) -> None:
    write_spool(tmp_path / "spool", [sample_event(1)])
    config = upload_config(tmp_path / "upload.yaml", "https://127.0.0.1:9", None, tls={"ca_file": str(tmp_path / "missing-ca.pem")})
    result = run_upload(home, config)
    assert result.returncode == 2
    assert "sigil: error: upload config: cannot load TLS files" in result.stderr
