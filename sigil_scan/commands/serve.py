"""`sigil serve`: the reference receiver (HTTPS, optional mTLS and per-host tokens, sqlite)."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from sigil_scan.commands.argparsing import DIRECTORY, FILE, IntRange, leaf, with_default

_PORT, _BODY, _BATCH = IntRange(0, 65535), IntRange(1024), IntRange(1)


def _arguments(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add("--bind", default="127.0.0.1", metavar="TEXT", help=with_default("Address to listen on.", "127.0.0.1"))
    add("--port", type=_PORT, default=8443, metavar="INTEGER", help=with_default("Port (0: any free port; see --port-file).", 8443, range_=_PORT))
    add("--cert", type=FILE, required=True, metavar="FILE", help="Server certificate chain (PEM).  [required]")
    add("--key", type=FILE, required=True, metavar="FILE", help="Server private key (PEM).  [required]")
    add("--client-ca", type=FILE, metavar="FILE", help="CA that signs client certificates (mTLS).")
    add("--require-client-cert", action="store_true", help="Refuse clients without a certificate from --client-ca.")
    add("--tokens-file", type=FILE, metavar="FILE", help="YAML host_id: token; when given, uploads need the host's bearer token.")
    add("--read-token-file", type=FILE, metavar="FILE", help="File holding the bearer token of the read API (disabled without it).")
    add("--db", type=FILE, default=Path("sigil-serve.db"), metavar="FILE", help=with_default("sqlite database of received events.", "sigil-serve.db"))
    add("--packs-dir", type=DIRECTORY, metavar="DIRECTORY", help="Directory whose newest file is served as the signed rule pack.")
    add("--port-file", type=FILE, metavar="FILE", help="Write the listening port here once bound.")
    add("--max-body-bytes", type=_BODY, default=8 * 1024 * 1024, metavar="INTEGER", help=with_default("", 8 * 1024 * 1024, range_=_BODY))
    add("--max-batch-events", type=_BATCH, default=5000, metavar="INTEGER", help=with_default("", 5000, range_=_BATCH))
    add("--verbose", action="store_true", help="Log every request to stderr.")


def _serve(
    bind: str,
    port: int,
    cert: Path,
    key: Path,
    client_ca: Path | None,
    require_client_cert: bool,
    tokens_file: Path | None,
    read_token_file: Path | None,
    db: Path,
    packs_dir: Path | None,
    port_file: Path | None,
    max_body_bytes: int,
    max_batch_events: int,
    verbose: bool,
) -> None:
    """Receive `sigil upload` batches over HTTPS, deduplicate by event_id, store them in sqlite.

    For tests and pilots; fleet scale belongs to a SIEM. Listens on 127.0.0.1 unless --bind says otherwise.
    """
    from sigil_scan.serve.config import ServeConfig, load_tokens, read_secret_file
    from sigil_scan.serve.server import serve as run

    try:
        config = ServeConfig(
            cert=cert,
            key=key,
            bind=bind,
            port=port,
            client_ca=client_ca,
            require_client_cert=require_client_cert,
            tokens=load_tokens(tokens_file) if tokens_file else {},
            read_token=read_secret_file(read_token_file) if read_token_file else None,
            db=db,
            packs_dir=packs_dir,
            port_file=port_file,
            max_body_bytes=max_body_bytes,
            max_batch_events=max_batch_events,
            verbose=verbose,
        )
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        run(config)
    except KeyboardInterrupt:
        pass


serve = leaf(_serve, _arguments)
