"""The TLS listener: ThreadingHTTPServer whose worker threads do the TLS handshake (a slow or
hostile client then cannot stall `accept`), client identity from the certificate, packs on disk."""

from __future__ import annotations

import contextlib
import hashlib
import socket
import ssl
import sys
import threading
from http.server import ThreadingHTTPServer
from typing import Any

from sigil_scan.errors import SigilError
from sigil_scan.serve.config import ServeConfig
from sigil_scan.serve.handler import Handler
from sigil_scan.serve.store import Store

HANDSHAKE_TIMEOUT = 10.0
MAX_PACK_BYTES = 64 * 1024 * 1024
MAX_CONNECTIONS = 128


def server_context(config: ServeConfig) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        ctx.load_cert_chain(str(config.cert), str(config.key))
        if config.client_ca:
            ctx.load_verify_locations(cafile=str(config.client_ca))
    except (OSError, ssl.SSLError) as exc:
        raise SigilError(f"serve: cannot load TLS files: {exc}") from exc
    if config.require_client_cert:
        if not config.client_ca:
            raise SigilError("serve: --require-client-cert needs --client-ca")
        ctx.verify_mode = ssl.CERT_REQUIRED
    elif config.client_ca:
        ctx.verify_mode = ssl.CERT_OPTIONAL
    return ctx


def identity_of(sock: ssl.SSLSocket) -> str:
    der = sock.getpeercert(binary_form=True)
    if not der:
        return "anonymous"
    cert: dict[str, Any] = dict(sock.getpeercert() or {})
    cn = ""
    for rdn in cert.get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                cn = str(value)
    if not cn:
        for kind, value in cert.get("subjectAltName", ()):
            if kind == "DNS":
                cn = str(value)
                break
    return f"cert:{cn or '?'}:sha256:{hashlib.sha256(der).hexdigest()[:32]}"


class Receiver(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256  # listen backlog: the stdlib's 5 drops SYNs under any burst

    def __init__(self, config: ServeConfig) -> None:
        self.config = config
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        self.tls = server_context(config)
        self.store = Store(config.db)
        try:
            super().__init__((config.bind, config.port), Handler)
        except OSError as exc:
            self.store.close()
            raise SigilError(f"serve: cannot listen on {config.bind}:{config.port}: {exc.strerror or exc}") from exc

    def process_request(self, request: Any, client_address: Any) -> None:
        # one thread per connection, but never more than MAX_CONNECTIONS: a flood of idle
        # connections is refused at the door instead of exhausting threads
        if not self._slots.acquire(blocking=False):
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def finish_request(self, request: Any, client_address: Any) -> None:
        request.settimeout(HANDSHAKE_TIMEOUT)
        try:
            tls = self.tls.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as exc:
            if self.config.verbose:
                sys.stderr.write(f"sigil serve: TLS handshake from {client_address[0]} refused: {exc}\n")
            return
        try:
            tls.sigil_identity = identity_of(tls)  # type: ignore[attr-defined]
            self.RequestHandlerClass(tls, client_address, self)  # type: ignore[arg-type]
        finally:
            with contextlib.suppress(OSError):
                tls.shutdown(socket.SHUT_RDWR)
            tls.close()

    def current_pack(self) -> tuple[bytes, str] | None:
        """The newest regular file in --packs-dir (by mtime, then name), with a content ETag."""
        directory = self.config.packs_dir
        if directory is None:
            return None
        try:
            files = [p for p in directory.iterdir() if p.is_file() and not p.name.startswith(".")]
        except OSError:
            return None
        if not files:
            return None
        newest = max(files, key=lambda p: (p.stat().st_mtime, p.name))
        if newest.stat().st_size > MAX_PACK_BYTES:
            return None
        data = newest.read_bytes()
        return data, '"' + hashlib.sha256(data).hexdigest()[:32] + '"'

    def write_port_file(self) -> None:
        if self.config.port_file is None:
            return
        from sigil_scan.fsutil import write_atomic

        write_atomic(self.config.port_file, str(self.server_address[1]).encode())

    def server_close(self) -> None:
        super().server_close()
        self.store.close()


def serve(config: ServeConfig) -> None:
    server = Receiver(config)
    try:
        server.write_port_file()
        host, port = str(server.server_address[0]), int(server.server_address[1])
        sys.stderr.write(f"sigil serve: listening on https://{host}:{port} (db {config.db})\n")
        sys.stderr.flush()
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
