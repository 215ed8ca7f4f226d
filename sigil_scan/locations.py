"""Default locations of the scanner's own files (state.db, spool, installed packs, trust store)."""

from __future__ import annotations

import os
from pathlib import Path


def state_dir() -> Path:
    """$XDG_STATE_HOME/sigil-scan, else ~/.local/state/sigil-scan (macOS/Windows alike)."""
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "sigil-scan"


def config_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "sigil-scan"


def default_state_db() -> Path:
    return state_dir() / "state.db"


def default_spool() -> Path:
    return state_dir() / "spool"


def packs_dir() -> Path:
    return state_dir() / "packs"
