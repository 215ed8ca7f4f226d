"""Load verified packs into a RuleLibrary for a scan, and the events that say what happened.

Order: the bundled library and --rules directories, then installed packs (packs dir, name
order), then --pack files in the order given; a later pack replaces rules with the same id.
A pack is applied to a copy of the library, so one that fails part-way changes nothing.
"""

from __future__ import annotations

import copy
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sigil_scan.errors import SigilError
from sigil_scan.packs import PackRejected
from sigil_scan.packs.trust import TrustStore
from sigil_scan.packs.verify import VerifiedPack


@dataclass(slots=True)
class PackOutcome:
    path: Path
    explicit: bool  # named with --pack (a rejection is then an error, exit 2)
    pack: VerifiedPack | None = None
    rejection: PackRejected | None = None
    unknown_rubric_keys: list[str] = field(default_factory=list)


def default_trust_path() -> Path:
    from sigil_scan.locations import config_dir

    return config_dir() / "trust.yaml"


def resolve_trust(path: Path | None) -> TrustStore:
    """--trust FILE, else ~/.config/sigil-scan/trust.yaml when present, else an empty store
    (every pack is then refused with key_unknown)."""
    from sigil_scan.packs.trust import load_trust

    if path is not None:
        return load_trust(path)
    default = default_trust_path()
    return load_trust(default) if default.is_file() else TrustStore()


def overlay(library: Any, pack: VerifiedPack, label: str) -> tuple[Any, list[str]]:
    """A copy of `library` with the pack's data on top; unknown rubric kinds are reported."""
    from sigil_scan.engine.library import _load_dir

    candidate = copy.deepcopy(library)
    before = len(candidate.warnings)
    with tempfile.TemporaryDirectory(prefix="sigil-pack-") as tmp:
        root = Path(tmp)
        for rel, content in pack.files.items():  # paths were validated: plain names under root
            target = root.joinpath(*rel.split("/"))
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        try:
            # external=False: verify step 8 already validated these exact bytes against the schemas
            _load_dir(candidate, root, False)
        except SigilError as exc:
            raise PackRejected("rules_invalid", str(exc).replace(tmp + os.sep, "")) from None
        candidate.sources = [s for s in candidate.sources if s != root]
        for rule in candidate.rules:
            source = str(rule.get("_source", ""))
            if source.startswith(tmp + os.sep):
                rule["_source"] = f"{label}#{Path(source).relative_to(root).as_posix()}"
        new = [w.replace(tmp + os.sep, f"{label}#") for w in candidate.warnings[before:]]
    rubric_doc = _rubric_of(pack)
    for key in sorted(set(rubric_doc) - {"version", "weights"}):
        if rubric_doc[key] == library.rubric.get(key):
            continue  # a copy of the bundled value changes nothing
        new.append(f"{label}#rubric.yaml: {key!r} cannot be changed by a pack: ignored")
    candidate.warnings[before:] = new
    unknown = [w.split("unknown reason kind ", 1)[1].split(" ", 1)[0].strip("'\"") for w in new if "unknown reason kind " in w]
    return candidate, unknown


def _rubric_of(pack: VerifiedPack) -> dict[str, Any]:
    from sigil_scan.yamlload import load_yaml

    if "rubric.yaml" not in pack.files:
        return {}
    doc = load_yaml(pack.files["rubric.yaml"], use_cache=False)
    return doc if isinstance(doc, dict) else {}


