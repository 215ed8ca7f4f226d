"""HTTPS with the standard library (http.client + ssl).

Certificate and hostname verification are always on; there is no switch to turn them off. With a
configured CA file only that CA is trusted (pinning: the system roots are not loaded). A client
certificate turns on mTLS. The SSL context is rebuilt when a certificate file changes on disk, so
rotated certificates are picked up without a restart.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from sigil_scan.upload.config import TlsConfig

MAX_RESPONSE_BYTES = 4 * 1024 * 1024  # a receiver's answer is small; a hostile one must not exhaust memory


class TransportError(Exception):
    """A failure before an HTTP status was received. kind: network | timeout | tls."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


def _mtimes(tls: TlsConfig) -> tuple[float, ...]:
    out = []
    for p in (tls.ca_file, tls.client_cert, tls.client_key):
        try:
            out.append(os.stat(p).st_mtime if p else 0.0)
        except OSError:
            out.append(-1.0)
    return tuple(out)


def client_context(tls: TlsConfig) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # CERT_REQUIRED + check_hostname by construction
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        if tls.ca_file:
            ctx.load_verify_locations(cafile=str(tls.ca_file))
        else:
            ctx.load_default_certs(ssl.Purpose.SERVER_AUTH)
        if tls.client_cert:
            ctx.load_cert_chain(str(tls.client_cert), str(tls.client_key) if tls.client_key else None)
    except (OSError, ssl.SSLError) as exc:
        raise TransportError("tls", f"cannot load TLS files: {exc}") from exc
    return ctx


def classify(exc: BaseException) -> TransportError:
    if isinstance(exc, TransportError):
        return exc
    if isinstance(exc, ssl.SSLCertVerificationError):
        return TransportError("tls", f"server certificate rejected: {exc.verify_message or exc}")
    if isinstance(exc, ssl.SSLError):
        # includes the server's alert when it refuses our client certificate
        return TransportError("tls", f"TLS failure: {exc.reason or exc}")
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return TransportError("timeout", "timed out")
    return TransportError("network", f"{type(exc).__name__}: {exc}")


class HttpsClient:
    """One keep-alive connection to one base URL, reopened after any failure."""

    def __init__(self, base_url: str, tls: TlsConfig, *, timeout: float) -> None:
        parts = urlsplit(base_url)
        if parts.scheme != "https" or not parts.hostname:
            raise TransportError("network", f"not an https URL: {base_url}")
        self.host = parts.hostname
        self.port = parts.port or 443
        self.prefix = parts.path.rstrip("/")
        self.tls = tls
        self.timeout = timeout
        self._ctx: ssl.SSLContext | None = None
        self._ctx_key: tuple[float, ...] = ()
        self._conn: http.client.HTTPSConnection | None = None

    def _context(self) -> ssl.SSLContext:
        key = _mtimes(self.tls)
        if self._ctx is None or key != self._ctx_key:
            self._ctx, self._ctx_key = client_context(self.tls), key
            self.close()
        return self._ctx

    def request(self, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> Response:
        ctx = self._context()
        if self._conn is None:
            server_name = self.tls.server_name or self.host
            self._conn = http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout, context=ctx)
            if server_name != self.host:
                # verify the certificate against the configured name, connect to the URL's address
                conn = self._conn

                def connect() -> None:
                    sock = socket.create_connection((self.host, self.port), self.timeout)
                    conn.sock = ctx.wrap_socket(sock, server_hostname=server_name)

                conn.connect = connect  # type: ignore[method-assign]
        try:
            self._conn.request(method, self.prefix + path, body=body, headers=headers)
            resp = self._conn.getresponse()
            data = resp.read(MAX_RESPONSE_BYTES + 1)
            out = Response(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data[:MAX_RESPONSE_BYTES])
            if len(data) > MAX_RESPONSE_BYTES or resp.getheader("connection", "").lower() == "close":
                self.close()
            return out
        except (OSError, http.client.HTTPException, ssl.SSLError) as exc:
            self.close()
            raise classify(exc) from exc

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(OSError):
                self._conn.close()
            self._conn = None
