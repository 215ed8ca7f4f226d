"""Load the rule library: surfaces, rules, pattern sets and the rubric, all data under rules/.

The bundled library is trusted (validated by the test suite); extra directories given with
--rules are validated against the JSON Schemas at load time, because they are external input.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from sigil_scan import cache
from sigil_scan.errors import SigilError
from sigil_scan.model import ScopeKind, SurfaceSpec
from sigil_scan.resources import rules_dir, schema_path
from sigil_scan.yamlload import load_yaml


# Plain slotted classes, not dataclasses: each @dataclass costs ~1 ms at import (it generates and
# exec()s its methods), and these are imported by every `sigil scan`.
class SurfaceEntry:
    __slots__ = ("spec", "paths")

    def __init__(self, spec: SurfaceSpec, paths: dict[str, tuple[str, ...]]) -> None:
        self.spec = spec
        self.paths = paths  # platform ("any"/"linux"/"macos"/"windows") -> patterns

    def __repr__(self) -> str:
        return f"SurfaceEntry({self.spec.id!r}, {self.paths!r})"


class RuleLibrary:
    __slots__ = ("surfaces", "rules", "patterns", "rubric", "sources", "warnings")

    def __init__(
        self,
        surfaces: list[SurfaceEntry] | None = None,
        rules: list[dict[str, Any]] | None = None,
        patterns: dict[str, Any] | None = None,
        rubric: dict[str, Any] | None = None,
        sources: list[Path] | None = None,
        warnings: list[str] | None = None,
    ) -> None:
        self.surfaces: list[SurfaceEntry] = surfaces if surfaces is not None else []
        self.rules: list[dict[str, Any]] = rules if rules is not None else []
        self.patterns: dict[str, Any] = patterns if patterns is not None else {}
        self.rubric: dict[str, Any] = rubric if rubric is not None else {}
        self.sources: list[Path] = sources if sources is not None else []
        self.warnings: list[str] = warnings if warnings is not None else []

    def rule(self, rule_id: str) -> dict[str, Any] | None:
        return next((r for r in self.rules if r["id"] == rule_id), None)

    def surface(self, surface_id: str) -> SurfaceEntry | None:
        return next((s for s in self.surfaces if s.spec.id == surface_id), None)


def _yaml_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    found: list[Path] = []
    stack = [directory]
    while stack:  # os.scandir, not Path.rglob: a third of the cost, and symlinked dirs not followed
        current = stack.pop()
        try:
            with os.scandir(current) as it:
                for entry in it:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(Path(entry.path))
                    elif entry.name.endswith((".yaml", ".yml")) and entry.is_file():
                        found.append(Path(entry.path))
        except OSError as exc:
            raise SigilError(f"{current}: cannot list rules directory: {exc.strerror or exc}") from exc
    return sorted(found)


def _read(path: Path) -> Any:
    try:
        return load_yaml(path.read_bytes())
    except (OSError, ValueError) as exc:  # yaml.YAMLError is a ValueError subclass? no: handled below
        raise SigilError(f"{path}: cannot load: {exc}") from exc
    except Exception as exc:  # yaml.YAMLError
        raise SigilError(f"{path}: invalid YAML: {exc}") from exc


def validate(document: Any, schema_name: str, where: Path) -> None:
    """Validate one document against schemas/<name>.schema.json; raise SigilError naming the field."""
    schema_bytes = schema_path(schema_name).read_bytes()
    # a document already found valid against this exact schema is not validated again: this
    # keeps jsonschema (≈60 ms to import) off warm `--rules` runs (sigil_scan/cache.py)
    try:
        canonical = json.dumps(document, sort_keys=True, default=repr).encode("utf-8", "surrogatepass")
    except (TypeError, ValueError, RecursionError):
        canonical = b""
    memo = cache.key_of(b"jsonschema-valid-v1", schema_bytes, canonical) if canonical else None
    if memo is not None and cache.get(memo) == "ok":
        return
    import jsonschema  # heavy (≈60 ms): only for external input and tests

    schema = json.loads(schema_bytes)
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        at = ".".join(str(p) for p in first.absolute_path) or "(top level)"
        raise SigilError(f"{where}: {at}: {first.message}")
    if memo is not None:
        cache.put(memo, "ok")


def _surface_entries(doc: dict[str, Any]) -> list[SurfaceEntry]:
    tool = doc["tool"]
    out = []
    for s in doc["surfaces"]:
        spec = SurfaceSpec(
            id=s["id"],
            tool=tool,
            scope=ScopeKind(s["scope"]),
            format=s["format"],
            role=s["role"],
            app=s.get("app"),
            shared=bool(s.get("shared", False)),
            track_only=bool(s.get("track_only", False)),
        )
        out.append(SurfaceEntry(spec, {k: tuple(v) for k, v in s["paths"].items()}))
    return out


def load_library(extra_dirs: list[Path] | None = None, *, include_bundled: bool = True) -> RuleLibrary:
    """Load the bundled library, then each extra directory on top (same id = replaced)."""
    library = RuleLibrary()
    dirs: list[tuple[Path, bool, bool]] = []
    if include_bundled:
        dirs.append((rules_dir(), False, True))
    dirs.extend((Path(d), True, False) for d in extra_dirs or [])
    for directory, external, bundled in dirs:
        if not directory.is_dir():
            raise SigilError(f"{directory}: rules directory not found")
        _load_dir(library, directory, external, bundled=bundled)
    return library


# The parsed documents of one rules directory, in load order: what _apply_docs needs.
# [rubric] (empty without rubric.yaml), surface documents, (pattern set name, document), rules
Docs = tuple[list[Any], list[Any], list[tuple[str, Any]], list[dict[str, Any]]]
_BLOB = "library-v1"


def _load_dir(library: RuleLibrary, directory: Path, external: bool, *, bundled: bool = False) -> None:
    library.sources.append(directory)
    if bundled and not external:
        docs = _bundled_docs(directory)
        try:
            _apply_docs(library, docs, directory)
            return
        except (KeyError, TypeError, ValueError, AttributeError):  # a cached blob of the wrong shape
            library.surfaces, library.rules, library.patterns, library.rubric = [], [], {}, {}
            docs = _read_docs(directory, external=False)
            _apply_docs(library, docs, directory)
            return
    _apply_docs(library, _read_docs(directory, external), directory)


def _read_docs(directory: Path, external: bool) -> Docs:
    """Parse (and, for external input, validate) every document of one rules directory."""
    rubric = []
    rubric_file = directory / "rubric.yaml"
    if rubric_file.is_file():
        rubric.append(_read(rubric_file))
        if external:
            validate(rubric[0], "rubric", rubric_file)
    surfaces = []
    for path in _yaml_files(directory / "surfaces"):
        doc = _read(path)
        if external:
            validate(doc, "surfaces", path)
        surfaces.append(doc)
    patterns = []
    for path in _yaml_files(directory / "patterns"):
        doc = _read(path)
        if external:
            validate(doc, "patterns", path)
        patterns.append((path.stem, doc))
    rules = []
    for path in _yaml_files(directory / "rules"):
        doc = _read(path)
        if external:
            validate(doc, "rule", path)
        doc["_source"] = os.fspath(path)
        rules.append(doc)
    return rubric, surfaces, patterns, rules


def _apply_docs(library: RuleLibrary, docs: Docs, directory: Path) -> None:
    rubric, surfaces, patterns, rules = docs
    for doc in rubric:
        if library.rubric:
            _overlay_rubric(library, doc, directory / "rubric.yaml")
        else:
            library.rubric = doc
    for doc in surfaces:
        for entry in _surface_entries(doc):
            library.surfaces = [s for s in library.surfaces if s.spec.id != entry.spec.id]
            library.surfaces.append(entry)
    for stem, doc in patterns:
        library.patterns[stem] = doc
    for doc in rules:
        library.rules = [r for r in library.rules if r["id"] != doc["id"]]
        library.rules.append(doc)


_RACY_NS = 2_000_000_000


def _tree_key(directory: Path) -> str | None:
    """A key that changes whenever a library file is added, removed, replaced or written: the
    size, mtime, ctime and inode of every file the loader reads (a stat each, no reads).

    None (no cache) while a file was modified in the last two seconds: on a file system with
    coarse timestamps a second write in the same tick would keep the key (git's "racy" rule)."""
    from sigil_scan import __version__

    parts = [b"library-v1", __version__.encode(), os.fsencode(directory)]
    newest = 0
    try:
        st = os.stat(directory / "rubric.yaml")
        parts.append(b"rubric.yaml %d %d %d %d" % (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino))
        newest = st.st_mtime_ns
    except FileNotFoundError:
        parts.append(b"-")
    except OSError:
        return None
    for sub in ("surfaces", "patterns", "rules"):
        stack = [os.path.join(directory, sub)]
        while stack:
            current = stack.pop()
            try:
                with os.scandir(current) as it:
                    entries = sorted(it, key=lambda e: e.name)
            except FileNotFoundError:
                parts.append(b"-" + os.fsencode(current))
                continue
            except OSError:
                return None
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                elif entry.name.endswith((".yaml", ".yml")):
                    try:
                        st = entry.stat()
                    except OSError:
                        return None  # a dangling link: load without the cache
                    parts.append(b"%s %d %d %d %d" % (os.fsencode(entry.path), st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino))
                    newest = max(newest, st.st_mtime_ns)
    if time.time_ns() - newest < _RACY_NS:
        return None
    return cache.key_of(*parts)


def blob_name(directory: Path) -> str:
    """The cache blob of one library location: several installs (venvs, pipx, pre-commit's own
    environment) share the user's cache directory and must not keep replacing each other's."""
    return f"{_BLOB}-{cache.key_of(os.fsencode(directory))[:16]}"


def _bundled_docs(directory: Path) -> Docs:
    """The bundled library's documents: from one cache blob when no file changed since it was
    written (one read and one json.loads instead of a read, hash and lookup per file)."""
    key = _tree_key(directory) if cache.cache_dir() is not None else None
    name = blob_name(directory)
    if key is not None:
        payload = cache.get_blob(name, key)
        if payload is not None:
            try:
                rubric, surfaces, patterns, rules = json.loads(payload)
                if isinstance(rubric, list) and isinstance(surfaces, list) and isinstance(rules, list):
                    return rubric, surfaces, [(str(stem), doc) for stem, doc in patterns], rules
            except (ValueError, TypeError):  # not ours after all: read the files
                pass
    docs = _read_docs(directory, external=False)
    if key is not None:
        try:
            text = json.dumps(docs, allow_nan=False, separators=(",", ":"))
            exact = json.loads(text) == [docs[0], docs[1], [list(p) for p in docs[2]], docs[3]]
        except (TypeError, ValueError, RecursionError):
            exact = False
        if exact:  # only what JSON gives back unchanged (no dates, no integer keys)
            cache.put_blob(name, key, text.encode("utf-8", "surrogatepass"))
    return docs


def _overlay_rubric(library: RuleLibrary, overlay: dict[str, Any], where: Path) -> None:
    """Weights from a later directory replace known kinds; unknown kinds are reported and ignored."""
    weights = library.rubric.setdefault("weights", {})
    for kind, spec in (overlay.get("weights") or {}).items():
        if kind not in weights:
            library.warnings.append(f"{where}: unknown reason kind {kind!r} in rubric: ignored")
            continue
        weights[kind] = {**weights[kind], **spec} if isinstance(spec, dict) else {**weights[kind], "weight": spec}
