"""Project policy: the `.sigil.yaml` config, baselines, and marking findings as suppressed.

Suppressed findings are never dropped: they keep their place in every output (JSON, JSONL,
SARIF `suppressions`), are counted in the summary, and only stop counting toward the score and
the exit code (Rubric.score skips them). A finding is identified by the same fingerprint SARIF
`partialFingerprints["sigil/v1"]` carries: rule id + display path + key path, never a line.

The config lives in the scanned repository, so it is input from whoever can commit there: it may
only *add* rules (a config rule directory cannot replace a bundled rule, its weights or the
surface catalogue), every suppression needs a written reason, and none of it is read in home
mode, where the scanned repositories are not the user's own choice.
"""

from __future__ import annotations

import fnmatch
import json
import os
from pathlib import Path
from typing import Any, NamedTuple

from sigil_scan.errors import SigilError
from sigil_scan.model import Reason, ScanResult
from sigil_scan.projectfile import CONFIG_NAMES, find_config  # noqa: F401 - the lookup lives apart (cheap to import)

MAX_CONFIG_BYTES = 1 << 20
BASELINE_VERSION = 1
FAIL_ON_VALUES = ("low", "medium", "high", "critical", "never")


# No dataclasses here: the scan command imports this module on every run (for find_config), and
# `import dataclasses` plus one @dataclass cost ~2 ms; a NamedTuple and a slotted class do not.
class Ignore(NamedTuple):
    """One `ignore:` entry: a rule id, a path glob (relative to the scan root), maybe a key."""

    rule: str
    path: str
    reason: str
    key: str | None = None

    def matches(self, reason: Reason, shown_path: str) -> bool:
        if reason.rule_id != self.rule or not fnmatch.fnmatchcase(shown_path, self.path):
            return False
        if self.key is None:
            return True
        wanted = self.key.split(".")
        have = [str(k) for k in reason.key_path]
        # a key names a subtree: `mcpServers.fs` covers every finding under that server
        return have[: len(wanted)] == wanted


class ProjectConfig:
    __slots__ = ("path", "fail_on", "disable", "rules_dirs", "ignores", "warnings")

    def __init__(
        self,
        path: Path | None = None,
        fail_on: str | None = None,
        disable: dict[str, str] | None = None,  # rule id -> reason
        rules_dirs: list[Path] | None = None,
        ignores: list[Ignore] | None = None,
        warnings: list[str] | None = None,
    ) -> None:
        self.path = path
        self.fail_on = fail_on
        self.disable: dict[str, str] = {} if disable is None else disable
        self.rules_dirs: list[Path] = [] if rules_dirs is None else rules_dirs
        self.ignores: list[Ignore] = [] if ignores is None else ignores
        self.warnings: list[str] = [] if warnings is None else warnings


def load_config(path: Path) -> ProjectConfig:
    """Read and validate a project config; every problem is a SigilError naming the field."""
    from sigil_scan.engine.library import validate
    from sigil_scan.parsers import ParseError, parse

    try:
        if path.stat().st_size > MAX_CONFIG_BYTES:
            raise SigilError(f"{path}: config larger than {MAX_CONFIG_BYTES} bytes")
        data = path.read_bytes()
    except OSError as exc:
        raise SigilError(f"{path}: cannot read config: {exc.strerror or exc}") from exc
    try:
        # the hardened YAML parser: an alias bomb in a committed config must not hang CI
        document, _ = parse(path, data, "yaml")
    except ParseError as exc:
        raise SigilError(f"{path}: invalid YAML: {exc}") from exc
    raw = document.value if document.value is not None else {}
    validate(raw, "config", path)
    base = path.parent
    config = ProjectConfig(path=path, fail_on=raw.get("fail_on"))
    for item in raw.get("disable") or []:
        if isinstance(item, str):
            config.disable[item] = "disabled in project config"
        else:
            config.disable[item["rule"]] = item["reason"]
    config.rules_dirs = [(base / d) for d in raw.get("rules") or []]
    config.ignores = [Ignore(i["rule"], i["path"], i["reason"], i.get("key")) for i in raw.get("ignore") or []]
    return config


