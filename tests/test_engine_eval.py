"""The compiled rule evaluator (engine/evaluate.py) on the rule shapes the library uses: field
paths, any-of / none-of, surface fields, requires, templates, dedupe, anchors; analyser results
shared across surfaces only where the answer cannot depend on the surface."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sigil_scan.engine.context import EvalContext
from sigil_scan.engine.evaluate import Evaluator, SurfaceInput
from sigil_scan.engine.library import load_library
from sigil_scan.model import Fact, Reason
from sigil_scan.parsers.jsonc import parse_json
from sigil_scan.rubric import Rubric

HOME = Path("/home/me")
LIB = load_library()


def _rule(rule_id: str, fact: str, where: Any, **extra: Any) -> dict[str, Any]:
    return {"id": rule_id, "title": f"title of {rule_id}", "reason": "broad_allow", "fact": fact, "where": where, **extra}


def _eval(rules: list[dict[str, Any]], inputs: list[SurfaceInput], *, tool: str = "claude_code", project: Path | None = Path("/work/app"), evaluator: Evaluator | None = None) -> list[Reason]:
    evaluator = evaluator or Evaluator(rules, Rubric(LIB.rubric))
    ctx = EvalContext(patterns=LIB.patterns, home=HOME, project_dir=project, tool=tool, scope_kind="project")
    return evaluator.evaluate(inputs, ctx)


def _input(*facts: Fact, path: Path = Path("/work/app/s.json"), role: str = "settings", document: Any = None) -> SurfaceInput:
    return SurfaceInput(path, role, "claude-project-settings", True, document, list(facts))


def _fact(kind: str, path: Path = Path("/work/app/s.json"), **fields: Any) -> Fact:
    return Fact(kind=kind, fields=fields, file=path, key_path=("k",), line=3, column=5)


def test_where_shapes() -> None:
    rules = [
        _rule("dotted", "x", {"a.b": {"equals": 1}}),
        _rule("list-index", "x", {"items.1": {"equals": "second"}}),
        _rule("any-of", "x", {"any-of": [{"a.b": {"equals": 2}}, {"name": {"regex": "^n(.)"}}]}, message="{capture.match}"),
        _rule("none-of", "x", {"name": {"exists": True}, "none-of": [{"name": {"equals": "n1"}}]}),
        _rule("surface", "x", {"surface.role": {"equals": "settings"}, "surface.shared": {"equals": True}}),
        _rule("missing-field", "x", {"nope": {"exists": False}}),
        _rule("no-where", "x", None),
        _rule("tool-filtered", "x", None, tools=["codex"]),
        _rule("role-filtered", "x", None, roles=["mcp"]),
        _rule("absent-kind", "y", None),
    ]
    fact = _fact("x", a={"b": 1}, items=["first", "second"], name="n1")
    fired = [r.rule_id for r in _eval(rules, [_input(fact)])]
    assert fired == ["dotted", "list-index", "any-of", "surface", "missing-field", "no-where"]
    assert _eval(rules, [_input(fact)])[2].message == "n1"


def test_requires_dedupe_and_templates() -> None:
    rules = [
        _rule("needs", "x", None, requires=[{"fact": "y", "where": {"on": {"equals": True}}}]),
        _rule("needs-missing", "x", None, requires=[{"fact": "y", "where": {"on": {"equals": False}}}]),
        _rule("dedupe", "x", None, dedupe=["v"], emit={"v": "{group}"}),
        _rule("render", "x", None, emit={"whole": "{items}", "text": "items: {items}, none: {nothing}.", "const": 7, "plain": "fixed"},
              message="in {file}"),
    ]
    facts = [_fact("x", group="g", items=["a", "b"]), _fact("x", group="g", items=["c"]), _fact("y", on=True)]
    reasons = _eval(rules, [_input(*facts)])
    assert [r.rule_id for r in reasons] == ["needs", "needs", "dedupe", "render", "render"]
    render = reasons[3]
    assert render.fields == {"whole": ["a", "b"], "text": "items: a b, none: .", "const": 7, "plain": "fixed"}
    assert render.message == "in /work/app/s.json"
    assert (render.line, render.column, render.key_path) == (3, 5, ("k",))


def test_anchor_and_document_rules() -> None:
    text = '{\n  "hooks": {\n    "matcher": "*"\n  },\n  "enableAllProjectMcpServers": true\n}'
    path = Path("/work/app/.claude/settings.json")
    document = parse_json(path, text)
    fact = Fact(kind="hook", fields={"matcher": "*"}, file=path, key_path=("hooks",), line=2, column=3,
                anchors={"matcher": ("hooks", "matcher")})
    rules = [
        _rule("anchored", "hook", None, anchor="matcher"),
        _rule("doc", "document", {"value": {"equals": True}}, select="$.enableAllProjectMcpServers", emit={"key": "{key}"}),
        _rule("doc-wild", "document", None, select='$.hooks.*'),
        _rule("doc-other-role", "document", None, select="$.hooks", roles=["mcp"]),
    ]
    reasons = _eval(rules, [_input(fact, path=path, document=document)])
    assert [(r.rule_id, r.line, r.key_path) for r in reasons] == [
        ("anchored", 3, ("hooks", "matcher")),
        ("doc", 5, ("enableAllProjectMcpServers",)),
        ("doc-wild", 3, ("hooks", "matcher")),
    ]
    assert reasons[1].fields == {"key": "enableAllProjectMcpServers"}


def test_unknown_matcher_fails_only_when_evaluated() -> None:
    rules = [_rule("bad", "never-present", {"v": {"no-such-matcher": 1}}), _rule("ok", "x", None)]
    evaluator = Evaluator(rules, Rubric(LIB.rubric))
    assert [r.rule_id for r in _eval(rules, [_input(_fact("x"))], evaluator=evaluator)] == ["ok"]
    with pytest.raises(KeyError):
        _eval(rules, [_input(_fact("never-present", v=1))], evaluator=evaluator)


def test_shared_results_only_for_surface_independent_analysers() -> None:
    """One evaluator, two surfaces: the answer of a project-dependent analyser is recomputed
    per surface, while a pure one (shell-executes) is computed once and reused."""
    rules = [
        _rule("local", "mcp_server", {"command_line": {"launch-unreviewed": True}}, emit={"program": "{capture.program}"}),
        _rule("destructive", "mcp_server", {"command_line": {"shell-executes": "destructive"}}),
    ]
    evaluator = Evaluator(rules, Rubric(LIB.rubric))
    command = "/work/app/bin/server --serve"
    fact_a = _fact("mcp_server", Path("/work/app/.mcp.json"), command_line=command)
    fact_b = _fact("mcp_server", Path("/work/other/.mcp.json"), command_line=command)
    inside = _eval(rules, [_input(fact_a, path=Path("/work/app/.mcp.json"))], evaluator=evaluator, project=Path("/work/app"))
    outside = _eval(rules, [_input(fact_b, path=Path("/work/other/.mcp.json"))], evaluator=evaluator, project=Path("/work/other"))
    assert [r.rule_id for r in inside] == []  # shipped in its own project
    assert [(r.rule_id, r.fields) for r in outside] == [("local", {"program": "/work/app/bin/server"})]
    rm = "rm -rf ~"
    first = _eval(rules, [_input(_fact("mcp_server", command_line=rm))], evaluator=evaluator)
    shared = [k for k in evaluator._shared if k[0] in ("shell-executes", "shell-hits")]
    second = _eval(rules, [_input(_fact("mcp_server", command_line=rm))], evaluator=evaluator, project=Path("/elsewhere"))
    assert [r.rule_id for r in first] == [r.rule_id for r in second] == ["local", "destructive"]
    assert shared and [k for k in evaluator._shared if k[0] in ("shell-executes", "shell-hits")] == shared


def test_library_rules_compile() -> None:
    """Every bundled rule compiles (a rule the compiler mishandled would fail here, not in a scan)."""
    evaluator = Evaluator(LIB.rules, Rubric(LIB.rubric))
    for tool in {s.spec.tool for s in LIB.surfaces}:
        for scope in ("project", "user_global", "managed"):
            reachable = evaluator._rules_for(tool, scope)
            assert all(r.applies(tool, scope) for r in reachable)
    assert evaluator._compiled is not None and len(evaluator._compiled) == len(LIB.rules)
    for rule in evaluator._compiled:
        where = rule.compile()
        assert where.steps or not rule.raw.get("where")
        assert rule.message.raw == rule.raw.get("message", rule.raw["title"])
