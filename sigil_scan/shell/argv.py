"""Reading one simple command's words: program name, flags, operands, option values, targets."""

from __future__ import annotations

from sigil_scan.lazyre import LazyPattern

from .compile import Compiled, Matcher, Wrapper
from .lexer import Word


def program_name(word: Word) -> str:
    """`/usr/bin/rm`, `\\rm`, `"rm"` and `C:\\bin\\rm.exe` all name `rm` (case is kept)."""
    name = word.value.rsplit("/", 1)[-1]
    if "\\" in name:  # Windows path
        name = name.rsplit("\\", 1)[-1]
    if name.lower().endswith(".exe"):
        name = name[:-4]
    return name


class Argv:
    # A plain class (built in one place, never compared): a dataclass cost ~0.4 ms at import.
    __slots__ = ("words", "program", "short", "long", "operands", "variants")

    def __init__(self, words: list[Word], program: str, short: frozenset[str], long: frozenset[str],
                 operands: list[Word]) -> None:
        self.words = words  # words[0] is the program
        self.program = program
        self.short = short  # letters of single-dash bundles: -rf -> {r, f}
        self.long = long  # whole option words and their `--x=` heads
        self.operands = operands  # non-option words (values of known value options excluded)
        # Re-readings with a pattern's value options (git's -C/-c): many git patterns share one.
        self.variants: dict[frozenset[str], Argv] = {}

    @property
    def values(self) -> list[str]:
        return [w.value for w in self.words[1:]]

    def with_options(self, value_options: frozenset[str]) -> Argv:
        found = self.variants.get(value_options)
        if found is None:
            found = self.variants[value_options] = read_argv(self.words, value_options)
        return found


def read_argv(words: list[Word], value_options: frozenset[str] = frozenset()) -> Argv:
    """Split a command into flags and operands; `value_options` take the next word as value."""
    short: set[str] = set()
    long: set[str] = set()
    operands: list[Word] = []
    skip = False
    ended = False
    for w in words[1:]:
        v = w.value
        if skip:
            skip = False
            continue
        if ended or len(v) < 2 or v[0] != "-":
            operands.append(w)
            continue
        if v == "--":
            ended = True
            continue
        head = v.split("=", 1)[0]
        long.add(v)
        long.add(head)
        if v[1] != "-":
            short.update(head[1:])
        if v in value_options:
            skip = True
    return Argv(words, program_name(words[0]), frozenset(short), frozenset(long), operands)


def has_flag(argv: Argv, flags: tuple[frozenset[str], frozenset[str]]) -> bool:
    """Any of the (short letters, long forms) flags is present."""
    short, long_ = flags
    return bool(short & argv.short) or bool(long_ & argv.long)


def matches(m: Matcher, argv: Argv) -> bool:
    """Whether every condition of `m` holds for this command (the program already matched)."""
    if m.value_options:
        argv = argv.with_options(m.value_options)
    operands = argv.operands
    if m.subcommands:
        if not operands or operands[0].value not in m.subcommands:
            return False
        operands = operands[1:]
    if any(not has_flag(argv, group) for group in m.flags_all):
        return False
    if m.flags_any is not None and not has_flag(argv, m.flags_any):
        return False
    if m.flags_none is not None and has_flag(argv, m.flags_none):
        return False
    if m.args_any is not None and not any(m.args_any.search(w.value) for w in operands):
        return False
    if m.args_none is not None and any(m.args_none.search(w.value) for w in operands):
        return False
    return not (m.words_any is not None
                and not any(m.words_any.search(w.value) for w in argv.words[1:]))


def target_of(c: Compiled, value: str) -> str:
    """The target class of one operand: the first `targets` entry of shell.yaml it matches."""
    for tid, exact, rx in c.targets:
        if value in exact or (rx is not None and rx.search(value)):
            return tid
    return "relative"


def worst_target(c: Compiled, values: list[str]) -> str | None:
    """The most severe target class among operands (earliest in shell.yaml), or None."""
    best: str | None = None
    rank = c.target_rank
    for v in values:
        t = target_of(c, v)
        if best is None or rank.get(t, 99) < rank.get(best, 99):
            best = t
    return best


def option_values(argv: Argv, flags: list[str]) -> list[str]:
    """Values given to any of `flags`: `-d x`, `-dx`, `--data x`, `--data=x`."""
    out: list[str] = []
    words = argv.words
    flagset = set(flags)
    shorts = {f[1] for f in flags if len(f) == 2 and f[0] == "-" and f[1] != "-"}
    i = 1
    while i < len(words):
        v = words[i].value
        if v == "--":
            break
        if v in flagset:
            if i + 1 < len(words):
                out.append(words[i + 1].value)
            i += 2
            continue
        if v.startswith("--") and "=" in v and v.split("=", 1)[0] in flagset:
            out.append(v.split("=", 1)[1])
        elif len(v) > 2 and v[0] == "-" and v[1] != "-" and v[1] in shorts:
            out.append(v[2:])
        elif len(v) > 2 and v[0] == "-" and v[1] != "-" and v[-1] in shorts and v[1:].isalpha():
            if i + 1 < len(words):  # bundle ending in a value flag: -sSd value
                out.append(words[i + 1].value)
            i += 2
            continue
        i += 1
    return out


def find_operands(argv: Argv) -> list[str]:
    """The start paths of `find` (the words before its first expression)."""
    out: list[str] = []
    for w in argv.words[1:]:
        v = w.value
        if v in ("-H", "-L", "-P") and not out:
            continue
        if v.startswith("-") or v in ("(", "!", ")"):
            break
        out.append(v)
    return out


# compiled at first use: only wrappers (`env A=1 cmd`) need it
_ASSIGNMENT = LazyPattern(r"[A-Za-z_][A-Za-z0-9_]*=")


def unwrap_once(words: list[Word], w: Wrapper) -> tuple[list[Word], list[Word]]:
    """Split `sudo -u x env A=1 cmd …` after one wrapper: (the wrapped command, `A=1` words).
    The command is empty when the wrapper runs nothing (`sudo -l`, a bare `env`)."""
    i, skip = 1, w.skip_positionals
    assigns: list[Word] = []
    while i < len(words):
        v = words[i].value
        if v in w.stop_options:
            return [], assigns
        if v.startswith("-") and len(v) > 1:
            i += 2 if v in w.value_options else 1
        elif _ASSIGNMENT.match(v):
            assigns.append(words[i])
            i += 1
        elif skip:
            skip -= 1
            i += 1
        else:
            break
    return words[i:], assigns


def effective(words: list[Word], c: Compiled) -> list[Word]:
    """The command after wrappers (`sudo -u x env A=1 curl …` -> `curl …`)."""
    for _ in range(16):
        w = c.wrappers.get(program_name(words[0])) if words else None
        if w is None:
            return words
        words = unwrap_once(words, w)[0]
    return words
