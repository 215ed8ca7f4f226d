"""The `sigil` command line: parse arguments, call a driver, map the result to an exit code.

stdlib argparse, no click: the table below names each command's module, imported only when that
command runs, so `sigil scan` never pays for watchdog, nacl, jsonschema, sarif_om, ssl or sqlite.
"""

from __future__ import annotations

import gc
import os
import sys

from sigil_scan import __version__

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2

EPILOG = """\b
Exit codes:
  0  scan complete, no surface at or above --fail-on
  1  scan complete, at least one surface at or above --fail-on
  2  usage or configuration error, or the scan could not complete
"""

DESCRIPTION = "Measure the guard surface of AI coding agents: hooks, permissions, sandbox, MCP servers."

# name -> ("module:attribute" of a Leaf or Group, one-line summary for `sigil --help`);
# tests/test_cli_args.py checks each summary against the command's own description
COMMANDS: dict[str, tuple[str, str]] = {
    "scan": ("sigil_scan.commands.scan:scan", "Scan PATHS (default .) for AI agent guard surfaces; `sigil scan ~` scans a home directory."),
    "explain": ("sigil_scan.commands.scan:explain", "Print the arithmetic behind each surface's score."),
    "rules": ("sigil_scan.commands.rules:rules", "List, explain and test the rule library."),
    "keygen": ("sigil_scan.commands.packs:keygen", "Create an ed25519 signing key: PREFIX.key (private, mode 0600) and PREFIX.pub."),
    "show": ("sigil_scan.commands.show:show", "Show what the scanner would look at on this machine."),
    "doctor": ("sigil_scan.commands.show:doctor", "Check the installation: libraries, the rule library against its schemas, this machine."),
    "version": ("sigil_scan.commands.show:version", "Print the version."),
    "upload": ("sigil_scan.commands.upload:upload", "Deliver spooled events over HTTPS/mTLS (native receiver, Splunk HEC, Elasticsearch _bulk) or syslog/TLS."),
    "serve": ("sigil_scan.commands.serve:serve", "Receive `sigil upload` batches over HTTPS, deduplicate by event_id, store them in sqlite."),
}


def main(argv: list[str] | None = None) -> int:
    from sigil_scan.commands.argparsing import Group, run_group

    args = sys.argv[1:] if argv is None else list(argv)
    # the prog name is `sigil` however we were started (`python -m sigil_scan`, the script)
    top = Group(DESCRIPTION, COMMANDS, epilog=EPILOG, version=f"sigil-scan, version {__version__}")
    try:
        return run_group("sigil", top, args)
    except KeyboardInterrupt:
        print("sigil: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `sigil scan | head`: the reader left; say nothing more, exit 1 as click did
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    finally:
        # Everything still alive is freed by reference counting as the interpreter exits; freezing
        # it spares the shutdown's cyclic-garbage pass over every object of the scan: ~4-5 ms of
        # each run (a fifth of what is left above the interpreter floor on a one-file repo).
        gc.freeze()
