"""SARIF 2.1.0 for GitHub code scanning, built with the sarif-om object model.

Imported only for `--format sarif` (sarif_om costs tens of milliseconds to import). sarif-om has
no serialiser of its own (it expects jschema-to-python, which drags in pbr and jsonpickle), so
`_to_json` walks the attrs classes and uses the SARIF property names kept in their metadata.
Property bags carry GitHub's `security-severity` and `precision`, which sarif-om's PropertyBag
(tags only) cannot express: they are passed as plain dicts, which the walker emits as they are.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import attr
import sarif_om as om

from sigil_scan import __version__
from sigil_scan.model import INCOMPLETE_KINDS, Bucket, Reason, ScanResult

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/sigil-scan/"
SRCROOT = "%SRCROOT%"
HOME = "HOME"
# GitHub: > 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low (ecosystem.md §1.2)
SECURITY_SEVERITY = {Bucket.CRITICAL: "9.5", Bucket.HIGH: "8.0", Bucket.MEDIUM: "5.5", Bucket.LOW: "3.0", Bucket.NONE: "3.0"}
MAX_TAGS = 20  # GitHub rejects more


def _uri(path: str) -> str:
    # a file name that is not UTF-8 arrives with surrogate escapes: percent-encode the raw bytes
    return quote(path, errors="surrogateescape")


def level(severity: Bucket) -> str:
    if severity >= Bucket.HIGH:
        return "error"
    if severity is Bucket.MEDIUM:
        return "warning"
    return "note"


def _to_json(obj: Any) -> Any:
    """sarif-om attrs objects -> plain JSON values; fields left at their default are omitted."""
    if attr.has(type(obj)):
        out: dict[str, Any] = {}
        for f in attr.fields(type(obj)):
            value = getattr(obj, f.name)
            if value is None:
                continue
            default = f.default.factory() if isinstance(f.default, attr.Factory) else f.default  # type: ignore[arg-type]
            # `level` is always written: a reader should not need SARIF's default to know it
            if f.name != "level" and f.default is not attr.NOTHING and value == default:
                continue
            out[f.metadata.get("schema_property_name", f.name)] = _to_json(value)
        return out
    if isinstance(obj, dict):
        return {k: _to_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_to_json(v) for v in obj]
    return obj


def _pascal(rule_id: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", rule_id) if part)


def _paragraph(text: str) -> str:
    """The first paragraph: up to a blank line, or (YAML `>` folds a blank line into one newline)
    up to a newline after a sentence."""
    first = re.split(r"\n\s*\n|(?<=[.!?:])\n", text.strip(), maxsplit=1)[0]
    return " ".join(first.split())[:1024]


def _descriptor(rule: dict[str, Any], rubric: Any) -> om.ReportingDescriptor:
    weight, _ = rubric.weight_of(rule["reason"], {})
    severity = rubric.severity(weight)
    title = " ".join(str(rule["title"]).split())
    description = _paragraph(str(rule.get("description") or title))
    help_text = " ".join(str(rule.get("help") or title).split())
    references = [str(r) for r in rule.get("references") or []]
    markdown = f"**{title}**\n\n{description}\n\n**How to fix:** {help_text}\n\nReason kind `{rule['reason']}`, rubric weight {weight:g}."
    if references:
        markdown += "\n\n" + "\n".join(f"- <{r}>" for r in references)
    tags = ["security", *[str(t) for t in rule.get("tags") or []]]
    tags += [f"external/cwe/{c.lower()}" for c in rule.get("cwe") or []]
    properties = {
        "tags": list(dict.fromkeys(tags))[:MAX_TAGS],
        "precision": str(rule.get("precision") or "medium"),
        "security-severity": SECURITY_SEVERITY[severity],
        "reason": rule["reason"],
        "weight": weight,
    }
    return om.ReportingDescriptor(
        id=rule["id"],
        name=_pascal(rule["id"]),
        short_description=om.MultiformatMessageString(text=title[:1024]),
        full_description=om.MultiformatMessageString(text=description),
        help=om.MultiformatMessageString(text=help_text, markdown=markdown),
        help_uri=references[0] if references else None,
        default_configuration=om.ReportingConfiguration(level=level(severity)),
        properties=properties,
    )


def artifact_location(shown: str) -> om.ArtifactLocation:
    """A display path -> a relative URI under %SRCROOT% (or HOME); absolute paths stay file URIs."""
    if shown.startswith("~/"):
        return om.ArtifactLocation(uri=_uri(shown[2:]), uri_base_id=HOME)
    if shown.startswith("/"):
        return om.ArtifactLocation(uri="file://" + _uri(shown))
    return om.ArtifactLocation(uri=_uri(shown.removeprefix("./")), uri_base_id=SRCROOT)


def _location(reason: Reason, display: Callable[[Any], str]) -> om.Location:
    region = om.Region(start_line=reason.line or 1, start_column=reason.column or 1)
    return om.Location(physical_location=om.PhysicalLocation(artifact_location=artifact_location(display(reason.file)), region=region))


def _suppression(reason: Reason, justifications: dict[str, str]) -> om.Suppression:
    justification = justifications.get(reason.fingerprint) or f"suppressed by {reason.suppressed_by}"
    return om.Suppression(kind="external", justification=justification)


def _result(reason: Reason, index: int, display: Callable[[Any], str], justifications: dict[str, str], baseline: bool) -> om.Result:
    result = om.Result(
        rule_id=reason.rule_id,
        rule_index=index,
        level=level(reason.severity),
        message=om.Message(text=reason.message),
        locations=[_location(reason, display)],
        partial_fingerprints={"sigil/v1": reason.fingerprint},
        properties={"reason": reason.kind, "contribution": reason.contribution},
    )
    if reason.suppressed_by:
        result.suppressions = [_suppression(reason, justifications)]
    if baseline:
        result.baseline_state = "unchanged" if reason.suppressed_by == "baseline" else "new"
    return result


def _notifications(result: ScanResult, display: Callable[[Any], str]) -> list[om.Notification]:
    out = []
    for problem in result.problems:
        locations = None
        if problem.path is not None:
            where = om.PhysicalLocation(artifact_location=artifact_location(display(problem.path)))
            locations = [om.Location(physical_location=where)]
        out.append(
            om.Notification(
                message=om.Message(text=_relative_message(problem.message, problem.path, display)),
                level="error" if problem.kind in INCOMPLETE_KINDS else "warning",
                descriptor=om.ReportingDescriptorReference(id=problem.kind),
                locations=locations,
            )
        )
    for surface in result.surfaces:
        out.extend(om.Notification(message=om.Message(text=note), level="note") for note in surface.errors)
    return out


def _relative_message(message: str, path: Any, display: Callable[[Any], str]) -> str:
    # problem messages name the path as given on the command line (possibly absolute)
    return message.replace(str(path), display(path)) if path is not None else message


def build(
    result: ScanResult,
    display: Callable[[Any], str],
    library: Any,
    rubric: Any,
    *,
    version: str = __version__,
    justifications: dict[str, str] | None = None,
    baseline: bool = False,
) -> dict[str, Any]:
    """The whole SARIF log as plain JSON values (one run; every loaded rule is described)."""
    rules = sorted(library.rules, key=lambda r: r["id"])
    index = {r["id"]: i for i, r in enumerate(rules)}
    results = [
        _result(reason, index.get(reason.rule_id, -1), display, justifications or {}, baseline)
        for surface in result.surfaces
        for reason in surface.reasons
    ]
    driver = om.ToolComponent(
        name="sigil-scan",
        version=version,
        semantic_version=version,
        information_uri=INFORMATION_URI,
        rules=[_descriptor(r, rubric) for r in rules],
    )
    notifications = _notifications(result, display)
    invocation = om.Invocation(
        execution_successful=not any(p.kind in INCOMPLETE_KINDS for p in result.problems),
        tool_execution_notifications=notifications or None,
    )
    # descriptions only: a `uri` here would put this machine's absolute paths into the report
    base_ids = {SRCROOT: om.ArtifactLocation(description=om.Message(text="The scanned root: the directory given to `sigil scan` (the repository root in CI), or the home directory with --home."))}
    if any(loc.physical_location.artifact_location.uri_base_id == HOME for r in results for loc in r.locations):
        base_ids[HOME] = om.ArtifactLocation(description=om.Message(text="The home directory of the user whose machine was scanned (files outside the scanned root)."))
    run = om.Run(
        tool=om.Tool(driver=driver),
        automation_details=om.RunAutomationDetails(id="sigil-scan/"),
        column_kind="unicodeCodePoints",
        original_uri_base_ids=base_ids,
        invocations=[invocation],
        results=results,
    )
    log = om.SarifLog(version="2.1.0", schema_uri=SCHEMA_URI, runs=[run])
    data: dict[str, Any] = _to_json(log)
    data["runs"][0].setdefault("results", [])  # GitHub wants the array, even empty
    for item in data["runs"][0]["results"]:
        for suppression in item.get("suppressions", ()):
            # SARIF 2.1.0 has suppression.status; sarif-om 1.0.4 predates it
            suppression["status"] = "accepted"
    # `$schema` and `version` first, as every SARIF producer writes them
    return {"$schema": data.pop("$schema"), "version": data.pop("version"), **data}


def render(result: ScanResult, display: Callable[[Any], str], library: Any, rubric: Any, **kwargs: Any) -> str:
    return json.dumps(build(result, display, library, rubric, **kwargs), indent=2, ensure_ascii=False) + "\n"
