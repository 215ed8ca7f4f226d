"""The pack file: an uncompressed POSIX tar of manifest.json, manifest.sig and the data files.

Read defensively from bytes already in memory (and capped): every header is checked (type,
name, size, count, running total) before its content is touched; nothing is ever extracted to
disk by tarfile (no extractall), links and special files are refused, duplicates too.
Uncompressed on purpose: no decompression bomb to guard against; compress in transport.
"""

from __future__ import annotations

import io
import os
import stat
import tarfile
from pathlib import Path

from sigil_scan.packs.manifest import (
    MANIFEST,
    MAX_FILE_BYTES,
    MAX_FILES,
    MAX_PACK_BYTES,
    SIGNATURE,
    path_problem,
)

_REGULAR = (tarfile.REGTYPE, tarfile.AREGTYPE)


def read_members(data: bytes) -> dict[str, bytes]:
    """Pack members by path. Raise PackRejected (too_large / path_unsafe / manifest_invalid)."""
    from sigil_scan.packs import PackRejected

    if len(data) > MAX_PACK_BYTES:
        raise PackRejected("too_large", f"pack is {len(data)} bytes (limit {MAX_PACK_BYTES})")
    members: dict[str, bytes] = {}
    folded: set[str] = set()
    total = 0
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
            while True:
                info = tar.next()
                if info is None:
                    break
                name = info.name
                if info.type not in _REGULAR or info.sparse is not None:
                    what = "link" if info.issym() or info.islnk() else "directory" if info.isdir() else "special file"
                    raise PackRejected("path_unsafe", f"member {name!r} is a {what}; only regular files may be in a pack")
                why = path_problem(name)
                if why:
                    raise PackRejected("path_unsafe", f"member {name!r}: {why}")
                # case-folded duplicates would overwrite each other on macOS/Windows
                if name in members or name.casefold() in folded:
                    raise PackRejected("path_unsafe", f"member {name!r} appears twice")
                if info.size > MAX_FILE_BYTES:
                    raise PackRejected("too_large", f"member {name!r} declares {info.size} bytes (limit {MAX_FILE_BYTES})")
                total += info.size
                if len(members) + 1 > MAX_FILES + 2:
                    raise PackRejected("too_large", f"more than {MAX_FILES} files")
                if total > MAX_PACK_BYTES:
                    raise PackRejected("too_large", f"members declare more than {MAX_PACK_BYTES} bytes")
                fh = tar.extractfile(info)
                content = fh.read(info.size + 1) if fh is not None else b""
                if len(content) != info.size:
                    raise PackRejected("manifest_invalid", f"member {name!r} is truncated")
                members[name] = content
                folded.add(name.casefold())
    except tarfile.TarError as exc:
        raise PackRejected("manifest_invalid", f"not a readable pack archive: {exc}") from None
    except (EOFError, OSError, ValueError, UnicodeError) as exc:
        raise PackRejected("manifest_invalid", f"not a readable pack archive: {type(exc).__name__}") from None
    if MANIFEST not in members:
        raise PackRejected("manifest_invalid", f"no {MANIFEST} in the pack")
    return members


def write_members(members: dict[str, bytes]) -> bytes:
    """Deterministic archive: fixed order (manifest, signature, then sorted), mtime 0, root owner."""
    order = [n for n in (MANIFEST, SIGNATURE) if n in members] + sorted(n for n in members if n not in (MANIFEST, SIGNATURE))
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:", format=tarfile.PAX_FORMAT) as tar:
        for name in order:
            info = tarfile.TarInfo(name)
            info.size = len(members[name])
            info.mode = 0o644
            info.mtime = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(members[name]))
    return out.getvalue()


def read_pack_file(path: Path) -> bytes:
    """Read a pack file from disk, refusing one larger than the cap before reading it."""
    from sigil_scan.errors import SigilError
    from sigil_scan.packs import PackRejected

    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):  # a FIFO or device would block or never end
            raise SigilError(f"{path}: not a regular file")
        if st.st_size > MAX_PACK_BYTES:
            raise PackRejected("too_large", f"pack file is {st.st_size} bytes (limit {MAX_PACK_BYTES})")
        with open(path, "rb") as fh:
            data = fh.read(MAX_PACK_BYTES + 1)
    except OSError as exc:
        raise SigilError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if len(data) > MAX_PACK_BYTES:  # grew while we read it
        raise PackRejected("too_large", f"pack file is larger than {MAX_PACK_BYTES} bytes")
    return data
