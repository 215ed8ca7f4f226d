"""TLS is never optional: a client without a certificate, with a certificate from another CA, or
facing a server whose certificate the pinned CA did not sign (or that names another host) is
refused, the failure is reported loudly, and nothing is acknowledged or checkpointed."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from fleet_helpers import (
    ServeProc,
    checkpoint,
    make_pki,
    run_upload,
    sample_event,
    upload_config,
    write_spool,
)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return make_pki(tmp_path_factory.mktemp("pki"))


CASES = {
    "no client certificate": lambda p: {"tls": {"ca_file": str(p.ca)}},
    "client certificate from another CA": lambda p: {"tls": {"ca_file": str(p.ca), "client_cert": str(p.other_client_chain)}},
    "server certificate from an unpinned CA": lambda p: {"tls": {"ca_file": str(p.other_ca), "client_cert": str(p.client_chain)}},
    "no pinned CA: system roots do not know the test CA": lambda p: {"tls": {"client_cert": str(p.client_chain)}},
    "server certificate for another name": lambda p: {"tls": {"ca_file": str(p.ca), "client_cert": str(p.client_chain), "server_name": "evil.example"}},
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_refused_and_nothing_acknowledged(tmp_path: Path, home: Path, pki: Any, case: str) -> None:
    server = ServeProc(tmp_path, pki, "--client-ca", str(pki.ca), "--require-client-cert")
    try:
        write_spool(tmp_path / "spool", [sample_event(i) for i in range(8)])
        config = upload_config(tmp_path / "upload.yaml", server.url, None, deadline=1.0, **CASES[case](pki))
        result = run_upload(home, config)
        assert result.returncode == 2, result.stderr
        # loud: an error line naming the TLS failure, not a quiet warning
        assert "sigil: error: upload to" in result.stderr and "(tls)" in result.stderr, result.stderr
        assert "8 pending" in result.stderr
        assert server.event_ids() == []
        assert checkpoint(tmp_path / "spool") is None
        assert server.proc.poll() is None  # the receiver survives refused handshakes
    finally:
        server.stop()


def test_server_with_wrong_ca_certificate_is_refused(tmp_path: Path, home: Path, pki: Any) -> None:
    """The server presents a certificate from another CA; the client pins ours."""
    impostor = dataclasses.replace(pki, server_chain=pki.other_server_chain)
    server = ServeProc(tmp_path, impostor)
    try:
        write_spool(tmp_path / "spool", [sample_event(i) for i in range(3)])
        config = upload_config(tmp_path / "upload.yaml", server.url, pki, deadline=1.0)
        result = run_upload(home, config)
        assert result.returncode == 2
        assert "certificate" in result.stderr and "(tls)" in result.stderr
        assert server.event_ids() == [] and checkpoint(tmp_path / "spool") is None
    finally:
        server.stop()


def test_the_right_certificate_is_accepted_and_identified(tmp_path: Path, home: Path, pki: Any) -> None:
    server = ServeProc(tmp_path, pki, "--client-ca", str(pki.ca), "--require-client-cert")
    try:
        ids = write_spool(tmp_path / "spool", [sample_event(i) for i in range(3)])
        result = run_upload(home, upload_config(tmp_path / "upload.yaml", server.url, pki))
        assert result.returncode == 0, result.stderr
        assert sorted(server.event_ids()) == sorted(ids)
        assert checkpoint(tmp_path / "spool") is not None
        import sqlite3

        con = sqlite3.connect(server.db)
        clients = {c for (c,) in con.execute("SELECT DISTINCT client FROM events")}
        con.close()
        assert len(clients) == 1 and next(iter(clients)).startswith("cert:laptop-1:sha256:")
    finally:
        server.stop()
