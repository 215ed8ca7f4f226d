"""The distribution: every subpackage is listed, and the wheel carries the rule library,
the schemas and the bundled example (a `pip install` from PyPI has no checkout)."""

from __future__ import annotations

import subprocess
import sys
import zipfile

import pytest

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

from conftest import REPO


def test_every_subpackage_is_listed() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    listed = set(config["tool"]["setuptools"]["packages"])
    found = {
        ".".join(p.parent.relative_to(REPO).parts)
        for p in (REPO / "sigil_scan").rglob("__init__.py")
        if "__pycache__" not in p.parts
    }
    assert found <= listed, f"add to pyproject packages: {sorted(found - listed)}"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(REPO)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return zipfile.ZipFile(next(out.glob("sigil_scan-*.whl")))


def test_wheel_carries_data(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    for rule in (REPO / "rules").rglob("*.yaml"):
        assert f"sigil_scan/_rules/{rule.relative_to(REPO / 'rules').as_posix()}" in names
    for schema in (REPO / "schemas").glob("*.json"):
        assert f"sigil_scan/_schemas/{schema.name}" in names
    assert "sigil_scan/examples/risky-repo/.claude/settings.json" in names
    assert any(n.endswith("entry_points.txt") and b"sigil = sigil_scan.cli:main" in wheel.read(n) for n in names)
