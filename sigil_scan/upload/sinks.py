"""Delivery targets over HTTPS: the native receiver, Splunk HEC, Elasticsearch/OpenSearch `_bulk`.

A sink turns a list of events into one request and the answer into a Verdict. The HTTP status
classes are the same for all of them (`HttpSink.deliver`):
  2xx                 -> the sink reads the body (per-event accepted / rejected / retry)
  401, 403            -> Retry("auth"): loud, on the slow schedule; never dead-lettered
  408, 429, 5xx       -> Retry (429/503 honour Retry-After)
  3xx                 -> Retry("protocol"): redirects are not followed (they could leak the token)
  other 4xx           -> BatchRejected(reason): the runner bisects the batch down to the bad events
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sigil_scan import __version__
from sigil_scan.upload.backoff import parse_retry_after
from sigil_scan.upload.config import UploadConfig
from sigil_scan.upload.transport import HttpsClient, Response, TransportError

REASON_MAX = 500


@dataclass(frozen=True, slots=True)
class Item:
    event_id: str
    line: bytes  # the spool line, exactly as written
    event: dict[str, Any]


@dataclass(slots=True)
class Verdict:
    acked: set[str] = field(default_factory=set)
    rejected: dict[str, str] = field(default_factory=dict)  # event_id -> the receiver's reason
    retry: set[str] = field(default_factory=set)  # transient per-event failures (e.g. bulk 429)


class Retry(Exception):
    """Send the same events again later. kind: network | timeout | tls | auth | server | throttled | protocol."""

    def __init__(self, kind: str, message: str, *, retry_after: float | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.retry_after = retry_after
        self.status = status


class BatchRejected(Exception):
    """The receiver refused the whole request permanently (4xx other than 401/403/408/429)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= REASON_MAX else text[: REASON_MAX - 1] + "…"


def body_reason(resp: Response) -> str:
    try:
        data = json.loads(resp.body)
    except ValueError:
        return short(f"HTTP {resp.status}: {resp.body[:REASON_MAX].decode('utf-8', 'replace')}")
    if isinstance(data, dict):
        for key in ("error", "reason", "text", "message", "detail"):
            value = data.get(key)
            if isinstance(value, dict):  # Elasticsearch: {"error": {"type", "reason"}}
                value = f"{value.get('type', '')}: {value.get('reason', '')}"
            if value:
                return short(f"HTTP {resp.status}: {value}")
    return short(f"HTTP {resp.status}: {json.dumps(data)[:REASON_MAX]}")


def epoch(ts: Any) -> float | None:
    if not isinstance(ts, str):
        return None
    try:
        return round(datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp(), 3)
    except ValueError:
        return None


class HttpSink:
    path = "/"
    content_type = "application/json"

    def __init__(self, config: UploadConfig, client: HttpsClient | None = None) -> None:
        self.config = config
        self.client = client or HttpsClient(config.url, config.tls, timeout=config.timeout)

    def headers(self) -> dict[str, str]:
        h = {"Content-Type": self.content_type, "User-Agent": f"sigil-scan/{__version__}", "Accept": "application/json"}
        if self.config.token:
            h["Authorization"] = f"{self.config.auth_scheme} {self.config.token}".strip()
        return h

    def encode(self, items: list[Item]) -> bytes:
        raise NotImplementedError

    def judge(self, resp: Response, items: list[Item]) -> Verdict:
        raise NotImplementedError

    def deliver(self, items: list[Item]) -> Verdict:
        body = self.encode(items)
        headers = self.headers()
        if self.config.gzip:
            body = gzip.compress(body, compresslevel=6, mtime=0)
            headers["Content-Encoding"] = "gzip"
        try:
            resp = self.client.request("POST", self.path, body, headers)
        except TransportError as exc:
            raise Retry(exc.kind, str(exc)) from exc
        return self.verdict(resp, items)

    def verdict(self, resp: Response, items: list[Item]) -> Verdict:
        status = resp.status
        if 200 <= status < 300:
            return self.judge(resp, items)
        reason = body_reason(resp)
        if status in (401, 403):
            raise Retry("auth", f"authentication refused ({reason})", status=status)
        if status in (408, 429) or status >= 500:
            after = parse_retry_after(resp.headers.get("retry-after"), cap=self.config.retry_after_max)
            raise Retry("throttled" if status == 429 else "server", reason, retry_after=after, status=status)
        if 300 <= status < 400 or status < 200:
            raise Retry("protocol", f"unexpected HTTP {status} (redirects are not followed)", status=status)
        raise BatchRejected(status, reason)

    def close(self) -> None:
        self.client.close()


