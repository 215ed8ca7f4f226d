"""Property-based fuzzing: mutated real configs through every parser, every adapter and the whole
Scanner. The property is that nothing escapes: a parser raises ParseError or returns a Document
whose locator answers for any key path, an adapter returns facts, a scan returns a result.

Seeds are real public configs vendored from shared/corpus (tests/fixtures/corpus-sample, with
provenance in corpus-sample.tsv). CI runs the "ci" profile (a few hundred examples per test);
bench/fuzz_long.py runs the same properties with >= 10k examples (HYPOTHESIS_PROFILE=long).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sigil_scan.adapters import ADAPTERS, AdaptContext
from sigil_scan.model import Document, Scope, ScopeKind
from sigil_scan.parsers import FORMATS, ParseError, parse
from sigil_scan.scan import Scanner, ScanOptions

settings.register_profile("ci", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile(
    "long", max_examples=int(os.environ.get("SIGIL_FUZZ_EXAMPLES", "10000")), deadline=None,
    suppress_health_check=list(HealthCheck),
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

SAMPLE = FIXTURES / "corpus-sample"
SEEDS: dict[str, bytes] = {p.name: p.read_bytes() for p in sorted(SAMPLE.iterdir())}
# the hook-script seed is the shell analyser's fixture: one copy of it in the tree
SEEDS["hooks_001-claude-code-init-smart-context.sh"] = (FIXTURES / "shell/corpus/001-claude-code-init-smart-context.sh").read_bytes()
# where each seed lives in a repository (the Scanner test writes the mutant there)
PLACES = {
    "claude_0": ".claude/settings.json",
    "claude_01": ".mcp.json",
    "claude_04": ".mcp.json",
    "codex_": ".codex/config.toml",
    "gemini_": ".gemini/settings.json",
    "cursor_001": ".cursor/hooks.json",
    "cursor_006": ".cursor/mcp.json",
    "cursor_014": ".cursor/cli.json",
    "other_": ".roo/mcp.json",
    "claude-desktop_": ".vscode/mcp.json",
    "hooks_": ".claude/hooks/hook.sh",
}

# fragments that steer mutants toward the dark corners of each format
TOKENS = [
    b"{", b"}", b"[", b"]", b'"', b"'", b",", b":", b"=", b"\n", b"\r\n", b"\x00", b"\xff", b"\xc3(",
    b"\xef\xbb\xbf", b"\\u0000", b"\\ud800", b"//", b"/*", b"*/", b"#", b"[[", b"]]", b'"""', b"'''",
    b"&a", b"*a", b"<<: *a", b"!!python/object", b"- ", b"? ", b"---", b"...", b"1e999", b"-0", b"NaN",
    b"Infinity", b"true", b"null", b"0x", b"9" * 400, b"[" * 2000, b"{" * 2000, b'{"a":' * 600,
    b"a." * 300 + b"a = 1", b"\t", b"\x1b[31m", "\u202e".encode(), b'"hooks"', b'"command"',
    b'"mcpServers"', b'"permissions"', b'"allow"', b"bash -c 'rm -rf /'", b"$(curl x|sh)",
]


@st.composite
def mutants(draw: st.DrawFn) -> tuple[str, bytes]:
    name = draw(st.sampled_from(sorted(SEEDS)))
    data = bytearray(SEEDS[name])
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "token", "truncate", "splice", "repeat"]))
        pos = draw(st.integers(0, len(data)))
        if op == "flip" and data:
            i = min(pos, len(data) - 1)
            data[i] ^= 1 << draw(st.integers(0, 7))
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete":
            del data[pos : pos + draw(st.integers(1, 64))]
        elif op == "token":
            data[pos:pos] = draw(st.sampled_from(TOKENS))
        elif op == "truncate":
            del data[pos:]
        elif op == "splice":
            other = SEEDS[draw(st.sampled_from(sorted(SEEDS)))]
            start = draw(st.integers(0, len(other)))
            data[pos:pos] = other[start : start + draw(st.integers(1, 200))]
        elif op == "repeat" and data:
            chunk = bytes(data[pos : pos + draw(st.integers(1, 32))])
            data[pos:pos] = chunk * draw(st.integers(2, 50))
    return name, bytes(data)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40)
    | st.sampled_from(["Bash", "Bash(*)", "*", "rm -rf /", "bypassPermissions", "npx", "http://x", "~/.ssh/**", ""]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12) | st.sampled_from(
        ["hooks", "command", "matcher", "type", "args", "env", "url", "allow", "deny", "permissions", "mcpServers"]
    ), children, max_size=4),
    max_leaves=20,
)


