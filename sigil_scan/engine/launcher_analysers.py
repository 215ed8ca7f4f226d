"""Analysers for how an MCP server or hook is launched: package pins (npx, uvx, docker, nix …),
shell launchers, transient paths, and launchers whose code nobody reviewed.

The knowledge is data in rules/mcp_launchers.yaml, loaded once per process (engine/ruledata.py).
"""

from __future__ import annotations

import re
import shlex
from functools import cache
from typing import Any

from sigil_scan.engine.context import EvalContext
from sigil_scan.engine.ruledata import compiled_patterns, rule_data
from sigil_scan.lazyre import LazyPattern
from sigil_scan.redact import redact

Result = bool | dict[str, Any] | None

# ---------------------------------------------------------------------------------------------
# argv helpers


def argv_of(value: Any) -> list[str]:
    """A launcher as argv: a list as is; a string split like a shell would (never raises)."""
    if isinstance(value, list):
        return [str(v) for v in value]
    if not isinstance(value, str) or not value.strip():
        return []
    try:
        return shlex.split(value, posix=True)
    except ValueError:
        return value.split()


def program_base(word: str) -> str:
    name = word.replace("\\", "/").rsplit("/", 1)[-1].lower()
    for ext in (".exe", ".cmd", ".bat", ".ps1"):
        name = name.removesuffix(ext)
    return name


ENV_ASSIGNMENT = LazyPattern(r"^[A-Za-z_][A-Za-z0-9_]*=")


def _strip_env(argv: list[str]) -> list[str]:
    """Drop leading VAR=value words and an `env [-S] [VAR=..]` wrapper."""
    i = 0
    while i < len(argv) and ENV_ASSIGNMENT.match(argv[i]):
        i += 1
    if i < len(argv) and program_base(argv[i]) == "env":
        i += 1
        while i < len(argv) and (argv[i].startswith("-") or ENV_ASSIGNMENT.match(argv[i])):
            i += 1
    return argv[i:]


# ---------------------------------------------------------------------------------------------
# package-unpinned


@cache
def _runner_table() -> tuple[tuple[list[str], dict[str, Any]], ...]:
    """(lower-cased words, spec) of every package runner, in file order (built once)."""
    return tuple(([w.lower() for w in spec["words"]], spec) for spec in rule_data("mcp_launchers")["package_runners"])


@cache
def _runner_flags(index: int) -> tuple[frozenset[str], frozenset[str]]:
    spec = _runner_table()[index][1]
    return frozenset(f.lower() for f in spec.get("package_flags") or []), frozenset(f.lower() for f in spec.get("value_flags") or [])


def _runner(argv: list[str]) -> tuple[dict[str, Any], list[str]] | None:
    found = _runner_at(argv)
    return None if found is None else (found[1], argv[len(found[2]) :])


def _runner_at(argv: list[str]) -> tuple[int, dict[str, Any], list[str]] | None:
    words = [program_base(argv[0])] + [a.lower() for a in argv[1:4]]
    for index, (need, spec) in enumerate(_runner_table()):
        if words[: len(need)] == need:
            return index, spec, need
    return None


@cache
def _floating_tags() -> frozenset[str]:
    return frozenset(str(t).lower() for t in rule_data("mcp_launchers")["floating_tags"])


def _floating(tag: str) -> bool:
    return tag.lower() in _floating_tags()


def _npm_pinned(spec: str) -> tuple[bool, str]:
    body = spec[1:] if spec.startswith("@") else spec
    if "@" not in body:
        return False, "no version"
    version = body.rsplit("@", 1)[1]
    if not version or _floating(version) or any(c in version for c in "^~*><|x") and not version[0].isdigit():
        return False, f"floating tag @{version}"
    if any(c in version for c in "^~*><|"):
        return False, f"version range @{version}"
    return True, ""


def _pypi_pinned(spec: str) -> tuple[bool, str]:
    m = re.search(r"(==|@|===)\s*([^\s,;]+)", spec)
    if not m or _floating(m.group(2)):
        return False, "no version" if not m else f"floating tag {m.group(2)}"
    return True, ""


