"""A regular expression compiled on first use.

Why: `re.compile` at import costs 50-500 µs per pattern (sre compiles in Python), and most of
the engine's, adapters', parsers' and shell analyser's patterns serve one rule, tool, file
format or command shape that a given run never meets. `sigil scan` on one repository runs as a
pre-commit hook, so import time counts. One helper for all of them (not a functools.cache'd
function here and a module constant there).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any


class LazyPattern:
    """Stands in for a module-level `re.compile(pattern, flags)`; the methods used on the scan path."""

    __slots__ = ("_pattern", "_flags", "_compiled")

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self._pattern = pattern
        self._flags = flags
        self._compiled: re.Pattern[str] | None = None

    @property
    def compiled(self) -> re.Pattern[str]:
        compiled = self._compiled
        if compiled is None:
            compiled = self._compiled = re.compile(self._pattern, self._flags)
        return compiled

    def match(self, text: str, pos: int = 0) -> re.Match[str] | None:
        return self.compiled.match(text, pos)

    def search(self, text: str, pos: int = 0) -> re.Match[str] | None:
        return self.compiled.search(text, pos)

    def fullmatch(self, text: str) -> re.Match[str] | None:
        return self.compiled.fullmatch(text)

    def findall(self, text: str) -> list[Any]:
        return self.compiled.findall(text)

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        return self.compiled.finditer(text)

    def split(self, text: str) -> list[Any]:
        return self.compiled.split(text)

    def sub(self, repl: Any, text: str) -> str:
        return self.compiled.sub(repl, text)
