"""Parsers: bytes of a guard file -> Document (value + key-path locator). One module per format.

Every parser raises ParseError for input it cannot read; nothing else may escape (the scanner
turns ParseError into a `surface_unparseable` finding and goes on).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sigil_scan.model import Document
from sigil_scan.parsers.base import ParseError, decode
from sigil_scan.parsers.jsonc import parse_json, parse_jsonc
from sigil_scan.parsers.text import parse_text
from sigil_scan.parsers.toml import parse_toml
from sigil_scan.parsers.yaml import parse_yaml

Parser = Callable[[Path, str], Document]

PARSERS: dict[str, Parser] = {
    "json": parse_json,
    "jsonc": parse_jsonc,
    "toml": parse_toml,
    "yaml": parse_yaml,
    "text": parse_text,
    "markdown": parse_text,
}


def parse(path: Path, data: bytes, fmt: str) -> tuple[Document, list[str]]:
    """Decode and parse; return the document and decoding warnings. Raises ParseError."""
    text, warnings = decode(data)
    try:
        return PARSERS[fmt](path, text), warnings
    except ParseError:
        raise
    except RecursionError:
        raise ParseError("nesting too deep to parse") from None
    except (ValueError, TypeError, OverflowError, MemoryError) as exc:
        raise ParseError(f"cannot parse: {exc}") from None


__all__ = ["PARSERS", "ParseError", "parse"]
