"""Quote-aware shell lexer: words, operators, substitutions and heredocs, with line numbers.

Why our own scanner rather than handing the text to bashlex: hooks are fragments of bash
(`[[ … ]]`, an `if` line without its `fi`, `case` patterns), and bashlex rejects many of them;
it also costs ~110 ms to import and ~0.3 ms per line. shlex gets POSIX word splitting right but
cannot tell a quoted `";"` from an operator, loses the single- vs double-quote context that
decides whether `$(…)` runs, and knows nothing of heredocs. This scanner follows shlex's POSIX
quoting rules for words (tests check it against `shlex.split`) and adds exactly the structure
the analyser needs. Plain runs are consumed with one regex so a 10 KB script lexes in ~1 ms.

The lexer never raises on odd input: an unterminated quote or substitution simply extends to the
end of the text and sets `Lexer.unterminated`, which the caller may use to retry line by line.
"""

from __future__ import annotations

import re

from sigil_scan.lazyre import LazyPattern

# Characters that end an unquoted plain run inside a word. Blanks are ASCII only, as in bash:
# `\s` would also stop at U+00A0 and other Unicode spaces, which bash keeps inside a word.
_PLAIN = re.compile(r"[^ \t\n\r\f\v'\"\\`$;&|()<>]+")
_DQ_PLAIN = re.compile(r'[^"\\$`]+')
# One match per token: optional blanks, then a plain word, a newline, an operator, a comment,
# or (empty) the start of a word with quotes or substitutions, which the word scanner reads
# (`<(` / `>(` are process substitutions, so they are left to it too). Anything else (a
# backslash-newline) falls through to the slow path in _lex.
_MASTER = re.compile(
    r"[ \t\r\f\v]*(?:"
    r"(?P<w>[^ \t\n\r\f\v'\"\\`$;&|()<>#][^ \t\n\r\f\v'\"\\`$;&|()<>]*(?=[ \t\n\r\f\v;&|()<>]|\Z))"
    r"|(?P<nl>\n)"
    r"|(?P<op>;;&|;;|;&|&&|\|\||\|&|&>>|&>|<<<|<<-|<<|<>|>>|>&|<&|>\||[;&|()]|[<>](?!\())"
    r"|(?P<c>#[^\n]*)"
    r"|(?P<x>(?=[^ \t\n\r\f\v;&|()<>#]|[<>]\()(?!\\\n)))")


# Patterns that only some text needs are compiled at first use: every re.compile is 30-200 µs,
# paid by each `sigil scan` process, and a one-command hook needs few of them.
_SPACE = LazyPattern(r"[ \t\r\f\v]+")  # only the slow path of _lex, after _MASTER found nothing


_VAR = LazyPattern(r"\$(?:[A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!-])")


_ANSI_ESC = LazyPattern(r"\\(x[0-9a-fA-F]{1,2}|u[0-9a-fA-F]{1,4}|[0-7]{1,3}|.)", re.S)


_HEREDOC_PLAIN = LazyPattern(r"[^\\$`]+")


_ANSI_SIMPLE = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "e": "\x1b", "E": "\x1b"}

REDIRECT_OPS = frozenset({"<", ">", ">>", "<>", ">&", "<&", ">|", "&>", "&>>", "<<", "<<-", "<<<"})
_MAX_NESTING = 40  # `$(` nesting deeper than this is treated as text (defends the recursion)


# Tokens are plain slotted classes, not dataclasses: nothing compares them by value, and
# `import dataclasses` plus three @dataclass definitions cost ~3 ms of every scan's start-up.
class Sub:
    """A nested command that runs: `$(…)`, backticks, `<(…)` or `>(…)`."""

    __slots__ = ("kind", "tokens", "source")

    def __init__(self, kind: str, tokens: list[Token], source: str) -> None:
        self.kind = kind  # "cmd" | "proc"
        self.tokens = tokens
        self.source = source


