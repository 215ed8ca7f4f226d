"""YAML loading with libyaml's C loader (8-9x faster), falling back to the pure-Python one.

PyYAML is imported only when a document is not in the derived-data cache (sigil_scan/cache.py):
on a warm run, the rule library loads as JSON and `sigil scan` never imports yaml (~12 ms).
"""

from __future__ import annotations

import json
from typing import Any

from sigil_scan import cache

CACHEABLE_BYTES = 256 * 1024  # rule files are a few KiB; larger inputs are not worth keeping
_loader: Any = None


def safe_loader() -> Any:
    """The fastest safe loader class available (imports PyYAML)."""
    global _loader
    if _loader is None:
        import yaml

        _loader = getattr(yaml, "CSafeLoader", None)
        if _loader is None:  # PyYAML built without libyaml
            import warnings

            warnings.warn("PyYAML has no libyaml: YAML parsing will be slow", RuntimeWarning, stacklevel=2)
            _loader = yaml.SafeLoader
    return _loader


def __getattr__(name: str) -> Any:
    # `from sigil_scan.yamlload import SafeLoader` keeps working, and still costs nothing until used
    if name == "SafeLoader":
        return safe_loader()
    raise AttributeError(name)


def _json_exact(value: Any) -> str | None:
    """value as one line of JSON, if JSON gives back exactly the same value (no dates, no int keys)."""
    try:
        text = json.dumps(value, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError, RecursionError):
        return None
    return text if json.loads(text) == value else None


def _load_guarded(data: bytes) -> Any:
    """Compose, refuse alias bombs (billion laughs), then construct.

    Constructed aliases share objects, so loading is cheap; anything that later walks the value
    (the JSON cache, schema validation, an adapter) would expand them exponentially.
    """
    loader = safe_loader()(data)
    try:
        root = loader.get_single_node()
        if root is None:
            return None
        if b"*" in data:
            from sigil_scan.parsers.base import ParseError
            from sigil_scan.parsers.yaml import _expanded_size

            try:
                _expanded_size(root)
            except ParseError as exc:
                raise ValueError(str(exc)) from None
        return loader.construct_document(root)
    finally:
        loader.dispose()


def load_yaml(text: str | bytes, *, use_cache: bool = True) -> Any:
    """Parse one YAML document with the safe loader; each call returns a fresh value.

    Raises ValueError for a document whose aliases expand past the node cap, and yaml.YAMLError
    for invalid YAML.
    """
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    key = None
    if use_cache and len(data) <= CACHEABLE_BYTES:
        key = cache.key_of(b"yaml-safe-v1", data)
        hit = cache.get(key)
        if hit is not None:
            try:
                return json.loads(hit)
            except ValueError:
                pass  # a damaged entry that still passed its checksum: parse for real
    value = _load_guarded(data)
    if key is not None:
        exact = _json_exact(value)
        if exact is not None:
            cache.put(key, exact)
    return value
