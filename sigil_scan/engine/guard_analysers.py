"""Analysers for agent guard values: sensitive paths, dangerous allow rules, open network
allow-lists, instruction directives and hidden text; with the launcher analysers
(engine/launcher_analysers.py) they make GUARD_ANALYSERS.

All knowledge is data under rules/ (sensitive_paths.yaml, dangerous_allow.yaml,
network_domains.yaml, instruction_markers.yaml), loaded and compiled once per process
(engine/ruledata.py): these run on the scan hot path.
"""

from __future__ import annotations

import re
import shlex
from functools import cache
from pathlib import Path
from typing import Any

from sigil_scan import shell
from sigil_scan.engine.context import EvalContext
from sigil_scan.engine.launcher_analysers import (
    ENV_ASSIGNMENT,
    LAUNCHER_ANALYSERS,
    Result,
    is_transient,
    program_base,
)
from sigil_scan.engine.ruledata import compiled_patterns, rule_data
from sigil_scan.lazyre import LazyPattern
from sigil_scan.redact import redact

# ---------------------------------------------------------------------------------------------
# sensitive-path


def normalise_path(raw: str, home: Path | None) -> str:
    path = raw.strip().strip("\"'").replace("\\", "/")
    path = re.sub(r"^(\$HOME|\$\{HOME\}|%USERPROFILE%|\$env:USERPROFILE|\$\{userHome\})", "~", path, flags=re.IGNORECASE)
    m = re.match(r"^//([a-zA-Z])/", path)
    if m:  # Claude's //c/Users/... form
        path = f"{m.group(1)}:/{path[4:]}"
    path = re.sub(r"/{2,}", "/", path)
    if home is not None:
        h = str(home).replace("\\", "/").rstrip("/")
        if h and (path == h or path.startswith(h + "/")):
            path = "~" + path[len(h) :]
    path = re.sub(r"(/\*\*?)+/?$", "", path) or "/"
    return path


def _home_relative(path: str) -> str | None:
    """The part of an absolute path below some user's home (`.ssh/id_rsa`), if it is one."""
    if path.startswith("~/"):
        return path[2:]
    m = re.match(r"^(?:[a-z]:)?/(?:mnt/[a-z]/)?(?:users|home)/[^/]+/(.*)$", path, re.IGNORECASE)
    return m.group(1) if m else None


def classify_path(raw: str, home: Path | None) -> str | None:
    path = normalise_path(raw, home)
    for kind, pattern in compiled_patterns("sensitive_paths", "broad_roots"):
        if pattern.search(path):
            return kind
    rel = _home_relative(path)
    for kind, pattern in compiled_patterns("sensitive_paths", "secret_dirs"):
        if kind == "agent_config" and rel is None:
            continue  # a .config directory only matters in a home
        if pattern.search(rel if rel is not None else path):
            return kind
    return None


def sensitive_path(value: Any, arg: Any, ctx: EvalContext) -> Result:
    """A path (or a list of paths) that is a home/root directory or holds secrets."""
    items = value if isinstance(value, list) else [value]
    for item in items:
        if not isinstance(item, str) or not item.strip() or item.startswith("-"):
            continue
        if "://" in item:
            continue
        kind = classify_path(item, ctx.home)
        if kind and (arg is True or kind in (arg if isinstance(arg, list) else [arg])):
            return {"path": redact(item), "path_kind": kind}
    return None


def protects_secrets(value: Any, arg: Any, ctx: EvalContext) -> Result:
    """Some deny rule (list of rule strings) protects secret files (.env, ~/.ssh, credentials)."""
    rules = value if isinstance(value, list) else []
    patterns = compiled_patterns("sensitive_paths", "secret_denies")
    hit = any(isinstance(r, str) and any(p.search(r) for _, p in patterns) for r in rules)
    return hit == bool(arg)


# ---------------------------------------------------------------------------------------------
# dangerous-allow

_PREFIX_TOOLS = frozenset({"Shell", "run_shell_command", "ShellTool"})
_TOOL_RULE = LazyPattern(r"^\s*([A-Za-z_][\w]*)\s*\((.*)\)\s*$", re.DOTALL)


