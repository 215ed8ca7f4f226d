"""The trust store: which signing keys this machine accepts, for what, and when.

Format (YAML or JSON), e.g. /etc/sigil-scan/trust.yaml or ~/.config/sigil-scan/trust.yaml:

    version: 1
    keys:
      - id: ed25519-3f1c...            # must equal the id derived from public_key
        public_key: <base64, 32 bytes>
        not_before: 2026-01-01T00:00:00Z
        not_after: 2027-01-01T00:00:00Z   # optional; rotate by overlapping windows
        revoked: false
        scopes: [rule_pack, policy]       # optional; default both

A key is usable at `now` when it is not revoked and not_before <= now < not_after.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sigil_scan.errors import SigilError

DEFAULT_SCOPES = ("rule_pack", "policy")
MAX_TRUST_BYTES = 1024 * 1024


@dataclass(frozen=True, slots=True)
class TrustedKey:
    key_id: str
    public_key: bytes
    not_before: float
    not_after: float  # math.inf when open-ended
    revoked: bool = False
    scopes: tuple[str, ...] = DEFAULT_SCOPES


@dataclass(slots=True)
class TrustStore:
    keys: dict[str, TrustedKey] = field(default_factory=dict)
    source: Path | None = None

    def check(self, key_id: str, *, kind: str, now: float) -> TrustedKey:
        """Step 1 of verification: the key is known, not revoked, active now, allowed for kind."""
        from sigil_scan.packs import PackRejected
        from sigil_scan.packs.canonical import format_ts

        key = self.keys.get(key_id)
        if key is None and not self.keys and self.source is None:
            raise PackRejected("key_unknown", f"signing key {key_id!r}: no trust store (--trust FILE or ~/.config/sigil-scan/trust.yaml)")
        if key is None:
            raise PackRejected("key_unknown", f"signing key {key_id!r} is not in the trust store")
        if kind not in key.scopes:
            raise PackRejected("key_unknown", f"signing key {key_id} is not trusted for {kind} (scopes: {', '.join(key.scopes)})")
        if key.revoked:
            raise PackRejected("key_revoked", f"signing key {key_id} is revoked")
        if now < key.not_before:
            raise PackRejected("key_inactive", f"signing key {key_id} is not valid before {format_ts(key.not_before)}")
        if now >= key.not_after:
            raise PackRejected("key_inactive", f"signing key {key_id} expired at {format_ts(key.not_after)}")
        return key


def parse_trust(doc: Any, where: str) -> TrustStore:
    from sigil_scan.packs.canonical import parse_ts
    from sigil_scan.packs.keys import key_id_for, unb64

    if not isinstance(doc, dict) or not isinstance(doc.get("keys", []), list):
        raise SigilError(f"{where}: a trust store is a mapping with a `keys` list")
    if doc.get("version", 1) != 1:
        raise SigilError(f"{where}: unsupported trust store version {doc.get('version')!r}")
    store = TrustStore()
    for i, entry in enumerate(doc.get("keys") or []):
        at = f"{where}: keys[{i}]"
        if not isinstance(entry, dict):
            raise SigilError(f"{at}: must be a mapping")
        unknown = set(entry) - {"id", "public_key", "not_before", "not_after", "revoked", "scopes", "comment"}
        if unknown:
            raise SigilError(f"{at}: unknown field(s) {', '.join(sorted(unknown))}")
        try:
            public = unb64(entry.get("public_key"), 32)
            not_before = parse_ts(entry.get("not_before"))
            not_after = math.inf if entry.get("not_after") is None else parse_ts(entry["not_after"])
        except ValueError as exc:
            raise SigilError(f"{at}: {exc}") from None
        key_id = key_id_for(public)
        if entry.get("id") != key_id:
            raise SigilError(f"{at}: id {entry.get('id')!r} does not match its public key (expected {key_id})")
        if key_id in store.keys:
            raise SigilError(f"{at}: key {key_id} listed twice")
        revoked = entry.get("revoked", False)
        scopes = entry.get("scopes", list(DEFAULT_SCOPES))
        if not isinstance(revoked, bool):
            raise SigilError(f"{at}: revoked must be true or false")
        if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
            raise SigilError(f"{at}: scopes must be a list of names")
        store.keys[key_id] = TrustedKey(key_id, public, not_before, not_after, revoked, tuple(scopes))
    return store


def load_trust(path: Path) -> TrustStore:
    from sigil_scan.yamlload import load_yaml

    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_TRUST_BYTES + 1)
    except OSError as exc:
        raise SigilError(f"cannot read trust store {path}: {exc.strerror or exc}") from exc
    if len(raw) > MAX_TRUST_BYTES:
        raise SigilError(f"{path}: trust store larger than {MAX_TRUST_BYTES} bytes")
    try:
        doc = load_yaml(raw, use_cache=False) if raw.strip() else {"keys": []}
    except Exception as exc:  # yaml.YAMLError
        raise SigilError(f"{path}: invalid trust store: {exc}") from None
    store = parse_trust(doc, str(path))
    store.source = path
    return store


def entry_for(key_id: str, public_key: bytes, not_before: str, not_after: str | None) -> dict[str, Any]:
    from sigil_scan.packs.keys import b64

    entry: dict[str, Any] = {"id": key_id, "public_key": b64(public_key), "not_before": not_before}
    if not_after:
        entry["not_after"] = not_after
    entry["revoked"] = False
    return entry
