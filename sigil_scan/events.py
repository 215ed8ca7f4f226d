"""Build JSONL events (design.md §4, schemas/event.schema.json) from scan results."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sigil_scan import __version__
from sigil_scan.identity import host_id, rfc3339_ms, uuid7
from sigil_scan.model import Bucket, Reason, ScanResult, SurfaceAssessment

Display = Callable[[Any], str]
_RESERVED = {"kind", "rule_id", "weight", "contribution", "file", "line", "column", "message", "severity", "fingerprint", "suppressed_by"}


def envelope(
    evidence: dict[str, Any],
    *,
    subject: dict[str, Any],
    severity: str = "info",
    source: str = "agent",
    target_id: str | None = None,
    ts: float | None = None,
) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "event_id": uuid7(None if ts is None else int(ts * 1000)),
        "ts": rfc3339_ms(ts),
        "host_id": host_id(),
        "agent_version": __version__,
        "severity": severity,
        "source": {"kind": source},
        "subject": subject,
        "evidence": evidence,
        "target_id": target_id,
    }


def reason_wire(reason: Reason, display: Display) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": reason.kind}
    out.update({k: v for k, v in reason.fields.items() if k not in _RESERVED})
    out.update(
        {
            "rule_id": reason.rule_id,
            "weight": reason.weight,
            "contribution": reason.contribution,
            "severity": max(reason.severity, Bucket.LOW).wire,
            "file": display(reason.file),
            "line": reason.line,
            "column": reason.column,
            "message": reason.message,
            "fingerprint": reason.fingerprint,
        }
    )
    if reason.suppressed_by:
        out["suppressed_by"] = reason.suppressed_by
    return out


def risk_assessed(surface: SurfaceAssessment, display: Display, *, is_reattestation: bool = False, ts: float | None = None) -> dict[str, Any]:
    primary = surface.files[0] if surface.files else None
    evidence = {
        "kind": "ai_guard_risk_assessed",
        "tool": surface.tool,
        "scope": surface.scope.wire(display),
        "score": surface.score,
        "bucket": surface.bucket.wire,
        "reasons": [reason_wire(r, display) for r in surface.reasons],
        "is_reattestation": is_reattestation,
        "files": [{"path": display(f.path), "blake3": f.blake3, "size": f.size, "role": f.role} for f in surface.files],
    }
    if surface.controls:  # managed settings observed (report-only, never scored)
        evidence["controls"] = [
            {"key": c.fields.get("key"), "value": c.fields.get("value"), "file": display(c.file), "line": c.line} for c in surface.controls
        ]
    severity = "warn" if surface.bucket >= Bucket.MEDIUM else "info"
    subject = {"kind": "path", "value": display(primary.path)} if primary else {"kind": "self"}
    return envelope(evidence, subject=subject, severity=severity, target_id=primary.surface_id if primary else None, ts=ts)


def scan_events(result: ScanResult, display: Display, *, ts: float | None = None) -> list[dict[str, Any]]:
    """One ai_guard_risk_assessed per surface (clean ones too), then one event per problem."""
    events = [risk_assessed(s, display, ts=ts) for s in result.surfaces]
    for problem in result.problems:
        subject = {"kind": "path", "value": display(problem.path)} if problem.path else {"kind": "self"}
        if problem.kind == "permission_missing":
            evidence: dict[str, Any] = {"kind": "permission_missing", "resource": subject.get("value", ""), "platform_hint": None}
        else:
            evidence = {"kind": "scan_problem", "problem": problem.kind, "message": problem.message}
        events.append(envelope(evidence, subject=subject, severity="warn", source="agent", ts=ts))
    return events
