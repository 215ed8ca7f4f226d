"""Text for people: grouped by surface, score and bucket first, each finding with file:line,
what it is and how to fix it. Control characters in anything from the scanned tree are escaped
so a file name cannot move the cursor or recolour the terminal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sigil_scan.model import Bucket, ScanResult

_COLOURS = {Bucket.CRITICAL: "1;31", Bucket.HIGH: "31", Bucket.MEDIUM: "33", Bucket.LOW: "36", Bucket.NONE: "32"}


def safe(text: str) -> str:
    """Escape control and non-printable characters (newlines, ESC, bidi overrides)."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


class _Style:
    def __init__(self, colour: bool) -> None:
        self.colour = colour

    def __call__(self, text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.colour else text


def _first_line(text: str) -> str:
    return " ".join(text.strip().split())


def render(result: ScanResult, display: Callable[[Any], str], help_for: Callable[[str], str], *, colour: bool = False, verbose: bool = False) -> str:
    style = _Style(colour)
    out: list[str] = []
    for surface in result.surfaces:
        scope = surface.scope.wire(display)
        where = scope.get("path") or scope.get("app") or ""
        label = f"{surface.tool} · {scope['kind']}" + (f" {safe(where)}" if where else "")
        active = [r for r in surface.reasons if not r.suppressed_by]
        if not active and not verbose:
            continue
        bucket_text = style(f"{surface.score:.1f} {surface.bucket.wire if active else 'clean'}", _COLOURS[surface.bucket])
        out.append(f"{bucket_text}  {style(label, '1')}")
        for reason in surface.reasons:
            loc = safe(display(reason.file)) + (f":{reason.line}" if reason.line else "")
            tag = style(f"[{max(reason.severity, Bucket.LOW).wire}]", _COLOURS[reason.severity])
            contribution = f"+{reason.contribution:g}" if not reason.suppressed_by else f"suppressed ({reason.suppressed_by})"
            out.append(f"  {tag} {loc}  {reason.kind} ({contribution})")
            out.append(f"      {safe(reason.message)}")
            fix = help_for(reason.rule_id)
            if fix:
                out.append(f"      fix: {safe(_first_line(fix))}")
        if verbose:
            for f in surface.files:
                out.append(f"      file {safe(display(f.path))}  {f.blake3 or '-'}")
        for note in surface.errors:
            out.append(f"      note: {safe(note)}")
        out.append("")
    for problem in result.problems:
        out.append(style("problem: ", "1;33") + safe(problem.message))
    return "\n".join(out).rstrip("\n") + ("\n" if out else "")


def summary(result: ScanResult) -> str:
    active = [r for s in result.surfaces for r in s.reasons if not r.suppressed_by]
    suppressed = sum(1 for s in result.surfaces for r in s.reasons if r.suppressed_by)
    risky = [s for s in result.surfaces if any(not r.suppressed_by for r in s.reasons)]
    counts: dict[str, int] = {}
    for s in risky:
        counts[s.bucket.wire] = counts.get(s.bucket.wire, 0) + 1
    by_bucket = ", ".join(f"{counts[b]} {b}" for b in ("critical", "high", "medium", "low") if b in counts)
    text = f"{len(active)} finding(s) on {len(risky)} of {len(result.surfaces)} surface(s)"
    if by_bucket:
        text += f" ({by_bucket})"
    if suppressed:
        text += f", {suppressed} suppressed"
    if result.problems:
        text += f"; {len(result.problems)} problem(s)"
    return text