class NativeSink(HttpSink):
    """`POST /v1/events` `{envelope, events}` -> `{accepted, rejected, high_water_event_id}`."""

    path = "/v1/events"

    def encode(self, items: list[Item]) -> bytes:
        from sigil_scan.identity import host_id, rfc3339_ms, uuid7

        envelope = {
            "schema_version": 1,
            "batch_id": uuid7(),
            "host_id": host_id(),
            "agent_version": __version__,
            "sender_version": __version__,
            "sent_at": rfc3339_ms(),
        }
        # the spool lines are valid JSON already: splice them in rather than re-encoding each event
        events = b",".join(i.line for i in items)
        return json.dumps({"envelope": envelope}).encode()[:-1] + b',"events":[' + events + b"]}"

    def judge(self, resp: Response, items: list[Item]) -> Verdict:
        try:
            data = json.loads(resp.body)
            accepted = data["accepted"]
            rejected = data["rejected"]
            high_water = data["high_water_event_id"]
            if not isinstance(accepted, list) or not isinstance(rejected, list):
                raise TypeError
        except (ValueError, KeyError, TypeError) as exc:
            raise Retry("protocol", f"receiver answered {resp.status} with a malformed body") from exc
        sent = {i.event_id for i in items}
        if high_water != items[-1].event_id:
            # the high-water id must be the last event submitted: anything else means the
            # receiver did not see the whole batch, so nothing is acknowledged
            raise Retry("protocol", f"receiver high-water id {str(high_water)[:64]!r} is not the last event sent")
        verdict = Verdict()
        verdict.acked = {a for a in accepted if isinstance(a, str)} & sent
        for r in rejected:
            if isinstance(r, dict) and r.get("event_id") in sent:
                verdict.rejected[r["event_id"]] = short(f"{r.get('reason', 'rejected')}: {r.get('detail', '')}".rstrip(": "))
        missing = sent - verdict.acked - set(verdict.rejected)
        verdict.retry = missing
        return verdict


class HecSink(HttpSink):
    """Splunk HTTP Event Collector: concatenated JSON objects, `Authorization: Splunk <token>`."""

    path = "/services/collector/event"

    def wrap(self, item: Item) -> dict[str, Any]:
        event = item.event
        out: dict[str, Any] = {}
        t = epoch(event.get("ts"))
        if t is not None:
            out["time"] = t
        out["host"] = str(event.get("host_id", ""))
        out["source"] = self.config.hec.get("source", "sigil-scan")
        out["sourcetype"] = self.config.hec.get("sourcetype", "sigil:event")
        if "index" in self.config.hec:
            out["index"] = self.config.hec["index"]
        out["event"] = event
        evidence = event.get("evidence")
        kind = evidence.get("kind") if isinstance(evidence, dict) else None
        # indexed fields must be strings (or lists of strings)
        out["fields"] = {"event_id": item.event_id, "evidence_kind": str(kind or ""), "severity": str(event.get("severity", ""))}
        return out

    def encode(self, items: list[Item]) -> bytes:
        return b"\n".join(json.dumps(self.wrap(i), separators=(",", ":"), ensure_ascii=False).encode() for i in items)

    def judge(self, resp: Response, items: list[Item]) -> Verdict:
        try:
            data = json.loads(resp.body)
            ok = isinstance(data, dict) and data.get("code") == 0
        except ValueError:
            ok = False
        if not ok:
            raise Retry("protocol", f"HEC answered {resp.status} without code 0")
        return Verdict(acked={i.event_id for i in items})


class BulkSink(HttpSink):
    """Elasticsearch / OpenSearch `_bulk`: NDJSON `create` actions with `_id` = event_id, so a retry
    of an event that already arrived is a 409 conflict (counted as delivered), never a duplicate."""

    path = "/_bulk"
    content_type = "application/x-ndjson"

    def encode(self, items: list[Item]) -> bytes:
        out = bytearray()
        for i in items:
            action = {"create": {"_index": self.config.bulk_index, "_id": i.event_id}}
            doc = dict(i.event)
            doc.setdefault("@timestamp", i.event.get("ts"))  # data streams require @timestamp
            out += json.dumps(action, separators=(",", ":")).encode() + b"\n"
            out += json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"
        return bytes(out)  # the body must end with a newline

    def judge(self, resp: Response, items: list[Item]) -> Verdict:
        try:
            data = json.loads(resp.body)
            results = data["items"]
            if not isinstance(results, list) or len(results) != len(items):
                raise TypeError
        except (ValueError, KeyError, TypeError) as exc:
            raise Retry("protocol", f"_bulk answered {resp.status} with a malformed body") from exc
        verdict = Verdict()
        for item, result in zip(items, results, strict=False):
            op: Any = next(iter(result.values()), {}) if isinstance(result, dict) and result else {}
            status = op.get("status") if isinstance(op, dict) else None
            if not isinstance(status, int):
                verdict.retry.add(item.event_id)
            elif 200 <= status < 300 or status == 409:
                verdict.acked.add(item.event_id)
            elif status == 429 or status >= 500:
                verdict.retry.add(item.event_id)
            else:
                err = op.get("error") or {}
                text = f"{err.get('type', '')}: {err.get('reason', '')}" if isinstance(err, dict) else str(err)
                verdict.rejected[item.event_id] = short(f"HTTP {status}: {text}")
        return verdict


def make_sink(config: UploadConfig) -> Any:
    if config.sink == "syslog":
        from sigil_scan.upload.syslog import SyslogSink

        return SyslogSink(config)
    return {"native": NativeSink, "hec": HecSink, "bulk": BulkSink}[config.sink](config)