def check_config_rules(config: ProjectConfig, library: Any, bundled_ids: set[str]) -> None:
    """A config rule directory may add rules, never replace the bundled ones or the rubric."""
    for directory in config.rules_dirs:
        for name in ("rubric.yaml", "discovery.yaml", "surfaces", "patterns"):
            if (directory / name).exists():
                raise SigilError(f"{config.path}: rules directory {directory} has {name}: a project config may only add rules (use --rules for more)")
        real = os.path.realpath(directory)
        for rule in library.rules:
            source = os.path.realpath(str(rule.get("_source", "")))
            if source.startswith(real + os.sep) and rule["id"] in bundled_ids:
                raise SigilError(f"{source}: rule id {rule['id']!r} replaces a bundled rule; a project config may only add rules")
    known = {r["id"] for r in library.rules}
    for rule_id in [*config.disable, *(i.rule for i in config.ignores)]:
        if rule_id not in known:
            config.warnings.append(f"{config.path}: unknown rule id {rule_id!r} (see `sigil rules list`)")


# -- baselines ------------------------------------------------------------------------------


def read_baseline(path: Path) -> set[str]:
    """The fingerprints of a baseline file written by --write-baseline."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SigilError(f"{path}: cannot read baseline: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise SigilError(f"{path}: not a sigil-scan baseline (invalid JSON: {exc})") from exc
    if not isinstance(doc, dict) or doc.get("version") != BASELINE_VERSION or not isinstance(doc.get("findings"), list):
        raise SigilError(f"{path}: not a sigil-scan baseline (expected version {BASELINE_VERSION} and a findings list)")
    out = set()
    for item in doc["findings"]:
        fp = item.get("fingerprint") if isinstance(item, dict) else None
        if not isinstance(fp, str):
            raise SigilError(f"{path}: baseline entry without a fingerprint: {item!r:.80}")
        out.add(fp)
    return out


def baseline_document(result: ScanResult, display: Any) -> dict[str, Any]:
    """Every finding not suppressed by the config, sorted so the file diffs well in review."""
    findings = [
        {"fingerprint": r.fingerprint, "rule_id": r.rule_id, "path": display(r.file), "key": ".".join(str(k) for k in r.key_path), "message": r.message}
        for s in result.surfaces
        for r in s.reasons
        if r.suppressed_by != "config"
    ]
    unique = {f["fingerprint"]: f for f in findings}
    ordered = sorted(unique.values(), key=lambda f: (f["path"], f["rule_id"], f["key"], f["fingerprint"]))
    return {"version": BASELINE_VERSION, "tool": "sigil-scan", "findings": ordered}


def write_baseline(path: Path, document: dict[str, Any]) -> None:
    from sigil_scan.commands.common import write_output

    write_output(json.dumps(document, indent=2, ensure_ascii=False) + "\n", path)


# -- applying ----------------------------------------------------------------------------------


def apply(result: ScanResult, display: Any, rubric: Any, config: ProjectConfig | None, baseline: set[str] | None) -> dict[str, str]:
    """Mark suppressed reasons (config first, then baseline) and re-score every surface.

    Returns fingerprint -> justification, for SARIF `suppressions[].justification`.
    """
    justifications: dict[str, str] = {}
    for surface in result.surfaces:
        changed = False
        reasons: list[Reason] = []
        for reason in surface.reasons:
            how, why = _suppressed(reason, display(reason.file), config, baseline)
            if how is not None and not reason.suppressed_by:
                reason = reason._replace(suppressed_by=how)
                changed = True
            if how is not None and why:
                justifications[reason.fingerprint] = why
            reasons.append(reason)
        if changed:
            surface.score, surface.bucket, surface.reasons = rubric.score(reasons)
    return justifications


def _suppressed(reason: Reason, shown: str, config: ProjectConfig | None, baseline: set[str] | None) -> tuple[str | None, str]:
    if config is not None:
        if reason.rule_id in config.disable:
            return "config", f"rule disabled in {config.path.name if config.path else 'config'}: {config.disable[reason.rule_id]}"
        for ignore in config.ignores:
            if ignore.matches(reason, shown):
                return "config", ignore.reason
    if baseline is not None and reason.fingerprint in baseline:
        return "baseline", "present in the baseline"
    return None, ""
