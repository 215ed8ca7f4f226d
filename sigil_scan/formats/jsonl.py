"""JSONL: one event per line (the SIEM contract)."""

from __future__ import annotations

import json
from typing import Any


def render(events: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(e, ensure_ascii=False, separators=(",", ":")) + "\n" for e in events)
