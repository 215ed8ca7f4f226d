"""`sigil serve`: the reference receiver (HTTPS, optional mTLS and per-host tokens, sqlite)."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import click

from sigil_scan.commands.common import fail

_File = click.Path(path_type=Path, dir_okay=False)


@click.command()
@click.option("--bind", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8443, show_default=True, help="Port (0: any free port; see --port-file).")
@click.option("--cert", type=_File, required=True, help="Server certificate chain (PEM).")
@click.option("--key", type=_File, required=True, help="Server private key (PEM).")
@click.option("--client-ca", type=_File, help="CA that signs client certificates (mTLS).")
@click.option("--require-client-cert", is_flag=True, help="Refuse clients without a certificate from --client-ca.")
@click.option("--tokens-file", type=_File, help="YAML host_id: token; when given, uploads need the host's bearer token.")
@click.option("--read-token-file", type=_File, help="File holding the bearer token of the read API (disabled without it).")
@click.option("--db", type=_File, default=Path("sigil-serve.db"), show_default=True, help="sqlite database of received events.")
@click.option("--packs-dir", type=click.Path(path_type=Path, file_okay=False), help="Directory whose newest file is served as the signed rule pack.")
@click.option("--port-file", type=_File, help="Write the listening port here once bound.")
@click.option("--max-body-bytes", type=click.IntRange(1024), default=8 * 1024 * 1024, show_default=True)
@click.option("--max-batch-events", type=click.IntRange(1), default=5000, show_default=True)
@click.option("--verbose", is_flag=True, help="Log every request to stderr.")
def serve(
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
    from sigil_scan.errors import SigilError
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
    except SigilError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        pass
