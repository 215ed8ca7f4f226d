"""Values that flow through the pipeline. Frozen where they are results; no I/O here.

Frozen records are `typing.NamedTuple` classes and mutable ones plain `__slots__` classes, not
dataclasses: `import dataclasses` pulls in `inspect` (~8 ms) and every @dataclass costs ~0.7 ms
of code generation at import, on every `sigil scan`. A NamedTuple differs from a frozen dataclass
in two ways worth knowing: it is a tuple (it compares equal to a plain tuple of the same values,
iterates, and json.dumps writes it as a list), and `dataclasses.replace(x, a=1)` is `x._replace(a=1)`.

No `from __future__ import annotations` here, unlike the rest of the package: NamedTuple turns
string annotations into typing.ForwardRef objects one field at a time (~0.7 ms of every run);
evaluated annotations cost nothing. Only `Bucket.parse` needs a quoted forward reference.
"""

import enum
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple


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
    def parse(cls, text: str) -> "Bucket":
        return cls[text.upper()]


class ScopeKind(str, enum.Enum):
    USER_GLOBAL = "user_global"
    PROJECT = "project"
    APPLICATION = "application"
    MANAGED = "managed"


class Scope(NamedTuple):
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


class SurfaceSpec(NamedTuple):
    """One entry of the surface catalogue (rules/surfaces/*.yaml)."""

    id: str
    tool: str
    scope: ScopeKind
    format: str  # json | jsonc | toml | yaml | text | markdown
    role: str  # what the adapter should read it as: settings, mcp, instructions, ...
    app: str | None = None
    shared: bool = False  # committed to the repository (attacker-controllable on clone)
    track_only: bool = False  # hashed and change-tracked (state/watch), never assessed by a scan


class Candidate(NamedTuple):
    """A file discovery decided to assess, with the surface it belongs to."""

    path: Path
    spec: SurfaceSpec
    scope: Scope
    explicit: bool = False  # named on the command line


class FileRead(NamedTuple):
    """The outcome of a safe read: bytes and hash, or why not."""

    path: Path
    data: bytes | None
    blake3: str | None  # "blake3:<hex>"
    size: int | None
    error: str | None = None  # human message when data is None
    error_kind: str | None = None  # permission_missing | not_regular | too_large | missing | outside_root | io_error


class Position(NamedTuple):
    line: int
    column: int = 1


class Document:
    """A parsed file: its value, and a way to find the line of any key path."""

    __slots__ = ("path", "format", "value", "text", "locate", "notes")

    def __init__(
        self,
        path: Path,
        format: str,
        value: Any,
        text: str,
        locate: Any = None,  # Callable[[tuple[str | int, ...]], Position | None]
        notes: list[str] | None = None,  # parse warnings worth showing (not errors)
    ) -> None:
        self.path = path
        self.format = format
        self.value = value
        self.text = text
        self.locate = locate
        self.notes: list[str] = [] if notes is None else notes

    def position(self, key_path: tuple[str | int, ...]) -> Position | None:
        if self.locate is None:
            return None
        result: Position | None = self.locate(key_path)
        return result


class Fact(NamedTuple):
    """A normalized guard fact an adapter derived from a native file (design.md §2)."""

    kind: str  # hook | mcp_server | permission_rule | permission_mode | sandbox | setting | instruction | document | file
    fields: dict[str, Any]
    file: Path
    key_path: tuple[str | int, ...] = ()
    line: int | None = None
    column: int | None = None
    # other places a rule may point at instead (rule `anchor: matcher`): name -> key path. Shared
    # and read-only when empty; an adapter passes its own mapping (or uses _replace) to set one.
    anchors: Mapping[str, tuple[str | int, ...]] = MappingProxyType({})


class Reason(NamedTuple):
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


class SourceFile(NamedTuple):
    path: Path
    blake3: str | None
    size: int | None
    role: str
    surface_id: str


class SurfaceAssessment:
    """Everything assessed for one (tool, scope): its files, reasons and score."""

    __slots__ = ("tool", "scope", "files", "reasons", "controls", "score", "bucket", "errors")

    def __init__(
        self,
        tool: str,
        scope: Scope,
        files: list[SourceFile] | None = None,
        reasons: list[Reason] | None = None,
        controls: list[Fact] | None = None,  # managed settings reported, never scored
        score: float = 0.0,
        bucket: Bucket = Bucket.NONE,
        errors: list[str] | None = None,
    ) -> None:
        self.tool = tool
        self.scope = scope
        self.files: list[SourceFile] = [] if files is None else files
        self.reasons: list[Reason] = [] if reasons is None else reasons
        self.controls: list[Fact] = [] if controls is None else controls
        self.score = score
        self.bucket = bucket
        self.errors: list[str] = [] if errors is None else errors


# problem kinds that mean the scan could not complete (exit code 2, SARIF executionSuccessful false)
INCOMPLETE_KINDS = ("permission_missing", "io_error", "missing", "walk_error", "config")


class ScanProblem:
    """A scan-level problem: something we could not assess (makes the scan incomplete)."""

    __slots__ = ("path", "kind", "message")

    def __init__(self, path: Path | None, kind: str, message: str) -> None:
        self.path = path
        self.kind = kind  # permission_missing | io_error | walk_error | config
        self.message = message


class ScanResult:
    __slots__ = ("roots", "home_mode", "surfaces", "problems", "files_seen")

    def __init__(
        self,
        roots: list[Path],
        home_mode: bool,
        surfaces: list[SurfaceAssessment] | None = None,
        problems: list[ScanProblem] | None = None,
        files_seen: int = 0,
    ) -> None:
        self.roots = roots
        self.home_mode = home_mode
        self.surfaces: list[SurfaceAssessment] = [] if surfaces is None else surfaces
        self.problems: list[ScanProblem] = [] if problems is None else problems
        self.files_seen = files_seen

    @property
    def highest(self) -> Bucket:
        return max((s.bucket for s in self.surfaces), default=Bucket.NONE)
