"""Shared test helpers: run the real CLI in a subprocess under a temporary HOME, validate events."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED = REPO.parent / "shared"


def sigil_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SIGIL_", "CLAUDE_", "NO_COLOR"))}
    env.update({"HOME": str(home), "USERPROFILE": str(home), "XDG_CONFIG_HOME": str(home / ".config"), "XDG_STATE_HOME": str(home / ".local/state")})
    env.update(extra)
    return env


@pytest.fixture()
def home(tmp_path: Path) -> Path:
    h = tmp_path / "home"
    h.mkdir()
    return h


RunSigil = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture()
def run_sigil(home: Path) -> RunSigil:
    """Run `python -m sigil_scan ARGS` as a user would, with HOME set to a temporary directory."""

    def run(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "sigil_scan", *args],
            cwd=cwd or home,
            env=env or sigil_env(home),
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )

    return run


@pytest.fixture(scope="session")
def event_validator() -> Callable[[dict[str, Any]], None]:
    import jsonschema

    schema = json.loads((REPO / "schemas" / "event.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())

    def validate(event: dict[str, Any]) -> None:
        validator.validate(event)

    return validate


def parse_jsonl(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def write(base: Path, files: dict[str, str]) -> Path:
    for rel, content in files.items():
        path = base / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return base


def pytest_addoption(parser: pytest.Parser) -> None:
    # tests/test_sarif.py: rewrite the golden SARIF files instead of comparing against them
    parser.addoption("--update-golden", action="store_true", default=False, help="rewrite golden output files")
