"""The scan path stays free of heavy imports (issue #8: a cold `sigil scan` within 60 ms).

A fresh interpreter runs a full scan of a small repository with a destructive hook (so discovery,
parsing, the adapters, the rule engine, the shell analyser, scoring, events and the jsonl and
text formatters all run) and then reports which modules got imported, and by which module of
ours. `dataclasses` pulls in `inspect` (with ast, dis, tokenize: ~8 ms); the others belong to
commands that are not a scan (signing, schema validation, SARIF, watch, serve, upload).

The identity helpers are checked here too: they format UUIDs and timestamps without the `uuid`
and `datetime` modules, and must give exactly what those modules give.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, sigil_env, write

FORBIDDEN = ("dataclasses", "inspect", "nacl", "jsonschema", "sarif_om", "watchdog", "sqlite3", "ssl")

# Runs in the subprocess. A meta-path finder notes, for each forbidden module, the first module of
# ours on the stack when it was first imported, so a failure names the culprit.
_PROBE = r"""
import json, sys

FORBIDDEN = set(sys.argv[3].split(","))
importers = {}


class _Who:
    @staticmethod
    def find_spec(name, path=None, target=None):
        top = name.partition(".")[0]
        if top in FORBIDDEN and top not in importers:
            frame = sys._getframe(1)
            while frame is not None and not frame.f_globals.get("__name__", "").startswith("sigil_scan"):
                frame = frame.f_back
            importers[top] = frame.f_globals["__name__"] if frame is not None else "<not sigil_scan>"
        return None  # only watching: the normal finders import the module


sys.meta_path.insert(0, _Who)

from pathlib import Path

from sigil_scan.events import scan_events
from sigil_scan.formats import jsonl, text
from sigil_scan.paths import PathDisplay
from sigil_scan.scan import ScanOptions, Scanner

repo, home = Path(sys.argv[1]), Path(sys.argv[2])
scanner = Scanner(ScanOptions(paths=[repo], home=home, env={"HOME": str(home)}))
result = scanner.scan()
display = PathDisplay([repo], home)
lines = jsonl.render(scan_events(result, display))
report = text.render(result, display, lambda rule_id: "")
print(json.dumps({
    "imported": sorted(m for m in FORBIDDEN if m in sys.modules),
    "importers": importers,
    "events": [json.loads(line) for line in lines.splitlines()],
    "text": report,
}))
"""


@pytest.fixture(scope="module")
def probe(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("hygiene")
    hook = {"hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "rm -rf /tmp/build"}]}]}}
    repo = write(base / "repo", {".claude/settings.json": json.dumps(hook)})
    home = base / "home"
    home.mkdir()
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, str(repo), str(home), ",".join(FORBIDDEN)],
        cwd=base,
        env=sigil_env(home, PYTHONPATH=str(REPO)),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    data: dict[str, Any] = json.loads(out.stdout)
    return data


def test_the_probe_really_scanned(probe: dict[str, Any]) -> None:
    # the assertion below means nothing unless the whole pipeline ran and found the hook
    events = probe["events"]
    assert len(events) == 1
    evidence = events[0]["evidence"]
    assert evidence["bucket"] in ("high", "critical")
    assert any(r["kind"] == "destructive_in_inline_command" and r["snippet"] == "rm -rf /tmp/build" for r in evidence["reasons"])
    assert "rm -rf /tmp/build" in probe["text"]


def test_scan_path_imports_nothing_heavy(probe: dict[str, Any]) -> None:
    culprits = {m: probe["importers"].get(m, "?") for m in probe["imported"]}
    assert culprits == {}, f"imported on the scan path (module -> first importer of ours): {culprits}"


def test_uuid7_is_a_valid_version_7_uuid() -> None:
    from sigil_scan.identity import uuid7

    for now_ms in (0, 1, 1_700_000_000_123, (1 << 48) - 1, None):
        text = uuid7(now_ms)
        parsed = uuid.UUID(text)
        assert str(parsed) == text  # canonical lower-case 8-4-4-4-12
        assert parsed.version == 7 and parsed.variant == uuid.RFC_4122
        if now_ms is not None:
            assert parsed.int >> 80 == now_ms  # the 48-bit millisecond timestamp leads
    assert len({uuid7(5) for _ in range(50)}) == 50  # random bits differ within one millisecond


@pytest.mark.parametrize(
    "ts",
    [0.0, 1.0, 1_700_000_000.0, 1_700_000_000.0005, 1_700_000_000.9995, 1_700_000_000.999_999_7, 1.999_999_5, 4_102_444_799.999, -1.5],
)
def test_rfc3339_ms_matches_datetime(ts: float) -> None:
    from sigil_scan.identity import rfc3339_ms

    moment = datetime.fromtimestamp(ts, tz=timezone.utc)
    expected = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    assert rfc3339_ms(ts) == expected


def test_rfc3339_ms_now_is_well_formed() -> None:
    from sigil_scan.identity import rfc3339_ms

    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", rfc3339_ms())


def test_fact_anchors_default_is_shared_and_read_only() -> None:
    # Fact is a NamedTuple: its empty `anchors` default is one shared mapping, so it must refuse
    # writes (an adapter that wants an anchor passes its own mapping, see adapters/claude_code.py)
    from sigil_scan.model import Fact

    a, b = Fact("hook", {}, Path("x")), Fact("hook", {}, Path("y"))
    assert a.anchors is b.anchors and dict(a.anchors) == {}
    with pytest.raises(TypeError):
        a.anchors["matcher"] = ("hooks",)  # type: ignore[index]
