"""Analyser matchers: the ones that understand a value (a shell command, a URL, a permission
rule, a secret) instead of comparing it. Each is registered by name in ANALYSERS."""

from __future__ import annotations

import ipaddress
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from sigil_scan import shell
from sigil_scan.engine.context import EvalContext
from sigil_scan.engine.guard_analysers import GUARD_ANALYSERS
from sigil_scan.redact import is_literal_secret, redact

Result = bool | dict[str, Any] | None


def _categories(arg: Any) -> set[str] | None:
    if arg is True or arg == "any":
        return None
    return {arg} if isinstance(arg, str) else set(arg)


def _hit_captures(hit: shell.CommandHit) -> dict[str, Any]:
    return {
        "category": hit.category,
        "pattern": hit.pattern,
        "snippet": redact(hit.snippet),
        "target": hit.target,
        "script_line": hit.line,
        "chain": list(hit.chain),
    }


def shell_executes(value: Any, arg: Any, ctx: EvalContext) -> Result:
    """The command (a string, or argv list) executes something in the named pattern set(s)."""
    if isinstance(value, list):
        value = shlex.join(str(v) for v in value)  # argv: each element is one word
    if not isinstance(value, str) or not value.strip():
        return None
    wanted = _categories(arg)
    key = ("shell-hits", 0, value)  # one analysis per command, whichever categories a rule wants
    hits = ctx.shared.get(key)
    if hits is None:
        hits = ctx.shared[key] = shell.analyse_command(value, ctx.patterns)
    for hit in hits:
        if wanted is None or hit.category in wanted:
            return _hit_captures(hit)
    return None


def _script(value: Any, ctx: EvalContext) -> tuple[Path, Any] | None:
    if not isinstance(value, str):
        return None
    key = ("script-path", 0, value)
    if key not in ctx.memo:
        ctx.memo[key] = shell.resolve_script_path(value, project_dir=ctx.project_dir, home=ctx.home)
    path = ctx.memo[key]
    if path is None:
        return None
    analysis = ctx.scripts.get(path)
    if analysis is None:
        analysis = shell.analyse_script(path, ctx.patterns, base_dir=ctx.project_dir, home=ctx.home)
        ctx.scripts[path] = analysis
        ctx.files_read.extend(analysis.files)
    return path, analysis


def _shown(path: Path, ctx: EvalContext) -> str:
    """A script path as messages show it: project-relative, ~/..., else absolute."""
    for base, prefix in ((ctx.project_dir, ""), (ctx.home, "~/")):
        if base is not None:
            try:
                return prefix + path.relative_to(base).as_posix()
            except ValueError:
                continue
    return path.as_posix()


def script_executes(value: Any, arg: Any, ctx: EvalContext) -> Result:
    """The hook command runs a script file that executes something in the named set(s)."""
    found = _script(value, ctx)
    if found is None:
        return None
    path, analysis = found
    wanted = _categories(arg)
    for hit in analysis.hits:
        if wanted is None or hit.category in wanted:
            return {**_hit_captures(hit), "script": _shown(path, ctx)}
    return None


def script_unscanned(value: Any, arg: Any, ctx: EvalContext) -> Result:
    """The hook command runs a script file that could not be read or analysed."""
    found = _script(value, ctx)
    if found is None:
        return None
    path, analysis = found
    return {"script": _shown(path, ctx), "why": analysis.unscanned} if analysis.unscanned else None


_BROAD_MATCHERS = {"", "*", ".*", ".+", "(.*)", "^.*$", "^.*", ".*$", "(?s).*"}


def broad_hook_matcher(value: Any, arg: Any, ctx: EvalContext) -> Result:
    """A hook matcher that selects every tool (absent, empty, `*`, `.*` and equivalents)."""
    broad = value is None or (isinstance(value, str) and value.strip() in _BROAD_MATCHERS)
    return broad == bool(arg)


