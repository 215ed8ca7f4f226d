"""What a run observed, as state.db rows: surface files, hook scripts and track-only targets.

Shared by a one-shot `sigil scan --state-db` and by the watcher, so both report the same drift.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from sigil_scan.model import ScanResult, SurfaceAssessment
from sigil_scan.policy import Effective, tracked_paths
from sigil_scan.reader import read_file
from sigil_scan.state import DriftRecorder, Hint, Observed, StateDB, surface_key


class Roots:
    """Maps a path to the scan root that owns it (the baseline unit of state.db)."""

    def __init__(self, roots: Iterable[Path], home: Path, home_mode: bool) -> None:
        self.roots = sorted({Path(os.path.abspath(r)) for r in roots}, key=lambda p: -len(p.parts))
        self.home = Path(os.path.abspath(home))
        self.home_mode = home_mode

    def of(self, path: Path) -> str:
        absolute = Path(os.path.abspath(path))
        for r in self.roots:
            if absolute == r or r in absolute.parents:
                return str(r)
        return str(self.home) if self.home_mode else "global"

    def keys(self) -> list[str]:
        out = [str(r) for r in self.roots]
        if self.home_mode:
            out.append(str(self.home))
        else:
            out.append("global")
        return sorted(set(out))


def observe_surfaces(surfaces: Iterable[SurfaceAssessment], roots: Roots, disabled: set[str]) -> list[Observed]:
    out = []
    for s in surfaces:
        key = surface_key(s)
        for f in s.files:
            if f.surface_id in disabled:
                continue
            out.append(Observed(f.path, f.blake3, f.size, key, f.surface_id, roots.of(f.path)))
    return out


def observe_tracked(eff: Effective | None, roots: Roots, *, home: Path, include_builtin: bool) -> list[Observed]:
    """Hash every existing file of the track-only targets (posture, user policy targets)."""
    if eff is None:
        return []
    out = []
    for path, target in tracked_paths(eff, home=home):
        if target.builtin and not include_builtin:
            continue
        read = read_file(path)
        out.append(Observed(path, read.blake3, read.size, None, target.id, roots.of(path)))
    return out


def record_run(
    db: StateDB,
    result: ScanResult,
    display: Callable[[Any], str],
    eff: Effective | None,
    *,
    home: Path,
    tracked: list[Observed] | None = None,
    quality: str = "definitive",
    emit: Callable[[list[dict[str, Any]]], None] | None = None,
) -> tuple[list[dict[str, Any]], set[str]]:
    """Drift since the last run: file_change for every changed file, toggle drift per surface.

    With `emit`, the events commit to state.db's outbox together with the state they describe and
    are then handed over (durably appended); events a crash left in the outbox go first."""
    if emit is not None:
        db.outbox_flush(emit)
    roots = Roots(result.roots, home, result.home_mode)
    disabled = eff.disabled if eff else set()
    observed = observe_surfaces(result.surfaces, roots, disabled)
    if tracked is None:
        tracked = observe_tracked(eff, roots, home=home, include_builtin=result.home_mode)
    observed += tracked
    keys = roots.keys()
    before = {k for k in keys if db.baselined(k)}

    def quiet(root_key: str) -> bool:
        return root_key not in before

    recorder = DriftRecorder(db, display)
    seen = {os.fspath(o.path) for o in observed}
    with db.transaction():
        # a row of this run's roots that was not observed: gone if the file no longer exists
        gone = [Path(r.path) for r in db.files(keys) if r.path not in seen]
        events = recorder.files(observed, gone, quiet=quiet, default=Hint(quality))
        drift, changed = recorder.surfaces(result.surfaces, quiet=quiet, root_of=lambda s: roots.of(s.files[0].path) if s.files else "global")
        for k in keys:
            db.mark_baselined(k)
        if emit is not None:
            db.outbox_add(events + drift)
    if emit is not None:
        db.outbox_flush(emit)
    return events + drift, changed


__all__ = ["Hint", "Observed", "Roots", "observe_surfaces", "observe_tracked", "record_run"]
