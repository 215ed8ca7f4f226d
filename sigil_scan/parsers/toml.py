"""TOML (Codex config.toml, requirements.toml, Gemini policies) with key lines.

tomli (compiled) parses 3x faster than stdlib tomllib and imports faster; tomllib is the fallback.
Neither reports positions, so a small scanner (run only when a finding needs a line) maps keys,
headers, array items and inline-table keys to their line and column.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sigil_scan.lazyre import LazyPattern
from sigil_scan.model import Document, Position
from sigil_scan.parsers.base import LineIndex, ParseError

try:
    import tomli as _toml
except ImportError:  # pragma: no cover - Python >= 3.11 without tomli
    import tomllib as _toml  # type: ignore[no-redef]

_BARE = LazyPattern(r"[A-Za-z0-9_\-]+")
_BASIC_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", "e": "\x1b", '"': '"', "\\": "\\"}
Table = dict[tuple[str | int, ...], tuple[int, int]]


class _Scanner:
    """Walks TOML text that tomli has already accepted and records where each key path starts:
    keys, table headers (array-of-tables elements get their index), array items and inline-table
    keys, so a finding on `args[1]` of a multi-line array points at that item's own line."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.n = len(text)
        self.lines = LineIndex(text)
        self.table: Table = {}
        self.aot: dict[tuple[str | int, ...], int] = {}  # array-of-tables path -> elements so far

    def mark(self, path: tuple[str | int, ...], offset: int, *, weak: bool = False) -> None:
        if weak:
            self.table.setdefault(path, self.lines.position(offset))
        else:
            self.table[path] = self.lines.position(offset)

    def skip(self, i: int, newlines: bool) -> int:
        text, n = self.text, self.n
        while i < n:
            ch = text[i]
            if ch in " \t" or (newlines and ch in "\r\n"):
                i += 1
            elif ch == "#":
                end = text.find("\n", i)
                i = n if end == -1 else end
            else:
                break
        return i

    def string(self, i: int) -> tuple[str, int]:
        """A quoted string at i (basic, literal, or multi-line): its value and the end offset."""
        text = self.text
        for quote in ('"""', "'''"):
            if text.startswith(quote, i):
                end = i + 3
                while True:
                    end = text.find(quote, end)
                    if end == -1:
                        return "", self.n
                    if quote == '"""' and _escaped(text, end):
                        end += 1
                        continue
                    while text.startswith(quote[0], end + 3):  # up to two quotes may end the body
                        end += 1
                    return text[i + 3 : end], end + 3
        quote = text[i]
        out: list[str] = []
        j = i + 1
        while j < self.n and text[j] != quote and text[j] != "\n":
            if quote == '"' and text[j] == "\\" and j + 1 < self.n:
                esc = text[j + 1]
                if esc in "uU":
                    width = 4 if esc == "u" else 8
                    try:
                        out.append(chr(int(text[j + 2 : j + 2 + width], 16)))
                    except ValueError:
                        out.append("\ufffd")
                    j += 2 + width
                    continue
                out.append(_BASIC_ESCAPES.get(esc, esc))
                j += 2
                continue
            out.append(text[j])
            j += 1
        return "".join(out), j + 1

    def key(self, i: int) -> tuple[list[tuple[str, int]], int]:
        """A dotted key at i: its parts with their offsets, and the offset after it."""
        parts: list[tuple[str, int]] = []
        while True:
            i = self.skip(i, newlines=False)
            if i >= self.n:
                return parts, i
            if self.text[i] in "\"'":
                value, end = self.string(i)
            else:
                m = _BARE.match(self.text, i)
                if m is None:
                    return parts, i
                value, end = m.group(0), m.end()
            parts.append((value, i))
            i = self.skip(end, newlines=False)
            if i < self.n and self.text[i] == ".":
                i += 1
                continue
            return parts, i

    def resolve(self, parts: list[str]) -> tuple[str | int, ...]:
        """Header key -> key path, entering the latest element of every array of tables."""
        path: tuple[str | int, ...] = ()
        for part in parts:
            path = (*path, part)
            if path in self.aot:
                path = (*path, self.aot[path] - 1)
        return path

    def value(self, i: int, path: tuple[str | int, ...]) -> int:
        text = self.text
        i = self.skip(i, newlines=False)
        if i >= self.n:
            return i
        ch = text[i]
        if ch in "\"'":
            return self.string(i)[1]
        if ch == "[":
            index = 0
            i += 1
            while True:
                i = self.skip(i, newlines=True)
                if i >= self.n or text[i] == "]":
                    return i + 1
                if text[i] == ",":  # after an item
                    i += 1
                    index += 1
                    continue
                self.mark((*path, index), i)
                i = self.value(i, (*path, index))
        if ch == "{":
            i += 1
            while True:
                i = self.skip(i, newlines=True)
                if i >= self.n or text[i] == "}":
                    return i + 1
                if text[i] == ",":
                    i += 1
                    continue
                parts, i = self.key(i)
                if not parts or i >= self.n or text[i] != "=":
                    return self.n
                full = self.record(path, parts)
                i = self.value(i + 1, full)
        end = i
        while end < self.n and text[end] not in ",]}\n#":
            end += 1
        return max(end, i + 1)  # always make progress, whatever the text

    def record(self, prefix: tuple[str | int, ...], parts: list[tuple[str, int]]) -> tuple[str | int, ...]:
        full = prefix
        start = parts[0][1]
        for k, (name, _offset) in enumerate(parts):
            full = (*full, name)
            # `a.b.c = 1` names a and a.b too (weakly: a later `[a]` header is more precise);
            # every part points at the start of the whole key, where the line's finding begins
            self.mark(full, start, weak=k < len(parts) - 1)
        return full

    def run(self) -> Table:
        text, n = self.text, self.n
        self.table[()] = (1, 1)
        prefix: tuple[str | int, ...] = ()
        i = 0
        while True:
            i = self.skip(i, newlines=True)
            if i >= n:
                return self.table
            if text[i] == "[":
                start = i
                array = text.startswith("[[", i)
                parts, i = self.key(i + (2 if array else 1))
                names = [p for p, _ in parts]
                if array:
                    key = (*self.resolve(names[:-1]), names[-1]) if names else ()
                    self.aot[key] = self.aot.get(key, 0) + 1
                    prefix = (*key, self.aot[key] - 1)
                else:
                    prefix = self.resolve(names)
                for cut in range(1, len(prefix)):  # [a.b] also names a
                    self.mark(prefix[:cut], start, weak=True)
                self.mark(prefix, start)
                end = text.find("\n", i)
                i = n if end == -1 else end
                continue
            parts, i = self.key(i)
            if not parts or i >= n or text[i] != "=":
                end = text.find("\n", i)  # not a key line: tomli accepted it, so skip the line
                i = n if end == -1 else end + 1
                continue
            full = self.record(prefix, parts)
            i = self.value(i + 1, full)


def _escaped(text: str, at: int) -> bool:
    backslashes = 0
    while at - backslashes - 1 >= 0 and text[at - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


def _index(text: str) -> Table:
    """Key path -> (line, column) of its key, header or array item, 1-based."""
    scanner = _Scanner(text)
    try:
        return scanner.run()
    except (RecursionError, IndexError, ValueError):  # a locator must never fail a scan
        return scanner.table


def parse_toml(path: Path, text: str) -> Document:
    try:
        value: Any = _toml.loads(text)
    except _toml.TOMLDecodeError as exc:
        raise ParseError(getattr(exc, "msg", str(exc)), getattr(exc, "lineno", None), getattr(exc, "colno", None)) from None
    table: Table | None = None

    def locate(key_path: tuple[str | int, ...]) -> Position | None:
        nonlocal table
        if table is None:
            table = _index(text)
        # the nearest located ancestor: a finding on a missing key points at its parent
        for cut in range(len(key_path), -1, -1):
            hit = table.get(tuple(key_path[:cut]))
            if hit is not None:
                return Position(*hit)
        return Position(1)

    return Document(path=path, format="toml", value=value, text=text, locate=locate)
