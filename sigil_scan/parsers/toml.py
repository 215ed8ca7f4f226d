"""TOML (Codex config.toml, requirements.toml, Gemini policies) with key lines.

tomli (compiled) parses 3x faster than stdlib tomllib and imports faster; tomllib is the fallback.
Neither reports positions, so a light line scanner maps table headers and keys to lines.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sigil_scan.model import Document, Position
from sigil_scan.parsers.base import ParseError

try:
    import tomli as _toml
except ImportError:  # pragma: no cover - Python >= 3.11 without tomli
    import tomllib as _toml  # type: ignore[no-redef]

_HEADER = re.compile(r"^\s*(\[\[?)\s*(.+?)\s*\]\]?\s*(?:#.*)?$")
_KEY = re.compile(r"""^\s*((?:"(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_\-]+)(?:\s*\.\s*(?:"(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_\-]+))*)\s*=""")
_PART = re.compile(r"""\s*("(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_\-]+)\s*(?:\.|$)""")


def _split_key(dotted: str) -> tuple[str, ...]:
    parts = []
    for m in _PART.finditer(dotted):
        raw = m.group(1)
        if raw.startswith('"'):
            raw = raw[1:-1].encode().decode("unicode_escape", errors="replace")
        elif raw.startswith("'"):
            raw = raw[1:-1]
        parts.append(raw)
    return tuple(parts)


def _index(text: str) -> dict[tuple[str | int, ...], int]:
    table: dict[tuple[str | int, ...], int] = {}
    array_counts: dict[tuple[str, ...], int] = {}
    prefix: tuple[str | int, ...] = ()
    in_multiline: str | None = None
    for number, line in enumerate(text.splitlines(), 1):
        if in_multiline:
            if in_multiline in line:
                in_multiline = None
            continue
        header = _HEADER.match(line)
        if header and not _KEY.match(line):
            key = _split_key(header.group(2))
            if header.group(1) == "[[":
                index = array_counts.get(key, 0)
                array_counts[key] = index + 1
                prefix = (*key, index)
            else:
                prefix = key
            table.setdefault(key, number)
            table.setdefault(prefix, number)
            continue
        key_match = _KEY.match(line)
        if key_match:
            full = (*prefix, *_split_key(key_match.group(1)))
            for cut in range(len(prefix) + 1, len(full) + 1):
                table.setdefault(full[:cut], number)
            rest = line[key_match.end() :]
            for quote in ('"""', "'''"):
                if rest.count(quote) == 1:
                    in_multiline = quote
    return table


def parse_toml(path: Path, text: str) -> Document:
    try:
        value: Any = _toml.loads(text)
    except _toml.TOMLDecodeError as exc:
        raise ParseError(getattr(exc, "msg", str(exc)), getattr(exc, "lineno", None), getattr(exc, "colno", None)) from None
    table: dict[tuple[str | int, ...], int] | None = None

    def locate(key_path: tuple[str | int, ...]) -> Position | None:
        nonlocal table
        if table is None:
            table = _index(text)
        for cut in range(len(key_path), 0, -1):
            line = table.get(tuple(key_path[:cut]))
            if line is not None:
                return Position(line)
        return Position(1)

    return Document(path=path, format="toml", value=value, text=text, locate=locate)