def secret_literal(value: Any, arg: Any, ctx: EvalContext) -> Result:
    """A mapping (env, headers) or string holding a literal secret rather than a ${VAR} reference."""
    items: list[tuple[str, Any]]
    if isinstance(value, dict):
        items = [(str(k), v) for k, v in value.items()]
    elif isinstance(value, list):
        items = [(f"[{i}]", v) for i, v in enumerate(value)]
    else:
        items = [(str(arg) if isinstance(arg, str) else "", value)]
    for name, item in items:
        if isinstance(item, str) and "://" in item and "?" in item:
            # a token in a URL's query string (`?api_key=…`) is as literal as one in `env`
            for key, val in parse_qsl(urlsplit(item.strip()).query):
                why = is_literal_secret(key, val)
                if why:
                    return {"secret_name": f"{name}?{key}" if name else key, "secret_format": why}
        if isinstance(item, str):
            why = is_literal_secret(name, item)
            if why == "url-credentials" and _url_to_loopback(item):
                continue  # a local development database's credentials only work on this machine
            if why:
                return {"secret_name": name, "secret_format": why}
    return None


def _url_to_loopback(text: str) -> bool:
    host = urlsplit(text.strip()).hostname if "://" in text else None
    return bool(host) and _host_is_loopback(str(host))


def _host_is_loopback(host: str) -> bool:
    if host in ("localhost", "localhost.localdomain") or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def url_remote(value: Any, arg: Any, ctx: EvalContext) -> Result:
    """An http(s)/ws(s) URL to a host that is not this machine."""
    if not isinstance(value, str):
        return None
    parts = urlsplit(value.strip())
    if parts.scheme.lower() not in ("http", "https", "ws", "wss") or not parts.hostname:
        return None
    if _host_is_loopback(parts.hostname) == bool(arg):
        return None
    return {"host": parts.hostname, "scheme": parts.scheme.lower(), "destination": f"{parts.scheme.lower()}://{parts.hostname}"}


def url_insecure(value: Any, arg: Any, ctx: EvalContext) -> Result:
    """Plain http:// or ws:// to a non-loopback host (traffic and tokens readable on the path)."""
    remote = url_remote(value, True, ctx)
    if isinstance(remote, dict) and remote["scheme"] in ("http", "ws"):
        return remote
    return None


_WILDCARD_SPECIFIERS = {"*", ".*", "*:*", ":*", "**", ""}


def permission_broad(value: Any, arg: Any, ctx: EvalContext) -> Result:
    """A permission rule that covers every use of a tool: `Bash`, `Bash(*)`, `*`, `mcp__*`.

    The tools it applies to without a specifier come from the argument (a list of tool names);
    with `true`, any tool counts.
    """
    if not isinstance(value, str):
        return None
    rule = value.strip()
    if rule in ("*", "mcp__*", "*:*"):
        return {"rule": rule}
    tool, _, rest = rule.partition("(")
    tool = tool.strip()
    tools = None if arg is True else set(arg)
    if tools is not None and tool not in tools:
        return None
    if not rest:
        return {"rule": rule, "tool": tool}
    specifier = rest.rstrip().removesuffix(")").strip()
    return {"rule": rule, "tool": tool} if specifier in _WILDCARD_SPECIFIERS else None


ANALYSERS: dict[str, Callable[[Any, Any, EvalContext], Result]] = {
    "shell-executes": shell_executes,
    "script-executes": script_executes,
    "script-unscanned": script_unscanned,
    "broad-hook-matcher": broad_hook_matcher,
    "secret-literal": secret_literal,
    "url-remote": url_remote,
    "url-insecure": url_insecure,
    "permission-broad": permission_broad,
    **GUARD_ANALYSERS,
}

# Analysers whose answer depends only on the value, the rule argument and the pattern sets (not
# on the home, the project directory or files on disk, and with no side effect on the context):
# the evaluator may reuse their results across the surfaces of a scan (EvalContext.shared).
PURE_ANALYSERS = frozenset({
    "shell-executes", "broad-hook-matcher", "secret-literal", "url-remote", "url-insecure",
    "permission-broad", "package-unpinned", "launcher-shell", "transient-path", "protects-secrets",
    "dangerous-allow", "domain-open", "instruction-directive", "hidden-text",
})
