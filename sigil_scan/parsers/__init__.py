"""Parsers: bytes of a guard file -> Document (value + key-path locator). One module per format.

Every parser raises ParseError for input it cannot read; nothing else may escape (the scanner
turns ParseError into a `surface_unparseable` finding and goes on).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

from sigil_scan.model import Document
from sigil_scan.parsers.base import ParseError, decode

Parser = Callable[[Path, str], Document]

# format -> "module:function", imported on first use: a scan that meets no YAML or TOML file
# never imports PyYAML (~12 ms) or tomli (cold start matters for pre-commit hooks)
_PARSERS: dict[str, str] = {
    "json": "sigil_scan.parsers.jsonc:parse_json",
    "jsonc": "sigil_scan.parsers.jsonc:parse_jsonc",
    "toml": "sigil_scan.parsers.toml:parse_toml",
    "yaml": "sigil_scan.parsers.yaml:parse_yaml",
    "text": "sigil_scan.parsers.text:parse_text",
    "markdown": "sigil_scan.parsers.text:parse_text",
}
FORMATS = tuple(_PARSERS)
_loaded: dict[str, Parser] = {}


def parser_for(fmt: str) -> Parser:
    parser = _loaded.get(fmt)
    if parser is None:
        target = _PARSERS.get(fmt)
        if target is None:
            raise ParseError(f"unknown file format {fmt!r}")
        module, _, attr = target.partition(":")
        parser = _loaded[fmt] = getattr(importlib.import_module(module), attr)
    return parser


def parse(path: Path, data: bytes, fmt: str) -> tuple[Document, list[str]]:
    """Decode and parse; return the document and decoding warnings. Raises ParseError."""
    parser = parser_for(fmt)
    text, warnings = decode(data)
    try:
        return parser(path, text), warnings
    except ParseError:
        raise
    except RecursionError:
        raise ParseError("nesting too deep to parse") from None
    except (ValueError, TypeError, OverflowError, MemoryError, UnicodeError) as exc:
        raise ParseError(f"cannot parse: {type(exc).__name__}: {exc}"[:300]) from None


__all__ = ["FORMATS", "ParseError", "parse", "parser_for"]
