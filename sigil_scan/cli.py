"""The `sigil` command line: parse arguments, call a driver, map the result to an exit code.

Subcommands live in their own modules and are imported only when invoked (LazyGroup), so
`sigil scan` never pays for watchdog, nacl, jsonschema or sarif_om.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from sigil_scan import __version__

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2

EPILOG = """\b
Exit codes:
  0  scan complete, no surface at or above --fail-on
  1  scan complete, at least one surface at or above --fail-on
  2  usage or configuration error, or the scan could not complete
"""

# name -> "module:attribute" of a click command; imported on first use
COMMANDS: dict[str, str] = {
    "scan": "sigil_scan.commands.scan:scan",
    "explain": "sigil_scan.commands.scan:explain",
    "rules": "sigil_scan.commands.rules:rules",
    "keygen": "sigil_scan.commands.packs:keygen",
    "show": "sigil_scan.commands.show:show",
    "doctor": "sigil_scan.commands.show:doctor",
    "version": "sigil_scan.commands.show:version",
    "upload": "sigil_scan.commands.upload:upload",
    "serve": "sigil_scan.commands.serve:serve",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, _, attr = target.partition(":")
        command: click.Command = getattr(importlib.import_module(module), attr)
        return command


@click.group(cls=LazyGroup, epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="sigil-scan")
def cli() -> None:
    """Measure the guard surface of AI coding agents: hooks, permissions, sandbox, MCP servers."""


def main(argv: list[str] | None = None) -> Any:
    try:
        return cli.main(args=argv, prog_name="sigil", standalone_mode=True)
    except KeyboardInterrupt:
        click.echo("sigil: interrupted", err=True)
        sys.exit(130)
