"""`sigil upload`: deliver the spool to a receiver or SIEM (one-shot flush, or --follow)."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from sigil_scan.commands.argparsing import DIRECTORY, FILE, leaf
from sigil_scan.commands.common import echo


def _arguments(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add("--config", dest="config_path", type=FILE, metavar="FILE", help="Upload config (YAML). Default: ~/.config/sigil-scan/upload.yaml")
    add("--spool", type=DIRECTORY, metavar="DIRECTORY", help="Spool directory (overrides the config).")
    add("--follow", action="store_true", help="Keep running: deliver new events as `sigil scan --watch` writes them.")
    add("--max-seconds", type=float, default=None, help=argparse.SUPPRESS)  # --follow: stop after this many seconds (tests)


def _upload(config_path: Path | None, spool: Path | None, follow: bool, max_seconds: float | None) -> None:
    """Deliver spooled events over HTTPS/mTLS (native receiver, Splunk HEC, Elasticsearch _bulk) or syslog/TLS.

    Secrets (tokens) come from files or environment variables named in the config, never from
    the command line. Exit 0 when the spool is drained, 2 on a config error or when delivery could
    not finish (nothing is lost: the checkpoint did not move).
    """
    from sigil_scan.locations import config_dir
    from sigil_scan.upload.config import load_config
    from sigil_scan.upload.runner import Uploader

    path = config_path or config_dir() / "upload.yaml"
    config = load_config(path)
    if spool is not None:
        config.spool = spool
    stop = threading.Event()
    uploader = Uploader(config, log=lambda text: echo(text, err=True), stop=stop)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        if follow:
            uploader.follow(max_seconds=max_seconds)
            drained = True
        else:
            drained = uploader.run_once()
    finally:
        uploader.close()
    st = uploader.status
    echo(f"sigil: upload: {st.delivered} delivered, {st.lag_events} pending, {st.dead_letters} dead-lettered", err=True)
    sys.exit(0 if drained else 2)


upload = leaf(_upload, _arguments)
