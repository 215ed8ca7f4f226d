"""`sigil scan` and `sigil explain`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from sigil_scan.commands.common import INCOMPLETE_KINDS, fail, split_home, use_colour, write_output
from sigil_scan.errors import SigilError
from sigil_scan.formats import FORMATS
from sigil_scan.model import Bucket, ScanResult

FAIL_ON = ("low", "medium", "high", "critical", "never")


def run(paths: tuple[Path, ...], home_flag: bool, rules_dirs: tuple[Path, ...], follow_symlinks: bool = False) -> tuple[ScanResult, object, object]:
    from sigil_scan.paths import PathDisplay
    from sigil_scan.scan import Scanner, ScanOptions

    roots, home_mode, home = split_home(paths, home_flag)
    options = ScanOptions(paths=roots, home_mode=home_mode, home=home, rules_dirs=list(rules_dirs), follow_symlinks=follow_symlinks)
    scanner = Scanner(options)
    for warning in scanner.library.warnings:
        click.echo(f"sigil: warning: {warning}", err=True)
    if home_mode and sys.stderr.isatty():
        click.echo(f"sigil: scanning {home} ...", err=True, nl=False)
    result = scanner.scan()
    if home_mode and sys.stderr.isatty():
        click.echo("\r\x1b[K", err=True, nl=False)
    return result, PathDisplay(result.roots, home), scanner


def exit_code(result: ScanResult, fail_on: str) -> int:
    if any(p.kind in INCOMPLETE_KINDS for p in result.problems):
        return 2
    if fail_on == "never":
        return 0
    threshold = Bucket.parse(fail_on)
    hit = any(s.bucket >= threshold and any(not r.suppressed_by for r in s.reasons) for s in result.surfaces)
    return 1 if hit else 0


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--home", "home_flag", is_flag=True, help="Scan the home directory: user-global surfaces and every repository under it.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True, help="Report format.")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), help="Write the report to this file instead of stdout.")
@click.option("--fail-on", type=click.Choice(FAIL_ON), default="high", show_default=True, help="Exit 1 when a surface's bucket reaches this level.")
@click.option("--rules", "rules_dirs", multiple=True, type=click.Path(path_type=Path, file_okay=False), help="Extra rule directory (repeatable).")
@click.option("--example", is_flag=True, help="Scan the example repository bundled with sigil-scan (a quick demo).")
@click.option("--follow-symlinks", is_flag=True, help="Read guard files that are symlinks to outside the scanned root.")
@click.option("--color", "colour", type=click.Choice(["auto", "always", "never"]), default="auto", help="Colour in text output (NO_COLOR is respected).")
@click.option("-q", "--quiet", is_flag=True, help="No summary on stderr.")
@click.option("-v", "--verbose", is_flag=True, help="Show clean surfaces and file hashes too.")
def scan(
    paths: tuple[Path, ...],
    home_flag: bool,
    fmt: str,
    output: Path | None,
    fail_on: str,
    rules_dirs: tuple[Path, ...],
    example: bool,
    follow_symlinks: bool,
    colour: str,
    quiet: bool,
    verbose: bool,
) -> None:
    """Scan PATHS (default .) for AI agent guard surfaces; `sigil scan ~` scans a home directory."""
    if example:
        paths = (*paths, Path(__file__).resolve().parent.parent / "examples" / "risky-repo")
    try:
        result, display, scanner = run(paths, home_flag, rules_dirs, follow_symlinks)
        text = render(fmt, result, display, scanner, fail_on=fail_on, colour=use_colour(colour, sys.stdout) and output is None, verbose=verbose)
        write_output(text, output)
    except SigilError as exc:
        fail(str(exc))
    if not quiet:
        from sigil_scan.formats.text import safe, summary

        for problem in result.problems:
            if fmt != "text":
                click.echo(f"sigil: {safe(problem.message)}", err=True)
        click.echo(f"sigil: {summary(result)}", err=True)
    sys.exit(exit_code(result, fail_on))


def render(fmt: str, result: ScanResult, display: object, scanner: object, *, fail_on: str, colour: bool, verbose: bool) -> str:
    library = scanner.library  # type: ignore[attr-defined]

    def help_for(rule_id: str) -> str:
        rule = library.rule(rule_id)
        return str(rule.get("help", "")) if rule else ""

    if fmt == "text":
        from sigil_scan.formats import text

        return text.render(result, display, help_for, colour=colour, verbose=verbose)  # type: ignore[arg-type]
    if fmt == "jsonl":
        from sigil_scan.events import scan_events
        from sigil_scan.formats import jsonl

        return jsonl.render(scan_events(result, display))  # type: ignore[arg-type]
    if fmt == "json":
        from sigil_scan.formats import json

        return json.render(result, display, fail_on=fail_on)
    raise SigilError(f"--format {fmt} is not available yet")


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--home", "home_flag", is_flag=True, help="Explain a home-directory scan.")
@click.option("--rules", "rules_dirs", multiple=True, type=click.Path(path_type=Path, file_okay=False))
def explain(paths: tuple[Path, ...], home_flag: bool, rules_dirs: tuple[Path, ...]) -> None:
    """Print the arithmetic behind each surface's score."""
    from sigil_scan.formats.text import safe

    try:
        result, display, scanner = run(paths, home_flag, rules_dirs)
    except SigilError as exc:
        fail(str(exc))
    rubric = scanner.rubric  # type: ignore[attr-defined]
    lines: list[str] = []
    for s in result.surfaces:
        scope = s.scope.wire(display)
        lines.append(f"{s.tool} · {scope['kind']} {safe(scope.get('path', scope.get('app', '')))}".rstrip())
        seen: dict[str, int] = {}
        total = 0.0
        for r in s.reasons:
            if r.suppressed_by:
                lines.append(f"  {r.kind:<34} suppressed ({r.suppressed_by})")
                continue
            i = seen.get(r.group, 0)
            seen[r.group] = i + 1
            factor = 1 + rubric.surcharge * i
            total += r.contribution
            how = f"{r.weight:g}" if i == 0 else f"{r.weight:g} × (1 + {rubric.surcharge:g}×{i}) = {r.contribution:g}"
            lines.append(f"  {r.kind:<34} {how:>28}   [{r.group}]" + ("" if factor == 1 else f" repeat {i}"))
        capped = f" capped at {rubric.max_score:g}" if total > rubric.max_score else ""
        lines.append(f"  {'total':<34} {total:>28g}{capped} -> score {s.score:g}, bucket {s.bucket.wire if s.reasons else 'clean'}")
        lines.append("")
    lines.append(
        f"buckets: score < {rubric.bounds[-2][0]:g} low, < {rubric.bounds[-3][0]:g} medium, < {rubric.bounds[-4][0]:g} high, else critical"
        if len(rubric.bounds) >= 4
        else ""
    )
    click.echo("\n".join(lines))
