"""Helpers for the fleet-delivery tests: certificates (trustme), a `sigil serve` subprocess, a spool
of valid events, upload configs, and a scriptable HTTPS fault server for what `sigil serve`
cannot do on demand (500s, 429s, hangs, garbage, dropped connections)."""

from __future__ import annotations

import contextlib
import gzip
import json
import sqlite3
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml
from conftest import sigil_env


@dataclass
class Pki:
    ca: Path
    server_chain: Path  # key + cert chain in one PEM
    client_chain: Path
    other_ca: Path
    other_client_chain: Path
    other_server_chain: Path


def make_pki(directory: Path) -> Pki:
    import trustme

    directory.mkdir(parents=True, exist_ok=True)
    ca, other = trustme.CA(), trustme.CA()
    paths = Pki(*(directory / n for n in ("ca.pem", "server.pem", "client.pem", "other-ca.pem", "other-client.pem", "other-server.pem")))
    ca.cert_pem.write_to_path(str(paths.ca))
    ca.issue_cert("127.0.0.1", "localhost").private_key_and_cert_chain_pem.write_to_path(str(paths.server_chain))
    ca.issue_cert("laptop-1.fleet.example", common_name="laptop-1").private_key_and_cert_chain_pem.write_to_path(str(paths.client_chain))
    other.cert_pem.write_to_path(str(paths.other_ca))
    other.issue_cert("laptop-1.fleet.example", common_name="intruder").private_key_and_cert_chain_pem.write_to_path(str(paths.other_client_chain))
    other.issue_cert("127.0.0.1", "localhost").private_key_and_cert_chain_pem.write_to_path(str(paths.other_server_chain))
    return paths


