"""How paths appear in output: relative to the scan root, else ~/..., POSIX separators.

Absolute paths of the machine running the scan leak home directories and make fingerprints
differ between runners (style.md §9); only paths outside every root and the home stay absolute.
"""

from __future__ import annotations

import os
from pathlib import Path


class PathDisplay:
    """Plain string prefix tests on normalised absolute paths: the pathlib version (`root in
    path.parents`) built a Path per ancestor and cost ~40 µs per path, a fifth of a 200-repository
    scan. Each answer is also kept, as every path is shown several times (fingerprint, sort key,
    every output format); one instance lives for one output."""

    def __init__(self, roots: list[Path], home: Path) -> None:
        dirs = [os.path.abspath(r) for r in roots if not r.is_file()]
        files = [os.path.dirname(os.path.abspath(r)) for r in roots if r.is_file()]
        self._roots = [(root, _prefix(root)) for root in dirs + files]
        self._home = os.path.abspath(home)
        self._home_prefix = _prefix(self._home)
        self._shown: dict[Path, str] = {}

    def __call__(self, path: Path) -> str:
        shown = self._shown.get(path)
        if shown is None:
            shown = self._shown[path] = self._show(os.path.abspath(path))
        return shown

    def _show(self, absolute: str) -> str:
        for root, prefix in self._roots:
            if absolute == root:
                return "."
            if absolute.startswith(prefix):
                return _posix(absolute[len(prefix) :])
        if absolute == self._home:
            return "~"
        if absolute.startswith(self._home_prefix):
            return "~/" + _posix(absolute[len(self._home_prefix) :])
        return _posix(absolute)


def _prefix(directory: str) -> str:
    # "/" and "C:\" already end with a separator; anything else gets one, so /a/bc is not under /a/b
    return directory if directory.endswith(os.sep) else directory + os.sep


def _posix(text: str) -> str:
    return text if os.sep == "/" else text.replace(os.sep, "/")
