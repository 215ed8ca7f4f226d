"""Verification of packs and signed documents, in a fixed order; the first failure wins.

  0. container: size caps, member types and paths (too_large, path_unsafe, manifest_invalid)
  1. key known, allowed for this kind, not revoked, active now (key_unknown/key_revoked/key_inactive)
  2. ed25519 signature over SIGNING_PREFIX + the manifest bytes exactly as stored (signature_invalid)
  3. manifest fields, canonical form (manifest_invalid, path_unsafe, too_large)
  4. every file: present, size, blake3; no member outside the manifest
     (file_missing, file_size_mismatch, file_hash_mismatch, file_unexpected)
  5. issued_at not in the future, expires_at not reached (not_yet_valid, expired)
  6. min_scanner_version <= this scanner (scanner_too_old)
  7. sequence above the last applied one for this name, or the very same pack (sequence_replay)
  8. rules, patterns, surfaces and rubric valid against the schemas (rules_invalid)
Nothing reads state or applies anything before the signature has been checked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sigil_scan import __version__
from sigil_scan.errors import SigilError
from sigil_scan.packs import PackRejected
from sigil_scan.packs.trust import TrustStore

CLOCK_SKEW = 300.0  # seconds a signer's clock may run ahead of ours
MAX_DOCUMENT_BYTES = 1024 * 1024
MAX_YAML_NODES = 200_000


@dataclass(slots=True)
class VerifiedPack:
    name: str
    version: str
    sequence: int
    key_id: str
    expires_at: str  # RFC 3339 UTC, as signed
    files: dict[str, bytes]  # verified data files by pack path
    issued_at: str = ""
    min_scanner_version: str = ""
    digest: str = ""  # blake3 of the signed manifest bytes: identifies this exact pack
    manifest: dict[str, Any] = field(default_factory=dict)
    data: bytes = b""  # the pack file itself, as verified (what install writes)


def authenticate(payload: bytes, signature: bytes, *, kind: str, trust: TrustStore, now: float) -> str:
    """Steps 1-2. `signature` is the JSON signature block; returns the key id that signed."""
    from sigil_scan.packs.canonical import SIGNING_PREFIX
    from sigil_scan.packs.keys import unb64, verify_signature

    try:
        block = json.loads(signature)
        if not isinstance(block, dict) or block.get("alg", "ed25519") != "ed25519":
            raise ValueError("not an ed25519 signature block")
        key_id = block["key_id"]
        if not isinstance(key_id, str):
            raise ValueError("key_id is not a string")
        sig = unb64(block["sig"], 64)
    except (ValueError, KeyError, TypeError, UnicodeDecodeError, RecursionError) as exc:
        raise PackRejected("signature_invalid", f"malformed signature: {exc}") from None
    key = trust.check(key_id, kind=kind, now=now)
    if not verify_signature(key.public_key, SIGNING_PREFIX + payload, sig):
        raise PackRejected("signature_invalid", f"the signature does not verify with key {key_id}")
    return key_id


def parse_payload(payload: bytes, kind: str) -> dict[str, Any]:
    """Step 3: the signed bytes must be the canonical encoding of a valid manifest."""
    from sigil_scan.packs.canonical import canonical_bytes
    from sigil_scan.packs.manifest import validate_payload

    try:
        doc = json.loads(payload)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise PackRejected("manifest_invalid", f"the manifest is not JSON: {type(exc).__name__}") from None
    if not isinstance(doc, dict) or canonical_bytes(doc) != payload:
        raise PackRejected("manifest_invalid", "the manifest is not in canonical form")
    return validate_payload(doc, kind)


def check_time_and_version(doc: dict[str, Any], now: float) -> None:
    """Steps 5-6."""
    from sigil_scan.packs.canonical import parse_ts, parse_version

    if parse_ts(doc["issued_at"]) > now + CLOCK_SKEW:
        raise PackRejected("not_yet_valid", f"{doc['name']}: issued at {doc['issued_at']}, which is in the future")
    if now >= parse_ts(doc["expires_at"]):
        raise PackRejected("expired", f"{doc['name']}: expired at {doc['expires_at']}")
    if parse_version(doc["min_scanner_version"]) > parse_version(__version__):
        raise PackRejected("scanner_too_old", f"{doc['name']} needs sigil-scan >= {doc['min_scanner_version']} (this is {__version__})")


def check_files(manifest_files: dict[str, Any], members: dict[str, bytes]) -> dict[str, bytes]:
    """Step 4: the manifest covers the whole set (no mix-and-match, no extraneous file)."""
    from sigil_scan.packs.canonical import file_hash
    from sigil_scan.packs.manifest import MANIFEST, SIGNATURE

    files: dict[str, bytes] = {}
    for path in sorted(manifest_files):
        entry = manifest_files[path]
        if path not in members:
            raise PackRejected("file_missing", f"{path} is in the manifest but not in the pack")
        content = members[path]
        if len(content) != entry["size"]:
            raise PackRejected("file_size_mismatch", f"{path} is {len(content)} bytes, the manifest says {entry['size']}")
        if file_hash(content) != entry["blake3"]:
            raise PackRejected("file_hash_mismatch", f"{path} does not match its blake3 hash in the manifest")
        files[path] = content
    extra = sorted(set(members) - set(manifest_files) - {MANIFEST, SIGNATURE})
    if extra:
        raise PackRejected("file_unexpected", f"{extra[0]} is in the pack but not in the manifest")
    return files


def _bounded(doc: Any, where: str) -> None:
    """Walk the document as a consumer would, aliases expanded, within a node budget: a signed
    'billion laughs' (or a recursive alias) is refused instead of hanging schema validation."""
    stack = [doc]
    budget = MAX_YAML_NODES
    while stack:
        node = stack.pop()
        budget -= 1
        if budget < 0:
            raise PackRejected("rules_invalid", f"{where}: more than {MAX_YAML_NODES} YAML nodes once aliases are expanded")
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def check_rules(files: dict[str, bytes]) -> None:
    """Step 8: every data file parses and is valid against its schema."""
    from sigil_scan.engine.library import validate
    from sigil_scan.packs.manifest import schema_for
    from sigil_scan.yamlload import load_yaml

    for path in sorted(files):
        try:
            doc = load_yaml(files[path], use_cache=False)  # no JSON cache: it would expand aliases
        except Exception as exc:  # yaml.YAMLError and decoding errors
            raise PackRejected("rules_invalid", f"{path}: invalid YAML: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
        _bounded(doc, path)
        try:
            validate(doc, schema_for(path), Path(path))
        except SigilError as exc:
            raise PackRejected("rules_invalid", str(exc)) from None
        except RecursionError:
            raise PackRejected("rules_invalid", f"{path}: nested too deeply") from None


def verify_pack_bytes(data: bytes, *, trust: TrustStore, state_db: Path | None, now: float | None = None) -> VerifiedPack:
    from sigil_scan.packs.archive import read_members
    from sigil_scan.packs.canonical import digest, now_or
    from sigil_scan.packs.manifest import MANIFEST, SIGNATURE
    from sigil_scan.packs.state import check_sequence, last_applied

    moment = now_or(now)
    members = read_members(data)
    if SIGNATURE not in members:
        raise PackRejected("signature_invalid", f"the pack is not signed (no {SIGNATURE})")
    payload = members[MANIFEST]
    key_id = authenticate(payload, members[SIGNATURE], kind="rule_pack", trust=trust, now=moment)
    doc = parse_payload(payload, "rule_pack")
    files = check_files(doc["files"], members)
    check_time_and_version(doc, moment)
    pack_digest = digest(payload)
    check_sequence(last_applied(state_db, kind="rule_pack", name=doc["name"]), name=doc["name"], sequence=doc["sequence"], digest=pack_digest)
    check_rules(files)
    return VerifiedPack(
        name=doc["name"],
        version=doc["version"],
        sequence=doc["sequence"],
        key_id=key_id,
        expires_at=doc["expires_at"],
        files=files,
        issued_at=doc["issued_at"],
        min_scanner_version=doc["min_scanner_version"],
        digest=pack_digest,
        manifest=doc,
        data=data,
    )


def read_envelope(data: bytes) -> tuple[bytes, bytes]:
    """A signed document file: {"format": "sigil-signed/1", "payload": b64, "signature": {...}}."""
    from sigil_scan.packs.keys import unb64

    if len(data) > MAX_DOCUMENT_BYTES:
        raise PackRejected("too_large", f"signed document is {len(data)} bytes (limit {MAX_DOCUMENT_BYTES})")
    try:
        envelope = json.loads(data)
        if not isinstance(envelope, dict) or envelope.get("format") != "sigil-signed/1":
            raise ValueError("not a sigil-signed/1 envelope")
        payload = unb64(envelope["payload"])
    except (ValueError, KeyError, TypeError, UnicodeDecodeError, RecursionError) as exc:
        raise PackRejected("manifest_invalid", f"not a signed document: {exc}") from None
    signature = envelope.get("signature")
    if not isinstance(signature, dict):
        raise PackRejected("signature_invalid", "the document is not signed")
    return payload, json.dumps(signature).encode("utf-8")


def verify_signed_document(data: bytes, *, kind: str, trust: TrustStore, state_db: Path | None, now: float | None = None) -> dict[str, Any]:
    """The same checks for a signed JSON document (the fleet policy). Returns the payload plus
    `key_id` and `digest`; call record_document() once it has been applied."""
    from sigil_scan.packs.canonical import digest, now_or
    from sigil_scan.packs.state import check_sequence, last_applied
    from sigil_scan.yamlload import load_yaml

    if kind == "rule_pack":
        raise ValueError("rule packs are archives: use verify_pack_bytes")
    moment = now_or(now)
    payload, signature = read_envelope(data)
    key_id = authenticate(payload, signature, kind=kind, trust=trust, now=moment)
    doc = parse_payload(payload, kind)
    check_time_and_version(doc, moment)
    doc_digest = digest(payload)
    check_sequence(last_applied(state_db, kind=kind, name=doc["name"]), name=doc["name"], sequence=doc["sequence"], digest=doc_digest)
    if kind == "policy":
        try:
            policy = load_yaml(doc["policy"], use_cache=False)
        except Exception:  # yaml.YAMLError
            policy = None
        if not isinstance(policy, dict):
            raise PackRejected("manifest_invalid", "the signed policy is not a YAML mapping")
        _bounded(policy, "policy")
    return {**doc, "key_id": key_id, "digest": doc_digest}