class Word:
    __slots__ = ("value", "raw", "line", "quoted", "expands", "subs")

    def __init__(
        self, value: str, raw: str, line: int, quoted: bool = False, expands: bool = False, subs: tuple[Sub, ...] = ()
    ) -> None:
        self.value = value  # the word after quote removal; expansions are kept as written ("$HOME")
        self.raw = raw  # the word as written
        self.line = line
        self.quoted = quoted  # any part was quoted or escaped
        self.expands = expands  # contains a parameter expansion or substitution outside single quotes
        self.subs = subs


class Op:
    __slots__ = ("op", "line", "body", "body_line", "body_literal", "body_subs")

    def __init__(self, op: str, line: int) -> None:
        self.op = op
        self.line = line
        # Heredoc redirects (`<<`, `<<-`) get their body once the lexer reaches it.
        self.body: str | None = None
        self.body_line = 0
        self.body_literal = False  # quoted delimiter: no expansion, nothing in it runs
        self.body_subs: tuple[Sub, ...] = ()


Token = Word | Op


class _TooDeep(Exception):
    pass


class Lexer:
    """Turn shell source into tokens. One instance per source string."""

    def __init__(self, source: str, line: int = 1) -> None:
        self.s = source
        self.n = len(source)
        self.i = 0
        self.line = line
        self.unterminated = False
        self._depth = 0
        self._pending: list[tuple[Op, str]] = []  # heredocs awaiting their body (op, delimiter)
        self._want_delim: Op | None = None
        self._word_end = -1

    def tokens(self) -> list[Token]:
        return self._lex(stop_paren=False)

    # -- main loop ---------------------------------------------------------------------------

    def _lex(self, *, stop_paren: bool) -> list[Token]:
        # The position and the end of the last word live in locals (written back to self.i /
        # self._word_end around every call that reads or moves them): this loop runs once
        # per token, and attribute stores were a third of its cost.
        s, n = self.s, self.n
        out: list[Token] = []
        append = out.append
        paren = 0
        master = _MASTER.match
        i, word_end = self.i, self._word_end
        while i < n:
            m = master(s, i)
            kind = m.lastindex if m is not None else 0  # group 1 word, 2 newline, 3 operator …
            if kind == 1:  # blanks then a plain unquoted word: most of any script
                plain = m.group(1)  # type: ignore[union-attr]
                word = Word(plain, plain, self.line)
                append(word)
                i = word_end = m.end()  # type: ignore[union-attr]
                if self._want_delim is not None:
                    self._heredoc_delim(word)
                continue
            if kind == 2:
                if not out or out[-1].__class__ is not Op or out[-1].op != "\n":  # type: ignore[union-attr]
                    append(Op("\n", self.line))  # blank and comment lines add nothing
                i = m.end()  # type: ignore[union-attr]
                self.line += 1
                if self._pending:
                    self.i = i
                    self._read_heredocs()
                    i = self.i
                continue
            if kind == 3:
                op = m.group(3)  # type: ignore[union-attr]
                op_start = m.start(3)  # type: ignore[union-attr]
                i = m.end()  # type: ignore[union-attr]
                if stop_paren and op == ")" and paren == 0:
                    self.i, self._word_end = i, word_end
                    return out
                paren += (op == "(") - (op == ")")
                if (op in REDIRECT_OPS and out and out[-1].__class__ is Word
                        and out[-1].raw.isdigit() and word_end == op_start):  # type: ignore[union-attr]
                    out.pop()  # `2>` is one redirect, not an argument "2" then ">"
                tok = Op(op, self.line)
                append(tok)
                if op in ("<<", "<<-"):
                    self._want_delim = tok
                continue
            if kind == 4:  # a comment: up to the newline
                i = m.end()  # type: ignore[union-attr]
                continue
            if kind == 5:  # a word that needs the word scanner
                self.i, self._word_end = m.end(), word_end  # type: ignore[union-attr]
                word = self._word()
                i = word_end = self.i
                append(word)
                if self._want_delim is not None:
                    self._heredoc_delim(word)
                continue
            sp = _SPACE.match(s, i)
            if sp is not None:
                i = sp.end()
                if i >= n:
                    break
            c = s[i]
            if c == "#":
                end = s.find("\n", i)
                i = n if end < 0 else end
            elif c == "\\" and s.startswith("\\\n", i):
                i += 2  # line continuation between words
                self.line += 1
            elif c == "\n" or (c in ";&|()<>" and not s.startswith("(", i + 1)):
                continue  # the master pattern takes it on the next turn
            else:
                self.i, self._word_end = i, word_end
                word = self._word()
                i = word_end = self.i
                append(word)
                if self._want_delim is not None:
                    self._heredoc_delim(word)
        self.i, self._word_end = i, word_end
        if stop_paren:
            self.unterminated = True
        return out

    def _heredoc_delim(self, word: Word) -> None:
        op_tok, self._want_delim = self._want_delim, None
        if op_tok is not None:
            self._pending.append((op_tok, word.value))
            op_tok.body_literal = word.quoted

    def _read_heredocs(self) -> None:
        s = self.s
        for op_tok, delim in self._pending:
            strip = op_tok.op == "<<-"
            start_line, lines = self.line, []
            while self.i < self.n:  # a body running to the end of the text is accepted, as bash does
                end = s.find("\n", self.i)
                end = self.n if end < 0 else end
                text = s[self.i : end]
                self.i = min(end + 1, self.n)
                self.line += 1
                if (text.lstrip("\t") if strip else text) == delim:
                    break
                lines.append(text)
            op_tok.body = "\n".join(lines)
            op_tok.body_line = start_line
            if not op_tok.body_literal:
                op_tok.body_subs = _heredoc_subs(op_tok.body, start_line)
        self._pending.clear()

    # -- words -------------------------------------------------------------------------------

    def _word(self) -> Word:
        s, start, line = self.s, self.i, self.line
        parts: list[str] = []
        subs: list[Sub] = []
        quoted = expands = False
        if s[self.i] in "<>":  # process substitution <(…) / >(…)
            self.i += 2
            sub = self._nested(start + 2, "proc")
            return Word(s[start : self.i], s[start : self.i], line, False, True, (sub,))
        while self.i < self.n:
            c = s[self.i]
            if c in " \t\r\f\v\n;&|()<>":
                break
            m = _PLAIN.match(s, self.i)
            if m:
                parts.append(m.group())
                self.i = m.end()
            elif c == "'":
                end = s.find("'", self.i + 1)
                if end < 0:
                    self.unterminated, end = True, self.n
                parts.append(s[self.i + 1 : end])
                self.line += s.count("\n", self.i, end)
                self.i = end + 1
                quoted = True
            elif c == '"':
                self.i += 1
                expands |= self._dquote(parts, subs, _DQ_PLAIN, '"')
                quoted = True
            elif c == "\\":
                nxt = s[self.i + 1 : self.i + 2]
                if nxt == "\n":
                    self.line += 1
                else:
                    parts.append(nxt)
                    quoted = True
                self.i += 2
            else:  # "$" or "`"
                if s.startswith("$'", self.i):
                    parts.append(self._ansi_c())
                    quoted = True
                else:
                    expands |= self._dollar(parts, subs)
        raw = s[start : min(self.i, self.n)]
        return Word("".join(parts), raw, line, quoted, expands, tuple(subs))

    def _dquote(self, parts: list[str], subs: list[Sub], plain: re.Pattern[str] | LazyPattern, close: str) -> bool:
        """Scan a double-quoted run (or heredoc body); return whether it expands anything."""
        s, expands = self.s, False
        while self.i < self.n:
            c = s[self.i]
            if close and c == close:
                self.i += 1
                return expands
            m = plain.match(s, self.i)
            if m:
                parts.append(m.group())
                self.line += m.group().count("\n")
                self.i = m.end()
            elif c == "\\":
                nxt = s[self.i + 1 : self.i + 2]
                if nxt == "\n":
                    self.line += 1
                elif nxt in '$`"\\':
                    parts.append(nxt)
                else:
                    parts.append("\\" + nxt)
                self.i += 2
            else:
                expands |= self._dollar(parts, subs)
        if close:
            self.unterminated = True
        return expands

    def _dollar(self, parts: list[str], subs: list[Sub]) -> bool:
        """At `$` or a backtick: record substitutions, keep the text as written."""
        s, start = self.s, self.i
        if s[start] == "`":
            end = start + 1
            while end < self.n and s[end] != "`":
                end += 2 if s[end] == "\\" else 1
            if end >= self.n:
                self.unterminated = True
            inner = s[start + 1 : end].replace("\\`", "`")
            line = self.line
            self.line += s.count("\n", start, end)
            self.i = end + 1
            subs.append(Sub("cmd", _sub_tokens(inner, line, self._depth), inner))
        elif s.startswith("$((", start):
            self.i = _match_close(s, start + 3, "(", ")", depth=2)
        elif s.startswith("$(", start):
            self.i = start + 2
            subs.append(self._nested(start + 2, "cmd"))
        elif s.startswith("${", start):
            self.i = _match_close(s, start + 2, "{", "}", depth=1)
        else:
            m = _VAR.match(s, start)
            if not m:
                parts.append("$")
                self.i = start + 1
                return False
            self.i = m.end()
        self.i = min(self.i, self.n)
        parts.append(s[start : self.i])
        return True

    def _nested(self, begin: int, kind: str) -> Sub:
        if self._depth >= _MAX_NESTING:
            raise _TooDeep
        self._depth += 1
        try:
            toks = self._lex(stop_paren=True)
        finally:
            self._depth -= 1
        return Sub(kind, toks, self.s[begin : max(begin, self.i - 1)])

    def _ansi_c(self) -> str:
        s, i = self.s, self.i + 2
        end = i
        while end < self.n and s[end] != "'":
            end += 2 if s[end] == "\\" else 1
        self.i = end + 1
        return _ANSI_ESC.sub(_ansi_unescape, s[i:end])


