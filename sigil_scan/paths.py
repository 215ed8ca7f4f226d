"""How paths appear in output: relative to the scan root, else ~/..., POSIX separators.

Absolute paths of the machine running the scan leak home directories and make fingerprints
differ between runners (style.md §9); only paths outside every root and the home stay absolute.
"""

from __future__ import annotations

import os
from pathlib import Path


class PathDisplay:
    def __init__(self, roots: list[Path], home: Path) -> None:
        self.roots = [Path(os.path.abspath(r)) for r in roots if not r.is_file()]
        self.file_roots = [Path(os.path.abspath(r)).parent for r in roots if r.is_file()]
        self.home = Path(os.path.abspath(home))
        # each path is shown many times (fingerprint, sort key, every output format): ~17 µs
        # of pathlib work per call, so the answer is kept (one instance lives for one output)
        self._shown: dict[Path, str] = {}

    def __call__(self, path: Path) -> str:
        shown = self._shown.get(path)
        if shown is None:
            shown = self._shown[path] = self._show(path)
        return shown

    def _show(self, path: Path) -> str:
        absolute = Path(os.path.abspath(path))
        for root in self.roots + self.file_roots:
            if absolute == root:
                return "."
            if root in absolute.parents:
                return absolute.relative_to(root).as_posix()
        if absolute == self.home or self.home in absolute.parents:
            return "~/" + absolute.relative_to(self.home).as_posix() if absolute != self.home else "~"
        return absolute.as_posix()
