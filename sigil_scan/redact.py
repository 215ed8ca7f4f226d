"""Secret detection and redaction, driven by rules/secrets.yaml. Every snippet in every output
passes through redact()."""

from __future__ import annotations

import re
from functools import cache
from typing import Any, NamedTuple

from sigil_scan.resources import rules_dir
from sigil_scan.yamlload import load_yaml

MAX_SNIPPET = 120


class SecretRules(NamedTuple):  # not a dataclass: ~0.7 ms less import time (see model.py)
    formats: tuple[tuple[str, re.Pattern[str]], ...]
    any_format: re.Pattern[str]
    secret_names: re.Pattern[str]
    placeholders: re.Pattern[str]
    min_length: int


@cache
def _secrets_yaml() -> dict[str, Any]:
    data: dict[str, Any] = load_yaml((rules_dir() / "secrets.yaml").read_bytes())
    return data


@cache
def _any_format() -> re.Pattern[str]:
    """Every secret format in one pattern: all redact() needs. Built apart from the rest of
    SecretRules because a scan whose findings hold no env values or headers only redacts, and the
    per-format patterns and name rules would cost ~2 ms more of its first finding."""
    formats = _secrets_yaml()["formats"]
    joined = "|".join(_scoped(f["regex"]) for f in formats)
    return re.compile(joined) if joined else re.compile(r"(?!)")


def _scoped(regex: str) -> str:
    """One format as a group of the combined pattern, matching exactly what the format's own
    pattern matches: leading global flags such as `(?i)` become scoped ones, `(?i:...)`. (A global IGNORECASE over the
    whole alternation also matched lower-case AWS keys and the like, and cost ~3.5 ms to compile,
    the largest single cost of a cold `sigil scan`.)"""
    flags = regex[2 : regex.index(")")] if regex.startswith("(?") and ")" in regex else ""
    if flags and set(flags) <= set("imsx"):
        return f"(?{flags}:{regex[len(flags) + 3 :]})"
    return f"(?:{regex})"


@cache
def secret_rules() -> SecretRules:
    data = _secrets_yaml()
    return SecretRules(
        formats=tuple((f["id"], re.compile(f["regex"])) for f in data["formats"]),
        any_format=_any_format(),
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
    text = _any_format().sub(_mask, text)
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def redact_value(name: str, value: str, *, limit: int = MAX_SNIPPET) -> str:
    """Redact a value stored under `name`: all of it when the name says it is a secret."""
    if is_literal_secret(name, value):
        return "****[redacted]"
    return redact(value, limit=limit)
