"""Safe read + blake3: never block on a FIFO or device, never read past a size cap, never leave
the scanned roots through a symlink unless asked.

The checks, in order: lstat (FIFO/device/socket/directory refused before any open); a symlinked
file is resolved and its target checked; open with O_NONBLOCK|O_NOFOLLOW (a FIFO swapped in
does not block, a symlink swapped in is refused); fstat on the descriptor must show the same
regular file that was checked (else the file was replaced mid-read); where the root matters,
the path the kernel actually opened (/proc/self/fd) must lie inside a scanned root, which also
catches a directory on the path swapped for a link out of the tree; at most max_bytes + 1 bytes
are read. Every failure comes back as a FileRead with an error kind, never as an exception.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
from pathlib import Path

from blake3 import blake3

from sigil_scan.model import FileRead

DEFAULT_MAX_BYTES = 1024 * 1024  # config files are KiB-sized; 1 MiB leaves a wide margin
_LARGE = 4 * 1024 * 1024  # above this, let blake3 use both cores (perf-notes §1)
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
_PROC_FD = sys.platform.startswith("linux") and os.path.isdir("/proc/self/fd")


def hash_bytes(data: bytes) -> str:
    if len(data) >= _LARGE:
        return "blake3:" + blake3(data, max_threads=blake3.AUTO).hexdigest()
    return "blake3:" + blake3(data).hexdigest()


def _inside(path: str, roots: tuple[Path, ...]) -> bool:
    for root in roots:
        r = os.fspath(root)
        if path == r or path.startswith(r if r.endswith(os.sep) else r + os.sep):
            return True
    return False


def _fail(path: Path, message: str, kind: str, size: int | None = None) -> FileRead:
    return FileRead(path, None, None, size, message, kind)


def _opened_path(fd: int, path: Path) -> str | None:
    """The absolute path the kernel resolved for an open descriptor (None if unknown)."""
    if _PROC_FD:
        try:
            return os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            return None
    try:  # elsewhere: resolve the name again (a narrow race remains, the inode check covers it)
        return os.path.realpath(path, strict=True)
    except (OSError, RuntimeError, ValueError):
        return None


def read_file(
    path: Path,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    allowed_roots: tuple[Path, ...] | None = None,
) -> FileRead:
    """Read a regular file of at most max_bytes. Errors come back as values, never raised.

    allowed_roots: when given (real paths), a file whose real location is outside every root is
    refused, whether the file itself or a directory on its path is the symlink.
    """
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return _fail(path, "file vanished before it could be read", "missing")
    except PermissionError as exc:
        return _fail(path, f"permission denied: {exc.strerror}", "permission_missing")
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the name
        return _fail(path, f"cannot stat: {getattr(exc, 'strerror', None) or exc}", "io_error")
    target = path
    if stat.S_ISLNK(st.st_mode):
        try:
            target = Path(os.path.realpath(path, strict=True))
        except (OSError, RuntimeError, ValueError) as exc:  # loop, dangling link
            return _fail(path, f"unresolvable symlink: {getattr(exc, 'strerror', None) or exc}", "not_regular")
        if allowed_roots is not None and not _inside(os.fspath(target), allowed_roots):
            return _fail(path, f"symlink points outside the scanned root (to {target})", "outside_root")
        try:
            st = os.stat(target)
        except OSError as exc:
            return _fail(path, f"cannot stat link target: {exc.strerror or exc}", "io_error")
    if not stat.S_ISREG(st.st_mode):
        return _fail(path, "not a regular file (FIFO, device, socket or directory)", "not_regular")
    if st.st_size > max_bytes:
        return _fail(path, f"file is {st.st_size} bytes, over the {max_bytes}-byte cap", "too_large", st.st_size)
    try:
        fd = os.open(target, _OPEN_FLAGS)
    except PermissionError as exc:
        return _fail(path, f"permission denied: {exc.strerror}", "permission_missing", st.st_size)
    except FileNotFoundError:
        return _fail(path, "file vanished before it could be read", "missing")
    except OSError as exc:
        kind = "not_regular" if exc.errno == errno.ELOOP else "io_error"
        return _fail(path, f"cannot open: {exc.strerror or exc}", kind)
    try:
        # re-check on the open descriptor: the path may have been swapped since the stat
        opened = os.fstat(fd)
        if not stat.S_ISREG(opened.st_mode):
            return _fail(path, "not a regular file (replaced while opening)", "not_regular")
        if (opened.st_dev, opened.st_ino) != (st.st_dev, st.st_ino):
            # another file was put in its place: what we would read is not what we checked;
            # the scan is incomplete (exit 2), not wrong
            return _fail(path, "file was replaced while it was being read", "io_error")
        if allowed_roots is not None:
            real = _opened_path(fd, target)
            if real is None or real.endswith(" (deleted)"):
                return _fail(path, "file was replaced while it was being read", "io_error")
            if not _inside(real, allowed_roots):
                # a directory on the path is (or was just swapped for) a link out of the tree
                return _fail(path, f"path leads outside the scanned root (to {real})", "outside_root")
        chunks: list[bytes] = []
        remaining = max_bytes + 1
        # Ask for what fstat says is there (+1 to see EOF or growth), at least 64 KiB: os.read
        # allocates the full request up front, and a 1 MiB request costs an mmap/munmap pair
        # per call for a file of a few hundred bytes.
        step = max(opened.st_size + 1, 1 << 16)
        while remaining > 0:
            chunk = os.read(fd, min(remaining, step))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        data = b"".join(chunks)
    except OSError as exc:
        return _fail(path, f"read failed: {exc.strerror or exc}", "io_error")
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        return _fail(path, f"file grew past the {max_bytes}-byte cap while reading", "too_large", len(data))
    return FileRead(path, data, hash_bytes(data), len(data))
