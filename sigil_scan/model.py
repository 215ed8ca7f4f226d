"""Values that flow through the pipeline. Frozen where they are results; no I/O here."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class Bucket(enum.IntEnum):
    """Risk bucket of a score; also the severity scale of findings and of --fail-on."""

    NONE = 0  # a clean surface: score 0, no reason
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def wire(self) -> str:
        # A clean surface is still reported as "low" on the wire (the Rust agent's vocabulary has
        # no "none"); NONE only exists so --fail-on low does not fire on clean surfaces.
        return "low" if self is Bucket.NONE else self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Bucket:
        return cls[text.upper()]


class ScopeKind(str, enum.Enum):
    USER_GLOBAL = "user_global"
    PROJECT = "project"
    APPLICATION = "application"
    MANAGED = "managed"


@dataclass(frozen=True, slots=True)
class Scope:
    """Where a surface applies: the user, a project root, an application, or managed policy."""

    kind: ScopeKind
    path: Path | None = None  # project root for PROJECT
    app: str | None = None  # application name for APPLICATION

    def wire(self, display: Any = None) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind.value}
        if self.kind is ScopeKind.PROJECT and self.path is not None:
            out["path"] = display(self.path) if display else str(self.path)
        if self.kind is ScopeKind.APPLICATION and self.app:
            out["app"] = self.app
        return out

    def sort_key(self) -> tuple[str, str, str]:
        return (self.kind.value, str(self.path or ""), self.app or "")


@dataclass(frozen=True, slots=True)
class SurfaceSpec:
    """One entry of the surface catalogue (rules/surfaces/*.yaml)."""

    id: str
    tool: str
    scope: ScopeKind
    format: str  # json | jsonc | toml | yaml | text | markdown
    role: str  # what the adapter should read it as: settings, mcp, instructions, ...
    app: str | None = None
    shared: bool = False  # committed to the repository (attacker-controllable on clone)
    track_only: bool = False  # hashed and change-tracked (state/watch), never assessed by a scan


@dataclass(frozen=True, slots=True)
class Candidate:
    """A file discovery decided to assess, with the surface it belongs to."""

    path: Path
    spec: SurfaceSpec
    scope: Scope
    explicit: bool = False  # named on the command line


@dataclass(frozen=True, slots=True)
class FileRead:
    """The outcome of a safe read: bytes and hash, or why not."""

    path: Path
    data: bytes | None
    blake3: str | None  # "blake3:<hex>"
    size: int | None
    error: str | None = None  # human message when data is None
    error_kind: str | None = None  # permission_missing | not_regular | too_large | missing | outside_root | io_error


@dataclass(frozen=True, slots=True)
class Position:
    line: int
    column: int = 1


@dataclass(slots=True)
class Document:
    """A parsed file: its value, and a way to find the line of any key path."""

    path: Path
    format: str
    value: Any
    text: str
    locate: Any = None  # Callable[[tuple[str | int, ...]], Position | None]
    notes: list[str] = field(default_factory=list)  # parse warnings worth showing (not errors)

    def position(self, key_path: tuple[str | int, ...]) -> Position | None:
        if self.locate is None:
            return None
        result: Position | None = self.locate(key_path)
        return result


@dataclass(frozen=True, slots=True)
class Fact:
    """A normalized guard fact an adapter derived from a native file (design.md §2)."""

    kind: str  # hook | mcp_server | permission_rule | permission_mode | sandbox | setting | instruction | document | file
    fields: dict[str, Any]
    file: Path
    key_path: tuple[str | int, ...] = ()
    line: int | None = None
    column: int | None = None
    # other places a rule may point at instead (rule `anchor: matcher`): name -> key path
    anchors: dict[str, tuple[str | int, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Reason:
    """One scored reason on a surface: a rule that fired on a fact."""

    kind: str  # reason kind (wire name), e.g. destructive_in_inline_command
    rule_id: str
    fields: dict[str, Any]
    file: Path
    line: int | None
    column: int | None
    key_path: tuple[str | int, ...]
    message: str
    severity: Bucket
    weight: float = 0.0
    contribution: float = 0.0
    group: str = ""  # rubric group key (kind, or kind with its variant)
    fingerprint: str = ""
    suppressed_by: str | None = None  # baseline | config | None


@dataclass(frozen=True, slots=True)
class SourceFile:
    path: Path
    blake3: str | None
    size: int | None
    role: str
    surface_id: str


@dataclass(slots=True)
class SurfaceAssessment:
    """Everything assessed for one (tool, scope): its files, reasons and score."""

    tool: str
    scope: Scope
    files: list[SourceFile] = field(default_factory=list)
    reasons: list[Reason] = field(default_factory=list)
    controls: list[Fact] = field(default_factory=list)  # managed settings reported, never scored
    score: float = 0.0
    bucket: Bucket = Bucket.NONE
    errors: list[str] = field(default_factory=list)


# problem kinds that mean the scan could not complete (exit code 2, SARIF executionSuccessful false)
INCOMPLETE_KINDS = ("permission_missing", "io_error", "missing", "walk_error", "config")


@dataclass(slots=True)
class ScanProblem:
    """A scan-level problem: something we could not assess (makes the scan incomplete)."""

    path: Path | None
    kind: str  # permission_missing | io_error | walk_error | config
    message: str


@dataclass(slots=True)
class ScanResult:
    roots: list[Path]
    home_mode: bool
    surfaces: list[SurfaceAssessment] = field(default_factory=list)
    problems: list[ScanProblem] = field(default_factory=list)
    files_seen: int = 0

    @property
    def highest(self) -> Bucket:
        return max((s.bucket for s in self.surfaces), default=Bucket.NONE)
