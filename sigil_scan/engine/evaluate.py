"""Evaluate the rule library over the facts of one (tool, scope) surface -> reasons.

Rules are data (dicts from rules/*.yaml); each is compiled once per Evaluator into a _Rule that
holds what every evaluation would otherwise re-derive: the tool/scope/role sets, the parsed
selector, each `where` condition as a tuple of (matcher function, argument) steps, the split
message and emit templates. The rules a (tool, scope kind) pair can reach are listed once.
Evaluation order, short-circuiting and captures are exactly those of the rule text: analysers
have side effects (a hook script is read and recorded when first asked about), so a compiled
rule asks the same questions in the same order as the interpreted one did.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sigil_scan.engine.analysers import PURE_ANALYSERS
from sigil_scan.engine.context import EvalContext
from sigil_scan.engine.matchers import ANALYSERS, MATCHERS, check
from sigil_scan.lazyre import LazyPattern
from sigil_scan.model import Bucket, Document, Fact, Reason
from sigil_scan.redact import redact

_PLACEHOLDER = LazyPattern(r"\{([A-Za-z0-9_.\-]+)\}")
_MEMO_TYPES = (str, int, float, bool, type(None))
# results of pure analysers shared by the surfaces of one scan (and of later scans in watch
# mode) are dropped past this many entries: bounded memory, whatever the scan size
_SHARED_MEMO_MAX = 20_000


# A plain slotted class, not a dataclass: `dataclasses` stays off the scan path.
class SurfaceInput:
    """One file of a surface, as the engine sees it."""

    __slots__ = ("path", "role", "surface_id", "shared", "document", "facts")

    def __init__(
        self,
        path: Path,
        role: str,
        surface_id: str,
        shared: bool,
        document: Document | None,
        facts: list[Fact] | None = None,
    ) -> None:
        self.path = path
        self.role = role
        self.surface_id = surface_id
        self.shared = shared
        self.document = document
        self.facts: list[Fact] = [] if facts is None else facts

    def __repr__(self) -> str:
        return f"SurfaceInput({self.path!r}, {self.role!r}, {self.surface_id!r}, facts={len(self.facts)})"


def _lookup(data: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


_SELECTOR_PART = LazyPattern(r'\["([^"]*)"\]|\.([^.\[]+)')


def _selector_keys(selector: str) -> tuple[str, ...]:
    """`$.a.b`, `$.a.*.c`, `$.a["x.y"]` -> the keys, `*` standing for every key or index."""
    return tuple(a or b for a, b in _SELECTOR_PART.findall(selector.removeprefix("$")))


def _select(value: Any, keys: tuple[str, ...]) -> list[tuple[tuple[str | int, ...], Any]]:
    """(key path, value) pairs a parsed selector reaches in a document value."""
    frontier: list[tuple[tuple[str | int, ...], Any]] = [((), value)]
    for key in keys:
        nxt: list[tuple[tuple[str | int, ...], Any]] = []
        for path, node in frontier:
            if key == "*":
                if isinstance(node, dict):
                    nxt.extend(((*path, k), v) for k, v in node.items())
                elif isinstance(node, list):
                    nxt.extend(((*path, i), v) for i, v in enumerate(node))
            elif isinstance(node, dict) and key in node:
                nxt.append(((*path, key), node[key]))
        frontier = nxt
    return frontier


def _document_facts(item: SurfaceInput, keys: tuple[str, ...]) -> list[Fact]:
    document = item.document
    if document is None:
        return []
    out = []
    for key_path, value in _select(document.value, keys):
        position = document.position(key_path)
        out.append(
            Fact(
                kind="document",
                fields={"key": key_path[-1] if key_path else "", "value": value, "path": list(key_path)},
                file=item.path,
                key_path=key_path,
                line=position.line if position else None,
                column=position.column if position else None,
            )
        )
    return out


# --- templates -------------------------------------------------------------------------------


class _Template:
    """An emit/message template, split once: a constant, one whole placeholder (the value itself,
    not its text), or literal text with placeholders (rendered to at most 300 characters)."""

    __slots__ = ("kind", "raw", "name", "parts", "_constant")

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.name = ""
        self.parts: tuple[tuple[str, str], ...] = ()
        self._constant: Any = None
        if not isinstance(raw, str):
            self.kind = 0  # not text: emitted as is
            return
        whole = _PLACEHOLDER.fullmatch(raw)
        if whole:
            self.kind, self.name = 1, whole.group(1)
            return
        pieces = _PLACEHOLDER.split(raw)  # literal, name, literal, name, ..., literal
        if len(pieces) == 1:
            self.kind = 2  # text without placeholders: rendered once, on first use
            return
        self.kind = 3
        self.parts = tuple((pieces[i], pieces[i + 1] if i + 1 < len(pieces) else "") for i in range(0, len(pieces), 2))

    def render(self, values: dict[str, Any]) -> Any:
        kind = self.kind
        if kind == 0:
            return self.raw
        if kind == 1:
            value = _lookup(values, self.name)
            return redact(value) if isinstance(value, str) else value
        if kind == 2:
            if self._constant is None:
                self._constant = redact(self.raw, limit=300)
            return self._constant
        out: list[str] = []
        for literal, name in self.parts:
            out.append(literal)
            if name:
                value = _lookup(values, name)
                if value is None:
                    continue
                if isinstance(value, (list, tuple)):
                    value = " ".join(str(v) for v in value)
                out.append(str(value))
        return redact("".join(out), limit=300)


def _render(template: Any, values: dict[str, Any]) -> Any:
    """Render one template (kept for callers outside the evaluator)."""
    return _Template(template).render(values)


# --- conditions ------------------------------------------------------------------------------

# a compiled condition: ((kind, function, argument, memo), ...) where memo is 0 (call every
# time), 1 (per-surface memo: the analyser reads the context) or 2 (shared memo: pure analyser)
Steps = tuple[tuple[str, Callable[[Any, Any, EvalContext], Any], Any, int], ...]


def _unknown(kind: str) -> Callable[[Any, Any, EvalContext], Any]:
    def fail(value: Any, arg: Any, ctx: EvalContext) -> Any:
        raise KeyError(kind)  # as the interpreted engine did, when the rule is first evaluated

    return fail


def _compile_condition(condition: dict[str, Any]) -> Steps:
    steps = []
    for kind, arg in condition.items():
        fn = MATCHERS.get(kind) or _unknown(kind)
        memo = (2 if kind in PURE_ANALYSERS else 1) if kind in ANALYSERS else 0
        steps.append((kind, fn, arg, memo))
    return tuple(steps)


class _Where:
    """A compiled `where` mapping: steps in rule order, each (tag, a, b, c):
    (0, getter mode, field name, Steps) a field condition; (1, alternatives, _, _) any-of;
    (2, alternatives, _, _) none-of; (3, getter mode, field name, raw condition) for a condition
    the compiler does not know (evaluated by matchers.check, as the interpreter did).
    Getter modes: 0 `surface.x`, 1 a plain field name, 2 a dotted path into the fields."""

    __slots__ = ("steps",)

    def __init__(self, where: Any) -> None:
        steps: list[tuple[int, Any, Any, Any]] = []
        for name, condition in (where or {}).items():
            if name == "any-of" or name == "none-of":
                alternatives = tuple(_Where(w) if w is None or isinstance(w, dict) else w for w in condition)
                steps.append((1 if name == "any-of" else 2, alternatives, None, None))
                continue
            if name.startswith("surface."):
                mode, field_name = 0, name.split(".", 1)[1]
            elif "." in name:
                mode, field_name = 2, name
            else:
                mode, field_name = 1, name
            if isinstance(condition, dict):
                steps.append((0, mode, field_name, _compile_condition(condition)))
            else:
                steps.append((3, mode, field_name, condition))
        self.steps = tuple(steps)

    def match(self, fact: Fact, item: SurfaceInput | None, ctx: EvalContext) -> dict[str, Any] | None:
        """The captures if every step holds (in rule order, stopping at the first that fails)."""
        captures: dict[str, Any] = {}
        for tag, a, name, conditions in self.steps:
            if tag == 1:
                hit = None
                for alternative in a:
                    hit = _match_any(alternative, fact, item, ctx)
                    if hit is not None:
                        break
                if hit is None:
                    return None
                captures.update(hit)
                continue
            if tag == 2:
                if any(_match_any(alternative, fact, item, ctx) is not None for alternative in a):
                    return None
                continue
            if a == 1:
                fields = fact.fields
                value = fields.get(name) if isinstance(fields, dict) else _lookup(fields, name)
            elif a == 2:
                value = _lookup(fact.fields, name)
            else:
                value = {"role": item.role, "shared": item.shared, "id": item.surface_id}.get(name) if item else None
            if tag == 3:
                result = check(value, conditions, ctx)
                if not result:
                    return None
                if isinstance(result, dict):
                    captures.update(result)
                continue
            # matchers.check, compiled: every matcher of the condition must hold
            for kind, fn, arg, memo in conditions:
                if not memo:
                    result = fn(value, arg, ctx)
                elif isinstance(value, _MEMO_TYPES):
                    # rule arguments live as long as the library, so id(arg) is a stable key
                    key: tuple[str, int, Any] = (kind, id(arg), value)
                    store = ctx.memo if memo == 1 else ctx.shared
                    if key in store:
                        result = store[key]
                    else:
                        result = store[key] = fn(value, arg, ctx)
                elif memo == 2 and type(value) is list and all(type(v) is str for v in value):
                    # argv lists (MCP launchers) repeat across surfaces, and a pure analyser's
                    # answer depends on the words only
                    key = (kind, id(arg), ("list", *value))
                    store = ctx.shared
                    if key in store:
                        result = store[key]
                    else:
                        result = store[key] = fn(value, arg, ctx)
                else:
                    result = fn(value, arg, ctx)
                if not result:
                    return None
                if isinstance(result, dict):
                    captures.update(result)
        return captures


def _match_any(where: Any, fact: Fact, item: SurfaceInput | None, ctx: EvalContext) -> dict[str, Any] | None:
    if isinstance(where, _Where):
        return where.match(fact, item, ctx)
    return _Where(where).match(fact, item, ctx)  # not a mapping: fails as the interpreter did


# --- rules -----------------------------------------------------------------------------------


class _Rule:
    """One rule, compiled in two steps: what selects it (kind, tools, scopes, roles) at once, the
    rest (selector, conditions, templates) the first time a surface has a fact it could match,
    so a one-file scan pays only for the rules its facts reach."""

    __slots__ = (
        "raw", "id", "fact", "reason", "tools", "scopes", "roles", "select", "where", "requires",
        "emit", "message", "dedupe", "anchor",
    )

    def __init__(self, rule: dict[str, Any]) -> None:
        self.raw = rule
        self.id: str = rule["id"]
        self.fact: str = rule["fact"]
        self.reason: str = rule["reason"]
        tools, scopes, roles = rule.get("tools"), rule.get("scopes"), rule.get("roles")
        self.tools = tuple(tools) if tools else None
        self.scopes = tuple(scopes) if scopes else None
        self.roles = tuple(roles) if roles else None
        self.where: _Where | None = None  # set by compile()
        self.select: tuple[str, ...] = ()
        self.requires: tuple[tuple[str, _Where], ...] = ()
        self.emit: tuple[tuple[str, _Template], ...] = ()
        self.message = _Template(None)
        self.dedupe: list[str] | None = None
        self.anchor: Any = ""

    def compile(self) -> _Where:
        rule = self.raw
        self.select = _selector_keys(rule["select"]) if self.fact == "document" else ()
        self.requires = tuple((need["fact"], _Where(need.get("where"))) for need in rule.get("requires") or [])
        self.emit = tuple((k, _Template(v)) for k, v in (rule.get("emit") or {}).items())
        self.message = _Template(rule.get("message", rule["title"]))
        self.dedupe = rule.get("dedupe")
        self.anchor = rule.get("anchor", "")
        where = self.where = _Where(rule.get("where"))  # last: `where` set means compiled
        return where

    def applies(self, tool: str, scope_kind: str) -> bool:
        if self.tools and tool not in self.tools:
            return False
        return not (self.scopes and scope_kind not in self.scopes)


Pair = tuple[Fact, "SurfaceInput | None"]


class Evaluator:
    def __init__(self, rules: list[dict[str, Any]], rubric: Any) -> None:
        self.rules = rules
        self.rubric = rubric
        self._compiled: list[_Rule] | None = None
        self._reachable: dict[tuple[str, str], list[_Rule]] = {}
        self._shared: dict[tuple[str, int, Any], Any] = {}
        self._shared_patterns: Any = None

    def _rules_for(self, tool: str, scope_kind: str) -> list[_Rule]:
        reachable = self._reachable.get((tool, scope_kind))
        if reachable is None:
            if self._compiled is None:
                self._compiled = [_Rule(rule) for rule in self.rules]
            reachable = self._reachable[(tool, scope_kind)] = [r for r in self._compiled if r.applies(tool, scope_kind)]
        return reachable

    def _shared_memo(self, patterns: Any) -> dict[tuple[str, int, Any], Any]:
        # pure analysers depend on the value, the rule argument and the pattern sets only
        if patterns is not self._shared_patterns or len(self._shared) > _SHARED_MEMO_MAX:
            self._shared = {}
            self._shared_patterns = patterns
        return self._shared

    def evaluate(self, inputs: list[SurfaceInput], ctx: EvalContext) -> list[Reason]:
        ctx.shared = self._shared_memo(ctx.patterns)
        by_file = {item.path: item for item in inputs}
        pairs_by_kind: dict[str, list[Pair]] = {}
        item_of: dict[int, SurfaceInput | None] = {}  # id(fact.file) -> its input (paths live through this call)
        for item in inputs:
            for f in item.facts:
                ident = id(f.file)
                if ident in item_of:
                    owner = item_of[ident]
                else:
                    owner = item_of[ident] = by_file.get(f.file)
                pairs = pairs_by_kind.get(f.kind)
                if pairs is None:
                    pairs_by_kind[f.kind] = [(f, owner)]
                else:
                    pairs.append((f, owner))
        reasons: list[Reason] = []
        for rule in self._rules_for(ctx.tool, ctx.scope_kind):
            if rule.fact == "document":
                if rule.where is None:
                    rule.compile()
                roles = rule.roles
                candidates = [
                    (f, by_file.get(f.file))
                    for item in inputs
                    if not roles or item.role in roles
                    for f in _document_facts(item, rule.select)
                ]
            else:
                found = pairs_by_kind.get(rule.fact)
                if not found:
                    continue
                candidates = found
                if rule.where is None:
                    rule.compile()
            self._apply(rule, candidates, pairs_by_kind, ctx, reasons)
        return reasons

    @staticmethod
    def _requires(rule: _Rule, pairs_by_kind: dict[str, list[Pair]], ctx: EvalContext) -> bool:
        for kind, where in rule.requires:
            if not any(where.match(f, owner, ctx) is not None for f, owner in pairs_by_kind.get(kind, ())):
                return False
        return True

    def _apply(self, rule: _Rule, candidates: list[Pair], pairs_by_kind: dict[str, list[Pair]], ctx: EvalContext, out: list[Reason]) -> None:
        """Append the reasons one rule gives on this surface to `out`."""
        roles = rule.roles
        where = rule.where or rule.compile()
        required: bool | None = None
        seen: set[tuple[Any, ...]] = set()
        for fact, item in candidates:
            if roles and (item is None or item.role not in roles):
                continue
            captures = where.match(fact, item, ctx)
            if captures is None:
                continue
            if required is None:
                required = self._requires(rule, pairs_by_kind, ctx)
            if not required:
                return
            values = {**fact.fields, "capture": captures, "file": str(fact.file)}
            fields = {k: template.render(values) for k, template in rule.emit}
            dedupe = rule.dedupe
            if dedupe is not None:
                key = tuple(repr(fields.get(k)) for k in dedupe)
                if key in seen:
                    continue
                seen.add(key)
            weight, _group = self.rubric.weight_of(rule.reason, fields)
            key_path, line, column = fact.key_path, fact.line, fact.column
            anchor = fact.anchors.get(rule.anchor)
            if anchor is not None and item is not None and item.document is not None:
                position = item.document.position(anchor)
                if position is not None:
                    key_path, line, column = anchor, position.line, position.column
            out.append(Reason(
                kind=rule.reason,
                rule_id=rule.id,
                fields=fields,
                file=fact.file,
                line=line,
                column=column,
                key_path=key_path,
                message=str(rule.message.render(values)),
                severity=self.rubric.severity(weight) if weight else Bucket.LOW,
            ))
