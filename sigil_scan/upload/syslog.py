"""Syslog sink: RFC 5424 messages over TCP + TLS (RFC 5425) with octet-counting framing (RFC 6587).

The path into QRadar, ArcSight, Sentinel and any rsyslog / syslog-ng relay. Syslog has no
application-level acknowledgement: a batch counts as delivered once every frame has been written
to the TLS stream without error. After a connection error the whole batch is sent again, so a
relay may rarely see an event twice; the event_id in the structured data lets the SIEM drop it.
"""

from __future__ import annotations

import contextlib
import socket
import ssl

from sigil_scan.upload.config import UploadConfig
from sigil_scan.upload.sinks import Item, Retry, Verdict
from sigil_scan.upload.transport import _mtimes, classify, client_context

# 32473 is the private enterprise number reserved for documentation (RFC 5612)
SD_ID = "sigil@32473"
PROBE_SECONDS = 0.3
_SEVERITY = {"info": 6, "warn": 4}  # informational, warning


def _printusascii(text: str, limit: int) -> str:
    cleaned = "".join(c if 33 <= ord(c) <= 126 else "_" for c in text)[:limit]
    return cleaned or "-"


def _sd_value(text: str) -> str:
    # RFC 5424 §6.3.3: '"', '\' and ']' must be escaped inside PARAM-VALUE
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("]", "\\]")


def format_message(item: Item, *, facility: int, app_name: str) -> bytes:
    event = item.event
    severity = _SEVERITY.get(str(event.get("severity")), 6)
    pri = facility * 8 + severity
    ts = event.get("ts") if isinstance(event.get("ts"), str) else "-"
    evidence = event.get("evidence")
    kind = evidence.get("kind") if isinstance(evidence, dict) else None
    header = " ".join(
        [
            f"<{pri}>1",
            _printusascii(str(ts), 64),
            _printusascii(str(event.get("host_id", "")), 255),
            _printusascii(app_name, 48),
            "-",
            _printusascii(str(kind or "event"), 32),
        ]
    )
    sd = f'[{SD_ID} event_id="{_sd_value(item.event_id)}"]'
    # MSG: the spool line verbatim, marked as UTF-8 by the BOM (RFC 5424 §6.4)
    return header.encode("ascii") + b" " + sd.encode("utf-8") + b" \xef\xbb\xbf" + item.line


def frame(message: bytes) -> bytes:
    return str(len(message)).encode("ascii") + b" " + message


class SyslogSink:
    def __init__(self, config: UploadConfig) -> None:
        self.config = config
        self._sock: ssl.SSLSocket | None = None
        self._ctx: ssl.SSLContext | None = None
        self._ctx_key: tuple[float, ...] = ()

    def _connect(self) -> ssl.SSLSocket:
        key = _mtimes(self.config.tls)
        if self._ctx is None or key != self._ctx_key:
            self._ctx, self._ctx_key = client_context(self.config.tls), key
            self.close()
        if self._sock is None:
            raw = socket.create_connection((self.config.host, self.config.port), self.config.timeout)
            try:
                sock = self._ctx.wrap_socket(raw, server_hostname=self.config.tls.server_name or self.config.host)
            except BaseException:
                raw.close()
                raise
            if sock.version() == "TLSv1.3":
                self._confirm(sock)
            self._sock = sock
        return self._sock

    def _confirm(self, sock: ssl.SSLSocket) -> None:
        """In TLS 1.3 the server checks our certificate after the client's handshake is done and
        answers a refusal with an alert. Syslog has no acknowledgements, so wait briefly for that
        alert before sending anything; silence means the relay accepted us."""
        sock.settimeout(min(PROBE_SECONDS, self.config.timeout))
        try:
            data = sock.recv(1)
        except TimeoutError:
            sock.settimeout(self.config.timeout)
            return
        except BaseException:
            sock.close()
            raise
        sock.close()
        raise ssl.SSLError(f"the relay closed the connection right after the TLS handshake ({len(data)} bytes): client certificate refused?")

    def deliver(self, items: list[Item]) -> Verdict:
        data = b"".join(
            frame(format_message(i, facility=self.config.syslog_facility, app_name=self.config.syslog_app_name)) for i in items
        )
        try:
            sock = self._connect()
            sock.sendall(data)
            self._check_alive(sock)
        except (OSError, ssl.SSLError) as exc:
            self.close()
            err = classify(exc)
            raise Retry(err.kind, f"syslog: {err}") from exc
        return Verdict(acked={i.event_id for i in items})

    def _check_alive(self, sock: ssl.SSLSocket) -> None:
        """A relay never writes to us; readable-with-EOF means it closed (e.g. refused our
        certificate after the handshake, as TLS 1.3 servers do), so the batch was not received."""
        sock.setblocking(False)
        try:
            data = sock.recv(1)
            if data == b"":
                raise ConnectionResetError("syslog relay closed the connection")
        except (ssl.SSLWantReadError, BlockingIOError):
            pass
        finally:
            sock.settimeout(self.config.timeout)

    def close(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError, ssl.SSLError):
                self._sock.settimeout(1.0)
                self._sock.unwrap()  # close_notify: a clean end of the stream for the relay
            with contextlib.suppress(OSError):
                self._sock.close()
            self._sock = None

