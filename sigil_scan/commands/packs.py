"""`sigil keygen` and `sigil rules pack | sign | verify | inspect | install | sign-policy`.

Named in the `rules` group's table (commands/rules.py); nacl, sqlite and jsonschema are
imported inside the commands only.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from sigil_scan import __version__
from sigil_scan.commands.argparsing import FILE, IntRange, PathArg, UsageError, leaf, with_default
from sigil_scan.commands.common import echo, fail
from sigil_scan.errors import SigilError

_SEQUENCE = IntRange(1, 2**53 - 1)
_DAYS = IntRange(1, 3650)


def _when(value: str | None, default: float, option: str) -> float:
    from sigil_scan.packs.canonical import parse_ts

    if value is None:
        return default
    try:
        return parse_ts(value)
    except ValueError as exc:
        raise UsageError(f"argument {option}: {exc}") from None


def _write_atomic(path: Path, data: bytes) -> None:
    from sigil_scan.fsutil import write_atomic

    try:
        write_atomic(path, data)
    except OSError as exc:
        raise SigilError(f"cannot write {path}: {exc.strerror or exc}") from exc


def _state_db(path: Path | None) -> Path:
    from sigil_scan.locations import default_state_db

    return path or default_state_db()


def _keygen_arguments(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add("prefix", type=FILE, metavar="PREFIX")
    add("--trust", type=FILE, metavar="FILE", help="Add the public key to this trust store (created if missing).")
    add("--not-before", metavar="TEXT", help="Start of the key's validity in the trust store (RFC 3339, default now).")
    add("--not-after", metavar="TEXT", help="End of the key's validity (RFC 3339).")
    add("--valid-days", type=_DAYS, default=365, metavar="INTEGER", help=with_default("Validity when --not-after is not given.", 365, range_=_DAYS))


def _keygen(prefix: Path, trust: Path | None, not_before: str | None, not_after: str | None, valid_days: int) -> None:
    """Create an ed25519 signing key: PREFIX.key (private, mode 0600) and PREFIX.pub.

    The private key is never printed; keep it offline or in your CI secret store.
    """
    from sigil_scan.packs.canonical import format_ts
    from sigil_scan.packs.keys import generate, write_keypair

    start = _when(not_before, time.time(), "--not-before")
    end = _when(not_after, start + valid_days * 86400, "--not-after")
    if end <= start:
        raise UsageError("--not-after must be after --not-before")
    key = generate()
    private, public = write_keypair(key, prefix)
    if trust is not None:
        _add_to_trust(trust, key.key_id, key.public_key, format_ts(start), format_ts(end))
    echo(f"key id:      {key.key_id}")
    echo(f"private key: {private} (mode 600; keep it secret)")
    echo(f"public key:  {public}")
    if trust is not None:
        echo(f"trusted in:  {trust} from {format_ts(start)} until {format_ts(end)}")


keygen = leaf(_keygen, _keygen_arguments)


def _add_to_trust(path: Path, key_id: str, public_key: bytes, start: str, end: str) -> None:
    import yaml

    from sigil_scan.packs.trust import entry_for, parse_trust
    from sigil_scan.yamlload import load_yaml

    doc: dict[str, Any] = {"version": 1, "keys": []}
    if path.exists():
        try:
            loaded = load_yaml(path.read_bytes(), use_cache=False)
        except Exception as exc:  # yaml.YAMLError
            raise SigilError(f"{path}: invalid trust store: {exc}") from None
        doc = loaded if isinstance(loaded, dict) else doc
        doc.setdefault("keys", [])
    doc["keys"].append(entry_for(key_id, public_key, start, end))
    parse_trust(doc, str(path))  # never write a store we could not read back
    _write_atomic(path, yaml.safe_dump(doc, sort_keys=False).encode("utf-8"))


def _pack_arguments(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add("directory", type=PathArg(file_okay=False, exists=True), metavar="DIRECTORY")
    add("-o", "--output", type=FILE, required=True, metavar="FILE", help="Unsigned pack file to write (sign it with `sigil rules sign`).  [required]")
    add("--name", required=True, metavar="TEXT", help="Pack name, e.g. acme-rules (the anti-rollback sequence is kept per name).  [required]")
    add("--version", dest="version", default="1", metavar="TEXT", help=with_default("Human version label.", "1"))
    add("--sequence", type=_SEQUENCE, metavar="INTEGER", help=f"Monotonic sequence; must grow with every release [default: now, in Unix seconds].  [{_SEQUENCE.describe()}]")
    add("--expires-in", type=_DAYS, default=30, metavar="INTEGER", help=with_default("Days until the pack expires.", 30, range_=_DAYS))
    add("--expires-at", metavar="TEXT", help="Expiry as RFC 3339 (instead of --expires-in).")
    add("--min-scanner-version", default=__version__, metavar="TEXT", help=with_default("Oldest sigil-scan that may load the pack.", __version__))


def _pack(directory: Path, output: Path, name: str, version: str, sequence: int | None, expires_in: int, expires_at: str | None, min_scanner_version: str) -> None:
    """Build a pack from DIRECTORY (rubric.yaml, rules/, patterns/, surfaces/) with its manifest."""
    from sigil_scan.formats.text import safe
    from sigil_scan.packs.sign import build_pack

    issued = float(int(time.time()))
    expires = _when(expires_at, issued + expires_in * 86400, "--expires-at")
    data, manifest, skipped = build_pack(
        directory, name=name, version=version, sequence=sequence or int(issued), issued_at=issued, expires_at=expires, min_scanner_version=min_scanner_version
    )
    _write_atomic(output, data)
    for rel in skipped:
        echo(f"sigil: warning: {safe(rel)}: not pack data (rubric.yaml, rules/, patterns/, surfaces/ YAML), skipped", err=True)
    echo(f"packed {len(manifest['files'])} files into {output}: {manifest['name']} {manifest['version']}, sequence {manifest['sequence']}, expires {manifest['expires_at']} (unsigned)")


pack_cmd = leaf(_pack, _pack_arguments)


def _sign_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("pack", type=FILE, metavar="PACK")
    parser.add_argument("--key", dest="key_file", type=FILE, required=True, metavar="FILE", help="Private key file from `sigil keygen`.  [required]")
    parser.add_argument("-o", "--output", type=FILE, metavar="FILE", help="Signed pack to write [default: replace PACK].")


def _sign(pack: Path, key_file: Path, output: Path | None) -> None:
    """Sign PACK's manifest with an ed25519 key (after checking every file against it)."""
    from sigil_scan.packs.archive import read_pack_file
    from sigil_scan.packs.keys import read_private
    from sigil_scan.packs.sign import sign_pack

    key, warning = read_private(key_file)
    if warning:
        echo(f"sigil: warning: {warning}", err=True)
    data, manifest = sign_pack(read_pack_file(pack), key)
    _write_atomic(output or pack, data)
    echo(f"signed {manifest['name']} {manifest['version']} (sequence {manifest['sequence']}) with {key.key_id}: {output or pack}")