def wait_for(predicate: Callable[[], Any], timeout: float = 20.0, what: str = "condition") -> Any:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def stop_process(proc: subprocess.Popen[Any]) -> None:
    """SIGTERM, then SIGKILL after 10 s: every server a test starts is gone when it ends."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


class ServeProc:
    """`sigil serve` as a subprocess on 127.0.0.1 (port 0 unless given), stopped by stop()."""

    def __init__(self, workdir: Path, pki: Pki, *args: str, port: int = 0, db: Path | None = None) -> None:
        self.workdir = workdir
        self.db = db or workdir / "serve.db"
        self.port_file = workdir / f"port-{time.monotonic_ns()}"
        self.log = workdir / "serve.log"
        cmd = [
            sys.executable, "-m", "sigil_scan", "serve", "--port", str(port), "--port-file", str(self.port_file),
            "--cert", str(pki.server_chain), "--key", str(pki.server_chain), "--db", str(self.db), *args,
        ]
        home = workdir / "serve-home"
        home.mkdir(exist_ok=True)
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(cmd, env=sigil_env(home), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            self.port = int(wait_for(lambda: self.port_file.exists() and self.port_file.read_text(), 30, "sigil serve to listen"))
        except BaseException:
            self.stop()
            raise

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(10)

    def stop(self) -> None:
        stop_process(self.proc)

    def event_ids(self) -> list[str]:
        return db_event_ids(self.db)


def db_event_ids(db: Path) -> list[str]:
    if not db.exists():
        return []
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return [r[0] for r in con.execute("SELECT event_id FROM events ORDER BY seq")]
    except sqlite3.OperationalError:
        return []
    finally:
        con.close()


def sample_event(i: int, *, kind: str = "file_change") -> dict[str, Any]:
    from sigil_scan.events import envelope

    if kind == "file_change":
        evidence = {"kind": "file_change", "change_kind": "modified", "before_hash": None, "after_hash": "blake3:" + f"{i:064x}", "size_after": i, "evidence_quality": "definitive"}
    else:
        evidence = {"kind": kind}
    return envelope(evidence, subject={"kind": "path", "value": f"~/.claude/settings-{i}.json"}, severity="warn" if i % 3 == 0 else "info")


def write_spool(spool: Path, events: list[dict[str, Any]], *, max_segment_bytes: int = 8 * 1024 * 1024) -> list[str]:
    from sigil_scan.spool import SpoolWriter

    with SpoolWriter(spool, max_segment_bytes=max_segment_bytes, fsync=False) as w:
        w.append_many(events)
    return [e["event_id"] for e in events]


def upload_config(path: Path, url: str, pki: Pki | None, **extra: Any) -> Path:
    config: dict[str, Any] = {
        "sink": "native",
        "url": url,
        "spool": str(path.parent / "spool"),
        "dead_letter_dir": str(path.parent / "dead-letter"),
        "batch": {"max_events": 50, "max_bytes": 256 * 1024},
        "timeout": 5,
        "backoff": {"initial": 0.05, "max": 0.3, "auth_initial": 0.1, "auth_max": 0.3},
        "deadline": 30,
        "poll": 0.1,
        "heartbeat_interval": 0,
    }
    if pki is not None:
        config["tls"] = {"ca_file": str(pki.ca), "client_cert": str(pki.client_chain)}
    for key, value in extra.items():
        if value is None:
            config.pop(key, None)
        else:
            config[key] = value
    path.write_text(yaml.safe_dump(config))
    return path


def run_upload(home: Path, config: Path, *args: str, timeout: float = 60, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sigil_scan", "upload", "--config", str(config), *args],
        env=env or sigil_env(home), capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
    )


def dead_letters(directory: Path) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for path in sorted(directory.glob("dead-letter-*.jsonl")):
        out.extend(json.loads(line) for line in path.read_text().splitlines() if line.strip())
    return out


def checkpoint(spool: Path) -> dict[str, Any] | None:
    path = spool / "checkpoint-uploader.json"
    return json.loads(path.read_text()) if path.exists() else None


# -- a scriptable HTTPS server ------------------------------------------------------------------
@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: bytes  # decoded (gunzipped)
    at: float


@dataclass
class FaultServer:
    """Answers each request with the next behaviour from `script` (then `default`). Behaviours:
    "ok" (a correct native ack, events stored with dedup), an int status, ("status", n, headers),
    "garbage" (200 with a non-JSON body), "hang" (sleep past the client timeout), "drop" (read half
    the body, close the socket), or a callable(Recorded) -> (status, headers, bytes)."""

    pki: Pki
    script: list[Any] = field(default_factory=list)
    default: Any = "ok"
    hang_seconds: float = 3.0
    requests: list[Recorded] = field(default_factory=list)
    stored: dict[str, int] = field(default_factory=dict)  # event_id -> times received in an acked batch
    lock: threading.Lock = field(default_factory=threading.Lock)
    httpd: Any = None

    def next(self) -> Any:
        with self.lock:
            return self.script.pop(0) if self.script else self.default

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.httpd.server_address[1]}"


def native_ack(body: bytes, stored: dict[str, int]) -> dict[str, Any]:
    doc = json.loads(body)
    ids = [e["event_id"] for e in doc["events"]]
    for i in ids:
        stored[i] = stored.get(i, 0) + 1
    return {"accepted": ids, "rejected": [], "high_water_event_id": ids[-1]}


@contextlib.contextmanager
def start_fault_server(fault: FaultServer, *, handler: Callable[[FaultServer, Recorded], tuple[int, dict[str, str], bytes]] | None = None) -> Iterator[FaultServer]:
    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a: Any) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length", "0"))
            behaviour = fault.next()
            if behaviour == "drop":
                self.rfile.read(length // 2)
                with fault.lock:
                    fault.requests.append(Recorded(self.path, dict(self.headers.items()), b"", time.monotonic()))
                self.close_connection = True
                self.connection.close()
                return
            raw = self.rfile.read(length)
            body = gzip.decompress(raw) if self.headers.get("Content-Encoding") == "gzip" else raw
            rec = Recorded(self.path, dict(self.headers.items()), body, time.monotonic())
            with fault.lock:
                fault.requests.append(rec)
            headers: dict[str, str] = {}
            if behaviour == "hang":
                time.sleep(fault.hang_seconds)
                behaviour = 500
            if callable(behaviour):
                status, headers, out = behaviour(rec)
            elif behaviour == "ok":
                if handler is not None:
                    status, headers, out = handler(fault, rec)
                else:
                    with fault.lock:
                        status, out = 200, json.dumps(native_ack(body, fault.stored)).encode()
            elif behaviour == "garbage":
                # the receiver stored the batch but its answer is mangled (a proxy, a bug): the
                # client must resend, and dedup by event_id keeps one copy
                with fault.lock:
                    native_ack(body, fault.stored)
                status, out = 200, b"<html>proxy says hi</html>"
            elif isinstance(behaviour, tuple):
                _, status, headers = behaviour
                out = b'{"error": "slow down"}'
            else:
                status, out = int(behaviour), json.dumps({"error": f"injected {behaviour}"}).encode()
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
    httpd.daemon_threads = True
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(fault.pki.server_chain))
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    fault.httpd = httpd
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield fault
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(10)




def urlopen_tls(url: str, pki: Pki, *, token: str | None = None, client: bool = True) -> Any:
    import urllib.request

    ctx = ssl.create_default_context(cafile=str(pki.ca))
    if client:
        ctx.load_cert_chain(str(pki.client_chain))
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    with urllib.request.urlopen(req, context=ctx, timeout=10) as resp:
        return json.loads(resp.read())
