"""The pattern data the guard analysers read (rules/*.yaml), loaded and compiled once per process."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from sigil_scan.resources import rules_dir
from sigil_scan.yamlload import load_yaml


@cache
def rule_data(name: str) -> dict[str, Any]:
    return dict(load_yaml((rules_dir() / f"{name}.yaml").read_bytes()) or {})


@cache
def compiled_patterns(name: str, key: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    out = []
    for item in rule_data(name).get(key) or []:
        if isinstance(item, dict):
            out.append((str(item["id"]), re.compile(item["regex"], re.IGNORECASE)))
        else:
            out.append((key, re.compile(str(item), re.IGNORECASE)))
    return tuple(out)
