"""YAML loading with libyaml's C loader (8-9x faster), falling back to the pure-Python one."""

from __future__ import annotations

import warnings
from typing import Any

import yaml

try:
    SafeLoader: type[Any] = yaml.CSafeLoader
except AttributeError:  # PyYAML built without libyaml
    warnings.warn("PyYAML has no libyaml: YAML parsing will be slow", RuntimeWarning, stacklevel=1)
    SafeLoader = yaml.SafeLoader


def load_yaml(text: str | bytes) -> Any:
    return yaml.load(text, Loader=SafeLoader)  # noqa: S506 - a safe loader
