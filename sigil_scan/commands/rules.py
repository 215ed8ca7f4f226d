"""`sigil rules list | explain | test`."""

from __future__ import annotations

import argparse
import textwrap
from pathlib import Path

from sigil_scan.commands.argparsing import DIRECTORY, AppendTuple, Group, Leaf
from sigil_scan.commands.common import echo, fail


def _library(rules_dirs: tuple[Path, ...], *, bundled: bool = True):  # type: ignore[no-untyped-def]
    from sigil_scan.engine.library import load_library

    return load_library(list(rules_dirs), include_bundled=bundled)


_PACKS = "sigil_scan.commands.packs"
# name -> ("module:attribute", summary): the signed-pack commands live in commands/packs.py
rules = Group(
    "List, explain and test the rule library.",
    {
        "list": (f"{__name__}:list_rules", "One line per rule: id, reason kind, weight, title."),
        "explain": (f"{__name__}:explain_rule", "What RULE_ID (a rule id or a reason kind) detects, why it matters, how to fix it, its weight."),
        "test": (f"{__name__}:test_rules", "Run every rule's embedded examples (must-match / must-not-match); exit 1 on a failure."),
        "pack": (f"{_PACKS}:pack_cmd", "Build a pack from DIRECTORY (rubric.yaml, rules/, patterns/, surfaces/) with its manifest."),
        "sign": (f"{_PACKS}:sign_cmd", "Sign PACK's manifest with an ed25519 key (after checking every file against it)."),
        "verify": (f"{_PACKS}:verify_cmd", "Run every check a scanner runs before loading PACK; exit 0 if it would load, 2 if not."),
        "install": (f"{_PACKS}:install_cmd", "Verify PACK and install it into the packs directory; every later scan applies it."),
        "inspect": (f"{_PACKS}:inspect_cmd", "Show PACK's manifest, signer, whether it would load, and how it differs from the installed pack."),
        "sign-policy": (f"{_PACKS}:sign_policy_cmd", "Sign a policy YAML for `sigil serve` to hand out (verified like a pack, own sequence)."),
    },
)


def _rules_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rules", dest="rules_dirs", action=AppendTuple, default=(), type=DIRECTORY, metavar="DIRECTORY")


def run_list(args: argparse.Namespace) -> int:
    """One line per rule: id, reason kind, weight, title."""
    from sigil_scan.rubric import Rubric

    library = _library(args.rules_dirs)
    rubric = Rubric(library.rubric)
    for rule in sorted(library.rules, key=lambda r: r["id"]):
        weight, _ = rubric.weight_of(rule["reason"], {})
        echo(f"{rule['id']:<36} {rule['reason']:<34} {weight:>4g}  {rule['title']}")
    return 0


def explain_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("rule_id", metavar="RULE_ID")
    _rules_option(parser)


def run_explain(args: argparse.Namespace) -> int:
    """What RULE_ID (a rule id or a reason kind) detects, why it matters, how to fix it, its weight."""
    from sigil_scan.rubric import Rubric

    rule_id: str = args.rule_id
    library = _library(args.rules_dirs)
    rubric = Rubric(library.rubric)
    chosen = [r for r in library.rules if r["id"] == rule_id] or [r for r in library.rules if r["reason"] == rule_id]
    if not chosen:
        fail(f"no rule or reason kind named {rule_id!r} (see `sigil rules list`)")
    for rule in chosen:
        spec = rubric.weights.get(rule["reason"], {})
        weight, group = rubric.weight_of(rule["reason"], {})
        echo(f"{rule['id']} — {rule['title']}")
        echo(f"  reason kind: {rule['reason']}   weight: {weight:g} (group {group})   severity alone: {rubric.severity(weight).wire}")
        variants = (spec.get("variants") or {}).get("values") or {}
        for value, v in variants.items():
            echo(f"    when {spec['variants']['field']} = {value}: weight {v.get('weight', weight):g}")
        if spec.get("why"):
            echo(f"  why it is weighted: {spec['why']}")
        for title, key in (("what it detects", "description"), ("how to fix", "help")):
            if rule.get(key):
                echo(f"  {title}:")
                echo(textwrap.indent(textwrap.fill(" ".join(str(rule[key]).split()), 92), "    "))
        if rule.get("tools"):
            echo(f"  tools: {', '.join(rule['tools'])}")
        echo("")
    return 0


def test_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", nargs="?", type=DIRECTORY, metavar="DIRECTORY")
    parser.add_argument("-v", "--verbose", action="store_true", help="Also list the examples that pass.")
    parser.add_argument("--strict", action="store_true", help="A rule without both a match and a no-match example fails too.")


def run_test(args: argparse.Namespace) -> int:
    """Run every rule's embedded examples (must-match / must-not-match); exit 1 on a failure.

    With DIRECTORY (a rule pack: rules/*.yaml, maybe patterns/ and surfaces/), only its rules are
    tested, on top of the bundled library they usually build on.
    """
    import os

    from sigil_scan.ruletest import run_all

    directory: Path | None = args.directory
    verbose: bool = args.verbose
    strict: bool = args.strict
    library = _library((directory,) if directory else (), bundled=True)
    own: set[str] | None = None
    if directory is not None:
        base = os.path.realpath(directory) + os.sep
        own = {r["id"] for r in library.rules if os.path.realpath(str(r.get("_source", ""))).startswith(base)}
        if not own:
            fail(f"{directory}: no rules found (expected {directory}/rules/*.yaml)")
    results = run_all(library, own)
    gaps = [r for r in results if r.expect == "coverage"]
    failed = [r for r in results if not r.passed and (strict or r.expect != "coverage")]
    for r in results:
        if r.expect == "coverage":
            echo(f"{'FAIL' if strict else 'warn'} {r.rule_id}: {r.detail}")
        elif verbose or not r.passed:
            status = "ok  " if r.passed else "FAIL"
            echo(f"{status} {r.rule_id}: {r.name or r.expect} ({r.expect}) {r.detail}".rstrip())
    rule_count = len({r.rule_id for r in results})
    examples = len(results) - len(gaps)
    passed = sum(1 for r in results if r.passed and r.expect != "coverage")
    warned = f", {len(gaps)} rule(s) without both kinds of example" if gaps else ""
    echo(f"{rule_count} rule(s), {examples} example(s): {passed} passed, {len(failed)} failed{warned}")
    return 1 if failed else 0


list_rules = Leaf(run_list.__doc__ or "", _rules_option, run_list)
explain_rule = Leaf(run_explain.__doc__ or "", explain_arguments, run_explain)
test_rules = Leaf(run_test.__doc__ or "", test_arguments, run_test)
