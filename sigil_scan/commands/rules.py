"""`sigil rules list | explain | test`."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import click

from sigil_scan.commands.common import fail
from sigil_scan.errors import SigilError


def _library(rules_dirs: tuple[Path, ...], *, bundled: bool = True):  # type: ignore[no-untyped-def]
    from sigil_scan.engine.library import load_library

    try:
        return load_library(list(rules_dirs), include_bundled=bundled)
    except SigilError as exc:
        fail(str(exc))


@click.group()
def rules() -> None:
    """List, explain and test the rule library."""


@rules.command("list")
@click.option("--rules", "rules_dirs", multiple=True, type=click.Path(path_type=Path, file_okay=False))
def list_rules(rules_dirs: tuple[Path, ...]) -> None:
    """One line per rule: id, reason kind, weight, title."""
    from sigil_scan.rubric import Rubric

    library = _library(rules_dirs)
    rubric = Rubric(library.rubric)
    for rule in sorted(library.rules, key=lambda r: r["id"]):
        weight, _ = rubric.weight_of(rule["reason"], {})
        click.echo(f"{rule['id']:<36} {rule['reason']:<34} {weight:>4g}  {rule['title']}")


@rules.command("explain")
@click.argument("rule_id")
@click.option("--rules", "rules_dirs", multiple=True, type=click.Path(path_type=Path, file_okay=False))
def explain_rule(rule_id: str, rules_dirs: tuple[Path, ...]) -> None:
    """What RULE_ID (a rule id or a reason kind) detects, why it matters, how to fix it, its weight."""
    from sigil_scan.rubric import Rubric

    library = _library(rules_dirs)
    rubric = Rubric(library.rubric)
    chosen = [r for r in library.rules if r["id"] == rule_id] or [r for r in library.rules if r["reason"] == rule_id]
    if not chosen:
        fail(f"no rule or reason kind named {rule_id!r} (see `sigil rules list`)")
    for rule in chosen:
        spec = rubric.weights.get(rule["reason"], {})
        weight, group = rubric.weight_of(rule["reason"], {})
        click.echo(f"{rule['id']} — {rule['title']}")
        click.echo(f"  reason kind: {rule['reason']}   weight: {weight:g} (group {group})   severity alone: {rubric.severity(weight).wire}")
        variants = (spec.get("variants") or {}).get("values") or {}
        for value, v in variants.items():
            click.echo(f"    when {spec['variants']['field']} = {value}: weight {v.get('weight', weight):g}")
        if spec.get("why"):
            click.echo(f"  why it is weighted: {spec['why']}")
        for title, key in (("what it detects", "description"), ("how to fix", "help")):
            if rule.get(key):
                click.echo(f"  {title}:")
                click.echo(textwrap.indent(textwrap.fill(" ".join(str(rule[key]).split()), 92), "    "))
        if rule.get("tools"):
            click.echo(f"  tools: {', '.join(rule['tools'])}")
        click.echo("")


@rules.command("test")
@click.argument("directory", required=False, type=click.Path(path_type=Path, file_okay=False))
@click.option("-v", "--verbose", is_flag=True, help="Also list the examples that pass.")
@click.option("--strict", is_flag=True, help="A rule without both a match and a no-match example fails too.")
def test_rules(directory: Path | None, verbose: bool, strict: bool) -> None:
    """Run every rule's embedded examples (must-match / must-not-match); exit 1 on a failure.

    With DIRECTORY (a rule pack: rules/*.yaml, maybe patterns/ and surfaces/), only its rules are
    tested, on top of the bundled library they usually build on.
    """
    import os

    from sigil_scan.ruletest import run_all

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
            click.echo(f"{'FAIL' if strict else 'warn'} {r.rule_id}: {r.detail}")
        elif verbose or not r.passed:
            status = "ok  " if r.passed else "FAIL"
            click.echo(f"{status} {r.rule_id}: {r.name or r.expect} ({r.expect}) {r.detail}".rstrip())
    rule_count = len({r.rule_id for r in results})
    examples = len(results) - len(gaps)
    passed = sum(1 for r in results if r.passed and r.expect != "coverage")
    warned = f", {len(gaps)} rule(s) without both kinds of example" if gaps else ""
    click.echo(f"{rule_count} rule(s), {examples} example(s): {passed} passed, {len(failed)} failed{warned}")
    sys.exit(1 if failed else 0)

from sigil_scan.commands import packs as _packs  # noqa: E402,F401 - registers pack/sign/verify/inspect/install/sign-policy