def _container_pinned(image: str) -> tuple[bool, str]:
    if "@sha256:" in image:
        return True, ""
    last = image.rsplit("/", 1)[-1]
    if ":" in last:
        tag = last.rsplit(":", 1)[1]
        return (False, f"floating tag :{tag}") if _floating(tag) else (True, "")
    if "/" not in image:
        # an image without namespace or registry and without a tag is a locally built one as often
        # as a library image; only a namespaced image is clearly pulled from a registry
        return True, ""
    return False, "no tag or digest"


def _nix_pinned(ref: str) -> tuple[bool, str]:
    if "#" not in ref and ":" not in ref:
        return True, ""  # a local path or an installed attribute
    if re.search(r"[0-9a-f]{40}|[?&]rev=|/[0-9a-f]{7,}(#|$)", ref):
        return True, ""
    return False, "flake reference without a revision"


def _is_local(arg: str) -> bool:
    return arg.startswith((".", "/", "~", "$", "%", "file:")) or bool(re.match(r"^[A-Za-z]:[\\/]", arg))


def package_unpinned(value: Any, arg: Any, ctx: EvalContext) -> Result:
    """A launcher that fetches a package by a floating name at every start (`npx -y pkg`,
    `pkg@latest`, `uvx pkg`, `docker run ns/image:latest`, `nix run nixpkgs#x`)."""
    argv = _strip_env(argv_of(value))
    if not argv:
        return None
    found = _runner_at(argv)
    if found is None:
        return None
    index, spec, need = found
    rest = argv[len(need) :]
    style = spec["style"]
    package_flags, value_flags = _runner_flags(index)
    packages: list[str] = []
    positional: str | None = None
    i = 0
    while i < len(rest):
        word = rest[i]
        low = word.lower()
        flag, _, inline = low.partition("=")
        if word == "--":
            break
        if flag in package_flags:
            val = word.split("=", 1)[1] if inline else (rest[i + 1] if i + 1 < len(rest) else "")
            packages.append(val)
            i += 1 if inline else 2
            continue
        if word.startswith("-"):
            i += 2 if (flag in value_flags and not inline) else 1
            continue
        positional = word
        break
    if positional is not None and not spec.get("only_package_flags") and not packages:
        packages.append(positional)
    if style == "container" and positional is not None:
        packages = [positional]
    checker = {"npm": _npm_pinned, "pypi": _pypi_pinned, "container": _container_pinned, "nix": _nix_pinned}[style]
    for package in packages:
        if not package or _is_local(package) or "${" in package:
            continue
        pinned, why = checker(package)
        if not pinned:
            return {"package": redact(package), "runner": " ".join(spec["words"]), "why": why}
    return None


# ---------------------------------------------------------------------------------------------
# launcher-shell / transient-path


def launcher_shell(value: Any, arg: Any, ctx: EvalContext) -> Result:
    """A shell started with an inline-script flag (`bash -c`, `sh -lc`, `cmd /c`, `pwsh -Command`)."""
    argv = _strip_env(argv_of(value))
    if len(argv) < 2:
        return None
    data = rule_data("mcp_launchers")
    name = program_base(argv[0])
    if name not in data["shells"]:
        return None
    windows = name in ("cmd", "powershell", "pwsh")
    inline = {f.lower() for f in data["inline_flags"]}
    windows_only = {f.lower() for f in data["inline_flags_windows_only"]}
    not_inline = {f.lower() for f in data["not_inline_flags"]}
    for i, word in enumerate(argv[1:], 1):
        low = word.lower()
        bundled = re.fullmatch(r"-[a-z]*c", low) is not None and not windows
        if (low in inline and (windows or low not in windows_only) and low not in (not_inline - windows_only)) or bundled:
            payload = " ".join(argv[i + 1 :])
            return {"shape": "shell", "evidence": f"{name} {word}", "payload": redact(payload)}
        if not low.startswith(("-", "/")):
            break
    return None


def is_transient(word: str) -> bool:
    return any(p.search(word) for _, p in compiled_patterns("mcp_launchers", "transient_paths"))


def transient_path(value: Any, arg: Any, ctx: EvalContext) -> Result:
    """The launcher (or a non-flag argument) lives in a temporary or cache directory."""
    for word in argv_of(value):
        if not word.startswith("-") and is_transient(word):
            return {"shape": "transient_path", "evidence": redact(word)}
    return None


