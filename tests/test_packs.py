"""Signed rule packs: the user path through the real CLI, and one test per attack.

The attack matrix calls the verifier directly (verify_pack_bytes / install_pack) on packs
built here byte by byte, and asserts the exact rejection reason for each.
"""

from __future__ import annotations

import base64
import io
import json
import os
import stat
import subprocess
import sys
import tarfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, parse_jsonl, sigil_env, write

from sigil_scan.errors import SigilError
from sigil_scan.packs import (
    PackRejected,
    install_pack,
    load_trust,
    verify_pack_bytes,
    verify_signed_document,
)
from sigil_scan.packs.archive import read_members, write_members
from sigil_scan.packs.canonical import canonical_bytes, format_ts
from sigil_scan.packs.keys import SigningKey, b64, generate
from sigil_scan.packs.manifest import MANIFEST, SIGNATURE, build_manifest
from sigil_scan.packs.sign import policy_payload, sign_document, signature_block
from sigil_scan.packs.trust import TrustStore, parse_trust

NOW = 1_800_000_000.0  # a fixed "now" for direct calls (2027-01-15)
DAY = 86400.0
RULE = (REPO / "rules/rules/claude_code/permissions-allow-broad.yaml").read_bytes()
FILES = {
    "rules/acme-allow-broad.yaml": RULE.replace(b"id: permissions-allow-broad", b"id: acme-allow-broad"),
    "rubric.yaml": b"weights:\n  permissions_allow_broad: 6.0\n  no_such_kind: 1.0\n",
}
BROAD_REPO = {".claude/settings.json": '{"permissions": {"allow": ["Bash"]}}'}

# -- helpers ------------------------------------------------------------------------------


def trust_of(*entries: tuple[SigningKey, float, float | None, bool]) -> TrustStore:
    keys = []
    for key, start, end, revoked in entries:
        entry: dict[str, Any] = {"id": key.key_id, "public_key": b64(key.public_key), "not_before": format_ts(start), "revoked": revoked}
        if end is not None:
            entry["not_after"] = format_ts(end)
        keys.append(entry)
    return parse_trust({"version": 1, "keys": keys}, "test")


def manifest_for(files: dict[str, bytes], *, name: str = "acme", seq: int = 1, issued: float = NOW - 60, expires: float = NOW + 30 * DAY, min_version: str = "0.1.0") -> dict[str, Any]:
    return build_manifest(files, name=name, version="1.0", sequence=seq, issued_at=issued, expires_at=expires, min_scanner_version=min_version)


def signed(files: dict[str, bytes], key: SigningKey, *, manifest: dict[str, Any] | None = None, extra: dict[str, bytes] | None = None, **kw: Any) -> bytes:
    """A pack whose manifest is signed by `key`; `extra` members go in unlisted."""
    raw = canonical_bytes(manifest if manifest is not None else manifest_for(files, **kw))
    sig = json.dumps(signature_block(key, raw)).encode()
    return write_members({MANIFEST: raw, SIGNATURE: sig, **files, **(extra or {})})


