"""Output formats. Formatters only format: they never decide what counts as a finding."""

from __future__ import annotations

FORMATS = ("text", "jsonl", "json", "sarif", "github")
