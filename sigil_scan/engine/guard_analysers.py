"""Analysers for agent guard values: package pins, launchers, sensitive paths, dangerous allow
rules, open network allow-lists, instruction directives and hidden text.

All knowledge is data under rules/ (mcp_launchers.yaml, dangerous_allow.yaml,
sensitive_paths.yaml, network_domains.yaml, instruction_markers.yaml), loaded and compiled once
per process (cached): these run on the scan hot path.
"""

from __future__ import annotations

import re
import shlex
from functools import cache
from pathlib import Path
from typing import Any

from sigil_scan import shell
from sigil_scan.engine.context import EvalContext
from sigil_scan.engine.lazyre import LazyPattern
from sigil_scan.redact import redact
from sigil_scan.resources import rules_dir
from sigil_scan.yamlload import load_yaml

Result = bool | dict[str, Any] | None


@cache
def _data(name: str) -> dict[str, Any]:
    return dict(load_yaml((rules_dir() / f"{name}.yaml").read_bytes()) or {})


@cache
def _compiled(name: str, key: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    out = []
    for item in _data(name).get(key) or []:
        if isinstance(item, dict):
            out.append((str(item["id"]), re.compile(item["regex"], re.IGNORECASE)))
        else:
            out.append((key, re.compile(str(item), re.IGNORECASE)))
    return tuple(out)


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


def _base(word: str) -> str:
    name = word.replace("\\", "/").rsplit("/", 1)[-1].lower()
    for ext in (".exe", ".cmd", ".bat", ".ps1"):
        name = name.removesuffix(ext)
    return name


_ASSIGNMENT = LazyPattern(r"^[A-Za-z_][A-Za-z0-9_]*=")


def _strip_env(argv: list[str]) -> list[str]:
    """Drop leading VAR=value words and an `env [-S] [VAR=..]` wrapper."""
    i = 0
    while i < len(argv) and _ASSIGNMENT.match(argv[i]):
        i += 1
    if i < len(argv) and _base(argv[i]) == "env":
        i += 1
        while i < len(argv) and (argv[i].startswith("-") or _ASSIGNMENT.match(argv[i])):
            i += 1
    return argv[i:]


# ---------------------------------------------------------------------------------------------
# package-unpinned


@cache
def _runner_table() -> tuple[tuple[list[str], dict[str, Any]], ...]:
    """(lower-cased words, spec) of every package runner, in file order (built once)."""
    return tuple(([w.lower() for w in spec["words"]], spec) for spec in _data("mcp_launchers")["package_runners"])


@cache
def _runner_flags(index: int) -> tuple[frozenset[str], frozenset[str]]:
    spec = _runner_table()[index][1]
    return frozenset(f.lower() for f in spec.get("package_flags") or []), frozenset(f.lower() for f in spec.get("value_flags") or [])


def _runner(argv: list[str]) -> tuple[dict[str, Any], list[str]] | None:
    found = _runner_at(argv)
    return None if found is None else (found[1], argv[len(found[2]) :])


def _runner_at(argv: list[str]) -> tuple[int, dict[str, Any], list[str]] | None:
    words = [_base(argv[0])] + [a.lower() for a in argv[1:4]]
    for index, (need, spec) in enumerate(_runner_table()):
        if words[: len(need)] == need:
            return index, spec, need
    return None


@cache
def _floating_tags() -> frozenset[str]:
    return frozenset(str(t).lower() for t in _data("mcp_launchers")["floating_tags"])


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
    data = _data("mcp_launchers")
    name = _base(argv[0])
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


def _transient(word: str) -> bool:
    return any(p.search(word) for _, p in _compiled("mcp_launchers", "transient_paths"))


def transient_path(value: Any, arg: Any, ctx: EvalContext) -> Result:
    """The launcher (or a non-flag argument) lives in a temporary or cache directory."""
    for word in argv_of(value):
        if not word.startswith("-") and _transient(word):
            return {"shape": "transient_path", "evidence": redact(word)}
    return None


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
    for kind, pattern in _compiled("sensitive_paths", "broad_roots"):
        if pattern.search(path):
            return kind
    rel = _home_relative(path)
    for kind, pattern in _compiled("sensitive_paths", "secret_dirs"):
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
    patterns = _compiled("sensitive_paths", "secret_denies")
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
    for group in _data("dangerous_allow")["groups"]:
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
    data = _data("dangerous_allow")
    wrappers = {str(w) for w in data["wrappers"]}
    values = {str(k): int(v) for k, v in (data.get("wrapper_values") or {}).items()}
    words = list(words)
    while words and _ASSIGNMENT.match(words[0]):
        words.pop(0)
    while words and _base(words[0]) in wrappers:
        if len(words) == 1:
            return [], _base(words[0])
        name = _base(words.pop(0))
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
    first = _base(words[0])
    if _transient(words[0]):
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
    data = _data("network_domains")
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
    data = _data("instruction_markers")
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
    "package-unpinned": package_unpinned,
    "launcher-shell": launcher_shell,
    "transient-path": transient_path,
    "sensitive-path": sensitive_path,
    "protects-secrets": protects_secrets,
    "dangerous-allow": dangerous_allow,
    "domain-open": domain_open,
    "instruction-directive": instruction_directive,
    "hidden-text": hidden_text,
}


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
    if _pathlike(first) and _base(first) not in _INTERPRETERS:
        where = _where(first, project)
        if where in ("shipped", "system") and not (where == "system" and _base(first) in _INTERPRETERS):
            return None
        if where != "system":
            return {"launch": where, "program": redact(first)}
    if _base(first) in _INTERPRETERS:
        rest = [w for w in argv[1:] if w.lower() not in _RUN_WORDS]
        if rest and rest[0] == "-m" and len(rest) > 1:
            return None if project else {"launch": "unresolved", "program": redact(f"{first} -m {rest[1]}")}
        script = next((w for w in rest if not w.startswith("-")), None)
        if script is not None and (_pathlike(script) or _SCRIPT.search(script)):
            where = _where(script, project)
            return None if where in ("shipped", "system") else {"launch": where, "program": redact(script)}
    return {"launch": "installed_command", "program": redact(first)}


_SCRIPT = LazyPattern(r"\.(m?js|cjs|ts|py|rb|pl|php|jar|dll|sh|ps1)$", re.IGNORECASE)

GUARD_ANALYSERS["launch-unreviewed"] = launch_unreviewed
