"""GitHub workflow-command annotations (`::error file=…,line=…,title=…::message`).

For repositories where SARIF upload is not available (no code scanning on a private repository,
pull requests from forks). Paths are relative to the scan root, which must be the repository
root for GitHub to attach the annotation to the file. GitHub shows only about ten annotations per
step, so a plain summary line follows them in the log.

Everything from the scanned tree (file names, messages) is escaped: control characters first
(so nothing can start a new line and with it a new workflow command), then GitHub's own escapes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sigil_scan.formats.text import safe
from sigil_scan.model import Bucket, ScanResult


def escape_data(text: str) -> str:
    """The message part: `%`, CR and LF are escaped (GitHub's toolkit `escapeData`)."""
    return safe(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value: as data, plus `:` and `,` which separate properties (`escapeProperty`)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **properties: Any) -> str:
    props = ",".join(f"{k}={escape_property(str(v))}" for k, v in properties.items() if v is not None)
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


def annotation_level(severity: Bucket) -> str:
    if severity >= Bucket.HIGH:
        return "error"
    if severity is Bucket.MEDIUM:
        return "warning"
    return "notice"


def _first_line(text: str) -> str:
    return " ".join(text.strip().split())


def render(result: ScanResult, display: Callable[[Any], str], help_for: Callable[[str], str]) -> str:
    lines: list[str] = []
    active = suppressed = 0
    for surface in result.surfaces:
        for reason in surface.reasons:
            if reason.suppressed_by:
                suppressed += 1  # counted in the summary, never annotated
                continue
            active += 1
            fix = help_for(reason.rule_id)
            message = reason.message + (f" — fix: {_first_line(fix)}" if fix else "")
            lines.append(
                command(
                    annotation_level(reason.severity),
                    message,
                    file=display(reason.file),
                    line=reason.line,
                    col=reason.column,
                    title=f"sigil-scan {reason.rule_id} ({max(reason.severity, Bucket.LOW).wire})",
                )
            )
    for problem in result.problems:
        where = display(problem.path) if problem.path is not None else None
        message = problem.message.replace(str(problem.path), where) if where is not None else problem.message
        lines.append(command("warning", message, file=where, title=f"sigil-scan {problem.kind}"))
    summary = f"sigil-scan: {active} finding(s), {suppressed} suppressed, {len(result.problems)} problem(s)"
    return "\n".join([*lines, summary]) + "\n"
