"""Ed25519 keys: generate, derive the key id, read the private key file, sign, verify.

PyNaCl is imported inside each function: only signing and verification pay for it.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from sigil_scan.errors import SigilError

PRIVATE_KIND = "sigil-scan ed25519 private key"
PUBLIC_KIND = "sigil-scan ed25519 public key"


def key_id_for(public_key: bytes) -> str:
    """The id is derived from the key itself, so an id can never name a different key."""
    from sigil_scan.packs.canonical import file_hash

    return "ed25519-" + file_hash(public_key)[:20]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: object, length: int | None = None) -> bytes:
    if not isinstance(text, str):
        raise ValueError("not a base64 string")
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise ValueError(f"bad base64: {exc}") from exc
    if length is not None and len(raw) != length:
        raise ValueError(f"expected {length} bytes, got {len(raw)}")
    return raw


@dataclass(frozen=True, slots=True)
class SigningKey:
    key_id: str
    seed: bytes  # 32-byte ed25519 seed; never printed, never logged

    def __repr__(self) -> str:  # keep the seed out of tracebacks and debug output
        return f"SigningKey(key_id={self.key_id!r})"

    @property
    def public_key(self) -> bytes:
        from nacl.signing import SigningKey as _Nacl

        return bytes(_Nacl(self.seed).verify_key)

    def sign(self, message: bytes) -> bytes:
        from nacl.signing import SigningKey as _Nacl

        return bytes(_Nacl(self.seed).sign(message).signature)


def generate() -> SigningKey:
    from nacl.signing import SigningKey as _Nacl

    key = _Nacl.generate()
    return SigningKey(key_id_for(bytes(key.verify_key)), bytes(key))


def write_keypair(key: SigningKey, prefix: Path) -> tuple[Path, Path]:
    """PREFIX.key (0600, created exclusively: never overwrites a key) and PREFIX.pub."""
    private_path = prefix.with_name(prefix.name + ".key")
    public_path = prefix.with_name(prefix.name + ".pub")
    for path in (private_path, public_path):
        if path.exists() or path.is_symlink():
            raise SigilError(f"{path} already exists: refusing to overwrite a key")
    private_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    private_doc = {"kind": PRIVATE_KIND, "key_id": key.key_id, "seed": b64(key.seed)}
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(private_path, flags, 0o600)
    except OSError as exc:
        raise SigilError(f"cannot create {private_path}: {exc.strerror or exc}") from exc
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(private_doc, indent=2) + "\n")
    public_doc = {"kind": PUBLIC_KIND, "key_id": key.key_id, "public_key": b64(key.public_key)}
    public_path.write_text(json.dumps(public_doc, indent=2) + "\n", encoding="utf-8")
    return private_path, public_path


def read_private(path: Path) -> tuple[SigningKey, str | None]:
    """Load a private key file; the second value is a warning (loose permissions) or None."""
    try:
        st = os.stat(path)
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SigilError(f"cannot read key {path}: {exc.strerror or exc}") from exc
    warning = None
    if os.name == "posix" and st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        warning = f"{path} is readable by other users (mode {stat.S_IMODE(st.st_mode):o}); chmod 600 it"
    try:
        doc = json.loads(raw)
        if doc.get("kind") != PRIVATE_KIND:
            raise ValueError("not a sigil-scan private key file")
        key = SigningKey(str(doc["key_id"]), unb64(doc["seed"], 32))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        # never echo the file content: it is a secret
        raise SigilError(f"{path}: not a sigil-scan private key ({type(exc).__name__})") from None
    if key_id_for(key.public_key) != key.key_id:
        raise SigilError(f"{path}: key id does not match the key")
    return key, warning


def read_public(path: Path) -> tuple[str, bytes]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        public = unb64(doc["public_key"], 32)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SigilError(f"{path}: not a sigil-scan public key: {exc}") from None
    return key_id_for(public), public


def verify_signature(public_key: bytes, message: bytes, signature: bytes) -> bool:
    from nacl.exceptions import CryptoError
    from nacl.signing import VerifyKey

    try:
        VerifyKey(public_key).verify(message, signature)
    except (CryptoError, ValueError, TypeError):
        return False
    return True
