"""Compile the YAML pattern sets (rules/patterns/*.yaml) into matchers, once per PatternSets.

Only documents with `kind: shell` (one category each) or `kind: shell-grammar` are read;
other pattern sets in the same directory belong to other analysers and are ignored.
"""

from __future__ import annotations

import _thread  # threading.Lock is _thread.allocate_lock; `import threading` costs ~0.5 ms
import fnmatch
import re
from typing import Any, cast


def _flag_set(flags: list[str]) -> tuple[frozenset[str], frozenset[str]]:
    """Split flags into short letters (bundlable: -rf) and long/literal forms."""
    short = frozenset(f[1] for f in flags if len(f) == 2 and f[0] == "-" and f[1] != "-")
    long_ = frozenset(f for f in flags if not (len(f) == 2 and f[0] == "-" and f[1] != "-"))
    return short, long_


class Matcher:
    """One command pattern: program names plus conditions on its words (all must hold).

    A plain class like the records below: built only by _matcher(), never compared."""

    __slots__ = ("id", "category", "programs", "program_globs", "value_options", "subcommands",
                 "flags_all", "flags_any", "flags_none", "args_any", "args_none", "words_any",
                 "target", "target_value", "targets_only", "output_options")

    def __init__(
        self,
        *,
        id: str,
        category: str,
        programs: frozenset[str],
        program_globs: tuple[str, ...],
        value_options: frozenset[str],
        subcommands: frozenset[str],
        flags_all: tuple[tuple[frozenset[str], frozenset[str]], ...],
        flags_any: tuple[frozenset[str], frozenset[str]] | None,
        flags_none: tuple[frozenset[str], frozenset[str]] | None,
        args_any: re.Pattern[str] | None,
        args_none: re.Pattern[str] | None,
        words_any: re.Pattern[str] | None,
        target: str,  # operands | operands-after-first | find | none
        target_value: str | None,
        targets_only: frozenset[str],
        output_options: frozenset[str],
    ) -> None:
        self.id = id
        self.category = category
        self.programs = programs
        self.program_globs = program_globs
        self.value_options = value_options
        self.subcommands = subcommands
        self.flags_all = flags_all
        self.flags_any = flags_any
        self.flags_none = flags_none
        self.args_any = args_any
        self.args_none = args_none
        self.words_any = words_any
        self.target = target
        self.target_value = target_value
        self.targets_only = targets_only
        self.output_options = output_options

    def names(self, program: str) -> bool:
        return program in self.programs or any(glob_match(program, g) for g in self.program_globs)


def glob_match(name: str, glob: str) -> bool:
    """fnmatchcase, with `prefix*` (mkfs.*, python3.*: all the globs we ship) as a startswith:
    fnmatch compiles a regex per glob, ~50 µs each at the first command of every scan."""
    head = glob[:-1]
    if glob.endswith("*") and not any(ch in head for ch in "*?["):
        return name.startswith(head)
    return fnmatch.fnmatchcase(name, glob)


# PathRule, CodeRule, Interpreter and Wrapper are plain classes: each is built in one place from
# the pattern YAML and never compared, and every dataclass cost ~0.4 ms at import.
class PathRule:
    __slots__ = ("id", "category", "regex", "target_value")

    def __init__(self, id: str, category: str, regex: re.Pattern[str], target_value: str | None = None) -> None:
        self.id = id
        self.category = category
        self.regex = regex
        self.target_value = target_value


class CodeRule:
    __slots__ = ("id", "category", "languages", "call", "args")

    def __init__(self, id: str, category: str, languages: frozenset[str], call: re.Pattern[str],
                 args: re.Pattern[str] | None) -> None:
        self.id = id
        self.category = category
        self.languages = languages
        self.call = call  # the call head, ending at its "("
        self.args = args  # searched in the call's arguments


class Interpreter:
    __slots__ = ("language", "programs", "globs", "payload_flags", "shell_calls", "value_options", "module_flags")

    def __init__(self, language: str, programs: frozenset[str], globs: tuple[str, ...],
                 payload_flags: frozenset[str], shell_calls: re.Pattern[str] | None,
                 value_options: frozenset[str] = frozenset(), module_flags: frozenset[str] = frozenset()) -> None:
        self.language = language
        self.programs = programs
        self.globs = globs
        self.payload_flags = payload_flags
        self.shell_calls = shell_calls
        self.value_options = value_options
        self.module_flags = module_flags


class Wrapper:
    __slots__ = ("value_options", "stop_options", "skip_positionals", "operands_from_stdin")

    def __init__(self, value_options: frozenset[str], stop_options: frozenset[str], skip_positionals: int,
                 operands_from_stdin: bool) -> None:
        self.value_options = value_options
        self.stop_options = stop_options
        self.skip_positionals = skip_positionals
        self.operands_from_stdin = operands_from_stdin


