"""Where the bundled rule library and schemas live: in the wheel or in a source checkout."""

from __future__ import annotations

from functools import cache
from pathlib import Path

_HERE = Path(__file__).resolve().parent


@cache
def data_dir(name: str) -> Path:
    """Return the directory holding the bundled `rules` or `schemas` tree.

    A wheel carries them as `sigil_scan/_rules` and `sigil_scan/_schemas`; a source checkout (and
    an editable install) keeps them at the top of the repository.
    """
    packaged = _HERE / f"_{name}"
    if packaged.is_dir():
        return packaged
    return _HERE.parent / name


def rules_dir() -> Path:
    return data_dir("rules")


def schemas_dir() -> Path:
    return data_dir("schemas")


def schema_path(name: str) -> Path:
    return schemas_dir() / f"{name}.schema.json"
