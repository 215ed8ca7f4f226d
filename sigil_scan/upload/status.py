"""The uploader's heartbeat: last acknowledgement, lag, dead letters, last error.

Written atomically to `upload-status-<consumer>.json` in the spool directory after every batch
and every failure; `sigil doctor` reads it, and `heartbeat_event` turns it into an
`uploader_heartbeat` event sent to the receiver.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any


@dataclass(slots=True)
class UploadStatus:
    sink: str = ""
    url: str = ""
    last_ack_at: float | None = None
    last_attempt_at: float | None = None
    last_status: int | None = None
    last_error: str | None = None
    last_error_kind: str | None = None
    consecutive_failures: int = 0
    delivered: int = 0
    dead_letters: int = 0
    lag_events: int = 0
    lag_bytes: int = 0
    updated_at: float = 0.0
    dead_letter_dir: str = ""


def status_path(spool: Path, consumer: str) -> Path:
    return spool / f"upload-status-{consumer}.json"


def save_status(path: Path, status: UploadStatus) -> None:
    status.updated_at = time.time()
    from sigil_scan.fsutil import write_atomic

    with contextlib.suppress(OSError):  # the heartbeat is advisory; delivery must not fail on it
        write_atomic(path, json.dumps(asdict(status), indent=1).encode("utf-8"))


def load_status(path: Path) -> UploadStatus | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        names = {f.name for f in fields(UploadStatus)}
        return UploadStatus(**{k: v for k, v in data.items() if k in names})
    except (OSError, ValueError, TypeError):
        return None


def _iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    from sigil_scan.identity import rfc3339_ms

    return rfc3339_ms(ts)


def heartbeat_event(status: UploadStatus) -> dict[str, Any]:
    from sigil_scan.events import envelope

    evidence = {
        "kind": "uploader_heartbeat",
        "sink": status.sink,
        "last_ack_at": _iso(status.last_ack_at),
        "lag_events": status.lag_events,
        "lag_bytes": status.lag_bytes,
        "dead_letters": status.dead_letters,
        "delivered": status.delivered,
        "last_error": status.last_error,
    }
    severity = "warn" if status.last_error or status.dead_letters else "info"
    return envelope(evidence, subject={"kind": "self"}, severity=severity, source="uploader")


def describe(status: UploadStatus, now: float | None = None) -> list[tuple[bool, str]]:
    """Lines for `sigil doctor`: (ok, text)."""
    now = time.time() if now is None else now
    out: list[tuple[bool, str]] = []
    if status.last_ack_at is None:
        out.append((status.lag_events == 0, f"uploader ({status.sink}): no acknowledgement yet"))
    else:
        out.append((True, f"uploader ({status.sink}): last acknowledgement {_iso(status.last_ack_at)} ({int(now - status.last_ack_at)} s ago)"))
    out.append((True, f"uploader lag: {status.lag_events} events, {status.lag_bytes} bytes not yet delivered"))
    where = f" in {status.dead_letter_dir} (review them)" if status.dead_letters and status.dead_letter_dir else ""
    out.append((True, f"uploader dead letters: {status.dead_letters}{where}"))
    if status.last_error:
        out.append((False, f"uploader last error ({status.last_error_kind}): {status.last_error}"))
    return out


def doctor_lines() -> list[tuple[bool, str]]:
    """Heartbeat lines for `sigil doctor`, from the spool named in the default upload config (only
    its `spool` key is read: doctor never touches secrets), else the default spool."""
    from sigil_scan.locations import config_dir, default_spool

    spool = default_spool()
    config = config_dir() / "upload.yaml"
    if config.is_file():
        try:
            from sigil_scan.yamlload import load_yaml

            data = load_yaml(config.read_bytes())
            if isinstance(data, dict) and isinstance(data.get("spool"), str):
                spool = Path(os.path.expanduser(data["spool"]))
                if not spool.is_absolute():
                    spool = config.parent / spool
        except Exception:  # noqa: BLE001 - a broken config is `sigil upload`'s error to report
            pass
    out: list[tuple[bool, str]] = []
    for path in sorted(spool.glob("upload-status-*.json")):
        status = load_status(path)
        if status is None:
            out.append((False, f"uploader status {path} unreadable"))
        else:
            out.extend(describe(status))
    return out
