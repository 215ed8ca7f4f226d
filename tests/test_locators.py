"""Key-path -> line/column locators of the JSON, JSONC, TOML and YAML parsers.

SARIF regions (and every `file:line` we print) come from here, so the line must be the one of the
offending key or value: a table of tricky layouts, properties over generated documents, and
arbitrary text that must never crash or hang a locator.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sigil_scan.parsers import jsonc as jsonc_parser
from sigil_scan.parsers import parse
from sigil_scan.parsers import toml as toml_parser


def where(text: str, fmt: str, key: tuple[Any, ...]) -> tuple[int, int]:
    document, _ = parse(Path("x"), text.encode(), fmt)
    position = document.position(key)
    assert position is not None
    return position.line, position.column


TOML = '''# comment with "servers" = 1
approval = "never"
notes = """
[servers.fake]
command = "rm"
"""
literal = \'\'\'
[also.fake]
\'\'\'

[servers.fs]
command = "npx"   # trailing comment
args = [
  "-y",   # a comment inside the array
  "@acme/fs",
  [1, 2],
]
env = { TOKEN = "x", nested = { deep = [true, false] } }

[servers."dotted.name"]
"quoted key" = 1
dotted.sub.key = 2

[[hooks]]
event = "a"
[hooks.options]
level = 1
[[hooks]]
event = "b"

[servers."\\u00fc"]
command = "ü"
'''

YAML = """\
# comment
approval: always
defaults: &base
  command: npx
  args: ["-y", "@acme/base"]
servers:
  one:
    <<: *base
    args: [override]
  two:
    command: bunx
    args:
      - -y
      - "@acme/two"
  three: {command: flow, args: [a, b]}
on: yes
2: number key
multi: |
  line one
  line two
