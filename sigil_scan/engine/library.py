"""Load the rule library: surfaces, rules, pattern sets and the rubric, all data under rules/.

The bundled library is trusted (validated by the test suite); extra directories given with
--rules are validated against the JSON Schemas at load time, because they are external input.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sigil_scan.errors import SigilError
from sigil_scan.model import ScopeKind, SurfaceSpec
from sigil_scan.resources import rules_dir, schema_path
from sigil_scan.yamlload import load_yaml


@dataclass(frozen=True, slots=True)
class SurfaceEntry:
    spec: SurfaceSpec
    paths: dict[str, tuple[str, ...]]  # platform ("any"/"linux"/"macos"/"windows") -> patterns


@dataclass(slots=True)
class RuleLibrary:
    surfaces: list[SurfaceEntry] = field(default_factory=list)
    rules: list[dict[str, Any]] = field(default_factory=list)
    patterns: dict[str, Any] = field(default_factory=dict)
    rubric: dict[str, Any] = field(default_factory=dict)
    sources: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def rule(self, rule_id: str) -> dict[str, Any] | None:
        return next((r for r in self.rules if r["id"] == rule_id), None)

    def surface(self, surface_id: str) -> SurfaceEntry | None:
        return next((s for s in self.surfaces if s.spec.id == surface_id), None)


def _yaml_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    found = [p for p in directory.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()]
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
    import jsonschema  # heavy (≈60 ms): only for external input and tests

    schema = json.loads(schema_path(schema_name).read_text())
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        at = ".".join(str(p) for p in first.absolute_path) or "(top level)"
        raise SigilError(f"{where}: {at}: {first.message}")


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
        )
        out.append(SurfaceEntry(spec, {k: tuple(v) for k, v in s["paths"].items()}))
    return out


def load_library(extra_dirs: list[Path] | None = None, *, include_bundled: bool = True) -> RuleLibrary:
    """Load the bundled library, then each extra directory on top (same id = replaced)."""
    library = RuleLibrary()
    dirs: list[tuple[Path, bool]] = []
    if include_bundled:
        dirs.append((rules_dir(), False))
    dirs.extend((Path(d), True) for d in extra_dirs or [])
    for directory, external in dirs:
        if not directory.is_dir():
            raise SigilError(f"{directory}: rules directory not found")
        _load_dir(library, directory, external)
    return library


def _load_dir(library: RuleLibrary, directory: Path, external: bool) -> None:
    library.sources.append(directory)
    rubric_file = directory / "rubric.yaml"
    if rubric_file.is_file():
        rubric = _read(rubric_file)
        if external:
            validate(rubric, "rubric", rubric_file)
        if library.rubric:
            _overlay_rubric(library, rubric, rubric_file)
        else:
            library.rubric = rubric
    for path in _yaml_files(directory / "surfaces"):
        doc = _read(path)
        if external:
            validate(doc, "surfaces", path)
        for entry in _surface_entries(doc):
            library.surfaces = [s for s in library.surfaces if s.spec.id != entry.spec.id]
            library.surfaces.append(entry)
    for path in _yaml_files(directory / "patterns"):
        doc = _read(path)
        if external:
            validate(doc, "patterns", path)
        library.patterns[path.stem] = doc
    for path in _yaml_files(directory / "rules"):
        doc = _read(path)
        if external:
            validate(doc, "rule", path)
        doc["_source"] = os.fspath(path)
        library.rules = [r for r in library.rules if r["id"] != doc["id"]]
        library.rules.append(doc)


def _overlay_rubric(library: RuleLibrary, overlay: dict[str, Any], where: Path) -> None:
    """Weights from a later directory replace known kinds; unknown kinds are reported and ignored."""
    weights = library.rubric.setdefault("weights", {})
    for kind, spec in (overlay.get("weights") or {}).items():
        if kind not in weights:
            library.warnings.append(f"{where}: unknown reason kind {kind!r} in rubric: ignored")
            continue
        weights[kind] = {**weights[kind], **spec} if isinstance(spec, dict) else {**weights[kind], "weight": spec}
