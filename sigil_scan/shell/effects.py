"""Side effects of a simple command on files: writes, deletions, assignments, downloads.

`writes` / `deletes` path rules in the pattern sets see every file a command writes or removes,
however it is spelled: a redirection (`>`, `>>`, `&>`), `tee`, the destination of `cp`/`mv`/
`ln`/`install`, `sed -i`, `dd of=`, `rm`/`shred`/`truncate`, or /dev/null copied over a file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .argv import Argv, option_values
from .compile import PathRule
from .lexer import Word
from .parse import SimpleCommand, snippet_of

if TYPE_CHECKING:
    from .walker import Walker

_WRITE_OPS = frozenset({">", ">>", ">|", "&>", "&>>", "<>"})
_TRUNCATE_OPS = frozenset({">", ">|", "&>"})


def strip_dot(path: str) -> str:
    return path[2:] if path.startswith("./") else path


def assignment(w: Walker, word: Word, cmd: SimpleCommand) -> None:
    """`NAME=value` (prefix, `export`, `env`) against the `assignments` rules."""
    name, _, value = word.value.partition("=")
    for pid, cat, name_rx, value_rx in w.c.assignments:
        if name_rx.search(name) and value_rx.search(value):
            w.hit(cat, pid, snippet_of(cmd), None, cmd.line)


def redirects(w: Walker, cmd: SimpleCommand) -> None:
    """Redirections: writes, truncations and /dev/tcp sockets."""
    for r in cmd.redirects:
        if r.target is None or r.heredoc is not None:
            continue
        path = r.target.value
        if path.startswith(("/dev/tcp/", "/dev/udp/")):
            w.structure("dev-tcp", cmd)
        if r.op in _WRITE_OPS:
            path_rules(w, w.c.writes, path, cmd)
        if r.op in _TRUNCATE_OPS:
            path_rules(w, w.c.deletes, path, cmd)


def path_rules(w: Walker, rules: list[PathRule], path: str, cmd: SimpleCommand) -> None:
    """Record a hit for every rule whose path pattern matches."""
    for rule in rules:
        if rule.regex.search(path):
            w.hit(rule.category, rule.id, snippet_of(cmd), rule.target_value, cmd.line)


def files(w: Walker, argv: Argv, cmd: SimpleCommand) -> None:
    """Files a program writes or removes through its operands (tee, cp, sed -i, rm, dd)."""
    prog, ops = argv.program, [x.value for x in argv.operands]
    mode = w.c.writers.get(prog)
    if prog == "dd":
        ops = [v[3:] for v in argv.values if v.startswith("of=")]
        mode = "all_operands"
    if not ops:
        return
    if mode == "all_operands" or (mode == "in_place" and "i" in argv.short):
        written = ops if mode == "all_operands" else ops[1:]
    elif mode == "last_operand" and len(ops) > 1:
        written = ops[-1:]
        if ops[0] == "/dev/null":
            path_rules(w, w.c.deletes, ops[-1], cmd)
    else:
        written = []
    for path in written:
        path_rules(w, w.c.writes, path, cmd)
    if prog in w.c.removers or (prog == "tee" and "a" not in argv.short):
        for path in ops:
            path_rules(w, w.c.deletes, path, cmd)


def fetch_then_run(w: Walker, argv: Argv, cmd: SimpleCommand) -> None:
    """Remember files a downloader writes; flag running one of them later."""
    for m in w.c.role("fetcher", argv.program):
        if m.output_options:
            for v in option_values(argv, sorted(m.output_options)):
                w.fetched.add(strip_dot(v))
            for r in cmd.redirects:
                if r.op in (">", ">|") and r.target is not None:
                    w.fetched.add(strip_dot(r.target.value))
    if strip_dot(argv.words[0].value) in w.fetched:
        w.structure("fetch-then-run", cmd)