@cache
def _danger_table() -> tuple[dict[tuple[str, ...], str], dict[tuple[str, ...], str], dict[tuple[str, ...], str], frozenset[str]]:
    prefix: dict[tuple[str, ...], str] = {}
    exact: dict[tuple[str, ...], str] = {}
    any_prefix: dict[tuple[str, ...], str] = {}
    flags: set[str] = set()
    for group in rule_data("dangerous_allow")["groups"]:
        for entry in group.get("prefix") or []:
            key = tuple(str(w).lower() for w in entry)
            prefix.setdefault(key, group["why"])
            if group.get("any_prefix"):
                any_prefix.setdefault(key, group["why"])
        for entry in group.get("exact") or []:
            exact.setdefault(tuple(str(w).lower() for w in entry), group["why"])
        flags.update(str(f).lower() for f in group.get("inline_code_flags") or [])
    return prefix, exact, any_prefix, frozenset(flags)


def command_prefix(specifier: str) -> tuple[str, bool]:
    """(command prefix, accepts any trailing input) of a permission specifier."""
    spec = specifier.strip()
    for suffix in (":*", " *", "*", ":**"):
        if spec.endswith(suffix):
            return spec[: -len(suffix)].rstrip(), True
    return spec, "*" in spec


def _words(prefix: str) -> list[str]:
    try:
        words = shlex.split(prefix, posix=True)
    except ValueError:
        words = prefix.split()
        # an opened quote (`python -c '`) is an open-ended inline program
    return [w for w in words if w]


def _unwrap(words: list[str]) -> tuple[list[str], str | None]:
    data = rule_data("dangerous_allow")
    wrappers = {str(w) for w in data["wrappers"]}
    values = {str(k): int(v) for k, v in (data.get("wrapper_values") or {}).items()}
    words = list(words)
    while words and ENV_ASSIGNMENT.match(words[0]):
        words.pop(0)
    while words and program_base(words[0]) in wrappers:
        if len(words) == 1:
            return [], program_base(words[0])
        name = program_base(words.pop(0))
        while words and words[0].startswith("-"):
            words.pop(0)
        for _ in range(values.get(name, 0)):
            if words and re.match(r"^\d", words[0]):
                words.pop(0)
    return words, None


def dangerous_allow(value: Any, arg: Any, ctx: EvalContext) -> Result:
    """A shell allow rule whose prefix lets arbitrary code, deletion, network, privilege,
    publishing or installs through (`Bash(python:*)`, `Bash(curl:*)`, `Shell(rm)`)."""
    if not isinstance(value, str):
        return None
    m = _TOOL_RULE.match(value)
    if not m:
        return None
    tools = {str(t) for t in (arg if isinstance(arg, list) else ["Bash", "PowerShell", "Shell", "run_shell_command", "ShellTool"])}
    if m.group(1) not in tools:
        return None
    specifier = m.group(2)
    prefix, open_ended = command_prefix(specifier)
    # Cursor `Shell(git)` and Gemini `run_shell_command(git)` match by command prefix: any
    # arguments (and, in older Gemini builds, chained commands) follow (A8)
    open_ended = open_ended or m.group(1) in _PREFIX_TOOLS
    raw_words = _words(prefix)
    opened_quote = prefix.count("'") % 2 == 1 or prefix.count('"') % 2 == 1
    words, bare_wrapper = _unwrap(raw_words)
    if bare_wrapper is not None:
        return {"command_prefix": redact(prefix), "why": "runs any command it wraps"} if open_ended else None
    if not words:
        return None
    first = program_base(words[0])
    if is_transient(words[0]):
        return {"command_prefix": redact(prefix), "why": "runs a script from a world-writable temporary directory"}
    # table entries are a few words long: only the first words can match (and a rule with
    # thousands of words must not cost quadratic time)
    key = tuple([first, *(w.lower() for w in words[1:8])])
    table, exact, any_prefix, inline_flags = _danger_table()
    for n in range(1, len(key) + 1):
        if key[:n] in any_prefix:
            return {"command_prefix": redact(prefix), "why": any_prefix[key[:n]]}
    for n in range(len(key), 0, -1):
        if key[:n] in exact:
            return {"command_prefix": redact(prefix), "why": exact[key[:n]]}
    if not (open_ended or opened_quote):
        return None
    why = table.get(key)
    if why is None and opened_quote and len(key) >= 2 and key[1] in inline_flags and (first,) in table:
        why = table[(first,)]
    if why is None:
        return None
    return {"command_prefix": redact(prefix), "why": why}


