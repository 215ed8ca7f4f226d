"""Evaluate the rule library over the facts of one (tool, scope) surface -> reasons."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sigil_scan.engine.context import EvalContext
from sigil_scan.engine.matchers import check
from sigil_scan.model import Bucket, Document, Fact, Reason
from sigil_scan.redact import redact

_PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_.\-]+)\}")


@dataclass(slots=True)
class SurfaceInput:
    """One file of a surface, as the engine sees it."""

    path: Path
    role: str
    surface_id: str
    shared: bool
    document: Document | None
    facts: list[Fact] = field(default_factory=list)


def _lookup(data: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


def _select(value: Any, selector: str) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    """`$.a.b`, `$.a.*.c`, `$.a["x.y"]` over a document value: (key path, value) pairs."""
    parts: list[tuple[str, str]] = re.findall(r'\["([^"]*)"\]|\.([^.\[]+)', selector.removeprefix("$"))
    keys = [a or b for a, b in parts]
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
    yield from frontier


def _document_facts(item: SurfaceInput, selector: str) -> list[Fact]:
    if item.document is None:
        return []
    out = []
    for key_path, value in _select(item.document.value, selector):
        position = item.document.position(key_path)
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


def _render(template: Any, values: dict[str, Any]) -> Any:
    if not isinstance(template, str):
        return template
    whole = _PLACEHOLDER.fullmatch(template)
    if whole:
        value = _lookup(values, whole.group(1))
        return redact(value) if isinstance(value, str) else value

    def one(m: re.Match[str]) -> str:
        value = _lookup(values, m.group(1))
        if value is None:
            return ""
        if isinstance(value, (list, tuple)):
            value = " ".join(str(v) for v in value)
        return str(value)

    return redact(_PLACEHOLDER.sub(one, template), limit=300)


class Evaluator:
    def __init__(self, rules: list[dict[str, Any]], rubric: Any) -> None:
        self.rules = rules
        self.rubric = rubric

    def evaluate(self, inputs: list[SurfaceInput], ctx: EvalContext) -> list[Reason]:
        by_file = {item.path: item for item in inputs}
        facts_by_kind: dict[str, list[Fact]] = {}
        for item in inputs:
            for f in item.facts:
                facts_by_kind.setdefault(f.kind, []).append(f)
        reasons: list[Reason] = []
        for rule in self.rules:
            if rule["fact"] != "document" and rule["fact"] not in facts_by_kind:
                continue
            if not self._applies(rule, ctx):
                continue
            reasons.extend(self._apply(rule, inputs, by_file, facts_by_kind, ctx))
        return reasons

    @staticmethod
    def _applies(rule: dict[str, Any], ctx: EvalContext) -> bool:
        tools = rule.get("tools")
        if tools and ctx.tool not in tools:
            return False
        scopes = rule.get("scopes")
        return not (scopes and ctx.scope_kind not in scopes)

    def _candidates(self, rule: dict[str, Any], inputs: list[SurfaceInput], facts_by_kind: dict[str, list[Fact]]) -> list[Fact]:
        if rule["fact"] == "document":
            roles = rule.get("roles")
            return [f for item in inputs if not roles or item.role in roles for f in _document_facts(item, rule["select"])]
        return facts_by_kind.get(rule["fact"], [])

    def _where(self, fact: Fact, where: dict[str, Any], item: SurfaceInput | None, ctx: EvalContext) -> dict[str, Any] | None:
        captures: dict[str, Any] = {}
        for name, condition in (where or {}).items():
            if name == "any-of":
                hit = next((c for c in (self._where(fact, w, item, ctx) for w in condition) if c is not None), None)
                if hit is None:
                    return None
                captures.update(hit)
                continue
            if name == "none-of":
                if any(self._where(fact, w, item, ctx) is not None for w in condition):
                    return None
                continue
            value = self._field(fact, name, item)
            result = check(value, condition, ctx)
            if not result:
                return None
            if isinstance(result, dict):
                captures.update(result)
        return captures

    @staticmethod
    def _field(fact: Fact, name: str, item: SurfaceInput | None) -> Any:
        if name.startswith("surface."):
            attr = name.split(".", 1)[1]
            return {"role": item.role, "shared": item.shared, "id": item.surface_id}.get(attr) if item else None
        return _lookup(fact.fields, name)

    def _requires(self, rule: dict[str, Any], by_file: dict[Path, SurfaceInput], facts_by_kind: dict[str, list[Fact]], ctx: EvalContext) -> bool:
        for need in rule.get("requires") or []:
            pool = facts_by_kind.get(need["fact"], [])
            if not any(self._where(f, need.get("where") or {}, by_file.get(f.file), ctx) is not None for f in pool):
                return False
        return True

    def _apply(
        self,
        rule: dict[str, Any],
        inputs: list[SurfaceInput],
        by_file: dict[Path, SurfaceInput],
        facts_by_kind: dict[str, list[Fact]],
        ctx: EvalContext,
    ) -> Iterator[Reason]:
        roles = rule.get("roles")
        required: bool | None = None
        seen: set[tuple[Any, ...]] = set()
        for fact in self._candidates(rule, inputs, facts_by_kind):
            item = by_file.get(fact.file)
            if roles and (item is None or item.role not in roles):
                continue
            captures = self._where(fact, rule.get("where") or {}, item, ctx)
            if captures is None:
                continue
            if required is None:
                required = self._requires(rule, by_file, facts_by_kind, ctx)
            if not required:
                return
            values = {**fact.fields, "capture": captures, "file": str(fact.file)}
            fields = {k: _render(v, values) for k, v in (rule.get("emit") or {}).items()}
            dedupe = rule.get("dedupe")
            if dedupe is not None:
                key = tuple(repr(fields.get(k)) for k in dedupe)
                if key in seen:
                    continue
                seen.add(key)
            weight, _group = self.rubric.weight_of(rule["reason"], fields)
            key_path, line, column = fact.key_path, fact.line, fact.column
            anchor = fact.anchors.get(rule.get("anchor", ""))
            if anchor is not None and item is not None and item.document is not None:
                position = item.document.position(anchor)
                if position is not None:
                    key_path, line, column = anchor, position.line, position.column
            yield Reason(
                kind=rule["reason"],
                rule_id=rule["id"],
                fields=fields,
                file=fact.file,
                line=line,
                column=column,
                key_path=key_path,
                message=str(_render(rule.get("message", rule["title"]), values)),
                severity=self.rubric.severity(weight) if weight else Bucket.LOW,
            )
