"""Shared parser pieces: the error type, decoding, and line arithmetic."""

from __future__ import annotations

import bisect
import codecs


class ParseError(Exception):
    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column

    def __str__(self) -> str:
        where = f" (line {self.line}" + (f", column {self.column}" if self.column else "") + ")" if self.line else ""
        return f"{self.message}{where}"


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def decode(data: bytes) -> tuple[str, list[str]]:
    """Decode like the agents do (UTF-8, or UTF-16/32 with a BOM); bad bytes become U+FFFD.

    Decoding never fails: a file with a few invalid bytes is still read by the agent, so we must
    still read its settings. The warning says what happened.
    """
    warnings: list[str] = []
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            body = data[len(bom) :]
            if encoding != "utf-8":
                warnings.append(f"file is {encoding.upper()} with a byte-order mark")
            try:
                return body.decode(encoding), warnings
            except UnicodeDecodeError:
                warnings.append(f"invalid {encoding} bytes replaced")
                return body.decode(encoding, errors="replace"), warnings
    try:
        return data.decode("utf-8"), warnings
    except UnicodeDecodeError as exc:
        warnings.append(f"invalid UTF-8 at byte {exc.start}; invalid bytes replaced")
        return data.decode("utf-8", errors="replace"), warnings


class LineIndex:
    """Offset -> (line, column), both 1-based."""

    def __init__(self, text: str) -> None:
        self.starts = [0]
        find = text.find
        i = find("\n")
        while i != -1:
            self.starts.append(i + 1)
            i = find("\n", i + 1)

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.starts, offset)
        return line, offset - self.starts[line - 1] + 1
