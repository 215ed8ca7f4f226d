"""The rule library is data: every file validates against its schema, ids are unique and match
file names, every reason kind has a weight, and every rule's own examples hold."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from conftest import REPO

from sigil_scan.engine.library import load_library
from sigil_scan.ruletest import run_example

RULE_FILES = sorted((REPO / "rules" / "rules").rglob("*.yaml"))
LIBRARY = load_library()


def _validator(name: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((REPO / "schemas" / f"{name}.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.stem)
def test_rule_file_is_valid(path: Path) -> None:
    doc = yaml.safe_load(path.read_text())
    _validator("rule").validate(doc)
    assert doc["id"] == path.stem, "a rule's id is its file name"


def test_rule_ids_unique() -> None:
    ids = [yaml.safe_load(p.read_text())["id"] for p in RULE_FILES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("path", sorted((REPO / "rules" / "surfaces").glob("*.yaml")), ids=lambda p: p.stem)
def test_surface_file_is_valid(path: Path) -> None:
    _validator("surfaces").validate(yaml.safe_load(path.read_text()))


def test_surface_ids_unique() -> None:
    ids = [s.spec.id for s in LIBRARY.surfaces]
    assert len(ids) == len(set(ids))


def test_every_reason_kind_has_a_weight_and_why() -> None:
    weights = LIBRARY.rubric["weights"]
    for rule in LIBRARY.rules:
        assert rule["reason"] in weights, f"{rule['id']}: reason {rule['reason']} has no weight in rubric.yaml"
    for kind, spec in weights.items():
        assert spec.get("why"), f"{kind} has no one-line justification"


def test_rubric_is_valid() -> None:
    _validator("rubric").validate(yaml.safe_load((REPO / "rules" / "rubric.yaml").read_text()))


EXAMPLES = [(rule, ex) for rule in LIBRARY.rules for ex in rule["examples"]]


@pytest.mark.parametrize(("rule", "example"), EXAMPLES, ids=[f"{r['id']}:{e.get('name', e['expect'])}" for r, e in EXAMPLES])
def test_rule_example(rule: dict, example: dict) -> None:
    result = run_example(LIBRARY, rule, example)
    assert result.passed, result.detail


def test_every_rule_has_both_kinds_of_example() -> None:
    for rule in LIBRARY.rules:
        expects = {e["expect"] for e in rule["examples"]}
        if rule["id"] == "permission-missing":
            continue  # cannot be expressed as a file (see tests/test_cli.py for the real case)
        assert expects == {"match", "no-match"}, rule["id"]