def apply_packs(library: Any, *, explicit: list[Path], packs_dir: Path, trust: TrustStore, state_db: Path | None, now: float | None = None) -> tuple[Any, list[PackOutcome]]:
    """Verify and apply every installed and explicit pack; return the library and outcomes."""
    from sigil_scan.packs.archive import read_pack_file
    from sigil_scan.packs.install import SUFFIX, installed_packs
    from sigil_scan.packs.state import record_applied
    from sigil_scan.packs.verify import verify_pack_bytes

    outcomes: list[PackOutcome] = []
    todo = [(p, False) for p in installed_packs(packs_dir)] + [(Path(p), True) for p in explicit]
    for path, is_explicit in todo:
        outcome = PackOutcome(path, is_explicit)
        outcomes.append(outcome)
        try:
            pack = verify_pack_bytes(read_pack_file(path), trust=trust, state_db=state_db, now=now)
            if not is_explicit and path.name != f"{pack.name}{SUFFIX}":
                raise PackRejected("manifest_invalid", f"installed as {path.name} but the pack is named {pack.name}")
            candidate, outcome.unknown_rubric_keys = overlay(library, pack, str(path))
            if state_db is not None:
                record_applied(state_db, kind="rule_pack", name=pack.name, sequence=pack.sequence, digest=pack.digest, key_id=pack.key_id, expires_at=pack.expires_at)
            library, outcome.pack = candidate, pack
        except PackRejected as exc:
            outcome.rejection = exc
        except SigilError as exc:
            if is_explicit:
                raise
            library.warnings.append(f"installed rule pack {path}: {exc}")
    return library, outcomes


def rule_pack_event(outcome: PackOutcome, shown: str) -> dict[str, Any]:
    from sigil_scan.events import envelope

    subject = {"kind": "path", "value": shown}
    source = "explicit" if outcome.explicit else "installed"
    if outcome.pack is not None:
        p = outcome.pack
        evidence: dict[str, Any] = {
            "kind": "rule_pack_applied",
            "pack": p.name,
            "version": p.version,
            "sequence": p.sequence,
            "key_id": p.key_id,
            "issued_at": p.issued_at,
            "expires_at": p.expires_at,
            "digest": p.digest,
            "files": len(p.files),
            "source": source,
            "unknown_rubric_keys": outcome.unknown_rubric_keys,
        }
        return envelope(evidence, subject=subject, severity="info")
    assert outcome.rejection is not None
    evidence = {"kind": "rule_pack_rejected", "reason": outcome.rejection.reason, "detail": outcome.rejection.detail, "source": source}
    return envelope(evidence, subject=subject, severity="warn")


def policy_event(kind: str, **fields: Any) -> dict[str, Any]:
    """policy_signature_invalid {reason, detail} / policy_expired_active {name, sequence,
    expires_at}: for the uploader, which pulls and applies the signed policy."""
    from sigil_scan.events import envelope

    if kind not in ("policy_signature_invalid", "policy_expired_active"):
        raise ValueError(kind)
    return envelope({"kind": kind, **fields}, subject={"kind": "self"}, severity="warn")


def _shown(path: Path) -> str:
    full = os.path.abspath(path)
    home = os.path.expanduser("~")
    return "~" + full[len(home):] if full == home or full.startswith(home + os.sep) else full


def load_for_scan(library: Any, *, packs: tuple[Path, ...], trust_path: Path | None, state_db: Path | None, text_format: bool, quiet: bool) -> tuple[Any, list[dict[str, Any]], list[Any]]:
    """The `sigil scan` step: (library, rule_pack_* events, scan problems for explicit rejections)."""
    import sys

    from sigil_scan.formats.text import safe
    from sigil_scan.locations import default_state_db, packs_dir
    from sigil_scan.model import ScanProblem

    trust = resolve_trust(trust_path)
    library, outcomes = apply_packs(library, explicit=list(packs), packs_dir=packs_dir(), trust=trust, state_db=state_db or default_state_db())
    events: list[dict[str, Any]] = []
    problems: list[ScanProblem] = []
    for outcome in outcomes:
        if outcome.pack is None and outcome.rejection is None:
            continue  # an unreadable installed file: already a warning
        shown = _shown(outcome.path)
        events.append(rule_pack_event(outcome, shown))
        if outcome.pack is not None:
            if not quiet:
                p = outcome.pack
                print(f"sigil: rule pack {p.name} {safe(p.version)} (sequence {p.sequence}, key {p.key_id}) applied", file=sys.stderr, flush=True)
            continue
        assert outcome.rejection is not None
        message = f"rule pack {shown} rejected ({outcome.rejection.reason}): {outcome.rejection.detail}"
        if outcome.explicit:
            problems.append(ScanProblem(outcome.path, "config", message))
            if text_format:  # other formats print every problem on stderr already
                print(f"sigil: error: {safe(message)}", file=sys.stderr, flush=True)
        else:
            library.warnings.append(f"installed {message}; its rules are not used")
    return library, events, problems