def raw_tar(members: list[tarfile.TarInfo], contents: dict[str, bytes]) -> bytes:
    """A tar with arbitrary headers (links, traversal names) that tarfile users never write."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:", format=tarfile.PAX_FORMAT) as tar:
        for info in members:
            data = contents.get(info.name, b"")
            if info.isreg():
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if info.isreg() else None)
    return out.getvalue()


def reason(exc_info: pytest.ExceptionInfo[PackRejected]) -> str:
    return exc_info.value.reason


def rejected(data: bytes, trust: TrustStore, state_db: Path | None = None, now: float = NOW) -> str:
    with pytest.raises(PackRejected) as exc:
        verify_pack_bytes(data, trust=trust, state_db=state_db, now=now)
    return reason(exc)


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return generate()


@pytest.fixture(scope="module")
def trust(key: SigningKey) -> TrustStore:
    return trust_of((key, NOW - 365 * DAY, NOW + 365 * DAY, False))


@pytest.fixture(scope="module")
def good(key: SigningKey) -> bytes:
    return signed(FILES, key)


def with_member(data: bytes, name: str, content: bytes) -> bytes:
    members = read_members(data)
    members[name] = content
    return write_members(members)


def flip(blob: bytes, at: int) -> bytes:
    return blob[:at] + bytes([blob[at] ^ 0x01]) + blob[at + 1 :]


# -- the happy path, direct ---------------------------------------------------------------


def test_valid_pack_verifies(good: bytes, trust: TrustStore, key: SigningKey) -> None:
    pack = verify_pack_bytes(good, trust=trust, state_db=None, now=NOW)
    assert (pack.name, pack.version, pack.sequence, pack.key_id) == ("acme", "1.0", 1, key.key_id)
    assert pack.expires_at == format_ts(NOW + 30 * DAY)
    assert pack.files == FILES


# -- the attack matrix: one exact reason each ---------------------------------------------


def test_flipped_byte_in_a_rule(good: bytes, trust: TrustStore) -> None:
    rule = "rules/acme-allow-broad.yaml"
    tampered = with_member(good, rule, flip(FILES[rule], 10))
    assert rejected(tampered, trust) == "file_hash_mismatch"


def test_flipped_byte_in_the_manifest(good: bytes, trust: TrustStore) -> None:
    manifest = read_members(good)[MANIFEST]
    at = manifest.index(b'"sequence":1') + len('"sequence":')
    tampered = with_member(good, MANIFEST, manifest[:at] + b"9" + manifest[at + 1 :])  # sequence 1 -> 9
    assert rejected(tampered, trust) == "signature_invalid"


def test_flipped_byte_in_the_signature(good: bytes, trust: TrustStore) -> None:
    block = json.loads(read_members(good)[SIGNATURE])
    block["sig"] = b64(flip(base64.b64decode(block["sig"]), 5))
    assert rejected(with_member(good, SIGNATURE, json.dumps(block).encode()), trust) == "signature_invalid"


def test_wrong_key_claiming_a_trusted_id(key: SigningKey, trust: TrustStore) -> None:
    other = generate()
    data = signed(FILES, other)
    members = read_members(data)
    block = json.loads(members[SIGNATURE])
    block["key_id"] = key.key_id  # the trusted id, but the signature is the other key's
    assert rejected(with_member(data, SIGNATURE, json.dumps(block).encode()), trust) == "signature_invalid"


def test_unknown_key(trust: TrustStore) -> None:
    assert rejected(signed(FILES, generate()), trust) == "key_unknown"


def test_revoked_key(key: SigningKey, good: bytes) -> None:
    revoked = trust_of((key, NOW - DAY, None, True))
    assert rejected(good, revoked) == "key_revoked"


def test_not_yet_valid_key(key: SigningKey, good: bytes) -> None:
    future = trust_of((key, NOW + DAY, NOW + 2 * DAY, False))
    assert rejected(good, future) == "key_inactive"


def test_expired_key(key: SigningKey, good: bytes) -> None:
    past = trust_of((key, NOW - 2 * DAY, NOW - DAY, False))
    assert rejected(good, past) == "key_inactive"


def test_key_not_trusted_for_packs(key: SigningKey, good: bytes) -> None:
    store = parse_trust({"keys": [{"id": key.key_id, "public_key": b64(key.public_key), "not_before": format_ts(NOW - DAY), "scopes": ["policy"]}]}, "t")
    assert rejected(good, store) == "key_unknown"


def test_expired_pack(key: SigningKey, trust: TrustStore) -> None:
    stale = signed(FILES, key, issued=NOW - 10 * DAY, expires=NOW - DAY)
    assert rejected(stale, trust) == "expired"


def test_pack_issued_in_the_future(key: SigningKey, trust: TrustStore) -> None:
    early = signed(FILES, key, issued=NOW + DAY, expires=NOW + 10 * DAY)
    assert rejected(early, trust) == "not_yet_valid"


def test_scanner_too_old(key: SigningKey, trust: TrustStore) -> None:
    assert rejected(signed(FILES, key, min_version="99.0"), trust) == "scanner_too_old"


def test_replay_of_an_older_sequence(key: SigningKey, trust: TrustStore, tmp_path: Path) -> None:
    db, packs = tmp_path / "state.db", tmp_path / "packs"
    install_pack(signed(FILES, key, seq=5), trust=trust, state_db=db, packs_dir=packs, now=NOW)
    older = signed(FILES, key, seq=4)
    assert rejected(older, trust, db) == "sequence_replay"
    # the same sequence with other content is an equivocation, refused too
    other = {**FILES, "rubric.yaml": b"weights:\n  permissions_allow_broad: 1.0\n"}
    assert rejected(signed(other, key, seq=5), trust, db) == "sequence_replay"
    # the very same pack again is the current one: accepted (a scan re-applies it each run)
    assert verify_pack_bytes(signed(FILES, key, seq=5), trust=trust, state_db=db, now=NOW).sequence == 5


def test_install_without_state_db_never_goes_below_the_installed_pack(key: SigningKey, trust: TrustStore, tmp_path: Path) -> None:
    packs = tmp_path / "packs"
    install_pack(signed(FILES, key, seq=5), trust=trust, state_db=None, packs_dir=packs, now=NOW)
    with pytest.raises(PackRejected) as exc:
        install_pack(signed(FILES, key, seq=4), trust=trust, state_db=None, packs_dir=packs, now=NOW)
    assert reason(exc) == "sequence_replay"
    assert verify_pack_bytes((packs / "acme.sigpack").read_bytes(), trust=trust, state_db=None, now=NOW).sequence == 5


def test_file_not_in_the_manifest(good: bytes, trust: TrustStore) -> None:
    assert rejected(with_member(good, "rules/extra.yaml", FILES["rules/acme-allow-broad.yaml"]), trust) == "file_unexpected"


def test_file_missing(key: SigningKey, trust: TrustStore) -> None:
    data = signed({"rubric.yaml": FILES["rubric.yaml"]}, key, manifest=manifest_for(FILES))
    assert rejected(data, trust) == "file_missing"


def test_file_size_mismatch(good: bytes, trust: TrustStore) -> None:
    assert rejected(with_member(good, "rubric.yaml", FILES["rubric.yaml"] + b"# more\n"), trust) == "file_size_mismatch"


@pytest.mark.parametrize("name", ["../evil.yaml", "rules/../../evil.yaml", "/etc/evil.yaml", "rules/./x.yaml", "rules\\x.yaml", "C:/rules/x.yaml"])
def test_path_traversal_member(good: bytes, trust: TrustStore, name: str) -> None:
    members = read_members(good)
    infos = [tarfile.TarInfo(n) for n in [*members, name]]
    assert rejected(raw_tar(infos, {**members, name: b"id: x\n"}), trust) == "path_unsafe"


def test_path_traversal_in_the_signed_manifest(key: SigningKey, trust: TrustStore) -> None:
    manifest = manifest_for(FILES)
    manifest["files"]["../../.bashrc"] = {"blake3": "0" * 64, "size": 3}
    assert rejected(signed(FILES, key, manifest=manifest), trust) == "path_unsafe"


@pytest.mark.parametrize("kind", [tarfile.SYMTYPE, tarfile.LNKTYPE])
def test_link_member(good: bytes, trust: TrustStore, kind: bytes) -> None:
    members = read_members(good)
    link = tarfile.TarInfo("rules/link.yaml")
    link.type = kind
    link.linkname = "/etc/passwd"
    infos = [*(tarfile.TarInfo(n) for n in members), link]
    assert rejected(raw_tar(infos, members), trust) == "path_unsafe"


def test_only_rule_data_may_be_in_a_pack(good: bytes, trust: TrustStore) -> None:
    for name in ("hooks/run.sh", "rules/x.py", "discovery.yaml", ".hidden/x.yaml"):
        assert rejected(with_member(good, name, b"echo hi\n"), trust) == "path_unsafe", name


def test_duplicate_member(good: bytes, trust: TrustStore) -> None:
    members = read_members(good)
    name = "rules/acme-allow-broad.yaml"
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:") as tar:
        for n, content in [*members.items(), (name, b"id: evil\n")]:
            info = tarfile.TarInfo(n)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    assert rejected(out.getvalue(), trust) == "path_unsafe"


def test_one_gigabyte_declared_in_a_header_is_refused_before_reading(good: bytes, trust: TrustStore) -> None:
    with tarfile.open(fileobj=io.BytesIO(good), mode="r:") as tar:
        last = tar.getmembers()[-1]
    head = good[: last.offset_data + -(-last.size // 512) * 512]  # every member, no end marker
    big = tarfile.TarInfo("rules/big.yaml")
    big.size = 1 << 30
    data = head + big.tobuf(tarfile.USTAR_FORMAT, "utf-8", "surrogateescape") + b"x" * 512 + b"\0" * 1024
    tracemalloc.start()
    try:
        assert rejected(data, trust) == "too_large"
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024, peak  # nothing near the declared size was allocated


def test_one_gigabyte_declared_in_the_manifest(key: SigningKey, trust: TrustStore) -> None:
    manifest = manifest_for(FILES)
    manifest["files"]["rules/acme-allow-broad.yaml"]["size"] = 1 << 30
    assert rejected(signed(FILES, key, manifest=manifest), trust) == "too_large"


def test_unsigned_pack(trust: TrustStore) -> None:
    data = write_members({MANIFEST: canonical_bytes(manifest_for(FILES)), **FILES})
    assert rejected(data, trust) == "signature_invalid"


def test_not_an_archive(trust: TrustStore) -> None:
    for junk in (b"", b"\0" * 10, b"PK\x03\x04 zip", os.urandom(4096)):
        assert rejected(junk, trust) == "manifest_invalid"


def test_schema_invalid_rule(key: SigningKey, trust: TrustStore) -> None:
    files = {"rules/bad.yaml": b"id: bad\ntitle: no reason, no fact\n"}
    assert rejected(signed(files, key), trust) == "rules_invalid"


def test_yaml_alias_bomb(key: SigningKey, trust: TrustStore) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"] + [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    files = {"patterns/bomb.yaml": ("\n".join(lines) + "\n").encode()}
    assert rejected(signed(files, key), trust) == "rules_invalid"


def test_deeply_nested_signature_block(good: bytes, trust: TrustStore) -> None:
    assert rejected(with_member(good, SIGNATURE, b"[" * 100_000), trust) == "signature_invalid"


def test_installed_under_another_name_and_rubric_limits(key: SigningKey, trust: TrustStore, tmp_path: Path) -> None:
    from sigil_scan.engine.library import load_library
    from sigil_scan.packs.apply import apply_packs

    packs = tmp_path / "packs"
    packs.mkdir()
    files = {**FILES, "rubric.yaml": FILES["rubric.yaml"] + b"max_score: 100\n"}
    (packs / "acme.sigpack").write_bytes(signed(files, key))
    (packs / "other.sigpack").write_bytes(signed(FILES, key, seq=2))  # an "acme" pack renamed
    library, outcomes = apply_packs(load_library(), explicit=[], packs_dir=packs, trust=trust, state_db=tmp_path / "s.db", now=NOW)
    assert outcomes[0].pack is not None and outcomes[0].unknown_rubric_keys == ["no_such_kind"]
    assert outcomes[1].rejection is not None and outcomes[1].rejection.reason == "manifest_invalid"
    assert library.rubric["weights"]["permissions_allow_broad"]["weight"] == 6.0
    assert library.rubric["max_score"] == 10.0  # a pack tunes weights, never the scale
    assert any("'max_score' cannot be changed by a pack" in w for w in library.warnings)


def test_anchors_within_bounds_are_fine(key: SigningKey, trust: TrustStore) -> None:
    # the bundled git patterns share one option list through an anchor: a team may copy them
    files = {"patterns/git_destructive.yaml": (REPO / "rules/patterns/git_destructive.yaml").read_bytes()}
    assert verify_pack_bytes(signed(files, key), trust=trust, state_db=None, now=NOW).files == files


def test_valid_pack_after_a_rejected_one_still_loads(key: SigningKey, trust: TrustStore, tmp_path: Path) -> None:
    db, packs = tmp_path / "state.db", tmp_path / "packs"
    first = signed(FILES, key, seq=1)
    install_pack(first, trust=trust, state_db=db, packs_dir=packs, now=NOW)
    tampered = with_member(signed(FILES, key, seq=2), "rubric.yaml", flip(FILES["rubric.yaml"], 3))
    with pytest.raises(PackRejected) as exc:
        install_pack(tampered, trust=trust, state_db=db, packs_dir=packs, now=NOW)
    assert reason(exc) == "file_hash_mismatch"
    assert (packs / "acme.sigpack").read_bytes() == first  # the last good pack stays
    assert install_pack(signed(FILES, key, seq=2), trust=trust, state_db=db, packs_dir=packs, now=NOW).sequence == 2
    assert verify_pack_bytes((packs / "acme.sigpack").read_bytes(), trust=trust, state_db=db, now=NOW).sequence == 2


def test_rotation_by_overlapping_key_windows(good: bytes) -> None:
    old, new = generate(), generate()
    t1, t2 = NOW - 10 * DAY, NOW + 10 * DAY  # new from t1, old until t2
    store = trust_of((old, NOW - 100 * DAY, t2, False), (new, t1, NOW + 100 * DAY, False))
    by_old, by_new = signed(FILES, old, expires=NOW + 50 * DAY), signed(FILES, new, expires=NOW + 50 * DAY)
    for data in (by_old, by_new):  # during the overlap both keys are accepted
        assert verify_pack_bytes(data, trust=store, state_db=None, now=NOW).name == "acme"
    assert rejected(by_old, store, now=t2 + DAY) == "key_inactive"  # old key retired
    assert verify_pack_bytes(by_new, trust=store, state_db=None, now=t2 + DAY).key_id == new.key_id
    assert rejected(by_new, store, now=t1 - DAY) == "key_inactive"  # new key not yet valid


def test_trust_store_rejects_mismatched_id(key: SigningKey, tmp_path: Path) -> None:
    path = tmp_path / "trust.yaml"
    path.write_text(f"keys:\n- id: ed25519-00000000000000000000\n  public_key: {b64(key.public_key)}\n  not_before: 2026-01-01T00:00:00Z\n")
    with pytest.raises(SigilError, match="does not match its public key"):
        load_trust(path)


# -- the signed policy document -----------------------------------------------------------


def test_signed_policy_document(key: SigningKey, trust: TrustStore, tmp_path: Path) -> None:
    from sigil_scan.packs import record_document

    db = tmp_path / "state.db"

    def policy(seq: int, **kw: Any) -> bytes:
        fields = {"name": "fleet", "version": "1", "sequence": seq, "issued_at": NOW - 60, "expires_at": NOW + DAY, "min_scanner_version": "0.1.0", **kw}
        return sign_document(policy_payload("targets: []\n", **fields), key)

    doc = verify_signed_document(policy(3), kind="policy", trust=trust, state_db=db, now=NOW)
    assert doc["policy"] == "targets: []\n" and doc["key_id"] == key.key_id
    record_document(db, doc, kind="policy")
    with pytest.raises(PackRejected) as exc:
        verify_signed_document(policy(2), kind="policy", trust=trust, state_db=db, now=NOW)
    assert reason(exc) == "sequence_replay"
    # the policy's sequence is its own: a rule pack named "fleet" is unaffected
    assert verify_pack_bytes(signed(FILES, key, name="fleet", seq=1), trust=trust, state_db=db, now=NOW).sequence == 1
    with pytest.raises(PackRejected) as exc:
        verify_signed_document(policy(4), kind="policy", trust=trust, state_db=db, now=NOW + 2 * DAY)
    assert reason(exc) == "expired"
    envelope = json.loads(policy(4))
    envelope["payload"] = b64(flip(base64.b64decode(envelope["payload"]), 20))
    with pytest.raises(PackRejected) as exc:
        verify_signed_document(json.dumps(envelope).encode(), kind="policy", trust=trust, state_db=db, now=NOW)
    assert reason(exc) == "signature_invalid"


def test_pack_manifest_is_not_a_policy(good: bytes, trust: TrustStore) -> None:
    members = read_members(good)
    envelope = {"format": "sigil-signed/1", "payload": b64(members[MANIFEST]), "signature": json.loads(members[SIGNATURE])}
    with pytest.raises(PackRejected) as exc:
        verify_signed_document(json.dumps(envelope).encode(), kind="policy", trust=trust, state_db=None, now=NOW)
    assert reason(exc) == "manifest_invalid" and "kind" in exc.value.detail


# -- the user path: real CLI in subprocesses ----------------------------------------------


@pytest.fixture()
def team(tmp_path: Path, run_sigil) -> dict[str, Path]:
    """keygen -> a rules tree -> pack -> sign, as the README ("Signed rule packs") shows."""
    base = tmp_path / "team"
    write(base / "rules-src", {k: v.decode() for k, v in FILES.items()})
    proc = run_sigil("keygen", str(base / "keys/acme-2026"), "--trust", str(base / "trust.yaml"))
    assert proc.returncode == 0, proc.stderr
    pack = base / "acme.sigpack"
    proc = run_sigil("rules", "pack", str(base / "rules-src"), "--name", "acme", "--sequence", "1", "-o", str(pack))
    assert proc.returncode == 0, proc.stderr
    proc = run_sigil("rules", "sign", str(pack), "--key", str(base / "keys/acme-2026.key"))
    assert proc.returncode == 0, proc.stderr
    return {"base": base, "pack": pack, "trust": base / "trust.yaml", "key": base / "keys/acme-2026.key"}


def test_keygen_private_key_is_0600_and_never_printed(run_sigil, tmp_path: Path) -> None:
    proc = run_sigil("keygen", str(tmp_path / "k/team"))
    assert proc.returncode == 0, proc.stderr
    private = tmp_path / "k/team.key"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    seed = json.loads(private.read_text())["seed"]
    key_id = json.loads((tmp_path / "k/team.pub").read_text())["key_id"]
    assert seed not in proc.stdout + proc.stderr and key_id in proc.stdout
    again = run_sigil("keygen", str(tmp_path / "k/team"))
    assert again.returncode == 2 and "refusing to overwrite" in again.stderr
    assert json.loads(private.read_text())["seed"] == seed


def test_cli_pack_sign_verify_scan(run_sigil, team: dict[str, Path], tmp_path: Path, event_validator) -> None:
    proc = run_sigil("rules", "verify", str(team["pack"]), "--trust", str(team["trust"]))
    assert proc.returncode == 0, proc.stderr
    assert "ok: acme 1, sequence 1" in proc.stdout
    repo = write(tmp_path / "repo", BROAD_REPO)
    plain = parse_jsonl(run_sigil("scan", str(repo), "--format", "jsonl", "--fail-on", "never").stdout)
    assert plain[0]["evidence"]["score"] == 3.0  # 2.0 broad allow + 1.0 no deny
    proc = run_sigil("scan", str(repo), "--pack", str(team["pack"]), "--trust", str(team["trust"]), "--format", "jsonl", "--fail-on", "never")
    assert proc.returncode == 0, proc.stderr
    events = parse_jsonl(proc.stdout)
    for event in events:
        event_validator(event)
    applied = events[0]["evidence"]
    assert applied["kind"] == "rule_pack_applied" and applied["pack"] == "acme" and applied["source"] == "explicit"
    # rubric override applies; the unknown rubric key is reported and ignored
    assert applied["unknown_rubric_keys"] == ["no_such_kind"]
    assert "unknown reason kind 'no_such_kind'" in proc.stderr
    surface = events[1]["evidence"]
    assert {r["rule_id"]: r["weight"] for r in surface["reasons"]} == {"permissions-allow-broad": 6.0, "acme-allow-broad": 6.0, "permissions-deny-empty": 1.0}
    # running the same pack again is fine (its sequence is the recorded one, same content)
    assert run_sigil("scan", str(repo), "--pack", str(team["pack"]), "--trust", str(team["trust"]), "--fail-on", "never").returncode == 0


def test_cli_explicit_rejected_pack_is_exit_2(run_sigil, team: dict[str, Path], tmp_path: Path, event_validator) -> None:
    tampered = tmp_path / "tampered.sigpack"
    data = team["pack"].read_bytes()
    tampered.write_bytes(with_member(data, "rubric.yaml", read_members(data)["rubric.yaml"].replace(b"6.0", b"0.0")))
    repo = write(tmp_path / "repo", BROAD_REPO)
    proc = run_sigil("scan", str(repo), "--pack", str(tampered), "--trust", str(team["trust"]), "--format", "jsonl")
    assert proc.returncode == 2
    assert "rejected (file_hash_mismatch): rubric.yaml does not match its blake3 hash" in proc.stderr
    events = parse_jsonl(proc.stdout)
    for event in events:
        event_validator(event)
    rejection = events[0]["evidence"]
    assert rejection == {"kind": "rule_pack_rejected", "reason": "file_hash_mismatch", "detail": "rubric.yaml does not match its blake3 hash in the manifest", "source": "explicit"}
    assert events[1]["evidence"]["score"] == 3.0  # the scan went on with the last good rules
    text = run_sigil("scan", str(repo), "--pack", str(tampered), "--trust", str(team["trust"]))
    assert text.returncode == 2 and "sigil: error: rule pack" in text.stderr
    verify = run_sigil("rules", "verify", str(tampered), "--trust", str(team["trust"]))
    assert verify.returncode == 2 and "rejected (file_hash_mismatch)" in verify.stderr


def test_watch_spools_the_applied_pack_and_stops_on_a_refused_one(team: dict[str, Path], tmp_path: Path, home: Path) -> None:
    """--watch: rule_pack_applied goes to the spool before the first assessment, scored with the
    pack's rules; a refused --pack stops the watcher with exit 2 after spooling the rejection."""
    from watch_helpers import WatchProc, kind

    repo = write(tmp_path / "repo", BROAD_REPO)
    common = ["--trust", str(team["trust"]), "--state-db", str(tmp_path / "st.db")]
    w = WatchProc(home, [str(repo), "--pack", str(team["pack"]), *common], tmp_path / "spool")
    try:
        events = w.ready()
        kinds = [kind(e) for e in events]
        assert "rule_pack_applied" in kinds and kinds.index("rule_pack_applied") < kinds.index("ai_guard_risk_assessed")
        surface = next(e for e in events if kind(e) == "ai_guard_risk_assessed")["evidence"]
        assert "acme-allow-broad" in {r["rule_id"] for r in surface["reasons"]}
    finally:
        assert w.stop() == 0
    tampered = tmp_path / "tampered.sigpack"
    data = team["pack"].read_bytes()
    tampered.write_bytes(with_member(data, "rubric.yaml", read_members(data)["rubric.yaml"].replace(b"6.0", b"0.0")))
    bad = WatchProc(home, [str(repo), "--pack", str(tampered), *common], tmp_path / "spool2")
    try:
        assert bad.proc.wait(timeout=30) == 2
        assert bad.proc.stderr is not None and "rejected (file_hash_mismatch)" in bad.proc.stderr.read()
        spooled = bad.poll_events()
        assert [kind(e) for e in spooled] == ["rule_pack_rejected"]
    finally:
        bad.kill()


