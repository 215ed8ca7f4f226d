"""host_meta_snapshot: what tells machines apart in a SIEM (no secrets, no network addresses)."""

from __future__ import annotations

import getpass
import json
import os
import platform
import socket
from typing import Any

from blake3 import blake3


def _os_release() -> tuple[str, str]:
    try:
        with open("/etc/os-release", encoding="utf-8") as f:
            fields = dict(line.rstrip("\n").split("=", 1) for line in f if "=" in line)
        return fields.get("NAME", "").strip('"') or platform.system(), fields.get("VERSION_ID", "").strip('"')
    except OSError:
        pass
    if platform.system() == "Darwin":
        return "macOS", platform.mac_ver()[0]
    if platform.system() == "Windows":
        return "Windows", platform.version()
    return platform.system(), platform.release()


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError, ImportError):  # no passwd entry (containers)
        return str(os.getuid()) if hasattr(os, "getuid") else "unknown"


def snapshot() -> dict[str, Any]:
    os_name, os_version = _os_release()
    return {
        "hostname": socket.gethostname(),
        "os_name": os_name,
        "os_version": os_version,
        "kernel_version": platform.release(),
        "architecture": platform.machine(),
        "user": _user(),
    }


def snapshot_hash(snap: dict[str, Any]) -> str:
    return "blake3:" + blake3(json.dumps(snap, sort_keys=True).encode()).hexdigest()


def host_meta_event(snap: dict[str, Any], *, is_reattestation: bool) -> dict[str, Any]:
    from sigil_scan.events import envelope

    evidence = {"kind": "host_meta_snapshot", "snapshot": snap, "snapshot_hash": snapshot_hash(snap), "is_reattestation": is_reattestation}
    return envelope(evidence, subject={"kind": "self"})
