"""Plain text and markdown (instruction files, .rules): the value is the text itself."""

from __future__ import annotations

from pathlib import Path

from sigil_scan.model import Document, Position


def parse_text(path: Path, text: str) -> Document:
    return Document(path=path, format="text", value=text, text=text, locate=lambda _key: Position(1))