def test_cli_install_then_scans_apply_it_and_a_bad_one_never_replaces_it(run_sigil, team: dict[str, Path], tmp_path: Path, home: Path) -> None:
    trust_home = home / ".config/sigil-scan/trust.yaml"  # the default trust store
    trust_home.parent.mkdir(parents=True)
    trust_home.write_bytes(team["trust"].read_bytes())
    proc = run_sigil("rules", "install", str(team["pack"]))
    assert proc.returncode == 0, proc.stderr
    installed = home / ".local/state/sigil-scan/packs/acme.sigpack"
    assert installed.read_bytes() == team["pack"].read_bytes()
    repo = write(tmp_path / "repo", BROAD_REPO)
    events = parse_jsonl(run_sigil("scan", str(repo), "--format", "jsonl", "--fail-on", "never").stdout)
    assert events[0]["evidence"]["kind"] == "rule_pack_applied" and events[0]["evidence"]["source"] == "installed"
    assert events[1]["evidence"]["score"] == 10.0  # 6 + 6 + 1, capped
    # an older sequence is refused and the installed pack stays
    older = tmp_path / "older.sigpack"
    src = team["base"] / "rules-src"
    assert run_sigil("rules", "pack", str(src), "--name", "acme", "--sequence", "2", "-o", str(older)).returncode == 0
    assert run_sigil("rules", "sign", str(older), "--key", str(team["key"])).returncode == 0
    assert run_sigil("rules", "install", str(older)).returncode == 0
    again = run_sigil("rules", "install", str(team["pack"]))
    assert again.returncode == 2 and "rejected (sequence_replay)" in again.stderr and "installed pack is unchanged" in again.stderr
    assert installed.read_bytes() == older.read_bytes()
    inspect = run_sigil("rules", "inspect", str(team["pack"]))
    assert "validity:    REJECTED (sequence_replay)" in inspect.stdout and "installed:   1 sequence 2" in inspect.stdout
    # an installed pack tampered with on disk: reported, not used, the scan is not an error
    installed.write_bytes(with_member(installed.read_bytes(), "rubric.yaml", b"weights: {}\n"))
    proc = run_sigil("scan", str(repo), "--format", "jsonl", "--fail-on", "never")
    assert proc.returncode == 0, proc.stderr
    events = parse_jsonl(proc.stdout)
    assert events[0]["evidence"]["kind"] == "rule_pack_rejected" and events[0]["evidence"]["source"] == "installed"
    assert "its rules are not used" in proc.stderr and events[1]["evidence"]["score"] == 3.0


