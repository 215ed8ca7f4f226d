"""Signed rule packs and signed documents (design.md §8, TUF threat model in perf-notes.md §7).

Public API (the fleet uploader builds on exactly this):
  PackRejected(reason, detail)            the one failure type; `reason` is one of REASONS
  load_trust(path) -> TrustStore
  verify_pack_bytes(data, *, trust, state_db, now=None) -> VerifiedPack
  install_pack(data, *, trust, state_db, packs_dir, now=None) -> VerifiedPack
  verify_signed_document(data, *, kind, trust, state_db, now=None) -> dict
  record_document(state_db, document, *, kind)   mark a verified document applied (after use)

Nothing here imports nacl, jsonschema or sqlite3 at module import: `sigil scan` without packs
never pays for them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sigil_scan.errors import SigilError

if TYPE_CHECKING:
    from sigil_scan.packs.trust import TrustStore
    from sigil_scan.packs.verify import VerifiedPack

# The fixed set of rejection reasons (also the enum in schemas/event.schema.json).
REASONS = (
    "key_unknown",
    "key_inactive",
    "key_revoked",
    "signature_invalid",
    "manifest_invalid",
    "file_hash_mismatch",
    "file_size_mismatch",
    "file_missing",
    "file_unexpected",
    "path_unsafe",
    "too_large",
    "expired",
    "not_yet_valid",
    "sequence_replay",
    "scanner_too_old",
    "rules_invalid",
)


class PackRejected(SigilError):
    """A pack or signed document failed one check; nothing from it was applied."""

    def __init__(self, reason: str, detail: str) -> None:
        if reason not in REASONS:  # a programming error, never user input
            raise ValueError(f"unknown rejection reason {reason!r}")
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def load_trust(path: Path) -> TrustStore:
    from sigil_scan.packs.trust import load_trust as _load

    return _load(path)


def verify_pack_bytes(data: bytes, *, trust: TrustStore, state_db: Path | None, now: float | None = None) -> VerifiedPack:
    from sigil_scan.packs.verify import verify_pack_bytes as _verify

    return _verify(data, trust=trust, state_db=state_db, now=now)


def install_pack(data: bytes, *, trust: TrustStore, state_db: Path | None, packs_dir: Path, now: float | None = None) -> VerifiedPack:
    from sigil_scan.packs.install import install_pack as _install

    return _install(data, trust=trust, state_db=state_db, packs_dir=packs_dir, now=now)


def verify_signed_document(data: bytes, *, kind: str, trust: TrustStore, state_db: Path | None, now: float | None = None) -> dict[str, Any]:
    from sigil_scan.packs.verify import verify_signed_document as _verify

    return _verify(data, kind=kind, trust=trust, state_db=state_db, now=now)


def record_document(state_db: Path, document: dict[str, Any], *, kind: str) -> None:
    """After a verified document (e.g. the policy) has been applied: remember its sequence.

    `document` is what verify_signed_document returned (it carries `key_id` and `digest`).
    """
    from sigil_scan.packs.state import record_applied

    record_applied(
        state_db,
        kind=kind,
        name=str(document["name"]),
        sequence=int(document["sequence"]),
        digest=str(document["digest"]),
        key_id=str(document["key_id"]),
        expires_at=str(document["expires_at"]),
    )


__all__ = ["REASONS", "PackRejected", "install_pack", "load_trust", "record_document", "verify_pack_bytes", "verify_signed_document"]