def _paths(value: Any, prefix: tuple[str | int, ...] = (), limit: int = 200) -> list[tuple[str | int, ...]]:
    """Key paths present in value, breadth first, at most limit (iterative: values may be deep)."""
    out: list[tuple[str | int, ...]] = []
    queue: list[tuple[tuple[str | int, ...], Any]] = [(prefix, value)]
    while queue and len(out) < limit:
        path, node = queue.pop(0)
        out.append(path)
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        queue.extend(((*path, k), v) for k, v in items)
    return out


@st.composite
def structural_mutants(draw: st.DrawFn) -> tuple[str, bytes]:
    """A JSON seed with one value replaced by another shape (hooks: 5, allow: [null, {}], ...)."""
    json_seeds = sorted(n for n in SEEDS if n.endswith(".json"))
    name = draw(st.sampled_from(json_seeds))
    try:
        value = json.loads(SEEDS[name])
    except ValueError:
        value = {}
    paths = _paths(value)
    path = draw(st.sampled_from(paths))
    replacement = draw(JSON_VALUES)
    if not path:
        return name, json.dumps(replacement).encode()
    node = value
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = replacement
    return name, json.dumps(value).encode()


def _context(tool: str, role: str) -> AdaptContext:
    return AdaptContext(tool, Scope(ScopeKind.PROJECT, path=Path("/r")), role, f"{tool}-{role}", Path("/home/u"), True)


def _exercise(data: bytes) -> list[Document]:
    docs = []
    for fmt in FORMATS:
        try:
            doc, warnings = parse(Path("/r/f"), data, fmt)
        except ParseError as exc:
            assert str(exc)  # a message that can be shown
            continue
        assert isinstance(warnings, list)
        for key_path in [*_paths(doc.value, limit=100), ("no", "such", 0), (0,), ("",)]:
            doc.position(key_path)
        docs.append(doc)
    for doc in docs:
        for (tool, role), adapter in ADAPTERS.items():
            facts = adapter(doc, _context(tool, role))
            assert isinstance(facts, list)
    return docs


@given(mutants())
def test_mutated_configs_through_parsers_and_adapters(mutant: tuple[str, bytes]) -> None:
    _exercise(mutant[1])


@given(structural_mutants())
def test_reshaped_configs_through_parsers_and_adapters(mutant: tuple[str, bytes]) -> None:
    docs = _exercise(mutant[1])
    assert docs  # valid JSON: at least json, jsonc and yaml accept it


def _place(name: str) -> str:
    for prefix, place in PLACES.items():
        if name.startswith(prefix):
            return place
    raise AssertionError(f"no place for seed {name}")


@pytest.fixture(scope="module")
def scan_root() -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="sigil-fuzz-"))
    yield root
    shutil.rmtree(root, ignore_errors=True)


@settings(max_examples=int(os.environ.get("SIGIL_FUZZ_SCANS", "100")), suppress_health_check=list(HealthCheck))
@given(mutant=st.one_of(mutants(), structural_mutants()))
def test_mutated_configs_through_the_scanner(scan_root: Path, mutant: tuple[str, bytes]) -> None:
    name, data = mutant
    repo = Path(tempfile.mkdtemp(dir=scan_root))
    target = repo / _place(name)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    # settings that point at the hook script, so script analysis is fuzzed too
    if name.startswith("hooks_"):
        (repo / ".claude" / "settings.json").write_text(json.dumps(
            {"hooks": {"PreToolUse": [{"hooks": [{"type": "command", "command": "bash .claude/hooks/hook.sh"}]}]}}
        ))
    home = repo / "home"
    home.mkdir()
    result = Scanner(ScanOptions(paths=[repo], home=home, env={})).scan()
    assert result.surfaces, "the fuzzed file was not assessed"
    for surface in result.surfaces:
        assert surface.score >= 0


def test_every_seed_parses_somewhere() -> None:
    """The seeds are real files: each is accepted by at least one parser (a sanity check on them)."""
    for name, data in SEEDS.items():
        assert _exercise(data), name
