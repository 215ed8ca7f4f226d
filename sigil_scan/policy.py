"""Policy YAML (--policy, schemas/policy.schema.json): targets, overrides, workspaces, host id.

Built-in targets are the non-project surfaces of the catalogue (rules/surfaces/*.yaml, posture
targets included), keyed by their surface id. Merge (as the Rust agent does): built-ins for the
platform -> overrides (disable / re-tier by id; unknown id is an error) -> user targets appended
(duplicate id is an error) -> disabled dropped -> platform filter. Every error names the file,
the line and the key.
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sigil_scan.engine.library import RuleLibrary
from sigil_scan.errors import SigilError
from sigil_scan.model import ScopeKind
from sigil_scan.surfaces import expand, platform_paths

# built-in targets whose loss is worst; everything else defaults to standard
_CRITICAL_BUILTIN_TOOLS = {"posture": {"credential-files"}}
MAX_TRACKED_FILES = 10_000  # a recursive target must not turn into a home walk


@dataclass(slots=True)
class Target:
    id: str
    description: str = ""
    tier: str = "standard"
    platform: str = "any"
    paths: tuple[str, ...] = ()
    recursive: bool = False
    follow_symlinks: bool = False
    disabled: bool = False
    builtin: bool = False
    tool: str | None = None  # the surface catalogue's tool for built-ins
    track_only: bool = True  # hashed, not scored (user targets, posture surfaces)


@dataclass(slots=True)
class Policy:
    version: int = 1
    host_id_strategy: str = "machine_id"
    host_id: str | None = None
    targets: list[Target] = field(default_factory=list)
    overrides: list[dict[str, Any]] = field(default_factory=list)
    workspaces: list[str] = field(default_factory=list)
    source: Path | None = None


def _where(doc: Any, source: Path, key_path: tuple[str | int, ...]) -> str:
    line = None
    probe = key_path
    while line is None:
        pos = doc.position(probe)
        line = pos.line if pos else None
        if not probe:
            break
        probe = probe[:-1]
    return f"{source}:{line}" if line else str(source)


def _key_text(key_path: tuple[str | int, ...]) -> str:
    out = ""
    for k in key_path:
        out += f"[{k}]" if isinstance(k, int) else (f".{k}" if out else str(k))
    return out or "(top level)"


def load_policy(path: Path) -> Policy:
    """Parse and validate a policy file; SigilError('<file>:<line>: <key>: <problem>') when wrong."""
    from sigil_scan.parsers import ParseError, parse

    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise SigilError(f"--policy {path}: {exc.strerror or exc}") from exc
    try:
        doc, _ = parse(Path(path), data, "yaml")
    except ParseError as exc:
        line = f":{exc.line}" if getattr(exc, "line", None) else ""
        raise SigilError(f"{path}{line}: not valid YAML: {exc}") from exc
    value = doc.value
    if not isinstance(value, dict):
        raise SigilError(f"{path}: a policy is a mapping with at least `version: 1`")
    import json

    import jsonschema

    from sigil_scan.resources import schemas_dir

    schema = json.loads((schemas_dir() / "policy.schema.json").read_text())
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(value), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        err = errors[0]
        key_path = tuple(err.absolute_path)
        message = err.message
        if err.validator == "additionalProperties":
            extra = [k for k in (err.instance or {}) if k not in (err.schema.get("properties") or {})]
            if extra:
                key_path = (*key_path, extra[0])
                message = f"unknown key {extra[0]!r}"
        elif err.validator == "required":
            missing = re.findall(r"'([^']+)' is a required property", err.message)
            message = f"missing required key {missing[0]!r}" if missing else err.message
        raise SigilError(f"{_where(doc, Path(path), key_path)}: {_key_text(key_path)}: {message}")
    policy = Policy(source=Path(path))
    policy.version = int(value["version"])
    policy.host_id_strategy = str(value.get("host_id_strategy", "machine_id"))
    policy.host_id = value.get("host_id")
    if policy.host_id_strategy == "static" and not policy.host_id:
        raise SigilError(f"{_where(doc, Path(path), ('host_id_strategy',))}: host_id_strategy: static needs a `host_id`")
    seen: set[str] = set()
    for i, t in enumerate(value.get("targets") or []):
        for j, p in enumerate(t["paths"]):
            if "**" in p:
                raise SigilError(f"{_where(doc, Path(path), ('targets', i, 'paths', j))}: targets[{i}].paths[{j}]: '**' is not supported; use a directory with `recursive: true`")
        if t.get("follow_symlinks"):
            raise SigilError(f"{_where(doc, Path(path), ('targets', i, 'follow_symlinks'))}: targets[{i}].follow_symlinks: true is not supported (a watched link could point anywhere)")
        if t["id"] in seen:
            raise SigilError(f"{_where(doc, Path(path), ('targets', i, 'id'))}: targets[{i}].id: duplicate target id {t['id']!r}")
        seen.add(t["id"])
        policy.targets.append(Target(t["id"], t.get("description", ""), t.get("tier", "standard"), t.get("platform", "any"), tuple(t["paths"]), bool(t.get("recursive", False)), False, bool(t.get("disabled", False))))
    policy.overrides = [dict(o, _line=_where(doc, Path(path), ("overrides", i, "id"))) for i, o in enumerate(value.get("overrides") or [])]
    policy.workspaces = [str(w) for w in value.get("workspaces") or []]
    return policy


def builtin_targets(library: RuleLibrary, platform: str) -> list[Target]:
    out = []
    for entry in library.surfaces:
        spec = entry.spec
        if spec.scope is ScopeKind.PROJECT:
            continue
        paths = platform_paths(entry, platform)
        if not paths:
            continue
        critical = spec.id in _CRITICAL_BUILTIN_TOOLS.get(spec.tool, ()) or not spec.track_only
        out.append(Target(spec.id, f"{spec.tool} {spec.scope.value} {spec.role}", "critical" if critical else "standard", platform, paths, False, False, False, True, spec.tool, spec.track_only))
    return out


@dataclass(slots=True)
class Effective:
    """The merged policy for one machine."""

    platform: str
    host_id_strategy: str
    host_id: str | None
    targets: list[Target]
    disabled: set[str]
    workspaces: list[Path]
    source: Path | None

    def target(self, target_id: str | None) -> Target | None:
        return next((t for t in self.targets if t.id == target_id), None)

    def wire(self, *, home: Path, env: Mapping[str, str]) -> dict[str, Any]:
        targets = []
        for t in self.targets:
            d = {k: v for k, v in asdict(t).items() if k != "disabled"}
            d["paths"] = [expand(p, home=home, env=env, platform=self.platform) or f"{p} (variable not set)" for p in t.paths]
            targets.append(d)
        return {
            "source": str(self.source) if self.source else None,
            "platform": self.platform,
            "host_id_strategy": self.host_id_strategy,
            "targets": targets,
            "disabled_builtin_targets": sorted(self.disabled),
            "workspaces": [str(w) for w in self.workspaces],
        }


def merge(policy: Policy | None, library: RuleLibrary, *, platform: str, home: Path, env: Mapping[str, str] | None = None) -> Effective:
    env = os.environ if env is None else env
    policy = policy or Policy()
    targets = builtin_targets(library, platform)
    by_id = {t.id: t for t in targets}
    catalogue = {e.spec.id for e in library.surfaces if e.spec.scope is not ScopeKind.PROJECT}
    for o in policy.overrides:
        t = by_id.get(o["id"])
        if t is None and o["id"] in catalogue:
            continue  # a built-in of another platform: one policy file serves every OS
        if t is None:
            raise SigilError(f"{o['_line']}: overrides.id: {o['id']!r} is not a built-in target (see `sigil show config --policy`)")
        if "tier" in o:
            t.tier = o["tier"]
        if o.get("disabled"):
            t.disabled = True
    for t in policy.targets:
        if t.id in by_id:
            raise SigilError(f"{policy.source}: targets: id {t.id!r} is already a built-in target; use overrides")
        targets.append(t)
    disabled = {t.id for t in targets if t.disabled and t.builtin}
    kept = [t for t in targets if not t.disabled and t.platform in (platform, "any")]
    workspaces = []
    for w in policy.workspaces:
        expanded = expand(w, home=home, env=env, platform=platform)
        if expanded:
            workspaces.append(Path(expanded))
    return Effective(platform, policy.host_id_strategy, policy.host_id, kept, disabled, workspaces, policy.source)


def tracked_paths(eff: Effective, *, home: Path, env: Mapping[str, str] | None = None) -> list[tuple[Path, Target]]:
    """Existing files of every track-only target (globs resolved, recursive dirs walked, capped)."""
    env = os.environ if env is None else env
    out: list[tuple[Path, Target]] = []
    seen: set[Path] = set()
    for t in eff.targets:
        if not t.track_only:
            continue
        for raw in t.paths:
            pattern = expand(raw, home=home, env=env, platform=eff.platform)
            if not pattern:
                continue
            matches = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else ([pattern] if os.path.lexists(pattern) else [])
            for m in matches:
                for p in _files_of(Path(m), t.recursive):
                    if p not in seen and len(out) < MAX_TRACKED_FILES:
                        seen.add(p)
                        out.append((p, t))
    return out


def _files_of(path: Path, recursive: bool) -> list[Path]:
    if not path.is_dir() or path.is_symlink():
        return [path] if os.path.isfile(path) else []
    found: list[Path] = []
    stack = [path]
    while stack and len(found) < MAX_TRACKED_FILES:
        d = stack.pop()
        try:
            with os.scandir(d) as it:
                for e in it:
                    if e.is_file(follow_symlinks=False):
                        found.append(Path(e.path))
                    elif recursive and e.is_dir(follow_symlinks=False) and e.name not in (".git", "node_modules"):
                        stack.append(Path(e.path))
        except OSError:
            continue
    return sorted(found)


def resolve_host_id(eff: Effective | None) -> str | None:
    """The host id the policy asks for; None means the default (machine id)."""
    if eff is None or eff.host_id_strategy == "machine_id":
        return None
    if eff.host_id_strategy == "static":
        return eff.host_id
    from sigil_scan.identity import host_id

    if eff.host_id_strategy == "hostname":
        return host_id("hostname")
    import uuid

    from sigil_scan.locations import state_dir

    # uuid: random once, then persisted beside state.db
    path = state_dir() / "host-uuid"
    try:
        value = path.read_text().strip()
        uuid.UUID(value)
        return "u-" + value
    except (OSError, ValueError):
        value = str(uuid.uuid4())
        path.parent.mkdir(parents=True, exist_ok=True)
        from sigil_scan.fsutil import write_atomic

        write_atomic(path, value.encode(), durable=True)
        return "u-" + value
