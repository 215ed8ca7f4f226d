"""Parsers: values, exact key lines, and bad input turned into ParseError (never a crash)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sigil_scan.parsers import ParseError, parse

P = Path("x")


def _doc(text: str, fmt: str):
    document, _ = parse(P, text.encode(), fmt)
    return document


@pytest.mark.parametrize(
    ("text", "key", "line", "column"),
    (
        ('{\n  "a": {\n    "b": [1, {"c": 2}]\n  }\n}', ("a", "b", 1, "c"), 3, 15),
        ('// top\n{\n  /* x */ "a": 1, // y\n  "b": 2,\n}', ("b",), 4, 3),
        ('{"a": "http://x//y", "b": [\n  "q",\n  "r"\n]}', ("b", 1), 3, 3),
        ('{"a": {}}', ("a", "missing"), 1, 2),
    ),
)
def test_jsonc_lines(text: str, key: tuple, line: int, column: int) -> None:
    position = _doc(text, "jsonc").position(key)
    assert (position.line, position.column) == (line, column)


def test_jsonc_keeps_strings_with_comment_markers() -> None:
    assert _doc('{"u": "https://a.b/c", "v": "/* no */",}', "jsonc").value == {"u": "https://a.b/c", "v": "/* no */"}


def test_strict_json_with_comment_is_read_with_a_note() -> None:
    document = _doc('{"a": 1, // c\n}', "json")
    assert document.value == {"a": 1}
    assert document.notes and "not valid JSON" in document.notes[0]


def test_broken_json_reports_line() -> None:
    with pytest.raises(ParseError) as info:
        _doc('{\n  "a": 1\n  "b": 2\n}', "jsonc")
    assert info.value.line == 3


def test_toml_lines() -> None:
    text = 'model = "x"\napproval_policy = "never"\n\n[mcp_servers.fs]\ncommand = "npx"\nargs = ["-y", "pkg"]\n\n[profiles.yolo]\nsandbox_mode = "danger-full-access"\n'
    document = _doc(text, "toml")
    assert document.value["mcp_servers"]["fs"]["command"] == "npx"
    assert document.position(("approval_policy",)).line == 2
    assert document.position(("mcp_servers", "fs", "args")).line == 6
    assert document.position(("profiles", "yolo", "sandbox_mode")).line == 9


def test_yaml_lines_and_bomb() -> None:
    document = _doc("a:\n  b:\n    - 1\n    - c: 2\n", "yaml")
    assert document.position(("a", "b", 1, "c")).line == 4
    bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n' + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
    )
    with pytest.raises(ParseError, match="alias expansion"):
        _doc(bomb, "yaml")


def test_deep_nesting_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        _doc("[" * 100_000 + "]" * 100_000, "jsonc")


@pytest.mark.parametrize(
    ("data", "value", "warning"),
    (
        (b'\xef\xbb\xbf{"a": 1}', {"a": 1}, None),
        ('{"a": "é"}'.encode("utf-16"), {"a": "é"}, "UTF-16"),
        (b'{"a": "\xff"}', {"a": "\ufffd"}, "invalid UTF-8"),
    ),
)
def test_encodings(data: bytes, value: dict, warning: str | None) -> None:
    document, warnings = parse(P, data, "jsonc")
    assert document.value == value
    assert (warning is None and not warnings) or any(warning in w for w in warnings)


def test_empty_file_is_clean() -> None:
    assert _doc("  \n", "jsonc").value is None