class Compiled:
    """Every shell pattern set, compiled. A plain class rather than a dataclass: it is only ever
    built empty by compile_patterns, and generating a 28-field dataclass cost ~1 ms of every
    cold `sigil scan` that analyses a command."""

    __slots__ = (
        "commands", "glob_commands", "writes", "deletes", "assignments", "roles", "lists", "regexes",
        "structures", "code", "shells", "shell_payload_flags", "shell_value_options",
        "shell_user_operand", "interpreters", "evaluators", "sourcers", "wrappers", "targets",
        "target_rank", "writers", "removers", "_memo", "interesting", "script_hits",
    )

    def __init__(self) -> None:
        self.commands: dict[str, list[Matcher]] = {}  # by program name
        self.glob_commands: list[Matcher] = []
        self.writes: list[PathRule] = []
        self.deletes: list[PathRule] = []
        self.assignments: list[tuple[str, str, re.Pattern[str], re.Pattern[str]]] = []
        self.roles: dict[str, list[Matcher]] = {}
        self.lists: dict[str, list[str]] = {}
        self.regexes: dict[str, re.Pattern[str] | None] = {}  # joined lists
        self.structures: dict[str, tuple[str, str]] = {}  # check -> (category, id)
        self.code: list[CodeRule] = []
        self.shells: frozenset[str] = frozenset({"sh", "bash"})
        self.shell_payload_flags: tuple[frozenset[str], frozenset[str]] = (frozenset("c"), frozenset())
        self.shell_value_options: frozenset[str] = frozenset()
        self.shell_user_operand: frozenset[str] = frozenset()
        self.interpreters: list[Interpreter] = []
        self.evaluators: frozenset[str] = frozenset({"eval"})
        self.sourcers: frozenset[str] = frozenset({"source", "."})
        self.wrappers: dict[str, Wrapper] = {}
        self.targets: list[tuple[str, frozenset[str], re.Pattern[str] | None]] = []
        self.target_rank: dict[str, int] = {}
        self.writers: dict[str, str] = {}  # program -> all_operands|last_operand|in_place
        self.removers: frozenset[str] = frozenset()
        # Lookups by program name are memoised: a script repeats the same few programs, and the
        # glob checks (mkfs.*, python3.*) would otherwise run for every simple command.
        self._memo: dict[tuple[str, str], Any] = {}
        self.interesting: frozenset[str] = frozenset()  # every program name any rule or role mentions
        # (blake3 digest, language) -> the walker's hits for a script that sources nothing: the
        # same hook file copied into many repositories, or re-read by `watch`, is walked once.
        self.script_hits: dict[tuple[str, str], tuple[Any, ...]] = {}

    def matchers_for(self, program: str) -> list[Matcher]:
        key = ("cmd", program)
        found = self._memo.get(key)
        if found is None:
            found = self.commands.get(program, [])
            if self.glob_commands:
                found = found + [m for m in self.glob_commands if m.names(program)]
            self._memo[key] = found
        return found  # type: ignore[no-any-return]

    def role(self, name: str, program: str) -> list[Matcher]:
        key = (name, program)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = [m for m in self.roles.get(name, ()) if m.names(program)]
        return found  # type: ignore[no-any-return]

    def interpreter(self, program: str) -> Interpreter | None:
        key = ("interpreter", program)
        if key not in self._memo:
            self._memo[key] = next(
                (it for it in self.interpreters
                 if program in it.programs or any(glob_match(program, g) for g in it.globs)),
                None)
        return self._memo[key]  # type: ignore[no-any-return]

    def is_interesting(self, program: str) -> bool:
        """Whether any rule, role or grammar entry could apply to this program."""
        key = ("any", program)
        if key not in self._memo:
            self._memo[key] = (program in self.interesting or bool(self.matchers_for(program))
                               or self.interpreter(program) is not None
                               or any(self.role(r, program) for r in self.roles))
        return self._memo[key]  # type: ignore[no-any-return]


class _LazyRegex:
    """A regex compiled on first use. Most patterns only run once a program name matched, and
    compiling all ~130 of them up front cost ~25 ms of every cold `sigil scan`."""

    __slots__ = ("_compiled", "_source")

    def __init__(self, source: str) -> None:
        self._source = source
        self._compiled: re.Pattern[str] | None = None

    def __getattr__(self, name: str) -> Any:
        if self._compiled is None:
            self._compiled = re.compile(self._source)
        return getattr(self._compiled, name)


def _rx(source: str) -> re.Pattern[str]:
    return cast("re.Pattern[str]", _LazyRegex(source))


def _alt(regexes: list[str]) -> re.Pattern[str] | None:
    return _rx("|".join(f"(?:{r})" for r in regexes)) if regexes else None


def _matcher(doc: dict[str, Any], category: str, fallback_id: str) -> Matcher:
    progs = [str(p) for p in doc.get("programs", [])]
    globs = tuple(p for p in progs if any(ch in p for ch in "*?["))
    return Matcher(
        id=str(doc.get("id", fallback_id)),
        category=category,
        programs=frozenset(p for p in progs if p not in globs),
        program_globs=globs,
        value_options=frozenset(doc.get("value_options", ())),
        subcommands=frozenset(doc.get("subcommands", ())),
        flags_all=tuple(_flag_set(list(g)) for g in doc.get("flags_all", ())),
        flags_any=_flag_set(doc["flags_any"]) if doc.get("flags_any") else None,
        flags_none=_flag_set(doc["flags_none"]) if doc.get("flags_none") else None,
        args_any=_alt(doc.get("args_any", [])),
        args_none=_alt(doc.get("args_none", [])),
        words_any=_alt(doc.get("words_any", [])),
        target=str(doc.get("target", "none")),
        target_value=doc.get("target_value"),
        targets_only=frozenset(doc.get("targets_only", ())),
        output_options=frozenset(doc.get("output_options", ())),
    )


