"""packaging/: the systemd units and launchd agents are valid, disabled by default, and run
commands and options that exist (each command line is parsed by the real CLI with --help)."""

from __future__ import annotations

import configparser
import plistlib
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, sigil_env

PACKAGING = REPO / "packaging"
UNITS = sorted(PACKAGING.glob("systemd/*/*.service"))
PLISTS = sorted(PACKAGING.glob("launchd/*.plist"))
SIGIL = Path(sys.executable).with_name("sigil")


def exec_start(unit: Path) -> list[str]:
    parser = configparser.ConfigParser(strict=True, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign] - systemd keys are case-sensitive
    parser.read(unit)
    assert {"Unit", "Service", "Install"} <= set(parser.sections())
    assert parser["Unit"]["Description"]
    assert parser["Install"]["WantedBy"] in ("default.target", "multi-user.target")
    return shlex.split(parser["Service"]["ExecStart"])


def test_there_are_units_and_agents() -> None:
    assert {u.name for u in UNITS} == {"sigil-scan-watch.service", "sigil-upload.service", "sigil-serve.service"}
    assert {p.name for p in PLISTS} == {"dev.sigil-scan.watch.plist", "dev.sigil-scan.upload.plist"}


@pytest.mark.parametrize("unit", UNITS, ids=lambda p: p.name)
def test_systemd_unit_is_valid(unit: Path, tmp_path: Path) -> None:
    argv = exec_start(unit)
    assert argv[0].endswith("/sigil")
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        return  # the parse above is the check on machines without systemd
    # the install path of `sigil` differs per machine: point it at this one, keep the rest verbatim
    text = unit.read_text().replace(argv[0], str(SIGIL))
    copy = tmp_path / unit.name
    copy.write_text(text)
    result = subprocess.run([analyze, "verify", "--man=no", str(copy)], capture_output=True, text=True, timeout=60)
    problems = [line for line in (result.stdout + result.stderr).splitlines() if unit.name in line]
    assert result.returncode == 0 and not problems, result.stderr


@pytest.mark.parametrize("unit", UNITS, ids=lambda p: p.name)
def test_unit_command_line_is_accepted_by_the_cli(unit: Path, home: Path) -> None:
    args = exec_start(unit)[1:]
    result = subprocess.run([sys.executable, "-m", "sigil_scan", *args, "--help"], env=sigil_env(home), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr  # an unknown option would be a usage error (2)


@pytest.mark.parametrize("plist", PLISTS, ids=lambda p: p.name)
def test_launchd_agent_is_valid_and_disabled(plist: Path, home: Path) -> None:
    with plist.open("rb") as fh:
        agent = plistlib.load(fh)
    assert agent["Label"] == plist.stem
    assert agent["Disabled"] is True
    sh, dash_c, script = agent["ProgramArguments"]
    assert (sh, dash_c) == ("/bin/sh", "-c")
    words = shlex.split(script)
    assert words[0] == "exec" and words[1] == "$HOME/.local/bin/sigil"
    args = [w.replace("$HOME", str(home)) for w in words[2:]]
    result = subprocess.run([sys.executable, "-m", "sigil_scan", *args, "--help"], env=sigil_env(home), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
