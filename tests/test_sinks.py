"""Splunk HEC and Elasticsearch/OpenSearch `_bulk` request bodies, recorded by a local HTTPS server
and checked against the formats those products document:

* HEC (docs.splunk.com, "Format events for HTTP Event Collector"): POST /services/collector/event,
  `Authorization: Splunk <token>`, a body of concatenated JSON objects (not an array), each with a
  required `event`, optional `time` (epoch seconds), `host`, `source`, `sourcetype`, `index`, and
  `fields` (string values); success answer `{"text": "Success", "code": 0}`.
* _bulk (elastic.co, "Bulk API"): POST /_bulk, `Content-Type: application/x-ndjson`, action line
  + source line pairs, the body ending with a newline; answer `{"errors", "items": [{action:
  {"_id", "status", "error"?}}]}` in request order.
No Splunk or Elasticsearch runs here: these are the documented formats, not a live product."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fleet_helpers import (
    FaultServer,
    Recorded,
    dead_letters,
    make_pki,
    run_upload,
    sample_event,
    start_fault_server,
    upload_config,
    write_spool,
)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return make_pki(tmp_path_factory.mktemp("pki"))


def hec_objects(body: bytes) -> list[dict[str, Any]]:
    """Parse concatenated JSON objects the way HEC does (whitespace between them allowed)."""
    text, pos, out = body.decode("utf-8"), 0, []
    decoder = json.JSONDecoder()
    while pos < len(text):
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos == len(text):
            break
        obj, pos = decoder.raw_decode(text, pos)
        assert isinstance(obj, dict)
        out.append(obj)
    return out


def hec_ok(rec: Recorded) -> tuple[int, dict[str, str], bytes]:
    return 200, {}, b'{"text":"Success","code":0}'


def test_hec_request_format(tmp_path: Path, home: Path, pki: Any) -> None:
    events = [sample_event(i) for i in range(7)]
    write_spool(tmp_path / "spool", events)
    (tmp_path / "hec-token").write_text("11111111-2222-3333-4444-555555555555\n")
    config = upload_config(
        tmp_path / "upload.yaml", "https://placeholder", pki, sink="hec", token={"file": str(tmp_path / "hec-token")},
        hec={"index": "security", "sourcetype": "sigil:event"}, tls={"ca_file": str(pki.ca)},
    )
    with start_fault_server(FaultServer(pki, default=hec_ok)) as fault:
        config.write_text(config.read_text().replace("https://placeholder", fault.url))
        result = run_upload(home, config)
        assert result.returncode == 0, result.stderr
        [req] = fault.requests
    assert req.path == "/services/collector/event"
    assert req.headers["Authorization"] == "Splunk 11111111-2222-3333-4444-555555555555"
    assert req.headers["Content-Encoding"] == "gzip"
    assert not req.body.lstrip().startswith(b"[")  # concatenated objects, not an array
    objs = hec_objects(req.body)
    assert [o["event"] for o in objs] == events  # the native event, verbatim, as `event`
    for o, e in zip(objs, events, strict=True):
        assert set(o) <= {"time", "host", "source", "sourcetype", "index", "event", "fields"}
        assert isinstance(o["time"], float) and abs(o["time"] - _epoch(e["ts"])) < 0.002
        assert o["host"] == e["host_id"] and o["index"] == "security" and o["sourcetype"] == "sigil:event"
        assert o["source"] == "sigil-scan"
        assert all(isinstance(v, str) for v in o["fields"].values())  # indexed fields are strings
        assert o["fields"]["event_id"] == e["event_id"]
    assert "11111111-2222" not in result.stderr


def _epoch(ts: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()


def test_hec_invalid_event_is_isolated(tmp_path: Path, home: Path, pki: Any) -> None:
    """HEC refuses a whole request with 400 (e.g. code 6 "Invalid data format"): the uploader
    bisects and dead-letters only the event HEC keeps refusing."""
    events = [sample_event(i) for i in range(8)]
    bad = events[5]["event_id"]
    write_spool(tmp_path / "spool", events)
    accepted: list[str] = []

    def hec(rec: Recorded) -> tuple[int, dict[str, str], bytes]:
        objs = hec_objects(rec.body)
        if any(o["event"]["event_id"] == bad for o in objs):
            return 400, {}, b'{"text":"Invalid data format","code":6,"invalid-event-number":0}'
        accepted.extend(o["event"]["event_id"] for o in objs)
        return 200, {}, b'{"text":"Success","code":0}'

    (tmp_path / "tok").write_text("hec-token-abcdefghijklmnop")
    with start_fault_server(FaultServer(pki, default=hec)) as fault:
        cfg = upload_config(tmp_path / "upload.yaml", fault.url, pki, sink="hec", token={"file": str(tmp_path / "tok")})
        result = run_upload(home, cfg)
    assert result.returncode == 0, result.stderr
    assert sorted(accepted) == sorted(e["event_id"] for e in events if e["event_id"] != bad)
    dead = dead_letters(tmp_path / "dead-letter")
    assert [d["event_id"] for d in dead] == [bad] and dead[0]["reason"] == "HTTP 400: Invalid data format"


def test_bulk_request_format_and_item_results(tmp_path: Path, home: Path, pki: Any) -> None:
    events = [sample_event(i) for i in range(6)]
    write_spool(tmp_path / "spool", events)
    ids = [e["event_id"] for e in events]
    first_answer = {
        # created, created, already there (a retry), mapping error (permanent), throttled, created
        ids[0]: (201, None), ids[1]: (201, None),
        ids[2]: (409, {"type": "version_conflict_engine_exception", "reason": "document already exists"}),
        ids[3]: (400, {"type": "mapper_parsing_exception", "reason": "failed to parse field [evidence]"}),
        ids[4]: (429, {"type": "es_rejected_execution_exception", "reason": "rejected execution"}),
        ids[5]: (201, None),
    }
    seen: list[list[str]] = []

    def bulk(rec: Recorded) -> tuple[int, dict[str, str], bytes]:
        lines = rec.body.split(b"\n")
        assert lines[-1] == b"", "the body must end with a newline"
        pairs = list(zip(lines[0:-1:2], lines[1:-1:2], strict=True))
        items = []
        batch = []
        for action_line, source_line in pairs:
            action = json.loads(action_line)
            source = json.loads(source_line)
            assert list(action) == ["create"] and set(action["create"]) == {"_index", "_id"}
            assert action["create"]["_index"] == "sigil-events"
            assert action["create"]["_id"] == source["event_id"]
            assert source["@timestamp"] == source["ts"]
            batch.append(source["event_id"])
            status, error = first_answer[source["event_id"]] if not seen else (201, None)
            item: dict[str, Any] = {"_index": "sigil-events", "_id": source["event_id"], "status": status}
            if error:
                item["error"] = error
            items.append({"create": item})
        seen.append(batch)
        return 200, {}, json.dumps({"took": 3, "errors": True, "items": items}).encode()

    (tmp_path / "key").write_text("VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==")
    with start_fault_server(FaultServer(pki, default=bulk)) as fault:
        cfg = upload_config(tmp_path / "upload.yaml", fault.url, pki, sink="bulk", token={"file": str(tmp_path / "key")})
        result = run_upload(home, cfg)
        assert result.returncode == 0, result.stderr
        req = fault.requests[0]
    assert req.path == "/_bulk"
    assert req.headers["Content-Type"] == "application/x-ndjson"
    assert req.headers["Authorization"].startswith("ApiKey VnVhQ2")
    assert seen == [ids, [ids[4]]]  # only the throttled item is sent again
    dead = dead_letters(tmp_path / "dead-letter")
    assert [d["event_id"] for d in dead] == [ids[3]]
    assert dead[0]["reason"] == "HTTP 400: mapper_parsing_exception: failed to parse field [evidence]"