# ---------------------------------------------------------------------------------------------
# launch-unreviewed

_INTERPRETERS = frozenset({"node", "nodejs", "python", "python3", "py", "deno", "bun", "ruby", "perl", "php", "tsx", "ts-node", "java", "dotnet", "bash", "sh", "zsh", "pwsh", "powershell", "uv", "poetry", "pipenv", "cargo", "go", "npm", "pnpm", "yarn", "mcp"})
_RUN_WORDS = frozenset({"run", "exec", "start", "dev", "serve", "-jar", "--", "tool"})
_SYSTEM = LazyPattern(r"^(/usr/|/bin/|/sbin/|/opt/homebrew/|/snap/|/nix/|/Applications/|[a-z]:/(program files|windows)/)", re.IGNORECASE)
_PROJECT_VARS = LazyPattern(r"^(\$\{?(workspaceFolder|CLAUDE_PROJECT_DIR|GEMINI_PROJECT_DIR|PWD|PROJECT_ROOT)\}?)", re.IGNORECASE)


def _absolute(word: str) -> bool:
    return word.startswith(("/", "~/")) or bool(re.match(r"^[A-Za-z]:[\\/]", word))


def _pathlike(word: str) -> bool:
    return "/" in word or "\\" in word or word.startswith(".") or bool(_PROJECT_VARS.match(word))


def _where(word: str, project: str | None) -> str:
    """shipped (inside the project), outside_project, system, or unresolved."""
    if _PROJECT_VARS.match(word):
        return "shipped"
    if _absolute(word):
        path = word.replace("\\", "/")
        if _SYSTEM.match(path):
            return "system"
        if project and (path == project or path.startswith(project + "/")):
            return "shipped"
        name = project.rsplit("/", 1)[-1].lower() if project else ""
        if name and name in (part.lower() for part in path.split("/")[:-1]):
            # an absolute path into another checkout of this same repository (the author's
            # machine): the code is the repository's own
            return "shipped"
        return "outside_project" if project else "unresolved"
    return "shipped" if project else "unresolved"


def launch_unreviewed(value: Any, arg: Any, ctx: EvalContext) -> Result:
    """A stdio launcher whose code is neither shipped in the repository nor pinned to a version:
    an installed command, a program outside the project, or a script path that cannot be tied
    to a project (user scope). Unpinned package runners are their own check (package-unpinned)
    and are skipped here unless the argument is `any`."""
    argv = _strip_env(argv_of(value))
    if not argv:
        return None
    if _runner(argv) is not None:
        unpinned = package_unpinned(argv, True, ctx)
        if not isinstance(unpinned, dict):
            return None  # a pinned package (or a local path given to a runner)
        return {"launch": "unpinned_package", "program": unpinned["package"]} if arg == "any" else None
    project = str(ctx.project_dir).replace("\\", "/").rstrip("/") if ctx.project_dir is not None else None
    first = argv[0]
    if _pathlike(first) and program_base(first) not in _INTERPRETERS:
        where = _where(first, project)
        if where in ("shipped", "system") and not (where == "system" and program_base(first) in _INTERPRETERS):
            return None
        if where != "system":
            return {"launch": where, "program": redact(first)}
    if program_base(first) in _INTERPRETERS:
        rest = [w for w in argv[1:] if w.lower() not in _RUN_WORDS]
        if rest and rest[0] == "-m" and len(rest) > 1:
            return None if project else {"launch": "unresolved", "program": redact(f"{first} -m {rest[1]}")}
        script = next((w for w in rest if not w.startswith("-")), None)
        if script is not None and (_pathlike(script) or _SCRIPT.search(script)):
            where = _where(script, project)
            return None if where in ("shipped", "system") else {"launch": where, "program": redact(script)}
    return {"launch": "installed_command", "program": redact(first)}


_SCRIPT = LazyPattern(r"\.(m?js|cjs|ts|py|rb|pl|php|jar|dll|sh|ps1)$", re.IGNORECASE)

LAUNCHER_ANALYSERS = {
    "package-unpinned": package_unpinned,
    "launcher-shell": launcher_shell,
    "transient-path": transient_path,
    "launch-unreviewed": launch_unreviewed,
}