sign_cmd = leaf(_sign, _sign_arguments)


def _verify_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("pack", type=FILE, metavar="PACK")
    parser.add_argument("--trust", type=FILE, metavar="FILE", help="Trust store [default: ~/.config/sigil-scan/trust.yaml].")
    parser.add_argument("--state-db", type=FILE, metavar="FILE", help="State database holding the last applied sequence (read only here).")


def _verify(pack: Path, trust: Path | None, state_db: Path | None) -> None:
    """Run every check a scanner runs before loading PACK; exit 0 if it would load, 2 if not."""
    from sigil_scan.packs import PackRejected
    from sigil_scan.packs.apply import resolve_trust
    from sigil_scan.packs.archive import read_pack_file
    from sigil_scan.packs.verify import verify_pack_bytes

    try:
        result = verify_pack_bytes(read_pack_file(pack), trust=resolve_trust(trust), state_db=_state_db(state_db))
    except PackRejected as exc:
        fail(f"{pack}: rejected ({exc.reason}): {exc.detail}")
    echo(f"ok: {result.name} {result.version}, sequence {result.sequence}, signed by {result.key_id}, expires {result.expires_at}, {len(result.files)} files")


verify_cmd = leaf(_verify, _verify_arguments)


def _install_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("pack", type=FILE, metavar="PACK")
    parser.add_argument("--trust", type=FILE, metavar="FILE", help="Trust store [default: ~/.config/sigil-scan/trust.yaml].")
    parser.add_argument("--state-db", type=FILE, metavar="FILE", help="State database [default: the state directory's state.db].")


def _install(pack: Path, trust: Path | None, state_db: Path | None) -> None:
    """Verify PACK and install it into the packs directory; every later scan applies it."""
    from sigil_scan.locations import packs_dir
    from sigil_scan.packs import PackRejected
    from sigil_scan.packs.apply import resolve_trust
    from sigil_scan.packs.archive import read_pack_file
    from sigil_scan.packs.install import install_pack, installed_path

    try:
        result = install_pack(read_pack_file(pack), trust=resolve_trust(trust), state_db=_state_db(state_db), packs_dir=packs_dir())
    except PackRejected as exc:
        fail(f"{pack}: rejected ({exc.reason}): {exc.detail}; the installed pack is unchanged")
    echo(f"installed {result.name} {result.version} (sequence {result.sequence}) at {installed_path(packs_dir(), result.name)}")


install_cmd = leaf(_install, _install_arguments)


def _inspect_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("pack", type=FILE, metavar="PACK")
    parser.add_argument("--trust", type=FILE, metavar="FILE", help="Trust store [default: ~/.config/sigil-scan/trust.yaml].")
    parser.add_argument("--state-db", type=FILE, metavar="FILE", help="State database holding the last applied sequence (read only here).")


