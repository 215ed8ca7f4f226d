"""JSON and JSON-with-comments (// and /* */ comments, trailing commas), with exact key lines.

Values come from the stdlib json module (300+ MB/s); comments and trailing commas are blanked
out first with the same length, so offsets, lines and columns stay those of the original file.
The key-path locator is built lazily, only when a finding needs a line.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from sigil_scan.model import Document, Position
from sigil_scan.parsers.base import LineIndex, ParseError

_COMMENT_OR_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"|//[^\n]*|/\*.*?(?:\*/|\Z)', re.DOTALL)
_TRAILING_COMMA = re.compile(r'"(?:[^"\\\n]|\\.)*"|,(?=\s*[}\]])')
_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|[{}\[\]:,]|[^\s{}\[\]:,"]+')


def _blank(match: re.Match[str]) -> str:
    text = match.group(0)
    if text.startswith('"'):
        return text
    return re.sub(r"[^\n]", " ", text)


def strip_jsonc(text: str) -> str:
    """Blank out comments and trailing commas, keeping every other character where it was."""
    if "/" in text:
        text = _COMMENT_OR_STRING.sub(_blank, text)
    if "," in text:
        text = _TRAILING_COMMA.sub(lambda m: m.group(0) if m.group(0).startswith('"') else " ", text)
    return text


def _loads(path: Path, text: str, lenient: bool) -> tuple[Any, str, list[str]]:
    if not text.strip():
        return None, text, []
    try:
        return json.loads(text), text, []
    except json.JSONDecodeError as strict_error:
        if not lenient and "/" not in text and "," not in text:
            raise ParseError(strict_error.msg, strict_error.lineno, strict_error.colno) from None
        cleaned = strip_jsonc(text)
        try:
            value = json.loads(cleaned)
        except json.JSONDecodeError as exc:
            raise ParseError(exc.msg, exc.lineno, exc.colno) from None
        notes = [] if lenient else ["comments or trailing commas are not valid JSON; the agent may reject this file"]
        return value, cleaned, notes


def _locator(cleaned: str) -> Any:
    table: dict[tuple[str | int, ...], tuple[int, int]] | None = None

    def locate(key_path: tuple[str | int, ...]) -> Position | None:
        nonlocal table
        if table is None:
            table = _index(cleaned)
        # fall back to the nearest located ancestor (a finding on a missing key points at its parent)
        for cut in range(len(key_path), -1, -1):
            hit = table.get(tuple(key_path[:cut]))
            if hit is not None:
                return Position(*hit)
        return None

    return locate


def _index(text: str) -> dict[tuple[str | int, ...], tuple[int, int]]:
    """One pass over the tokens: key path -> (line, column) of its key (or of an array item)."""
    lines = LineIndex(text)
    table: dict[tuple[str | int, ...], tuple[int, int]] = {(): (1, 1)}
    # each frame: [kind, path, next_index_or_key, expecting_key]
    stack: list[list[Any]] = []
    path: tuple[str | int, ...] = ()
    pending_key: str | None = None
    for match in _TOKEN.finditer(text):
        tok = match.group(0)
        frame = stack[-1] if stack else None
        if frame is not None and frame[0] == "obj" and frame[3] and tok.startswith('"'):
            try:
                pending_key = json.loads(tok)
            except ValueError:
                pending_key = tok.strip('"')
            # assigned, not setdefault: with a duplicate key json keeps the last value, so the
            # line must be the last one too (an earlier harmless duplicate must not hide it)
            key_path = (*frame[1], pending_key)
            table[key_path] = lines.position(match.start())
            frame[3] = False
            continue
        if tok == ":" or tok == ",":
            if tok == "," and frame is not None:
                if frame[0] == "obj":
                    frame[3] = True
                else:
                    frame[2] += 1
            continue
        if tok in "}]" and len(tok) == 1:
            if stack:
                stack.pop()
            continue
        # a value starts here
        if frame is None:
            path = ()
        elif frame[0] == "obj":
            path = (*frame[1], pending_key if pending_key is not None else "")
        else:
            path = (*frame[1], frame[2])
            table[path] = lines.position(match.start())
        if tok == "{":
            stack.append(["obj", path, None, True])
        elif tok == "[":
            stack.append(["arr", path, 0, False])
    return table


def _parse(path: Path, text: str, lenient: bool) -> Document:
    value, cleaned, notes = _loads(path, text, lenient)
    fmt = "jsonc" if lenient else "json"
    return Document(path=path, format=fmt, value=value, text=text, locate=_locator(cleaned), notes=notes)


def parse_json(path: Path, text: str) -> Document:
    return _parse(path, text, lenient=False)


def parse_jsonc(path: Path, text: str) -> Document:
    return _parse(path, text, lenient=True)
