"""Secret detection and redaction, driven by rules/secrets.yaml. Every snippet in every output
passes through redact()."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from sigil_scan.resources import rules_dir
from sigil_scan.yamlload import load_yaml

MAX_SNIPPET = 120


@dataclass(frozen=True, slots=True)
class SecretRules:
    formats: tuple[tuple[str, re.Pattern[str]], ...]
    any_format: re.Pattern[str]
    secret_names: re.Pattern[str]
    placeholders: re.Pattern[str]
    min_length: int


@cache
def secret_rules() -> SecretRules:
    data = load_yaml((rules_dir() / "secrets.yaml").read_bytes())
    formats = tuple((f["id"], re.compile(f["regex"])) for f in data["formats"])
    joined = "|".join(f"(?:{f['regex'].removeprefix('(?i)')})" for f in data["formats"])
    return SecretRules(
        formats=formats,
        any_format=re.compile(joined, re.IGNORECASE) if joined else re.compile(r"(?!)"),
        secret_names=re.compile(data["secret_names"]),
        placeholders=re.compile(data["placeholders"]),
        min_length=int(data.get("min_length", 8)),
    )


def secret_format(value: str) -> str | None:
    """The id of the first known secret format found in value, if any."""
    for format_id, pattern in secret_rules().formats:
        if pattern.search(value):
            return format_id
    return None


def is_secret_name(name: str) -> bool:
    return bool(secret_rules().secret_names.search(name))


def is_literal_secret(name: str, value: str) -> str | None:
    """Why `name = value` holds a literal secret (format id or 'secret-name'), or None."""
    found = secret_format(value)
    if found:
        return found
    rules = secret_rules()
    stripped = value.strip()
    if not is_secret_name(name) or len(stripped) < rules.min_length:
        return None
    if rules.placeholders.match(stripped) or "${" in stripped or stripped.startswith("$"):
        return None
    return "secret-name"


def _mask(match: re.Match[str]) -> str:
    text = match.group(0)
    keep = 4 if len(text) > 12 else 0
    return text[:keep] + "****[redacted]"


def redact(text: str, *, limit: int = MAX_SNIPPET) -> str:
    """Mask known secret formats, cap the length, and keep it on one line."""
    text = secret_rules().any_format.sub(_mask, text)
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def redact_value(name: str, value: str, *, limit: int = MAX_SNIPPET) -> str:
    """Redact a value stored under `name`: all of it when the name says it is a secret."""
    if is_literal_secret(name, value):
        return "****[redacted]"
    return redact(value, limit=limit)