# ---------------------------------------------------------------------------------------------
# domain-open


def domain_open(value: Any, arg: Any, ctx: EvalContext) -> Result:
    """A network allow-list entry (domain, `domain:x` rule specifier) any third party can host on."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    m = _TOOL_RULE.match(text)
    if m:
        text = m.group(2).strip()
    text = text.removeprefix("domain:").strip().lower()
    data = rule_data("network_domains")
    if text in ("*", "*.*", "**"):
        return {"domain": text, "why": "every domain"}
    if text in {str(d).lower() for d in data["open_wildcards"]}:
        return {"domain": text, "why": "anyone can host content under this wildcard"}
    for host in data["paste_hosts"]:
        if text == host or text.endswith("." + host):
            return {"domain": text, "why": "an upload/paste service"}
    return None


# ---------------------------------------------------------------------------------------------
# instruction-directive / hidden-text


@cache
def _marker_patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    data = rule_data("instruction_markers")
    markers = re.compile("|".join(f"(?:{p})" for p in data["override_markers"]), re.IGNORECASE)
    negation = re.compile("|".join(f"(?:{p})" for p in data["negations"]), re.IGNORECASE)
    hidden = re.compile(data["hidden_characters"])
    return markers, negation, hidden


_CATEGORY_KIND = {"fetch_execute": "fetch_pipe", "destructive": "destructive", "obfuscation": "obfuscation"}
_SPAN = LazyPattern(r"`([^`\n]+)`")


def instruction_directive(value: Any, arg: Any, ctx: EvalContext) -> Result:
    """An instruction line that tells the agent to fetch-and-run, destroy, decode-and-run, or to
    hide things from the user. `value` is an instruction fact's fields: text, code (bool)."""
    if not isinstance(value, dict):
        return None
    text = str(value.get("text") or "")
    if not text.strip():
        return None
    markers, negation, _hidden = _marker_patterns()
    negated = bool(negation.search(text))
    commands: list[str] = []
    if value.get("code"):
        if not negated and not text.lstrip().startswith("#"):
            commands.append(text.strip().removeprefix("$ "))
    elif not negated:
        commands.extend(_SPAN.findall(text))
        stripped = text.strip()
        if stripped.startswith("$ "):
            commands.append(stripped[2:])
    for command in commands:
        for hit in shell.analyse_command(command, ctx.patterns):
            kind = _CATEGORY_KIND.get(hit.category)
            if kind:
                return {"directive_kind": kind, "snippet": redact(hit.snippet), "pattern": hit.pattern}
    m = markers.search(text)
    if m:
        return {"directive_kind": "override_marker", "snippet": redact(text.strip()), "pattern": "override-marker"}
    return None


def hidden_text(value: Any, arg: Any, ctx: EvalContext) -> Result:
    """Invisible characters (zero-width, bidi controls, Unicode tags) in text a human reviews."""
    if not isinstance(value, str):
        return None
    m = _marker_patterns()[2].search(value)
    if not m:
        return None
    count = len(_marker_patterns()[2].findall(value))
    return {"directive_kind": "hidden_text", "snippet": f"{count} invisible character(s), first U+{ord(m.group(0)):04X}", "pattern": "hidden-text"}


GUARD_ANALYSERS = {
    "sensitive-path": sensitive_path,
    "protects-secrets": protects_secrets,
    "dangerous-allow": dangerous_allow,
    "domain-open": domain_open,
    "instruction-directive": instruction_directive,
    "hidden-text": hidden_text,
    **LAUNCHER_ANALYSERS,
}
