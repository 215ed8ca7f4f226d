"""Interpreter code (python, node): the calls that reach a shell or the network.

Code is not parsed; two things are looked for, both only where code *calls* something:
* shell calls (`os.system(…)`, `subprocess.run([...])`, `child_process.exec(…)`): the string
  literals in the call are joined into a command line and analysed as shell;
* code patterns from the YAML sets: a call (`exec(`, `eval(`, `requests.post(`) whose
  arguments, up to the matching parenthesis and across lines, match (`urlopen`, `fetch(`,
  `os.environ`), e.g. `exec(urlopen(…).read())`, `eval(await fetch(…))`.
A regex in a guard (`/curl.*\\|\\s*sh/`) or a list of banned strings is neither, so it is quiet.
"""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

from sigil_scan.lazyre import LazyPattern

if TYPE_CHECKING:
    from .walker import Walker


# Compiled at first use (LazyPattern): most commands never reach them, and each
# re.compile costs 50-200 µs of a cold `sigil scan`.
_LITERAL = LazyPattern(
    r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|`(?:\\.|[^`\\])*`')


_ESCAPES = LazyPattern(r"\\(.)")


_COMMENT_LINE = {"python": ("#",), "node": ("//", "/*", "*"), "perl": ("#",), "ruby": ("#",)}
_SPAN = 2000  # how far past a call's "(" its arguments are searched


def _line_at(text: str, pos: int) -> tuple[int, str]:
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    return text.count("\n", 0, pos), text[start : end if end >= 0 else len(text)]


def _unquote(lit: str) -> str:
    q = 3 if lit[:3] in ('"""', "'''") else 1
    body = lit[q:-q]
    return _ESCAPES.sub(lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


def call_args(text: str, start: int) -> tuple[str, list[str], bool]:
    """For the call whose "(" ends at `start`: its argument text (to the matching ")", string
    literals skipped whole, at most _SPAN characters), its string literals, and whether a list
    literal appears (argv form)."""
    depth, pos, limit = 1, start, min(len(text), start + _SPAN)
    literals: list[str] = []
    saw_list = False
    while pos < limit and depth:
        ch = text[pos]
        if ch in "\"'`":
            m = _LITERAL.match(text, pos)
            if m:
                literals.append(_unquote(m.group()))
                pos = m.end()
                continue
        elif ch in "([{":
            depth += 1
            saw_list |= ch == "["
        elif ch in ")]}":
            depth -= 1
        pos += 1
    return text[start:pos], literals, saw_list


def analyse_code(w: Walker, text: str, language: str, line: int, depth: int) -> None:
    """Record code-rule hits and analyse the shell strings of shell calls in `text`."""
    comments = _COMMENT_LINE.get(language, ())
    for rule in w.c.code:
        if language not in rule.languages:
            continue
        for m in rule.call.finditer(text):
            offset, src = _line_at(text, m.start())
            if src.lstrip().startswith(comments):
                continue
            if rule.args is not None and not rule.args.search(call_args(text, m.end())[0]):
                continue
            snippet = " ".join(src.split())[:120]
            w.hit(rule.category, rule.id, snippet, None, line + offset)
    it = next((i for i in w.c.interpreters if i.language == language), None)
    if it is None or it.shell_calls is None:
        return
    for m in it.shell_calls.finditer(text):
        offset, src = _line_at(text, m.start())
        if src.lstrip().startswith(comments):
            continue
        _args, literals, saw_list = call_args(text, m.end())
        if not literals:
            continue
        if saw_list or (len(literals) > 1 and " " not in literals[0]):
            command = shlex.join(literals)  # argv form: ["bash", "-c", "curl … | sh"]
        else:
            command = "".join(literals)  # "curl " + url + " | sh"
        w.source_text(command, line + offset, depth + 1)
