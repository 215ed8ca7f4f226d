"""The syslog sink against a REAL rsyslog (Debian packages rsyslog + rsyslog-openssl, listed in
.ci/apt-packages): rsyslogd runs in the foreground on 127.0.0.1 with TLS (imtcp + the ossl
netstream driver, client certificates required), writes what it receives to a file, and the test
reads it back: every event arrives once, intact (RFC 5424 fields, octet-counted frames)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fleet_helpers import (
    checkpoint,
    make_pki,
    run_upload,
    sample_event,
    stop_process,
    upload_config,
    wait_for,
    write_spool,
)

RSYSLOGD = shutil.which("rsyslogd") or "/usr/sbin/rsyslogd"
_OSSL = any(Path(d, "lmnsd_ossl.so").exists() for d in ("/usr/lib/x86_64-linux-gnu/rsyslog", "/usr/lib/aarch64-linux-gnu/rsyslog", "/usr/lib/rsyslog"))

# CI installs rsyslog from .ci/apt-packages and must run these tests; on a developer machine
# without it they are skipped with the reason (they need a real relay, not a stand-in).
if not (os.path.exists(RSYSLOGD) and _OSSL) and not os.environ.get("CI"):
    pytest.skip("needs Debian's rsyslog and rsyslog-openssl (see .ci/apt-packages)", allow_module_level=True)

CONF = """
global(workDirectory="{work}" maxMessageSize="256k"
       DefaultNetstreamDriver="ossl"
       DefaultNetstreamDriverCAFile="{ca}"
       DefaultNetstreamDriverCertFile="{cert}"
       DefaultNetstreamDriverKeyFile="{key}")