def test_cli_verify_refuses_a_huge_file_without_reading_it(run_sigil, tmp_path: Path, team: dict[str, Path]) -> None:
    huge = tmp_path / "huge.sigpack"
    with open(huge, "wb") as fh:
        fh.truncate(1 << 30)  # sparse: 1 GB declared, nothing on disk
    proc = run_sigil("rules", "verify", str(huge), "--trust", str(team["trust"]))
    assert proc.returncode == 2 and "rejected (too_large)" in proc.stderr


def test_cli_inspect_shows_manifest_and_diff(run_sigil, team: dict[str, Path], tmp_path: Path, home: Path) -> None:
    assert run_sigil("rules", "install", str(team["pack"]), "--trust", str(team["trust"])).returncode == 0
    src = team["base"] / "rules-src"
    (src / "rules/acme-allow-broad.yaml").unlink()
    write(src, {"patterns/extra.yaml": "set: []\n"})
    newer = tmp_path / "newer.sigpack"
    proc = run_sigil("rules", "pack", str(src), "--name", "acme", "--sequence", "2", "-o", str(newer))
    assert proc.returncode == 2 and "patterns/extra.yaml" in proc.stderr  # schema-checked before packing
    (src / "patterns/extra.yaml").unlink()
    assert run_sigil("rules", "pack", str(src), "--name", "acme", "--sequence", "2", "--version", "2", "-o", str(newer)).returncode == 0
    out = run_sigil("rules", "inspect", str(newer), "--trust", str(team["trust"])).stdout
    assert "signed by:   (unsigned)" in out and "REJECTED (signature_invalid)" in out
    assert "installed:   1 sequence 1" in out and "  - rules/acme-allow-broad.yaml" in out


