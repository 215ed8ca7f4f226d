"""Routes of the reference receiver. Every malformed request gets a 4xx with a reason; an unexpected
error gets a 500 and a log line, never a dead server.

  POST /v1/events                 native batch (gzip or plain JSON), per-host bearer token optional
  GET  /v1/rule-packs             the current signed rule pack (ETag / If-None-Match)
  GET  /v1/hosts                  read API (bearer read token)
  GET  /v1/hosts/{id}/posture     latest score per (tool, scope)
  GET  /v1/events?since=N&limit=M events after receive sequence N
  GET  /v1/healthz
"""

from __future__ import annotations

import json
import re
import sys
import traceback
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from sigil_scan.serve.config import host_for_token
from sigil_scan.serve.ingest import BadRequest, check_batch, gunzip

_POSTURE = re.compile(r"^/v1/hosts/([^/]{1,200})/posture$")


# a refused body is read and dropped up to this size (beyond it the client gets a reset)
DRAIN_LIMIT = 8 * 1024 * 1024
DRAIN_SECONDS = 2.0

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the uploader reuses one connection
    # headers and body go out as two TLS records; with Nagle + delayed ACK that costs ~40 ms each
    disable_nagle_algorithm = True
    server_version = "sigil-serve"
    sys_version = ""
    server: Any  # sigil_scan.serve.server.Receiver

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.config.request_timeout)  # a stalled client cannot hold a thread forever

    # -- helpers -----------------------------------------------------------------------------
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        if self.server.config.verbose:
            sys.stderr.write(f"sigil serve: {self.client_identity()} {format % args}\n")

    def send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(payload, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def fail(self, status: int, reason: str, *, close: bool = False) -> None:
        if close:
            self.close_connection = True
        self.send_json(status, {"error": reason}, {"Connection": "close"} if close else None)

    def client_identity(self) -> str:
        return str(getattr(self.request, "sigil_identity", "anonymous"))

    def bearer(self) -> str | None:
        value = self.headers.get("Authorization", "")
        scheme, _, token = value.partition(" ")
        return token.strip() if scheme.lower() == "bearer" and token.strip() else None

    def read_body(self) -> bytes:
        cfg = self.server.config
        if self.headers.get("Transfer-Encoding"):
            raise BadRequest(411, "chunked bodies are not accepted; send Content-Length")
        raw = self.headers.get("Content-Length")
        if raw is None or not raw.isdigit():
            raise BadRequest(411, "Content-Length required")
        length = int(raw)
        if length > cfg.max_body_bytes:
            self._drain(length)
            raise BadRequest(413, f"body of {length} bytes exceeds {cfg.max_body_bytes}")
        body = self.rfile.read(length)
        if len(body) != length:
            raise BadRequest(400, "body shorter than Content-Length")
        encoding = self.headers.get("Content-Encoding", "identity").lower()
        if encoding == "gzip":
            return gunzip(body, cfg.max_decoded_bytes)
        if encoding != "identity":
            raise BadRequest(415, f"unsupported Content-Encoding {encoding}")
        return body

    def _drain(self, length: int) -> None:
        """Read and drop a refused body (up to a bound), so the client finishes sending and reads
        our 413: closing with unread data makes the kernel reset the connection, and the client
        would see a reset instead of the reason."""
        remaining = min(length, DRAIN_LIMIT)
        try:
            self.connection.settimeout(DRAIN_SECONDS)
            while remaining > 0:
                chunk = self.rfile.read(min(remaining, 64 * 1024))
                if not chunk:
                    break
                remaining -= len(chunk)
        except OSError:
            pass

    def guarded(self, fn: Any) -> None:
        try:
            fn()
        except BadRequest as exc:
            # a body we did not read (too large, no length) must not be parsed as the next request
            self.fail(exc.status, exc.reason, close=exc.status in (411, 413))
        except (ConnectionError, TimeoutError):
            self.close_connection = True
        except Exception:  # noqa: BLE001 - the receiver must survive any request
            traceback.print_exc(file=sys.stderr)
            try:
                self.fail(500, "internal error", close=True)
            except OSError:
                self.close_connection = True

    # -- routes ------------------------------------------------------------------------------
    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        self.guarded(self._post)

    def do_GET(self) -> None:  # noqa: N802
        self.guarded(self._get)

    def _post(self) -> None:
        path = urlsplit(self.path).path
        if path != "/v1/events":
            raise BadRequest(404, "no such endpoint")
        tokens = self.server.config.tokens
        bound = None
        if tokens:
            presented = self.bearer()
            bound = host_for_token(tokens, presented) if presented else None
            if bound is None:
                self.read_body_discard()
                raise BadRequest(401, "a valid bearer token is required")
        result = check_batch(self.read_body(), max_events=self.server.config.max_batch_events, bound_host=bound)
        identity = self.client_identity() if bound is None else f"{self.client_identity()} token:{bound}"
        if result.valid:
            self.server.store.insert(result.valid, identity)
        self.send_json(200, result.answer())

    def read_body_discard(self) -> None:
        # drain a refused body (within the limit) so the connection stays usable, else close it
        try:
            self.read_body()
        except BadRequest:
            self.close_connection = True

    def _get(self) -> None:
        url = urlsplit(self.path)
        path = url.path
        if path == "/v1/healthz":
            self.send_json(200, {"ok": True})
            return
        if path == "/v1/rule-packs":
            self._rule_pack()
            return
        if not path.startswith(("/v1/hosts", "/v1/events")):
            raise BadRequest(404, "no such endpoint")
        cfg = self.server.config
        if cfg.read_token is None:
            raise BadRequest(404, "the read API is disabled (start with --read-token-file)")
        presented = self.bearer()
        if presented is None or host_for_token({"read": cfg.read_token}, presented) is None:
            raise BadRequest(401, "a valid read token is required")
        store = self.server.store
        if path == "/v1/hosts":
            self.send_json(200, {"hosts": store.hosts()})
            return
        m = _POSTURE.match(path)
        if m:
            self.send_json(200, {"host_id": unquote(m.group(1)), "surfaces": store.posture(unquote(m.group(1)))})
            return
        if path == "/v1/events":
            q = parse_qs(url.query)
            try:
                since = int(q.get("since", ["0"])[0])
                limit = min(1000, max(1, int(q.get("limit", ["100"])[0])))
            except ValueError as exc:
                raise BadRequest(400, "since and limit must be integers") from exc
            events, last = store.events_since(since, limit)
            self.send_json(200, {"events": events, "next_since": last})
            return
        raise BadRequest(404, "no such endpoint")

    def _rule_pack(self) -> None:
        pack = self.server.current_pack()
        if pack is None:
            raise BadRequest(404, "no rule pack published")
        data, etag = pack
        if etag in [t.strip() for t in self.headers.get("If-None-Match", "").split(",")]:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("ETag", etag)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
