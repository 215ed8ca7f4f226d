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

from sigil_scan.lazyre import LazyPattern
from sigil_scan.model import Document, Position
from sigil_scan.parsers.base import LineIndex, ParseError

_COMMENT_OR_STRING = LazyPattern(r'"(?:[^"\\\n]|\\.)*"|//[^\n]*|/\*.*?(?:\*/|\Z)', re.DOTALL)
_TRAILING_COMMA = LazyPattern(r'"(?:[^"\\\n]|\\.)*"|,(?=\s*[}\]])')
# ':' is no token: it only separates a key from its value, which the frame state already knows
# (and a bare word never contains one), so finditer skips it like whitespace
_TOKEN = LazyPattern(r'"(?:[^"\\\n]|\\.)*"|[{}\[\],]|[^\s{}\[\]:,"]+')


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


# key-path tables by text: a table is a pure function of the text and only ever read, and the same
# settings or .mcp.json file is often committed to many repositories (templates, monorepo tools)
_INDEXES: dict[str, dict[tuple[str | int, ...], int]] = {}
_INDEXES_MAX = 128
_INDEXED_TEXT_MAX = 16 * 1024


def _locator(cleaned: str) -> Any:
    table: dict[tuple[str | int, ...], int] | None = None
    lines: LineIndex | None = None

    def locate(key_path: tuple[str | int, ...]) -> Position | None:
        nonlocal table, lines
        if table is None:
            table = _INDEXES.get(cleaned)
            if table is None:
                table = _index(cleaned)
                if len(cleaned) <= _INDEXED_TEXT_MAX:  # bounded memory: small files only
                    if len(_INDEXES) >= _INDEXES_MAX:
                        _INDEXES.clear()
                    _INDEXES[cleaned] = table
        # fall back to the nearest located ancestor (a finding on a missing key points at its parent)
        hit = table.get(key_path if type(key_path) is tuple else tuple(key_path))
        cut = len(key_path)
        while hit is None and cut > 0:
            cut -= 1
            hit = table.get(tuple(key_path[:cut]))
        if hit is None:
            return None
        if lines is None:
            lines = LineIndex(cleaned)
        return Position(*lines.position(hit))

    return locate


def _index(text: str) -> dict[tuple[str | int, ...], int]:
    """One pass over the tokens: key path -> offset of its key (or of an array item).

    Hot (every parsed JSON file with a finding-worthy fact), so: offsets, not (line, column)
    (converted only for the paths looked up), a key without a backslash is sliced rather than
    json-decoded (the same string), and a path tuple is built only for containers.
    """
    table: dict[tuple[str | int, ...], int] = {(): 0}
    # each frame: [is_object, path, next_index, expecting_key]
    stack: list[list[Any]] = []
    frame: list[Any] | None = None
    pending_key: str | None = None
    loads = json.loads
    for match in _TOKEN.finditer(text):
        tok = match.group()
        first = tok[0]
        if first == '"' and frame is not None and frame[0] and frame[3]:
            if "\\" not in tok:
                pending_key = tok[1:-1]
            else:
                try:
                    pending_key = loads(tok)
                except ValueError:
                    pending_key = tok.strip('"')
            # assigned, not setdefault: with a duplicate key json keeps the last value, so the
            # line must be the last one too (an earlier harmless duplicate must not hide it)
            key_path = (*frame[1], pending_key)
            table[key_path] = match.start()
            frame[3] = False
            continue
        if first == ",":  # a bare word never holds ',' or brackets: these are exact tokens
            if frame is not None:
                if frame[0]:
                    frame[3] = True
                else:
                    frame[2] += 1
            continue
        if first == "}" or first == "]":
            if stack:
                stack.pop()
                frame = stack[-1] if stack else None
            continue
        # a value starts here
        if frame is None:
            path: tuple[str | int, ...] = ()
        elif frame[0]:
            if first != "{" and first != "[":
                continue  # a scalar member: its key already has the position
            path = (*frame[1], pending_key if pending_key is not None else "")
        else:
            path = (*frame[1], frame[2])
            table[path] = match.start()
        if first == "{":
            frame = [True, path, None, True]
            stack.append(frame)
        elif first == "[":
            frame = [False, path, 0, False]
            stack.append(frame)
    return table


def _parse(path: Path, text: str, lenient: bool) -> Document:
    value, cleaned, notes = _loads(path, text, lenient)
    fmt = "jsonc" if lenient else "json"
    return Document(path=path, format=fmt, value=value, text=text, locate=_locator(cleaned), notes=notes)


def parse_json(path: Path, text: str) -> Document:
    return _parse(path, text, lenient=False)


def parse_jsonc(path: Path, text: str) -> Document:
    return _parse(path, text, lenient=True)
