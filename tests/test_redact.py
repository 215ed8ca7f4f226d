"""Redaction (sigil_scan/redact.py): the one combined pattern every snippet goes through masks
exactly what the per-format patterns of rules/secrets.yaml detect, no more and no less."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sigil_scan.redact import _any_format, redact, secret_format, secret_rules

SAMPLES = {
    "anthropic-key": "sk-ant-api03-" + "A1b2" * 6,
    "openai-key": "sk-proj-" + "Zz09" * 6,
    "github-token": "ghp_" + "a1B2" * 9,
    "github-pat": "github_pat_" + "x_Y1" * 11,
    "gitlab-token": "glpat-" + "abcD" * 6,
    "slack-token": "xoxb-" + "1234-5678-abc",
    "aws-access-key": "AKIA" + "ABCDEFGHIJKLMNOP",
    "google-api-key": "AIza" + "b" * 35,
    "stripe-key": "sk_live_" + "Q" * 24,
    "supabase-token": "sbp_" + "0123456789abcdef" * 2 + "01234567",
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTYifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ",
    "private-key": "-----BEGIN OPENSSH PRIVATE KEY-----",
    "bearer": "Bearer abcdefghijklmnopqrstuvwxyz",
    "url-credentials": "https://deploy:hunter22@example.com/x",
}


@pytest.mark.parametrize(("format_id", "secret"), sorted(SAMPLES.items()))
def test_each_format_is_detected_and_masked(format_id: str, secret: str) -> None:
    assert format_id in {fid for fid, _ in secret_rules().formats}
    assert secret_format(f"x {secret} y") == format_id
    shown = redact(f"curl -H 'auth: {secret}' https://example.com")
    assert secret not in shown and "****[redacted]" in shown


def test_case_follows_each_formats_own_flags() -> None:
    # bearer is case-insensitive in secrets.yaml; the AWS key format is not
    assert secret_format("BEARER abcdefghijklmnopqrstuvwxyz") == "bearer"
    assert "abcdefghijklmnop" not in redact("BEARER abcdefghijklmnopqrstuvwxyz")
    lower = "akia" + "abcdefghijklmnop"
    assert secret_format(lower) is None and redact(lower) == lower


_PIECES = st.sampled_from([*SAMPLES.values(), *(s.lower() for s in SAMPLES.values()), *(s.upper() for s in SAMPLES.values()), " ", "=", "'", "x"])


@given(st.lists(_PIECES, max_size=6).map("".join))
def test_combined_pattern_agrees_with_the_formats(text: str) -> None:
    per_format = any(pattern.search(text) for _, pattern in secret_rules().formats)
    assert bool(_any_format().search(text)) == per_format