def _ansi_unescape(m: re.Match[str]) -> str:
    esc = m.group(1)
    if esc[0] in "xu" and len(esc) > 1:
        return chr(int(esc[1:], 16))
    if esc[0] in "01234567":
        return chr(int(esc, 8) & 0xFF)
    return _ANSI_SIMPLE.get(esc, esc)


def _match_close(s: str, i: int, open_: str, close: str, depth: int) -> int:
    """Index just past the bracket that closes `depth` open brackets (quotes ignored: rare)."""
    n = len(s)
    while i < n and depth:
        c = s[i]
        depth += (c == open_) - (c == close)
        i += 1
    return i


def _sub_tokens(inner: str, line: int, depth: int) -> list[Token]:
    if depth >= _MAX_NESTING:
        raise _TooDeep
    lx = Lexer(inner, line)
    lx._depth = depth + 1
    return lx.tokens()


def _heredoc_subs(body: str, line: int) -> tuple[Sub, ...]:
    """Substitutions in an unquoted heredoc body run when the heredoc is read."""
    if "$(" not in body and "`" not in body:
        return ()
    lx = Lexer(body, line)
    parts: list[str] = []
    subs: list[Sub] = []
    try:
        lx._dquote(parts, subs, _HEREDOC_PLAIN, "")
    except _TooDeep:
        return ()
    return tuple(subs)


def lex(source: str, line: int = 1) -> tuple[list[Token], bool]:
    """Tokens of `source` and whether some quote or substitution ran off the end.

    Raises nothing: pathological nesting degrades to an empty token list with the flag set.
    """
    lx = Lexer(source, line)
    try:
        return lx.tokens(), lx.unterminated
    except (_TooDeep, RecursionError):
        return [], True