module(load="imtcp" StreamDriver.Name="ossl" StreamDriver.Mode="1" StreamDriver.AuthMode="x509/certvalid")
template(name="fields" type="list") {{
  property(name="pri") constant(value="\\t")
  property(name="hostname") constant(value="\\t")
  property(name="app-name") constant(value="\\t")
  property(name="msgid") constant(value="\\t")
  property(name="structured-data") constant(value="\\t")
  property(name="msg") constant(value="\\n")
}}
input(type="imtcp" address="127.0.0.1" port="{port}" listenPortFileName="{work}/port" ruleset="received")
ruleset(name="received") {{ action(type="omfile" file="{out}" template="fields") }}
"""


def _listening(port: int) -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


class Rsyslog:
    def __init__(self, work: Path, pki: Any, port: int = 0) -> None:
        self.work = work
        self.out = work / "received.log"
        # rsyslog wants the key and the certificate in separate files
        chain = pki.server_chain.read_text()
        key_end = re.search(r"-----END [A-Z ]*PRIVATE KEY-----\n", chain).end()  # type: ignore[union-attr]
        (work / "key.pem").write_text(chain[:key_end])
        (work / "cert.pem").write_text(chain[key_end:])
        conf = work / "rsyslog.conf"
        conf.write_text(CONF.format(port=port, work=work, ca=pki.ca, cert=work / "cert.pem", key=work / "key.pem", out=self.out))
        self.log = open(work / "rsyslogd.log", "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen([RSYSLOGD, "-n", "-f", str(conf), "-i", str(work / "rsyslogd.pid")], stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            if port:  # rsyslog writes listenPortFileName only for port 0
                self.port = port
                wait_for(lambda: _listening(port), 20, "rsyslogd to listen")
            else:
                self.port = int(wait_for(lambda: (work / "port").exists() and (work / "port").read_text().strip(), 20, "rsyslogd to listen"))
        except BaseException:
            self.stop()
            raise

    def received(self) -> list[list[str]]:
        if not self.out.exists():
            return []
        return [line.split("\t", 5) for line in self.out.read_text(encoding="utf-8").splitlines() if line]

    def stop(self) -> None:
        stop_process(self.proc)
        self.log.close()


@pytest.fixture()
def relay(tmp_path: Path) -> Iterator[tuple[Rsyslog, Any]]:
    pki = make_pki(tmp_path / "pki")
    work = tmp_path / "rsyslog"
    work.mkdir()
    server = Rsyslog(work, pki)
    try:
        yield server, pki
    finally:
        server.stop()


def big_event(i: int) -> dict[str, Any]:
    from sigil_scan.events import envelope

    reasons = [
        {"kind": "hook", "rule_id": f"rule-{n}", "weight": 1.0, "contribution": 0.5, "file": "~/.claude/settings.json", "line": n + 1,
         "column": 1, "message": f"hook runs `curl … | sh` — «{n}» \\ \"quoted\" ] bracket", "fingerprint": f"{n:032x}"}
        for n in range(60)
    ]
    evidence = {"kind": "ai_guard_risk_assessed", "tool": "claude_code", "scope": {"kind": "user_global"}, "score": 7.5, "bucket": "high",
                "reasons": reasons, "is_reattestation": False, "files": [{"path": "~/.claude/settings.json", "blake3": None, "size": 10, "role": "settings"}]}
    return envelope(evidence, subject={"kind": "path", "value": f"~/.claude/settings-{i}.json"}, severity="warn")


def test_every_event_arrives_once_intact(tmp_path: Path, home: Path, relay: tuple[Rsyslog, Any], event_validator: Any) -> None:
    server, pki = relay
    events = [sample_event(i) for i in range(150)] + [big_event(i) for i in range(3)]
    for e in events:
        event_validator(e)
    assert max(len(json.dumps(e)) for e in events) > 8192  # larger than rsyslog's default message size
    ids = write_spool(tmp_path / "spool", events)
    config = upload_config(tmp_path / "upload.yaml", f"tls://127.0.0.1:{server.port}", pki, sink="syslog", batch={"max_events": 40, "max_bytes": 200_000})
    result = run_upload(home, config)
    assert result.returncode == 0, result.stderr
    wait_for(lambda: len(server.received()) >= len(events), 20, "rsyslog to write every event")
    got = server.received()
    assert len(got) == len(events)
    by_id = {e["event_id"]: e for e in events}
    seen = []
    for pri, hostname, app, msgid, sd, msg in got:
        payload = json.loads(msg.lstrip("\ufeff"))  # MSG is the spool line after the UTF-8 BOM
        original = by_id[payload["event_id"]]
        assert payload == original  # intact, byte for byte in meaning
        assert sd == f'[sigil@32473 event_id="{original["event_id"]}"]'
        assert hostname == original["host_id"] and app == "sigil-scan"
        assert msgid == original["evidence"]["kind"]
        assert int(pri) == 13 * 8 + (4 if original["severity"] == "warn" else 6)
        seen.append(payload["event_id"])
    assert sorted(seen) == sorted(ids)  # each once
    assert checkpoint(tmp_path / "spool") is not None


def test_relay_refuses_a_client_without_certificate(tmp_path: Path, home: Path, relay: tuple[Rsyslog, Any]) -> None:
    server, pki = relay
    write_spool(tmp_path / "spool", [sample_event(i) for i in range(4)])
    config = upload_config(tmp_path / "upload.yaml", f"tls://127.0.0.1:{server.port}", None, sink="syslog", tls={"ca_file": str(pki.ca)}, deadline=1.0)
    result = run_upload(home, config)
    assert result.returncode == 2, result.stderr
    assert "(tls)" in result.stderr and "4 pending" in result.stderr
    assert checkpoint(tmp_path / "spool") is None
    assert server.received() == []


def test_relay_down_at_start_then_every_event_arrives_once(tmp_path: Path, home: Path) -> None:
    import socket
    import sys

    from conftest import sigil_env

    pki = make_pki(tmp_path / "pki")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ids = write_spool(tmp_path / "spool", [sample_event(i) for i in range(30)])
    config = upload_config(tmp_path / "upload.yaml", f"tls://127.0.0.1:{port}", pki, sink="syslog")
    proc = subprocess.Popen([sys.executable, "-m", "sigil_scan", "upload", "--config", str(config)], env=sigil_env(home),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    work = tmp_path / "rsyslog"
    work.mkdir()
    server = None
    try:
        wait_for(lambda: (tmp_path / "spool" / "upload-status-uploader.json").exists(), 20, "a first failed attempt")
        server = Rsyslog(work, pki, port=port)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        assert "(network)" in err
        wait_for(lambda: len(server.received()) >= len(ids), 20, "rsyslog to write every event")  # type: ignore[union-attr]
        got = [json.loads(fields[5].lstrip("\ufeff"))["event_id"] for fields in server.received()]
        assert sorted(got) == sorted(ids)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        if server is not None:
            server.stop()
