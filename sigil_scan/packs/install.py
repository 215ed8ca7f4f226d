"""Install a verified pack into the packs directory, atomically.

The pack file is written to a temporary name, fsynced and renamed over `<name>.sigpack`, so a
reader sees the old pack or the new one, never a mix; a rejected pack never touches the
directory. The sequence is recorded only after the rename has succeeded. A crash in between
leaves a newer file than the watermark, which the next load accepts and records.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from sigil_scan.errors import SigilError
from sigil_scan.fsutil import write_atomic
from sigil_scan.packs.state import Applied
from sigil_scan.packs.trust import TrustStore
from sigil_scan.packs.verify import VerifiedPack

SUFFIX = ".sigpack"


def installed_path(packs_dir: Path, name: str) -> Path:
    return packs_dir / f"{name}{SUFFIX}"


def installed_packs(packs_dir: Path) -> list[Path]:
    """Installed pack files in name order (the order they are applied)."""
    if not packs_dir.is_dir():
        return []
    return sorted(p for p in packs_dir.iterdir() if p.name.endswith(SUFFIX) and not p.name.startswith("."))


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        write_atomic(path, data, durable=True)
    except OSError as exc:
        raise SigilError(f"cannot install {path}: {exc.strerror or exc}") from exc


@contextlib.contextmanager
def _locked(packs_dir: Path) -> Iterator[None]:
    """One installer at a time per packs directory (verify, write and record as one step)."""
    packs_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(packs_dir / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if os.name == "posix":
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX)
        else:  # pragma: no cover - Windows
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_LOCK, 1)  # type: ignore[attr-defined]
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _signed_sequence(data: bytes, trust: TrustStore, now: float | None) -> Applied | None:
    """The installed pack's sequence, if its signature still verifies (else it proves nothing)."""
    from sigil_scan.packs import PackRejected
    from sigil_scan.packs.archive import read_members
    from sigil_scan.packs.canonical import digest, now_or
    from sigil_scan.packs.manifest import MANIFEST, SIGNATURE
    from sigil_scan.packs.verify import authenticate, parse_payload

    try:
        members = read_members(data)
        authenticate(members[MANIFEST], members.get(SIGNATURE, b""), kind="rule_pack", trust=trust, now=now_or(now))
        doc = parse_payload(members[MANIFEST], "rule_pack")
    except PackRejected:
        return None
    return Applied(doc["sequence"], digest(members[MANIFEST]), "", doc["expires_at"], "")


def install_pack(data: bytes, *, trust: TrustStore, state_db: Path | None, packs_dir: Path, now: float | None = None) -> VerifiedPack:
    from sigil_scan.packs.state import check_sequence, record_applied
    from sigil_scan.packs.verify import verify_pack_bytes

    with _locked(packs_dir):
        pack = verify_pack_bytes(data, trust=trust, state_db=state_db, now=now)
        target = installed_path(packs_dir, pack.name)
        try:
            previous: bytes | None = target.read_bytes()
        except OSError:
            previous = None
        if previous is not None:  # also without a state db: never go below the installed pack
            check_sequence(_signed_sequence(previous, trust, now), name=pack.name, sequence=pack.sequence, digest=pack.digest)
        _atomic_write(target, data)
        if state_db is not None:
            try:
                record_applied(state_db, kind="rule_pack", name=pack.name, sequence=pack.sequence, digest=pack.digest, key_id=pack.key_id, expires_at=pack.expires_at)
            except SigilError:
                # a newer pack of this name was applied meanwhile: put the last good one back
                if previous is not None:
                    _atomic_write(target, previous)
                else:
                    with contextlib.suppress(OSError):
                        target.unlink()
                raise
    return pack
