"""The one exception type for expected, user-facing failures."""

from __future__ import annotations


class SigilError(Exception):
    """An expected failure (bad config, invalid rule, unusable path). The message is shown as-is."""
