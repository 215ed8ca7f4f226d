"""`sigil serve` as a subprocess, attacked with malformed and hostile requests: every one gets a 4xx
with a reason, the receiver keeps running, and valid events still land exactly once. Also: per-host
bearer tokens, the read API's token, the signed rule pack with ETag, and pulling it with `sigil upload`."""

from __future__ import annotations

import contextlib
import gzip
import http.client
import json
import socket
import ssl
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import RunSigil
from fleet_helpers import ServeProc, make_pki, run_upload, sample_event, upload_config, write_spool


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return make_pki(tmp_path_factory.mktemp("pki"))


READ_TOKEN = "read-token-abcdefghijklmnop"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, pki: Any) -> Iterator[ServeProc]:
    work = tmp_path_factory.mktemp("serve")
    (work / "read-token").write_text(READ_TOKEN)
    (work / "packs").mkdir()
    proc = ServeProc(work, pki, "--client-ca", str(pki.ca), "--read-token-file", str(work / "read-token"), "--packs-dir", str(work / "packs"),
                     "--max-body-bytes", "200000", "--max-batch-events", "20")
    try:
        yield proc
    finally:
        proc.stop()


def request(server: ServeProc, pki: Any, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    ctx = ssl.create_default_context(cafile=str(pki.ca))
    ctx.load_cert_chain(str(pki.client_chain))
    conn = http.client.HTTPSConnection("127.0.0.1", server.port, context=ctx, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def batch(events: list[Any], host: str | None = None) -> bytes:
    from sigil_scan.identity import host_id

    return json.dumps({"envelope": {"schema_version": 1, "host_id": host or host_id(), "batch_id": "b"}, "events": events}).encode()


BOMB = gzip.compress(b"{" + b" " * 50_000_000 + b"}")  # ~50 KB on the wire, 50 MB decoded

MALFORMED = {
    "not json": (b"{nope", {}, 400, "not JSON"),
    "json but not a batch": (b"[1, 2, 3]", {}, 400, "envelope"),
    "no host id": (json.dumps({"envelope": {"schema_version": 1}, "events": [{}]}).encode(), {}, 400, "host_id"),
    "wrong schema version": (json.dumps({"envelope": {"schema_version": 9, "host_id": "h"}, "events": [{}]}).encode(), {}, 400, "schema_version"),
    "empty batch": (batch([]), {}, 400, "empty batch"),
    "too many events": (batch([sample_event(i) for i in range(21)]), {}, 413, "limit is 20"),
    "body too large": (b"x" * 200_001, {}, 413, "exceeds 200000"),
    "not gzip": (b"plain text", {"Content-Encoding": "gzip"}, 400, "gzip"),
    "gzip bomb": (BOMB, {"Content-Encoding": "gzip"}, 413, "decompressed body exceeds"),
    "truncated gzip": (gzip.compress(batch([sample_event(1)]))[:-12], {"Content-Encoding": "gzip"}, 400, "gzip"),
    "unknown encoding": (b"{}", {"Content-Encoding": "br"}, 415, "Content-Encoding"),
    "invalid utf-8": (b'{"envelope": "\xff\xfe"}', {}, 400, "not JSON"),
    "deeply nested": (b"[" * 100_000 + b"]" * 100_000, {}, 400, "JSON"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_batches_get_4xx_with_a_reason(server: ServeProc, pki: Any, case: str) -> None:
    body, headers, status, reason = MALFORMED[case]
    got, _, answer = request(server, pki, "POST", "/v1/events", body, {"Content-Type": "application/json", **headers})
    assert got == status
    assert reason in json.loads(answer)["error"]
    assert server.proc.poll() is None


def test_protocol_abuse_is_refused_and_the_server_survives(server: ServeProc, pki: Any) -> None:
    assert request(server, pki, "POST", "/v1/nowhere", b"{}")[0] == 404
    assert request(server, pki, "GET", "/etc/passwd")[0] == 404
    assert request(server, pki, "GET", "/v1/hosts/../../etc/passwd/posture")[0] in (401, 404)
    assert request(server, pki, "PUT", "/v1/events", b"{}")[0] == 501
    # no Content-Length (chunked): refused
    ctx = ssl.create_default_context(cafile=str(pki.ca))
    conn = http.client.HTTPSConnection("127.0.0.1", server.port, context=ctx, timeout=10)
    conn.putrequest("POST", "/v1/events")
    conn.putheader("Transfer-Encoding", "chunked")
    conn.endheaders()
    conn.send(b"5\r\nhello\r\n0\r\n\r\n")
    assert conn.getresponse().status == 411
    conn.close()
    # plain HTTP on the TLS port, and a client that connects and says nothing
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
        s.sendall(b"POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
        s.settimeout(5)
        with contextlib.suppress(ConnectionError, TimeoutError):
            s.recv(100)
    idle = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    try:
        # the idle connection does not block others: handshakes happen in worker threads
        assert request(server, pki, "GET", "/v1/healthz")[0] == 200
    finally:
        idle.close()
    assert server.proc.poll() is None


def test_per_event_rejections_dedup_and_high_water(server: ServeProc, pki: Any, event_validator: Any) -> None:
    good = [sample_event(i) for i in range(4)]
    invalid = sample_event(5)
    invalid["ts"] = "yesterday"
    foreign = sample_event(6)
    foreign["host_id"] = "h-someone-else"
    events: list[Any] = [good[0], invalid, good[1], "not an object", {"event_id": 7}, foreign, good[2], good[0], good[3]]
    status, _, body = request(server, pki, "POST", "/v1/events", gzip.compress(batch(events)), {"Content-Encoding": "gzip"})
    assert status == 200
    answer = json.loads(body)
    assert answer["accepted"] == [good[0]["event_id"], good[1]["event_id"], good[2]["event_id"], good[0]["event_id"], good[3]["event_id"]]
    reasons = {(r["event_id"], r["reason"]) for r in answer["rejected"]}
    assert reasons == {(invalid["event_id"], "schema_mismatch"), (None, "malformed_payload"), (foreign["event_id"], "host_id_payload_mismatch")}
    assert next(r for r in answer["rejected"] if r["reason"] == "schema_mismatch")["detail"].startswith("ts:")
    assert answer["high_water_event_id"] == good[3]["event_id"]
    # the same batch again: accepted again (idempotent), stored once
    request(server, pki, "POST", "/v1/events", batch(events))
    ids = server.event_ids()
    for e in good:
        assert ids.count(e["event_id"]) == 1
    assert invalid["event_id"] not in ids and foreign["event_id"] not in ids


def test_read_api_needs_its_token(server: ServeProc, pki: Any) -> None:
    assert request(server, pki, "GET", "/v1/hosts")[0] == 401
    assert request(server, pki, "GET", "/v1/hosts", headers={"Authorization": "Bearer wrong-token-wrong-token"})[0] == 401
    status, _, body = request(server, pki, "GET", "/v1/events?since=0&limit=2", headers={"Authorization": f"Bearer {READ_TOKEN}"})
    assert status == 200 and len(json.loads(body)["events"]) <= 2
    assert request(server, pki, "GET", "/v1/events?since=abc", headers={"Authorization": f"Bearer {READ_TOKEN}"})[0] == 400


def test_rule_pack_is_served_with_etag(server: ServeProc, pki: Any) -> None:
    packs = server.workdir / "packs"
    for p in packs.iterdir():
        p.unlink()
    assert request(server, pki, "GET", "/v1/rule-packs")[0] == 404
    (packs / "a.sigpack").write_bytes(b"pack-one")
    status, headers, body = request(server, pki, "GET", "/v1/rule-packs")
    assert status == 200 and body == b"pack-one"
    etag = headers["etag"]
    assert request(server, pki, "GET", "/v1/rule-packs", headers={"If-None-Match": etag})[0] == 304
    time.sleep(0.02)
    (packs / "b.sigpack").write_bytes(b"pack-two")
    status, headers, body = request(server, pki, "GET", "/v1/rule-packs", headers={"If-None-Match": etag})
    assert status == 200 and body == b"pack-two" and headers["etag"] != etag


def test_bearer_tokens_bind_hosts(tmp_path: Path, pki: Any) -> None:
    from sigil_scan.identity import host_id

    tokens = tmp_path / "tokens.yaml"
    tokens.write_text(f"{host_id()}: token-of-this-host-0001\nh-other: token-of-other-host-0002\n")
    srv = ServeProc(tmp_path, pki, "--tokens-file", str(tokens))
    try:
        body = batch([sample_event(1)])
        assert request(srv, pki, "POST", "/v1/events", body)[0] == 401
        assert request(srv, pki, "POST", "/v1/events", body, {"Authorization": "Bearer token-of-this-host-000"})[0] == 401
        status, _, answer = request(srv, pki, "POST", "/v1/events", body, {"Authorization": "Bearer token-of-other-host-0002"})
        assert status == 403 and "another host" in json.loads(answer)["error"]
        assert srv.event_ids() == []
        assert request(srv, pki, "POST", "/v1/events", body, {"Authorization": "Bearer token-of-this-host-0001"})[0] == 200
        assert len(srv.event_ids()) == 1
    finally:
        srv.stop()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--require-client-cert"], "needs --client-ca"),
        (["--tokens-file", "{weak}"], "shorter than 16"),
        (["--bind", "203.0.113.1"], "cannot listen"),
    ],
)
def test_bad_serve_options_are_usage_errors(tmp_path: Path, pki: Any, run_sigil: RunSigil, args: list[str], message: str) -> None:
    weak = tmp_path / "weak.yaml"
    weak.write_text("h-1: short\n")
    argv = [a.replace("{weak}", str(weak)) for a in args]
    result = run_sigil("serve", "--port", "0", "--cert", str(pki.server_chain), "--key", str(pki.server_chain), "--db", str(tmp_path / "db"), *argv, timeout=30)
    assert result.returncode == 2
    assert message in result.stderr


def test_upload_pulls_and_verifies_the_signed_rule_pack(tmp_path: Path, home: Path, pki: Any) -> None:
    from conftest import REPO

    from sigil_scan.packs.archive import write_members
    from sigil_scan.packs.canonical import canonical_bytes, format_ts
    from sigil_scan.packs.keys import generate
    from sigil_scan.packs.manifest import MANIFEST, SIGNATURE, build_manifest
    from sigil_scan.packs.sign import signature_block
    from sigil_scan.packs.trust import entry_for

    rule = (REPO / "rules/rules/claude_code/permissions-allow-broad.yaml").read_bytes().replace(b"id: permissions-allow-broad", b"id: acme-allow-broad")
    files = {"rules/acme-allow-broad.yaml": rule}
    now = time.time()

    def pack(key: Any, seq: int) -> bytes:
        raw = canonical_bytes(build_manifest(files, name="acme", version=f"1.{seq}", sequence=seq, issued_at=now - 60, expires_at=now + 86400, min_scanner_version="0.1.0"))
        return write_members({MANIFEST: raw, SIGNATURE: json.dumps(signature_block(key, raw)).encode(), **files})

    key, stranger = generate(), generate()
    trust = tmp_path / "trust.json"
    trust.write_text(json.dumps({"version": 1, "keys": [entry_for(key.key_id, key.public_key, format_ts(now - 3600), None)]}))
    published = tmp_path / "published"
    published.mkdir()
    (published / "acme-1.sigpack").write_bytes(pack(key, 1))
    installed = tmp_path / "installed"
    srv = ServeProc(tmp_path, pki, "--packs-dir", str(published))
    try:
        write_spool(tmp_path / "spool", [sample_event(1)])
        packs = {"trust": str(trust), "state_db": str(tmp_path / "state.db"), "packs_dir": str(installed), "interval": 60}
        config = upload_config(tmp_path / "upload.yaml", srv.url, pki, packs=packs)
        first = run_upload(home, config)
        assert first.returncode == 0, first.stderr
        assert "rule packs: installed" in first.stderr
        assert [p.name for p in installed.iterdir() if p.suffix == ".sigpack"] == ["acme.sigpack"]
        state = json.loads((tmp_path / "spool" / "upload-packs-uploader.json").read_text())
        assert state["outcome"] == "installed" and state["etag"]
        # unchanged: the ETag answers 304 and nothing is reinstalled
        before = (installed / "acme.sigpack").stat().st_mtime_ns
        again = run_upload(home, config)
        assert "rule packs" not in again.stderr and (installed / "acme.sigpack").stat().st_mtime_ns == before
        # a newer pack signed by a key the trust store does not know is refused, never installed
        time.sleep(0.02)
        (published / "acme-2.sigpack").write_bytes(pack(stranger, 2))
        third = run_upload(home, config)
        assert "rule packs: rejected (key_unknown)" in third.stderr
        assert (installed / "acme.sigpack").stat().st_mtime_ns == before
    finally:
        srv.stop()


def test_fast_validation_agrees_with_the_full_schema(event_validator: Any) -> None:
    """The receiver validates with one evidence branch per kind (speed); it must never accept what
    the full schema refuses, nor refuse what it accepts."""
    import copy

    import jsonschema

    from sigil_scan.serve.ingest import schema_error
    from sigil_scan.upload.status import UploadStatus, heartbeat_event

    base = [sample_event(1), heartbeat_event(UploadStatus(sink="native")), sample_event(2, kind="brand_new_kind")]
    mutations = [
        lambda e: e["evidence"].update(change_kind="exploded"),
        lambda e: e["evidence"].pop("lag_events", None) if e["evidence"]["kind"] == "uploader_heartbeat" else e["evidence"].pop("after_hash", None),
        lambda e: e["evidence"].update(kind="uploader_heartbeat"),
        lambda e: e["evidence"].update(kind="file_change"),
        lambda e: e["evidence"].update(kind=7),
        lambda e: e["evidence"].pop("kind"),
        lambda e: e.update(evidence="nope"),
        lambda e: e["evidence"].update(kind="ai_guard_risk_assessed"),
        lambda e: e["evidence"].update(dead_letters=-1),
        lambda e: e.update(severity="panic"),
        lambda e: None,
    ]
    checked = 0
    for event in base:
        for mutate in mutations:
            candidate = copy.deepcopy(event)
            mutate(candidate)
            try:
                event_validator(candidate)
                full_ok = True
            except jsonschema.ValidationError:
                full_ok = False
            assert (schema_error(candidate) is None) == full_ok, candidate
            checked += 1
    assert checked == 33


def test_a_flood_of_idle_connections_is_capped_and_recovers(server: ServeProc, pki: Any) -> None:
    from fleet_helpers import wait_for

    from sigil_scan.serve.server import MAX_CONNECTIONS

    idle = [socket.create_connection(("127.0.0.1", server.port), timeout=5) for _ in range(MAX_CONNECTIONS)]
    try:
        time.sleep(0.3)
        with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
            request(server, pki, "GET", "/v1/healthz")
    finally:
        for s in idle:
            s.close()

    def healthy() -> bool:
        try:
            return request(server, pki, "GET", "/v1/healthz")[0] == 200
        except OSError:
            return False

    assert wait_for(healthy, 15, "the receiver to accept connections again")
    assert server.proc.poll() is None