after: x
approval: never
"""


@pytest.mark.parametrize(
    ("fmt", "text", "key", "expected"),
    (
        # JSON: duplicate keys resolve to the last one, as json.loads keeps the last value
        ("json", '{"a": 1,\n "b": {"c": [1,\n 2]},\n "a": 2}', ("a",), (4, 2)),
        ("json", '{"a": 1,\n "b": {"c": [1,\n 2]},\n "a": 2}', ("b", "c", 1), (3, 2)),
        ("json", '{"k\\"ey": 1, "x\\u00fc": {"y": 2}}', ("xü", "y"), (1, 26)),
        ("json", '{"a": "}{][,:", "b": 1}', ("b",), (1, 17)),
        ("json", '[{"a": 1}, {"a": 2}]', (1, "a"), (1, 13)),
        # JSONC: comments and trailing commas never shift anything
        ("jsonc", '// {"a": 0}\n{\n  /* "a": 1,\n  */ "a": 2, // "a"\n  "b": [1, 2,],\n}', ("a",), (4, 6)),
        ("jsonc", '// {"a": 0}\n{\n  /* "a": 1,\n  */ "a": 2, // "a"\n  "b": [1, 2,],\n}', ("b", 1), (5, 12)),
        ("jsonc", '{"url": "http://x//y", "b": 1}', ("b",), (1, 24)),
        # TOML
        ("toml", TOML, ("approval",), (2, 1)),
        ("toml", TOML, ("servers", "fs", "command"), (12, 1)),
        ("toml", TOML, ("servers", "fs", "args", 1), (15, 3)),
        ("toml", TOML, ("servers", "fs", "args", 2, 1), (16, 7)),
        ("toml", TOML, ("servers", "fs", "env", "nested", "deep", 1), (18, 47)),
        ("toml", TOML, ("servers", "dotted.name", "quoted key"), (21, 1)),
        ("toml", TOML, ("servers", "dotted.name", "dotted", "sub", "key"), (22, 1)),
        ("toml", TOML, ("hooks", 0, "options", "level"), (27, 1)),
        ("toml", TOML, ("hooks", 1, "event"), (29, 1)),
        ("toml", TOML, ("hooks", 1), (28, 1)),
        ("toml", TOML, ("servers", "ü", "command"), (32, 1)),
        ("toml", TOML, ("servers", "fs", "missing"), (11, 1)),  # a missing key: its table
        # YAML: duplicate keys (last wins), merge keys, flow collections, typed keys
        ("yaml", YAML, ("approval",), (22, 1)),
        ("yaml", YAML, ("servers", "one", "command"), (4, 3)),  # merged: where it is written
        ("yaml", YAML, ("servers", "one", "args"), (9, 5)),  # explicit beats merged
        ("yaml", YAML, ("servers", "two", "args", 1), (14, 9)),
        ("yaml", YAML, ("servers", "three", "args", 1), (15, 36)),
        ("yaml", YAML, (True,), (16, 1)),
        ("yaml", YAML, (2,), (17, 1)),
        ("yaml", YAML, ("after",), (21, 1)),
        # YAML breaks lines at NEL / LS / PS too; editors and GitHub count newlines only
        ("yaml", 'a: "x\u2028y\u0085z\u2029"\nb: 1\n', ("b",), (2, 1)),
        ("yaml", "a: é😀\nb: [1, 😀, 3]\n", ("b", 2), (2, 11)),  # columns in code points
    ),
)
def test_exact_positions(fmt: str, text: str, key: tuple[Any, ...], expected: tuple[int, int]) -> None:
    assert where(text, fmt, key) == expected


KEYS = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=8)
SCALARS = st.one_of(st.integers(-1000, 1000), st.booleans(), st.text(max_size=10))
TREES = st.recursive(SCALARS, lambda kids: st.one_of(st.lists(kids, max_size=4), st.dictionaries(KEYS, kids, max_size=4)), max_leaves=25)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    out = []
    if isinstance(value, dict):
        for k, v in value.items():
            out.append(((*prefix, k), v))
            out.extend(_paths(v, (*prefix, k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.append(((*prefix, i), v))
            out.extend(_paths(v, (*prefix, i)))
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=st.dictionaries(KEYS, TREES, max_size=5), indent=st.sampled_from([None, 1, 2, 4]))
def test_json_key_lines_property(tree: dict[str, Any], indent: int | None) -> None:
    text = json.dumps(tree, indent=indent, ensure_ascii=False)
    lines = text.split("\n")
    document, _ = parse(Path("x"), text.encode(), "json")
    for path, value in _paths(tree):
        position = document.position(path)
        assert position is not None
        line = lines[position.line - 1]
        token = json.dumps(path[-1], ensure_ascii=False) + ":" if isinstance(path[-1], str) else None
        if token is not None:  # a key: its own text starts at the column
            assert line[position.column - 1 :].startswith(token), (path, line)
        elif not isinstance(value, (dict, list)):  # an array item: its value starts there
            assert line[position.column - 1 :].startswith(json.dumps(value, ensure_ascii=False)), (path, line)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=st.dictionaries(st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True), TREES, max_size=5), flow=st.booleans())
def test_yaml_key_lines_property(tree: dict[str, Any], flow: bool) -> None:
    text = yaml.safe_dump(tree, default_flow_style=flow, allow_unicode=True, width=10_000)
    lines = text.split("\n")
    document, _ = parse(Path("x"), text.encode(), "yaml")
    for path, _value in _paths(tree):
        position = document.position(path)
        assert position is not None
        key = path[-1]
        if isinstance(key, str) and re.fullmatch(r"[a-z][a-z0-9_]*", key) and key not in ("y", "n", "yes", "no", "on", "off", "true", "false", "null"):
            line = lines[position.line - 1]
            assert line[position.column - 1 :].startswith(key), (path, line)


def _key(key: str) -> str:
    return json.dumps(key, ensure_ascii=False)  # a TOML basic string (no control characters here)


def _toml(tree: dict[str, Any], prefix: str = "") -> str:
    """A TOML writer for the property test: tables as headers, lists as multi-line arrays."""
    scalars = [(k, v) for k, v in tree.items() if not isinstance(v, dict)]
    tables = [(k, v) for k, v in tree.items() if isinstance(v, dict)]
    out = [f"[{prefix}]"] if prefix else []
    for k, v in scalars:
        if isinstance(v, list):
            out.append(f"{_key(k)} = [")
            out.extend(f"  {json.dumps(item)}," for item in v)
            out.append("]")
        else:
            out.append(f"{_key(k)} = {json.dumps(v)}")
    for k, v in tables:
        out.append(_toml(v, f"{prefix}.{_key(k)}" if prefix else _key(k)))
    return "\n".join(out)


TOML_SCALARS = st.one_of(st.integers(-1000, 1000), st.booleans(), st.text(alphabet=st.characters(codec="ascii", exclude_categories=("Cc",)), max_size=8))
TOML_TREES = st.recursive(
    st.one_of(TOML_SCALARS, st.lists(TOML_SCALARS, max_size=4)),
    lambda kids: st.dictionaries(KEYS, kids, max_size=4),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=st.dictionaries(KEYS, TOML_TREES, max_size=5))
def test_toml_key_lines_property(tree: dict[str, Any]) -> None:
    text = _toml(tree) + "\n"
    lines = text.split("\n")
    document, _ = parse(Path("x"), text.encode(), "toml")
    assert document.value == tree
    for path, value in _paths(tree):
        position = document.position(path)
        assert position is not None
        line = lines[position.line - 1]
        if isinstance(path[-1], int):
            assert line.strip() == json.dumps(value) + ",", (path, line)
        elif not isinstance(value, dict):
            assert line.startswith(_key(path[-1]) + " = "), (path, line)
        else:
            assert line.startswith("[") and line.endswith(_key(path[-1]) + "]"), (path, line)


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list('[]{}"\'=,.#\n ab1\\')), max_size=200))
def test_locators_never_fail_on_any_text(text: str) -> None:
    # the locators run on text the parsers accepted; still, no input may crash or hang them
    assert isinstance(toml_parser._index(text), dict)
    assert isinstance(jsonc_parser._index(jsonc_parser.strip_jsonc(text)), dict)


def test_deep_toml_nesting_is_bounded() -> None:
    text = "a = " + "[" * 300 + "]" * 300 + "\n"
    document, _ = parse(Path("x"), text.encode(), "toml")
    assert document.position(("a",) + (0,) * 299) is not None
