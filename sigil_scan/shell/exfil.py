"""Exfiltration shapes: local files, secrets or the environment leaving for a network peer.

A request is only exfiltration when it carries *local* data: a file (`-d @f`, `-T f`, `< f`),
a substitution that reads sensitive files or the environment, a secret-named variable, or
piped input from such a reader. A webhook notifying "done" with a literal body is not.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sigil_scan.lazyre import LazyPattern

from .argv import Argv, effective, matches, option_values, program_name, read_argv
from .lexer import Sub, Word
from .parse import SimpleCommand, parse

if TYPE_CHECKING:
    from .walker import Walker


# Compiled at first use (LazyPattern): most commands never reach them, and each
# re.compile costs 50-200 µs of a cold `sigil scan`.
_REMOTE = LazyPattern(r"^([^@/\s:]+@)?[A-Za-z0-9][A-Za-z0-9.-]*:(?![\\/]{2})")  # user@host:path


_VAR_LABEL = LazyPattern(r"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?[^/\s]*\.[A-Za-z0-9-]+\.")


_VAR_NAMES = LazyPattern(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")


def check(w: Walker, argv: Argv, cmd: SimpleCommand, upstream: list[SimpleCommand]) -> None:
    """All exfiltration shapes for one simple command (with the pipeline stages before it)."""
    c = w.c
    prog = argv.program
    network = bool(c.role("network", prog)) or bool(c.role("sender", prog))
    if network:
        endpoints = c.regexes.get("endpoints")
        if endpoints is not None and any(endpoints.search(x.value) for x in argv.words[1:]):
            w.structure("known-endpoint", cmd)
        senders = [m for m in c.role("sender", prog) if matches(m, argv)]
        if senders:
            _sender(w, argv, cmd, upstream)
        elif _secret_words(w, argv.words[1:]):
            w.structure("send-substitution", cmd, "secrets")
    if c.role("remote_copy", prog):
        _remote_copy(w, argv, cmd)
    if c.role("dns", prog) and any(x.subs or _VAR_LABEL.search(x.value) for x in argv.operands):
        w.structure("dns-exfil", cmd)  # data as a label of the name looked up: $(…).evil.tld


def _sender(w: Walker, argv: Argv, cmd: SimpleCommand, upstream: list[SimpleCommand]) -> None:
    lists = w.c.lists
    data = option_values(argv, lists.get("data_flags", []))
    files = set(option_values(argv, lists.get("file_flags", [])))
    reads_stdin = argv.program in lists.get("stdin_senders", [])
    for value in data:
        path = None
        if value in files:
            path = value
        elif value.startswith(("@", "<")):
            path = value[1:]
        elif re.match(r"^[\w.-]+=[@<]", value):  # -F name=@file
            path = value.split("=", 1)[1][1:]
        if path in ("-", ""):
            reads_stdin = True
        elif path is not None:
            w.structure("send-file", cmd, _file_kind(w, path))
    what = _secret_words(w, argv.words[1:])
    if what:
        w.structure("send-substitution", cmd, what)
    for r in cmd.redirects:
        if r.op == "<" and r.target is not None and reads_stdin:
            w.structure("redirect-to-sender", cmd, _file_kind(w, r.target.value))
    if reads_stdin and upstream:
        kinds = [k for up in upstream if (k := _reader_kind(w, up.words))]
        if kinds:
            w.structure("pipe-to-sender", cmd, _worst(kinds), pipe=upstream)


def _file_kind(w: Walker, path: str) -> str:
    sensitive = w.c.regexes.get("sensitive_paths")
    return "secrets" if sensitive is not None and sensitive.search(path) else "file"


def _worst(kinds: list[str]) -> str:
    for k in ("secrets", "env", "file"):
        if k in kinds:
            return k
    return kinds[0]


def _reader_kind(w: Walker, words: list[Word]) -> str | None:
    """What a pipeline stage feeds downstream: env, secrets, file, or nothing we care about."""
    dumpers = w.c.lists.get("env_dumpers", [])
    inner = effective(words, w.c)
    if not inner:  # `env` / `sudo env` alone: the environment itself
        return "env" if words and program_name(words[-1]) in dumpers else None
    argv = read_argv(inner)
    if argv.program in dumpers and not argv.operands:
        return "env"
    if not any(matches(m, argv) for m in w.c.role("reader", argv.program)):
        return None
    paths = [x.value for x in argv.operands]
    if not paths:
        return None
    return _worst([_file_kind(w, p) for p in paths])


def _secret_words(w: Walker, words: list[Word]) -> str | None:
    """Substitutions reading secrets/env, or secret-named variables, in a request's words."""
    names = w.c.regexes.get("secret_names")
    auth = w.c.regexes.get("auth_headers")
    credential_flags = set(w.c.lists.get("credential_flags", []))
    kinds: list[str] = []
    for i, word in enumerate(words):
        # A token in its own auth header / --user goes where it is meant to; a secret in any
        # other header, the URL or the body is carried off. Substitutions are checked anyway.
        flag = words[i - 1].value if i else ""
        is_credential = _is_flag(flag, credential_flags) or (
            _is_flag(flag, {"-H", "--header"}) and auth is not None and auth.search(word.value))
        if word.subs:
            kind = _subs_kind(w, word.subs)
            if kind:
                kinds.append(kind)
        if names is not None and word.expands and not is_credential:
            for name in _VAR_NAMES.findall(word.value):
                if names.search(name):
                    kinds.append("secrets")
    return _worst(kinds) if kinds else None


def _is_flag(word: str, flags: set[str]) -> bool:
    """`word` is one of `flags`, or a short-option bundle ending in one (`-sH` for `-H`)."""
    if word in flags:
        return True
    return (len(word) > 2 and word[0] == "-" and word[1] != "-" and word[1:].isalpha()
            and f"-{word[-1]}" in flags)


def _subs_kind(w: Walker, subs: Sequence[Sub], depth: int = 0) -> str | None:
    kinds: list[str] = []
    for sub in subs:
        for pipe in parse(sub.tokens):
            for cmd in pipe:
                if cmd.words:
                    kind = _reader_kind(w, cmd.words)
                    if kind:
                        kinds.append(kind)
                if depth < 3 and (inner := _subs_kind(w, cmd.subs(), depth + 1)):
                    kinds.append(inner)
    return _worst(kinds) if kinds else None


def _remote_copy(w: Walker, argv: Argv, cmd: SimpleCommand) -> None:
    ops = [x.value for x in argv.operands]
    if argv.program == "rclone" and ops and ops[0] in ("copy", "sync", "move", "copyto"):
        ops = ops[1:]
    if len(ops) < 2 or not _REMOTE.match(ops[-1]) or re.match(r"^[A-Za-z]:", ops[-1]):
        return
    local = [p for p in ops[:-1] if not _REMOTE.match(p)]
    if local:
        w.structure("remote-copy", cmd, _worst([_file_kind(w, p) for p in local]))


__all__ = ["check", "program_name"]