def _inspect(pack: Path, trust: Path | None, state_db: Path | None) -> None:
    """Show PACK's manifest, signer, whether it would load, and how it differs from the installed pack."""
    from sigil_scan.formats.text import safe
    from sigil_scan.locations import packs_dir
    from sigil_scan.packs import PackRejected
    from sigil_scan.packs.apply import resolve_trust
    from sigil_scan.packs.archive import read_members, read_pack_file
    from sigil_scan.packs.install import installed_path
    from sigil_scan.packs.manifest import MANIFEST, SIGNATURE, valid_name
    from sigil_scan.packs.verify import verify_pack_bytes

    try:
        data = read_pack_file(pack)
        members = read_members(data)
        manifest = json.loads(members[MANIFEST])
        signer = json.loads(members[SIGNATURE]).get("key_id") if SIGNATURE in members else None
    except PackRejected as exc:
        fail(f"{pack}: unreadable ({exc.reason}): {exc.detail}")
    except (ValueError, AttributeError, RecursionError) as exc:
        fail(f"{pack}: unreadable manifest: {type(exc).__name__}")
    if not isinstance(manifest, dict):
        fail(f"{pack}: the manifest is not a JSON object")
    listed = manifest.get("files")
    files: dict[str, Any] = listed if isinstance(listed, dict) else {}
    echo(f"pack:        {safe(str(manifest.get('name')))} {safe(str(manifest.get('version')))}")
    for label, field_name in (("sequence", "sequence"), ("issued", "issued_at"), ("expires", "expires_at"), ("needs", "min_scanner_version")):
        echo(f"{label + ':':<12} {safe(str(manifest.get(field_name)))}")
    echo(f"signed by:   {safe(str(signer)) if signer else '(unsigned)'}")
    try:
        verify_pack_bytes(data, trust=resolve_trust(trust), state_db=_state_db(state_db))
        echo("validity:    ok, a scanner with this trust store would load it")
    except PackRejected as exc:
        echo(f"validity:    REJECTED ({exc.reason}): {safe(exc.detail)}")
    except SigilError as exc:
        echo(f"validity:    not checked: {safe(str(exc))}")
    echo(f"files ({len(files)}):")
    for path in sorted(files):
        entry = files[path] if isinstance(files[path], dict) else {}
        echo(f"  {safe(path)}  {entry.get('size')} bytes  blake3 {str(entry.get('blake3'))[:16]}…")
    name = manifest.get("name")
    installed = installed_path(packs_dir(), str(name)) if valid_name(name) else None
    if installed is None or not installed.is_file():
        echo("installed:   none of this name")
        return
    try:
        old = json.loads(read_members(read_pack_file(installed))[MANIFEST])
    except (SigilError, ValueError, RecursionError) as exc:
        echo(f"installed:   {installed} unreadable: {safe(str(exc))}")
        return
    old_files = old.get("files") or {}
    echo(f"installed:   {old.get('version')} sequence {old.get('sequence')} ({installed})")
    added = sorted(set(files) - set(old_files))
    removed = sorted(set(old_files) - set(files))
    changed = sorted(p for p in set(files) & set(old_files) if files[p] != old_files[p])
    if not (added or removed or changed):
        echo("  same files as the installed pack")
    for mark, paths in (("+", added), ("-", removed), ("~", changed)):
        for path in paths:
            echo(f"  {mark} {safe(path)}")


inspect_cmd = leaf(_inspect, _inspect_arguments)


def _sign_policy_arguments(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add("policy", type=FILE, metavar="POLICY")
    add("--key", dest="key_file", type=FILE, required=True, metavar="FILE", help="Private key file from `sigil keygen`.  [required]")
    add("-o", "--output", type=FILE, required=True, metavar="FILE", help="Signed policy document to write.  [required]")
    add("--name", default="fleet", metavar="TEXT", help=with_default("Policy name (its sequence is kept per name).", "fleet"))
    add("--version", dest="version", default="1", metavar="TEXT", help=with_default("", "1"))
    add("--sequence", type=_SEQUENCE, metavar="INTEGER", help=f"Monotonic sequence [default: now, in Unix seconds].  [{_SEQUENCE.describe()}]")
    add("--expires-in", type=_DAYS, default=30, metavar="INTEGER", help=with_default("Days until the policy expires.", 30, range_=_DAYS))
    add("--min-scanner-version", default=__version__, metavar="TEXT", help=with_default("", __version__))


def _sign_policy(policy: Path, key_file: Path, output: Path, name: str, version: str, sequence: int | None, expires_in: int, min_scanner_version: str) -> None:
    """Sign a policy YAML for `sigil serve` to hand out (verified like a pack, own sequence)."""
    from sigil_scan.packs.keys import read_private
    from sigil_scan.packs.sign import policy_payload, sign_document

    issued = float(int(time.time()))
    try:
        key, warning = read_private(key_file)
        if warning:
            echo(f"sigil: warning: {warning}", err=True)
        text = policy.read_text(encoding="utf-8")
        payload = policy_payload(text, name=name, version=version, sequence=sequence or int(issued), issued_at=issued, expires_at=issued + expires_in * 86400, min_scanner_version=min_scanner_version)
        _write_atomic(output, sign_document(payload, key))
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {policy}: {exc}")
    echo(f"signed policy {name} (sequence {payload['sequence']}) with {key.key_id}: {output}")


sign_policy_cmd = leaf(_sign_policy, _sign_policy_arguments)
