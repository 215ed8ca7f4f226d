"""sigil-scan: measure the guard surface of AI coding agents."""

__version__ = "0.1.0"
