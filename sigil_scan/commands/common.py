"""Pieces shared by commands: output files, colour, building scan options from CLI arguments."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import IO, NoReturn

from sigil_scan.errors import SigilError
from sigil_scan.model import INCOMPLETE_KINDS  # noqa: F401 - re-exported for commands


def use_colour(choice: str, stream: IO[str]) -> bool:
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return stream.isatty()


def write_output(text: str, output: Path | None) -> None:
    """Write the report; a file is opened only now, once the scan has succeeded."""
    # A file name that is not valid UTF-8 reaches us as lone surrogates (surrogateescape): write
    # them as the escape `\udcff`, so JSON/SARIF stay valid UTF-8 and no locale can make this fail.
    data = text.encode("utf-8", "backslashreplace")
    if output is None:
        buffer = getattr(sys.stdout, "buffer", None)
        if buffer is None:  # a text-only stream (tests capturing into StringIO)
            sys.stdout.write(data.decode("utf-8"))
            sys.stdout.flush()
            return
        sys.stdout.flush()
        buffer.write(data)
        buffer.flush()
        return
    from sigil_scan.fsutil import write_atomic

    try:
        write_atomic(output, data)
    except OSError as exc:
        raise SigilError(f"cannot write {output}: {exc.strerror or exc}") from exc


def echo(text: str = "", *, err: bool = False, nl: bool = True) -> None:
    """Print a line to stdout (or stderr) and flush, as click.echo did: progress and messages
    appear in order even when stdout is a pipe."""
    stream = sys.stderr if err else sys.stdout
    stream.write(f"{text}\n" if nl else text)
    stream.flush()


def fail(message: str) -> NoReturn:
    echo(f"sigil: error: {message}", err=True)
    raise SystemExit(2)


def home_dir() -> Path:
    return Path(os.path.expanduser("~"))


def split_home(paths: tuple[Path, ...], home_flag: bool) -> tuple[list[Path], bool, Path]:
    """A PATH that is the home directory (the shell expands `~`) means home mode."""
    home = home_dir()
    real_home = os.path.realpath(home)
    rest = [p for p in paths if os.path.realpath(p) != real_home]
    home_mode = home_flag or len(rest) != len(paths)
    if home_mode:
        return [*rest, home], True, home
    return rest or [Path(".")], False, home
