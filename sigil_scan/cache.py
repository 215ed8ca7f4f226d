"""A small content-addressed cache of derived text (parsed rule YAML as JSON, validation results).

Why: `sigil scan` runs as a pre-commit hook, and parsing the ~30 YAML files of the rule library
costs ~10 ms per run plus ~12 ms to import PyYAML at all. Keyed by the blake3 of the input, a hit
costs a hash and a json.loads, and PyYAML is never imported.

Safety: the cache is an optimisation only. Each line carries a checksum of its value; a missing,
unreadable, oversized, truncated or garbled file (or line) is ignored and rewritten, never
trusted. Nothing is written when the cache directory cannot be created or written.

Whole-value blobs (get_blob/put_blob) live in files of their own, for one large value read on
every run (the bundled rule library): one read and one checksum instead of a line per rule file.
A blob file names the key it was built for; another key, a bad header, a wrong length or a
checksum mismatch reads as a miss, and the blob is rebuilt.

Location: $SIGIL_CACHE_DIR, else $XDG_CACHE_HOME/sigil-scan, else ~/.cache/sigil-scan.
SIGIL_NO_CACHE=1 turns it off.
"""

from __future__ import annotations

import atexit
import os
import stat
from pathlib import Path

from blake3 import blake3

from sigil_scan.fsutil import write_atomic

FILE_NAME = "derived-v1.txt"
MAX_BYTES = 4 * 1024 * 1024  # the bundled library needs ~0.3 MiB; beyond this, oldest lines go
_CHECK = 16  # hex digits of the per-line checksum
BLOB_MAX_BYTES = 16 * 1024 * 1024
_BLOB_MAGIC = b"sigil-blob-v1"

_entries: dict[str, tuple[str, str]] | None = None  # key -> (check, value), loaded once
_dirty: dict[str, str] = {}
_registered = False


def cache_dir() -> Path | None:
    if os.environ.get("SIGIL_NO_CACHE"):
        return None
    explicit = os.environ.get("SIGIL_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "sigil-scan"


def key_of(*parts: bytes) -> str:
    h = blake3()
    for part in parts:
        h.update(len(part).to_bytes(8, "little"))  # unambiguous concatenation
        h.update(part)
    return h.hexdigest(length=20)


def _check(value: str) -> str:
    return blake3(value.encode("utf-8", "surrogatepass")).hexdigest(length=_CHECK // 2)


def _load() -> dict[str, tuple[str, str]]:
    global _entries
    if _entries is not None:
        return _entries
    _entries = {}
    directory = cache_dir()
    if directory is None:
        return _entries
    try:
        with open(directory / FILE_NAME, "rb") as f:
            raw = f.read(MAX_BYTES + 1)
        if len(raw) > MAX_BYTES:
            return _entries  # not ours, or grown wrong: ignore (rewritten at exit if needed)
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return _entries
    for line in text.split("\n"):
        key, sep, rest = line.partition("\t")
        check, sep2, value = rest.partition("\t")
        if sep and sep2 and len(check) == _CHECK:
            _entries[key] = (check, value)
    return _entries


def get(key: str) -> str | None:
    """The value stored for key, if present and intact."""
    hit = _load().get(key)
    if hit is None:
        return None
    check, value = hit
    if _check(value) != check:
        return None
    return value


def put(key: str, value: str) -> None:
    """Remember value for key (written once, when the process exits). Values must be one line."""
    global _registered
    if "\n" in value or "\t" in key or cache_dir() is None:
        return
    _load()[key] = (_check(value), value)
    _dirty[key] = value
    if not _registered:
        _registered = True
        atexit.register(flush)


def flush() -> None:
    """Write the cache file atomically (tmp + rename); any error leaves the old file as it was."""
    directory = cache_dir()
    if not _dirty or directory is None or _entries is None:
        return
    lines = [f"{k}\t{c}\t{v}\n" for k, (c, v) in _entries.items()]
    total = sum(len(line) for line in lines)
    while lines and total > MAX_BYTES:  # oldest first: entries keep their insertion order
        total -= len(lines.pop(0))
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_atomic(directory / FILE_NAME, "".join(lines).encode("utf-8", "surrogatepass"), mode=0o600)
        _dirty.clear()
    except OSError:
        pass


def reset() -> None:
    """Forget what was loaded (tests, and long-running processes after the directory changed)."""
    global _entries
    _entries = None
    _dirty.clear()


def _blob_path(name: str) -> Path | None:
    directory = cache_dir()
    if directory is None or not name or "/" in name or "\\" in name or name.startswith("."):
        return None
    return directory / f"{name}.blob"


def get_blob(name: str, key: str) -> bytes | None:
    """The payload stored under `name` if it was stored for `key` and is intact; else None."""
    path = _blob_path(name)
    if path is None:
        return None
    try:
        # non-blocking and regular files only: a FIFO or device planted there must not hang a scan
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                return None
            raw = f.read(BLOB_MAX_BYTES + 1)
    except OSError:
        return None
    # header: magic, key, payload length, payload checksum; one line each
    parts = raw.split(b"\n", 4)
    if len(raw) > BLOB_MAX_BYTES or len(parts) != 5 or parts[0] != _BLOB_MAGIC:
        return None
    _magic, stored_key, length, check, payload = parts
    if stored_key != key.encode("ascii", "replace") or length != str(len(payload)).encode():
        return None
    if blake3(payload).hexdigest(length=16).encode() != check:
        return None
    return payload


def put_blob(name: str, key: str, payload: bytes) -> None:
    """Store payload under name for key, at once (atomic replace); any error is ignored."""
    path = _blob_path(name)
    if path is None or len(payload) > BLOB_MAX_BYTES - 256 or "\n" in key:
        return
    header = b"\n".join([_BLOB_MAGIC, key.encode("ascii", "replace"), str(len(payload)).encode(), blake3(payload).hexdigest(length=16).encode()])
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_atomic(path, header + b"\n" + payload, mode=0o600)
    except OSError:
        pass
