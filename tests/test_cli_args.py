"""The argument parsing of the `sigil` command line (stdlib argparse): every command's help,
usage errors (exit 2, naming what was wrong), no guessed abbreviations, options anywhere,
`--`, click-compatible path and range checks, and lazy imports on the `sigil scan` path."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import sigil_env, write

from sigil_scan.cli import COMMANDS
from sigil_scan.commands.argparsing import Group, Leaf, new_parser, parse

SETTINGS = {".claude/settings.json": '{"permissions": {"allow": ["Bash"]}}'}  # one medium surface

# argv -> options its --help must name (every option of every command)
HELP: dict[tuple[str, ...], tuple[str, ...]] = {
    ("scan",): (
        "--home", "--format", "-o, --output", "--fail-on", "--exit-zero", "--rules", "--pack", "--trust", "--baseline", "--write-baseline",
        "--config", "--state-db", "--spool", "--policy", "--watch", "--poll", "--example", "--follow-symlinks", "--color", "-q, --quiet", "-v, --verbose",
    ),
    ("explain",): ("PATHS", "--home", "--rules"),
    ("rules",): ("list", "explain", "test", "pack", "sign", "verify", "install", "inspect", "sign-policy"),
    ("rules", "list"): ("--rules",),
    ("rules", "explain"): ("RULE_ID", "--rules"),
    ("rules", "test"): ("DIRECTORY", "-v, --verbose", "--strict"),
    ("rules", "pack"): ("DIRECTORY", "-o, --output", "--name", "--version", "--sequence", "--expires-in", "--expires-at", "--min-scanner-version"),
    ("rules", "sign"): ("PACK", "--key", "-o, --output"),
    ("rules", "verify"): ("PACK", "--trust", "--state-db"),
    ("rules", "install"): ("PACK", "--trust", "--state-db"),
    ("rules", "inspect"): ("PACK", "--trust", "--state-db"),
    ("rules", "sign-policy"): ("POLICY", "--key", "-o, --output", "--name", "--version", "--sequence", "--expires-in", "--min-scanner-version"),
    ("keygen",): ("PREFIX", "--trust", "--not-before", "--not-after", "--valid-days"),
    ("show",): ("paths", "config"),
    ("show", "paths"): ("--platform",),
    ("show", "config"): ("--policy", "--platform"),
    ("doctor",): ("-h, --help",),
    ("version",): ("-h, --help",),
    ("upload",): ("--config", "--spool", "--follow"),
    ("serve",): (
        "--bind", "--port", "--cert", "--key", "--client-ca", "--require-client-cert", "--tokens-file", "--read-token-file", "--db",
        "--packs-dir", "--port-file", "--max-body-bytes", "--max-batch-events", "--verbose",
    ),
}  # fmt: skip


def test_every_command_is_in_the_help_table() -> None:
    assert {argv[0] for argv in HELP} == set(COMMANDS)


@pytest.mark.parametrize("argv", list(HELP), ids=" ".join)
def test_help_exits_0_and_names_every_option(run_sigil, argv: tuple[str, ...]) -> None:
    for flag in ("--help", "-h"):
        proc = run_sigil(*argv, flag)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.startswith(f"usage: sigil {' '.join(argv)} "), proc.stdout  # `sigil`, even under python -m
        for option in HELP[argv]:
            assert option in proc.stdout, (option, proc.stdout)


def test_top_level_help_lists_commands_and_exit_codes(run_sigil) -> None:
    proc = run_sigil("--help")
    assert proc.returncode == 0
    text = " ".join(proc.stdout.split())  # summaries are wrapped
    for name, (_, summary) in COMMANDS.items():
        assert f" {name} {summary}" in text, name
    assert "Exit codes: 0 scan complete" in text and "2 usage or configuration error" in text
    bare = run_sigil()  # no command: the help, on stderr, as a usage error (as click did)
    assert bare.returncode == 2 and bare.stdout == "" and "commands:" in bare.stderr


def test_group_summaries_match_each_command() -> None:
    """The static tables (read without importing the commands) agree with the commands."""
    groups = [("sigil", Group("", COMMANDS))]
    checked = 0
    while groups:
        prog, group = groups.pop()
        for name, (target, summary) in group.commands.items():
            module, _, attr = target.partition(":")
            command = getattr(importlib.import_module(module), attr)
            assert isinstance(command, (Leaf, Group)), target
            assert " ".join(command.description.split()).startswith(summary), f"{prog} {name}"
            if isinstance(command, Group):
                groups.append((f"{prog} {name}", command))
            checked += 1
    assert checked == len(COMMANDS) + 9 + 2  # rules has 9 subcommands, show 2


def test_version(run_sigil) -> None:
    proc = run_sigil("--version")
    assert proc.returncode == 0 and proc.stdout.startswith("sigil-scan, version ")
    assert run_sigil("version").stdout.startswith("sigil-scan ")


USAGE_ERRORS: list[tuple[tuple[str, ...], tuple[str, ...]]] = [
        (("bogus",), ("invalid choice: 'bogus'", "scan", "rules")),
        (("--bogus",), ("unrecognized arguments: --bogus",)),
        (("rules", "bogus"), ("sigil rules: error", "invalid choice: 'bogus'", "sign-policy")),
        (("show",), ("paths", "config")),  # a group without its command: help as a usage error
        (("scan", "--bogus"), ("unrecognized arguments: --bogus",)),
        (("scan", "--format", "xml"), ("argument --format: invalid choice: 'xml'", "sarif")),
        (("scan", "--fail-on", "severe"), ("argument --fail-on: invalid choice: 'severe'",)),
        (("scan", "--format"), ("argument --format: expected one argument",)),
        (("show", "paths", "--platform", "beos"), ("argument --platform: invalid choice: 'beos'",)),
        (("keygen",), ("required", "PREFIX")),
        (("rules", "pack", "."), ("required", "-o/--output", "--name")),
        (("keygen", "k", "--valid-days", "0"), ("argument --valid-days: 0 is not in the range 1<=x<=3650",)),
        (("keygen", "k", "--valid-days", "ten"), ("argument --valid-days: 'ten' is not a valid integer",)),
        (("keygen", "k", "--not-before", "yesterday"), ("argument --not-before:",)),
        (("keygen", "k", "--not-before", "2030-01-02T00:00:00Z", "--not-after", "2030-01-01T00:00:00Z"), ("--not-after must be after --not-before",)),
        (("serve", "--cert", "c", "--key", "k", "--port", "70000"), ("argument --port: 70000 is not in the range 0<=x<=65535",)),
        (("upload", "--max-seconds", "soon"), ("argument --max-seconds",)),
        (("rules", "pack", "/no/such/dir", "-o", "p", "--name", "n"), ("Directory '/no/such/dir' does not exist",)),
]


@pytest.mark.parametrize(("argv", "needles"), [pytest.param(a, n, id=" ".join(a)) for a, n in USAGE_ERRORS])
def test_usage_errors_exit_2_and_say_why(run_sigil, argv: tuple[str, ...], needles: tuple[str, ...]) -> None:
    proc = run_sigil(*argv)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    for needle in needles:
        assert needle in proc.stderr, (needle, proc.stderr)
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    ("argv", "guess"),
    [(("scan", "--form", "json"), "--form"), (("scan", "--verb"), "--verb"), (("scan", "--fail", "never"), "--fail"), (("rules", "pack", ".", "-o", "p", "--name", "n", "--seq", "3"), "--seq"), (("serve", "--cert", "c", "--key", "k", "--verb"), "--verb")],
)
def test_abbreviated_options_are_refused(run_sigil, tmp_path: Path, argv: tuple[str, ...], guess: str) -> None:
    """argparse would take --form for --format; a security tool does not guess (allow_abbrev=False)."""
    proc = run_sigil(*argv, cwd=tmp_path)
    assert proc.returncode == 2
    assert f"unrecognized arguments: {guess}" in proc.stderr


def test_path_types_check_what_exists(run_sigil, tmp_path: Path) -> None:
    repo = write(tmp_path / "r", SETTINGS)
    proc = run_sigil("scan", str(repo), "-o", str(tmp_path))  # an existing directory is not a FILE
    assert proc.returncode == 2 and f"File '{tmp_path}' is a directory." in proc.stderr
    proc = run_sigil("scan", str(repo), "--rules", str(repo / ".claude/settings.json"))
    assert proc.returncode == 2 and "argument --rules: Directory" in proc.stderr and "is a file." in proc.stderr
    out = tmp_path / "new" / "report.json"  # a FILE that does not exist yet is fine
    out.parent.mkdir()
    assert run_sigil("scan", str(repo), "-o", str(out), "--format", "json", "-q").returncode == 0
    assert json.loads(out.read_text())["surfaces"]


def test_options_after_and_between_paths(run_sigil, tmp_path: Path) -> None:
    a = write(tmp_path / "a", SETTINGS)
    b = write(tmp_path / "b", SETTINGS)
    proc = run_sigil("scan", str(a), "--format", "json", str(b), "-q", "--fail-on", "medium")
    assert proc.returncode == 1 and proc.stderr == ""
    assert len(json.loads(proc.stdout)["surfaces"]) == 2
    packed = run_sigil("scan", str(a), "-qv", "--format=jsonl", "--fail-on=never")  # combined short flags, --opt=value
    assert packed.returncode == 0 and packed.stderr == "" and packed.stdout.count("\n") >= 1


def test_double_dash_ends_options(run_sigil, tmp_path: Path) -> None:
    write(tmp_path / "-dash", SETTINGS)
    proc = run_sigil("scan", "--format", "json", "-q", "--", "-dash", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert [s["bucket"] for s in json.loads(proc.stdout)["surfaces"]] == ["medium"]  # -dash/.claude/settings.json
    assert run_sigil("scan", "-dash", cwd=tmp_path).returncode == 2  # without `--`: an unknown option
    # after `--` an option-looking word is a path, not an option
    proc = run_sigil("scan", "--format", "json", "--", "-dash", "-q", cwd=tmp_path)
    assert proc.returncode == 2 and "-q: no such file or directory" in proc.stderr
    assert run_sigil("--", "version").stdout.startswith("sigil-scan ")
    assert run_sigil("rules", "explain", "--").returncode == 2  # RULE_ID still required


def test_repeatable_options_collect_tuples(tmp_path: Path) -> None:
    from sigil_scan.commands import scan

    parser = new_parser("sigil scan", "")
    scan.scan_arguments(parser)
    args = parse(parser, ["x", "--rules", "r1", "--pack", "p1", "--rules", "r2", "y"])
    assert args.rules_dirs == (Path("r1"), Path("r2")) and args.packs == (Path("p1"),)
    assert args.paths == [Path("x"), Path("y")]
    defaults = parse(parser, [])
    assert defaults.rules_dirs == () and defaults.packs == () and defaults.paths == [] and defaults.fmt == "text" and defaults.fail_on is None


def test_scan_path_imports_stay_lean(tmp_path: Path, home: Path) -> None:
    repo = write(tmp_path / "r", SETTINGS)
    heavy = ("click", "nacl", "jsonschema", "sarif_om", "watchdog", "sqlite3", "ssl", "http", "urllib.request")
    commands = ("rules", "packs", "show", "serve", "upload")
    code = (
        "import sys\nfrom sigil_scan.cli import main\n"
        f"try:\n    code = main(['scan', {str(repo)!r}, '-q', '--format', 'jsonl'])\nexcept SystemExit as exc:\n    code = exc.code\n"
        "import json\nprint(code, json.dumps(sorted(sys.modules)), file=sys.stderr)"
    )
    proc = subprocess.run([sys.executable, "-c", code], env=sigil_env(home), capture_output=True, text=True, timeout=60)
    status, _, listing = proc.stderr.strip().partition(" ")
    assert status == "0" and proc.stdout.count("\n") == 1, proc.stderr
    loaded = set(json.loads(listing)) - {"json"}
    assert "sigil_scan.commands.scan" in loaded and "argparse" in loaded
    assert not {m for m in loaded if m in heavy or m.split(".")[0] in heavy}
    assert not {f"sigil_scan.commands.{c}" for c in commands} & loaded
    # without a .sigil.yaml, suppressions and baselines are never imported; no dataclasses either
    assert not {"sigil_scan.suppress", "dataclasses", "inspect"} & loaded