def test_sign_policy_cli_round_trip(run_sigil, team: dict[str, Path], tmp_path: Path) -> None:
    policy = write(tmp_path, {"policy.yaml": "targets: []\n"}) / "policy.yaml"
    out = tmp_path / "policy.signed.json"
    proc = run_sigil("rules", "sign-policy", str(policy), "--key", str(team["key"]), "--sequence", "7", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    doc = verify_signed_document(out.read_bytes(), kind="policy", trust=load_trust(team["trust"]), state_db=None)
    assert doc["sequence"] == 7 and doc["policy"] == "targets: []\n"


def test_scan_default_path_never_imports_nacl(tmp_path: Path, home: Path) -> None:
    code = (
        "import sys; from sigil_scan.commands import rules, scan;"
        "from sigil_scan.commands.scan import ScanRequest, load_scan_library;"
        "load_scan_library(ScanRequest());"
        "bad = [m for m in ('nacl', 'sqlite3', 'jsonschema') if m in sys.modules];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], env=sigil_env(home), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_state_db_is_shared_politely(key: SigningKey, trust: TrustStore, tmp_path: Path) -> None:
    """Our table lives beside other features' tables in WAL mode; theirs are untouched."""
    import sqlite3

    db = tmp_path / "state.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE other_feature (x INTEGER)")
    conn.execute("INSERT INTO other_feature VALUES (42)")
    conn.commit()
    conn.close()
    install_pack(signed(FILES, key, seq=3), trust=trust, state_db=db, packs_dir=tmp_path / "packs", now=NOW)
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("SELECT x FROM other_feature").fetchall() == [(42,)]
    assert conn.execute("SELECT name, sequence FROM pack_sequence WHERE kind = 'rule_pack'").fetchall() == [("acme", 3)]
    conn.close()


def test_timestamps_are_utc(key: SigningKey) -> None:
    manifest = manifest_for(FILES, issued=time.time())
    assert manifest["issued_at"].endswith("Z")
