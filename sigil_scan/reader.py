"""Safe read + blake3: never block on a FIFO or device, never read past a size cap, never leave
the scanned roots through a symlink unless asked."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from blake3 import blake3

from sigil_scan.model import FileRead

DEFAULT_MAX_BYTES = 1024 * 1024  # config files are KiB-sized; 1 MiB leaves a wide margin
_LARGE = 4 * 1024 * 1024  # above this, let blake3 use both cores (perf-notes §1)


def hash_bytes(data: bytes) -> str:
    if len(data) >= _LARGE:
        return "blake3:" + blake3(data, max_threads=blake3.AUTO).hexdigest()
    return "blake3:" + blake3(data).hexdigest()


def _inside(path: Path, roots: tuple[Path, ...]) -> bool:
    return any(path == root or root in path.parents for root in roots)


def read_file(
    path: Path,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    allowed_roots: tuple[Path, ...] | None = None,
) -> FileRead:
    """Read a regular file of at most max_bytes. Errors come back as values, never raised.

    allowed_roots: when given, a symlink whose target resolves outside every root is refused.
    """
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return FileRead(path, None, None, None, "file vanished before it could be read", "missing")
    except PermissionError as exc:
        return FileRead(path, None, None, None, f"permission denied: {exc.strerror}", "permission_missing")
    except OSError as exc:
        return FileRead(path, None, None, None, f"cannot stat: {exc.strerror or exc}", "io_error")
    target = path
    if stat.S_ISLNK(st.st_mode):
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError) as exc:  # loop or dangling link
            return FileRead(path, None, None, None, f"unresolvable symlink: {exc}", "not_regular")
        if allowed_roots is not None and not _inside(target, allowed_roots):
            return FileRead(
                path, None, None, None, f"symlink points outside the scanned root (to {target})", "outside_root"
            )
        try:
            st = os.stat(target)
        except OSError as exc:
            return FileRead(path, None, None, None, f"cannot stat link target: {exc.strerror or exc}", "io_error")
    if not stat.S_ISREG(st.st_mode):
        return FileRead(path, None, None, None, "not a regular file (FIFO, device, socket or directory)", "not_regular")
    if st.st_size > max_bytes:
        return FileRead(
            path, None, None, st.st_size, f"file is {st.st_size} bytes, over the {max_bytes}-byte cap", "too_large"
        )
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(target, flags)
    except PermissionError as exc:
        return FileRead(path, None, None, st.st_size, f"permission denied: {exc.strerror}", "permission_missing")
    except FileNotFoundError:
        return FileRead(path, None, None, None, "file vanished before it could be read", "missing")
    except OSError as exc:
        kind = "not_regular" if exc.errno == errno.ELOOP else "io_error"
        return FileRead(path, None, None, None, f"cannot open: {exc.strerror or exc}", kind)
    try:
        # re-check on the open descriptor: the path may have been swapped since the stat
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return FileRead(path, None, None, None, "not a regular file (replaced while opening)", "not_regular")
        chunks: list[bytes] = []
        remaining = max_bytes + 1
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        data = b"".join(chunks)
    except OSError as exc:
        return FileRead(path, None, None, None, f"read failed: {exc.strerror or exc}", "io_error")
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        return FileRead(path, None, None, len(data), f"file grew past the {max_bytes}-byte cap while reading", "too_large")
    return FileRead(path, data, hash_bytes(data), len(data))