def _grammar(c: Compiled, doc: dict[str, Any]) -> None:
    shells = doc.get("shells", {})
    c.shells = frozenset(shells.get("programs", c.shells))
    c.shell_payload_flags = _flag_set(shells.get("payload_flags", ["-c"]))
    c.shell_value_options = frozenset(shells.get("value_options", ()))
    c.shell_user_operand = frozenset(shells.get("user_operand", ()))
    for it in doc.get("interpreters", ()):
        progs = [str(p) for p in it.get("programs", ())]
        globs = tuple(p for p in progs if "*" in p)
        c.interpreters.append(Interpreter(
            it["language"], frozenset(p for p in progs if p not in globs), globs,
            frozenset(it.get("payload_flags", ())), _alt(it.get("shell_calls", [])),
            frozenset(it.get("value_options", ())), frozenset(it.get("module_flags", ()))))
    c.evaluators = frozenset(doc.get("evaluators", c.evaluators))
    c.sourcers = frozenset(doc.get("sourcers", c.sourcers))
    for w in doc.get("wrappers", ()):
        wrapper = Wrapper(frozenset(w.get("value_options", ())), frozenset(w.get("stop_options", ())),
                          int(w.get("skip_positionals", 0)), bool(w.get("operands_from_stdin", False)))
        for p in w.get("programs", ()):
            c.wrappers[p] = wrapper
    for mode, progs in (doc.get("file_writers") or {}).items():
        for p in progs:
            c.writers[p] = mode
    c.removers = frozenset(doc.get("file_removers", ()))
    for t in doc.get("targets", ()):
        c.targets.append((t["id"], frozenset(t.get("exact", ())), _alt(t.get("regex", []))))
        c.target_rank.setdefault(t["id"], len(c.target_rank))


def _category(c: Compiled, doc: dict[str, Any], stem: str) -> None:
    cat = str(doc.get("category", stem))
    for i, m in enumerate(doc.get("commands", ())):
        matcher = _matcher(m, cat, f"{cat}-{i}")
        for p in matcher.programs:
            c.commands.setdefault(p, []).append(matcher)
        if matcher.program_globs:
            c.glob_commands.append(matcher)
    for key, dest in (("writes", c.writes), ("deletes", c.deletes)):
        for w in doc.get(key, ()):
            rx = _alt(w.get("paths", []))
            if rx is not None:
                dest.append(PathRule(w["id"], cat, rx, w.get("target_value")))
    for a in doc.get("assignments", ()):
        c.assignments.append((a["id"], cat, _rx(a["name"]), _rx(a.get("value", ""))))
    for role, entries in (doc.get("roles") or {}).items():
        c.roles.setdefault(role, []).extend(
            _matcher(m, cat, f"{role}-{i}") for i, m in enumerate(entries))
    for name, values in (doc.get("lists") or {}).items():
        c.lists.setdefault(name, []).extend(str(v) for v in values)
    for s in doc.get("structures", ()):
        c.structures[s["check"]] = (cat, s["id"])
    for rule in doc.get("code", ()):
        c.code.append(CodeRule(rule["id"], cat, frozenset(rule.get("languages", ())),
                               _rx(rule["call"]),
                               _rx(rule["args"]) if rule.get("args") else None))


def compile_patterns(patterns: dict[str, Any]) -> Compiled:
    """Build matchers from every `kind: shell` / `kind: shell-grammar` document."""
    c = Compiled()
    for stem, doc in sorted(patterns.items()):
        if not isinstance(doc, dict):
            continue
        if doc.get("kind") == "shell-grammar":
            _grammar(c, doc)
        elif doc.get("kind") == "shell":
            _category(c, doc, stem)
    for name in ("endpoints", "secret_names", "sensitive_paths", "auth_headers"):
        c.regexes[name] = _alt(c.lists.get(name, []))
    c.interesting = (c.shells | c.evaluators | c.sourcers | frozenset(c.wrappers)
                     | frozenset(c.writers) | c.removers | frozenset(c.lists.get("env_dumpers", []))
                     | {"find", "dd", "export", "declare", "typeset", "local", "readonly"})
    return c


_CACHE: dict[int, tuple[dict[str, Any], Compiled]] = {}
_LOCK = _thread.allocate_lock()


def compiled_for(patterns: dict[str, Any]) -> Compiled:
    """Compile once per PatternSets object (keyed by identity; the object is kept alive)."""
    hit = _CACHE.get(id(patterns))
    if hit is not None and hit[0] is patterns:
        return hit[1]
    compiled = compile_patterns(patterns)
    with _LOCK:
        if len(_CACHE) > 16:
            _CACHE.clear()
        _CACHE[id(patterns)] = (patterns, compiled)
    return compiled
