"""Building and signing: `sigil rules pack` (unsigned archive) and `sigil rules sign`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sigil_scan.errors import SigilError
from sigil_scan.packs.keys import SigningKey, b64


def signature_block(key: SigningKey, payload: bytes) -> dict[str, str]:
    from sigil_scan.packs.canonical import SIGNING_PREFIX

    return {"alg": "ed25519", "key_id": key.key_id, "sig": b64(key.sign(SIGNING_PREFIX + payload))}


def build_pack(directory: Path, **fields: Any) -> tuple[bytes, dict[str, Any], list[str]]:
    """An unsigned pack of DIRECTORY: (archive bytes, manifest, skipped paths).

    The data is checked against the schemas first, so an author never signs a broken pack.
    """
    from sigil_scan.packs import PackRejected
    from sigil_scan.packs.archive import write_members
    from sigil_scan.packs.canonical import canonical_bytes
    from sigil_scan.packs.manifest import MANIFEST, build_manifest, collect_dir
    from sigil_scan.packs.verify import check_rules

    files, skipped = collect_dir(directory)
    try:
        check_rules(files)
    except PackRejected as exc:
        raise SigilError(f"{directory}: {exc.detail}") from None
    manifest = build_manifest(files, **fields)
    return write_members({MANIFEST: canonical_bytes(manifest), **files}), manifest, skipped


def sign_pack(data: bytes, key: SigningKey) -> tuple[bytes, dict[str, Any]]:
    """Add (or replace) manifest.sig, after checking the pack is self-consistent."""
    from sigil_scan.packs import PackRejected
    from sigil_scan.packs.archive import read_members, write_members
    from sigil_scan.packs.manifest import MANIFEST, SIGNATURE
    from sigil_scan.packs.verify import check_files, check_rules, parse_payload

    try:
        members = read_members(data)
        manifest = parse_payload(members[MANIFEST], "rule_pack")
        files = check_files(manifest["files"], members)
        check_rules(files)
    except PackRejected as exc:
        raise SigilError(f"refusing to sign: {exc}") from None
    block = json.dumps(signature_block(key, members[MANIFEST]), sort_keys=True).encode("utf-8")
    return write_members({MANIFEST: members[MANIFEST], SIGNATURE: block, **files}), manifest


def policy_payload(policy_text: str, **fields: Any) -> dict[str, Any]:
    from sigil_scan.packs.canonical import format_ts

    doc = {
        "kind": "policy",
        "format": 1,
        "name": fields["name"],
        "version": fields["version"],
        "sequence": fields["sequence"],
        "issued_at": format_ts(fields["issued_at"]),
        "expires_at": format_ts(fields["expires_at"]),
        "min_scanner_version": fields["min_scanner_version"],
        "policy": policy_text,
    }
    return doc


def sign_document(payload: dict[str, Any], key: SigningKey) -> bytes:
    """A signed JSON document (sigil-signed/1) around the canonical bytes of `payload`."""
    from sigil_scan.packs import PackRejected
    from sigil_scan.packs.canonical import canonical_bytes
    from sigil_scan.packs.manifest import validate_payload

    try:
        validate_payload(payload, str(payload.get("kind")))
    except PackRejected as exc:
        raise SigilError(f"refusing to sign: {exc}") from None
    raw = canonical_bytes(payload)
    envelope = {"format": "sigil-signed/1", "payload": b64(raw), "signature": signature_block(key, raw)}
    return (json.dumps(envelope, indent=2, sort_keys=True) + "\n").encode("utf-8")
