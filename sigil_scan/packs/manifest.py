"""What a pack may contain, and the manifest: its fields, their checks, and building one.

A pack holds data only: `rubric.yaml` and YAML files under `rules/`, `patterns/`, `surfaces/`.
Path components are plain names ([A-Za-z0-9_][A-Za-z0-9._-]*), so no absolute path, `..`,
backslash, drive letter, control or look-alike character can reach the loader.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sigil_scan.errors import SigilError

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
DATA_DIRS = ("rules", "patterns", "surfaces")
RUBRIC = "rubric.yaml"
# caps (TUF "endless data"): checked from headers and the manifest before any content is read
MAX_PACK_BYTES = 16 * 1024 * 1024
MAX_FILE_BYTES = 1024 * 1024
MAX_FILES = 2000
MAX_DEPTH = 8
MAX_SEQUENCE = 2**53 - 1  # also bounds a fast-forward to something JSON readers agree on

_COMPONENT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.+_-]{0,63}$")
_SCANNER_VERSION = re.compile(r"^[0-9]{1,6}(\.[0-9]{1,6}){0,3}$")
_COMMON = {"kind", "format", "name", "version", "sequence", "issued_at", "expires_at", "min_scanner_version"}
_FIELDS = {"rule_pack": _COMMON | {"files"}, "policy": _COMMON | {"policy"}}


def path_problem(path: str) -> str | None:
    """Why `path` may not be a pack member (None when it may)."""
    if path in (MANIFEST, SIGNATURE, RUBRIC):
        return None
    parts = path.split("/")
    if path.startswith("/") or any(p in ("", ".", "..") for p in parts):
        return "absolute path or `.`/`..` component"
    if not all(_COMPONENT.match(p) for p in parts):
        return "path component with a character outside [A-Za-z0-9._-]"
    if len(parts) > MAX_DEPTH:
        return f"deeper than {MAX_DEPTH} levels"
    if parts[0] not in DATA_DIRS or len(parts) < 2 or not parts[-1].endswith((".yaml", ".yml")):
        return "only rubric.yaml and YAML files under rules/, patterns/, surfaces/ may be in a pack"
    return None


def valid_name(name: object) -> bool:
    return isinstance(name, str) and bool(_NAME.match(name))


def schema_for(path: str) -> str:
    return "rubric" if path == RUBRIC else {"rules": "rule", "patterns": "patterns", "surfaces": "surfaces"}[path.split("/")[0]]


def validate_payload(doc: Any, kind: str) -> dict[str, Any]:
    """Field-by-field checks of a verified manifest/policy payload; raise manifest_invalid."""
    from sigil_scan.packs import PackRejected
    from sigil_scan.packs.canonical import parse_ts, parse_version

    def bad(why: str) -> PackRejected:
        return PackRejected("manifest_invalid", why)

    if not isinstance(doc, dict):
        raise bad("the manifest is not a JSON object")
    if doc.get("kind") != kind:
        raise bad(f"kind is {doc.get('kind')!r}, expected {kind!r} (a document signed for another purpose)")
    fields = _FIELDS.get(kind, _COMMON | {"content"})
    missing = sorted(f for f in fields if f not in doc)
    extra = sorted(set(doc) - fields)
    if missing or extra:
        raise bad(f"missing field(s) {missing}" if missing else f"unknown field(s) {extra}")
    if doc["format"] != 1:
        raise bad(f"unsupported format {doc['format']!r}")
    if not isinstance(doc["name"], str) or not _NAME.match(doc["name"]):
        raise bad("name must match [a-z0-9][a-z0-9._-]{0,63}")
    if not isinstance(doc["version"], str) or not _VERSION.match(doc["version"]):
        raise bad("version must match [A-Za-z0-9][A-Za-z0-9.+_-]{0,63}")
    if not isinstance(doc["min_scanner_version"], str) or not _SCANNER_VERSION.match(doc["min_scanner_version"]):
        raise bad("min_scanner_version must look like 0.1.0")
    seq = doc["sequence"]
    if not isinstance(seq, int) or isinstance(seq, bool) or not 1 <= seq <= MAX_SEQUENCE:
        raise bad(f"sequence must be an integer in 1..{MAX_SEQUENCE}")
    try:
        issued, expires = parse_ts(doc["issued_at"]), parse_ts(doc["expires_at"])
        parse_version(str(doc["min_scanner_version"]))
    except ValueError as exc:
        raise bad(str(exc)) from None
    if expires <= issued:
        raise bad("expires_at is not after issued_at")
    if kind == "rule_pack":
        _validate_files(doc["files"])
    elif kind == "policy" and not isinstance(doc["policy"], str):
        raise bad("policy must be the policy YAML text")
    return doc


def _validate_files(files: Any) -> None:
    from sigil_scan.packs import PackRejected

    if not isinstance(files, dict) or not files:
        raise PackRejected("manifest_invalid", "files must be a non-empty mapping path -> {blake3, size}")
    if len(files) > MAX_FILES:
        raise PackRejected("too_large", f"the manifest lists {len(files)} files (limit {MAX_FILES})")
    total = 0
    for path, entry in files.items():
        why = path_problem(path)
        if why or path in (MANIFEST, SIGNATURE):
            raise PackRejected("path_unsafe", f"manifest lists {path!r}: {why or 'reserved name'}")
        if not isinstance(entry, dict) or set(entry) != {"blake3", "size"}:
            raise PackRejected("manifest_invalid", f"files[{path!r}] must be exactly {{blake3, size}}")
        size = entry["size"]
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise PackRejected("manifest_invalid", f"files[{path!r}].size must be a non-negative integer")
        if size > MAX_FILE_BYTES:
            raise PackRejected("too_large", f"{path} declares {size} bytes (limit {MAX_FILE_BYTES})")
        total += size
        if total > MAX_PACK_BYTES:
            raise PackRejected("too_large", f"files declare more than {MAX_PACK_BYTES} bytes in total")
        if not isinstance(entry["blake3"], str) or not _HEX64.match(entry["blake3"]):
            raise PackRejected("manifest_invalid", f"files[{path!r}].blake3 must be 64 lowercase hex digits")


def collect_dir(directory: Path) -> tuple[dict[str, bytes], list[str]]:
    """The pack members of a rules tree, and the paths skipped (not pack data)."""
    if not directory.is_dir():
        raise SigilError(f"{directory}: not a directory")
    files: dict[str, bytes] = {}
    skipped: list[str] = []
    for path in sorted(directory.rglob("*")):
        rel = path.relative_to(directory).as_posix()
        if path.is_symlink():
            raise SigilError(f"{path}: symbolic links cannot go into a pack")
        if path.is_dir():
            continue
        why = path_problem(rel)
        if why or rel in (MANIFEST, SIGNATURE):
            skipped.append(rel)
            continue
        data = path.read_bytes()
        if len(data) > MAX_FILE_BYTES:
            raise SigilError(f"{path}: larger than {MAX_FILE_BYTES} bytes")
        files[rel] = data
    if not files:
        raise SigilError(f"{directory}: no rubric.yaml and no YAML under rules/, patterns/, surfaces/")
    if len(files) > MAX_FILES:
        raise SigilError(f"{directory}: more than {MAX_FILES} files")
    return files, skipped


def build_manifest(files: dict[str, bytes], *, name: str, version: str, sequence: int, issued_at: float, expires_at: float, min_scanner_version: str) -> dict[str, Any]:
    from sigil_scan.packs.canonical import file_hash, format_ts

    doc = {
        "kind": "rule_pack",
        "format": 1,
        "name": name,
        "version": version,
        "sequence": sequence,
        "issued_at": format_ts(issued_at),
        "expires_at": format_ts(expires_at),
        "min_scanner_version": min_scanner_version,
        "files": {path: {"blake3": file_hash(data), "size": len(data)} for path, data in sorted(files.items())},
    }
    try:
        return validate_payload(doc, "rule_pack")
    except SigilError as exc:  # PackRejected: the author's input is wrong, say which field
        raise SigilError(f"cannot build the manifest: {exc}") from None
