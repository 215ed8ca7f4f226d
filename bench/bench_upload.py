"""Events per second delivered by `sigil upload` to a local `sigil serve` over mTLS.

    python bench/bench_upload.py [--events 20000] [--batch 500] [--no-gzip] [--receiver serve|ack]

Starts `sigil serve` (subprocess, 127.0.0.1, certificates from trustme), writes a spool of valid
events, runs `sigil upload` once (subprocess, so interpreter start-up is included) and prints the
rate; the receiver validates every event against the schema and stores it in sqlite, so this
measures the pair. `--receiver ack` swaps in a minimal TLS server (tests/fleet_helpers.py) that
acknowledges without validating or storing, which isolates the uploader's own cost.
"""

from __future__ import annotations

import argparse
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=20000)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--no-gzip", action="store_true")
    ap.add_argument("--receiver", choices=("serve", "ack"), default="serve")
    opts = ap.parse_args()

    from conftest import sigil_env  # type: ignore[import-not-found]
    from fleet_helpers import (  # type: ignore[import-not-found]
        FaultServer,
        ServeProc,
        make_pki,
        sample_event,
        start_fault_server,
        write_spool,
    )

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        pki = make_pki(work / "pki")
        spool = work / "spool"
        t0 = time.perf_counter()
        write_spool(spool, [sample_event(i) for i in range(opts.events)])
        spool_bytes = sum(p.stat().st_size for p in spool.glob("events-*.jsonl"))
        print(f"spool: {opts.events} events, {spool_bytes / 1e6:.1f} MB written in {time.perf_counter() - t0:.2f} s")
        if opts.receiver == "serve":
            server = ServeProc(work, pki, "--client-ca", str(pki.ca), "--require-client-cert", "--max-batch-events", str(max(opts.batch, 1)))
            try:
                elapsed = run(work, spool, pki, server.url, opts, sigil_env)
                con = sqlite3.connect(server.db)
                stored = con.execute("SELECT COUNT(*) FROM events").fetchone()[0]
                con.close()
            finally:
                server.stop()
            what = "receiver validating + storing (sqlite, synchronous=FULL)"
        else:
            with start_fault_server(FaultServer(pki)) as fault:
                elapsed = run(work, spool, pki, fault.url, opts, sigil_env)
                stored = len(fault.stored)
            what = "receiver only acknowledging (uploader cost)"
    assert stored == opts.events, (stored, opts.events)
    print(f"upload: {opts.events} events in {elapsed:.2f} s = {opts.events / elapsed:,.0f} events/s "
          f"({spool_bytes / elapsed / 1e6:.1f} MB/s of spool), batch {opts.batch}, gzip {'off' if opts.no_gzip else 'on'}, mTLS, "
          f"{what}")


def run(work: Path, spool: Path, pki: object, url: str, opts: argparse.Namespace, sigil_env: object) -> float:
    config = work / "upload.yaml"
    config.write_text(yaml.safe_dump({
        "sink": "native", "url": url, "spool": str(spool), "dead_letter_dir": str(work / "dl"),
        "tls": {"ca_file": str(pki.ca), "client_cert": str(pki.client_chain)},  # type: ignore[attr-defined]
        "batch": {"max_events": opts.batch, "max_bytes": 8 * 1024 * 1024}, "gzip": not opts.no_gzip,
        "heartbeat_interval": 0, "deadline": 600,
    }))
    home = work / "home"
    home.mkdir(exist_ok=True)
    t0 = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "sigil_scan", "upload", "--config", str(config)], env=sigil_env(home), capture_output=True, text=True, timeout=900)  # type: ignore[operator]
    elapsed = time.perf_counter() - t0
    if result.returncode != 0:
        sys.exit(f"upload failed: {result.stderr}")
    return elapsed


if __name__ == "__main__":
    main()
