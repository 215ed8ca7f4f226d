"""Group lexer tokens into pipelines of simple commands.

Only what decides *what runs* is modelled: pipes, lists, redirections (with heredoc bodies),
and the compound-command keywords that must not be mistaken for programs (`if`, `then`,
`case … in pattern)`, `for x in …`, `[[ … ]]`, function definitions). Bodies of compound
commands are ordinary commands and are analysed like any other.
"""

from __future__ import annotations

import re

from .lexer import REDIRECT_OPS, Op, Sub, Token, Word

_WS = re.compile(r"\s+")
_ASSIGN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=")
# Keywords that may precede a command and are not programs themselves.
_PREFIX_KEYWORDS = frozenset({"if", "then", "else", "elif", "fi", "do", "done", "while", "until",
                              "!", "{", "}", "time", "coproc"})
_LIST_OPS = frozenset({"\n", ";", "&", "&&", "||"})
_CASE_END = frozenset({";;", ";&", ";;&"})


# Redirect and SimpleCommand are plain classes, not dataclasses: they are built in one place
# each and never compared, and each dataclass cost ~0.4 ms of the first command analysed.
class Redirect:
    __slots__ = ("op", "target", "heredoc")

    def __init__(self, op: str, target: Word | None, heredoc: Op | None = None) -> None:
        self.op = op
        self.target = target
        self.heredoc = heredoc  # the heredoc operator token (carries the body)


class SimpleCommand:
    __slots__ = ("words", "assigns", "redirects", "extra_subs", "line", "function")

    def __init__(self) -> None:
        self.words: list[Word] = []
        self.assigns: list[Word] = []
        self.redirects: list[Redirect] = []
        self.extra_subs: list[Sub] = []  # e.g. `$(…)` inside `[[ … ]]`
        self.line = 0
        self.function: str | None = None  # name of the function whose body this command is in

    def empty(self) -> bool:
        return not (self.words or self.assigns or self.redirects or self.extra_subs)

    def subs(self) -> list[Sub]:
        out = list(self.extra_subs)
        for w in self.assigns:
            out.extend(w.subs)
        for w in self.words:
            out.extend(w.subs)
        for r in self.redirects:
            if r.target is not None and r.heredoc is None:
                out.extend(r.target.subs)
            if r.heredoc is not None:
                out.extend(r.heredoc.body_subs)
        return out


Pipeline = list[SimpleCommand]


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.toks = tokens
        self.i = 0
        self.pipelines: list[Pipeline] = []
        self.pipe: Pipeline = []
        self.cmd = SimpleCommand()
        self.case_mode: list[str] = []  # stack of "word" | "in" | "pattern" | "body"
        self.functions: list[tuple[str, int]] = []  # (name, brace depth at definition)
        self.braces = 0

    def end_cmd(self) -> None:
        if not self.cmd.empty():  # an empty command is reused: most ends are blank lines
            if self.functions:
                self.cmd.function = self.functions[-1][0]
            self.pipe.append(self.cmd)
            self.cmd = SimpleCommand()

    def end_pipe(self) -> None:
        self.end_cmd()
        if self.pipe:
            self.pipelines.append(self.pipe)
        self.pipe = []

    def run(self) -> list[Pipeline]:
        toks = self.toks
        n = len(toks)
        case_mode = self.case_mode  # the same list throughout: only appended to and popped
        while self.i < n:
            tok = toks[self.i]
            self.i += 1
            if tok.__class__ is Op:
                if tok.op in _LIST_OPS and not case_mode:  # type: ignore[union-attr]
                    self.end_pipe()  # `;`, `&&`, newline …: what op() does for them, inlined
                else:
                    self.op(tok)  # type: ignore[arg-type]
            else:
                words = self.cmd.words
                if words and not case_mode:
                    words.append(tok)  # type: ignore[arg-type]  # an argument: no keyword checks
                else:
                    self.word(tok)  # type: ignore[arg-type]
        self.end_pipe()
        return self.pipelines

    def op(self, tok: Op) -> None:
        op = tok.op
        mode = self.case_mode[-1] if self.case_mode else ""
        if mode in ("word", "in", "pattern"):
            if mode == "pattern" and op == ")":
                self.case_mode[-1] = "body"
            return
        if op in REDIRECT_OPS:
            target = self.toks[self.i] if self.i < len(self.toks) else None
            if isinstance(target, Word):
                self.i += 1
            else:
                target = None
            self.cmd.redirects.append(Redirect(op, target, tok if tok.body is not None else None))
            if not self.cmd.line:
                self.cmd.line = tok.line
        elif op in ("|", "|&"):
            self.end_cmd()
        elif op in _LIST_OPS:
            self.end_pipe()
        elif op in _CASE_END:
            self.end_pipe()
            if self.case_mode:
                self.case_mode[-1] = "pattern"
        elif op == "(":
            if len(self.cmd.words) == 1 and not self.cmd.assigns:
                self.function_def(self.cmd.words[0].value)
            elif self.cmd.assigns and not self.cmd.words:
                self.skip_to(")")  # array literal: a=(x y z)
            else:
                self.end_pipe()  # subshell or arithmetic `((`
        else:  # ")"
            self.end_pipe()

    def function_def(self, name: str) -> None:
        """`name() { …; }`: the name is not a command; remember it for fork-bomb detection."""
        self.cmd = SimpleCommand()
        if self.i < len(self.toks) and isinstance(self.toks[self.i], Op):
            self.i += 1  # the ")"
        self.functions.append((name, self.braces))

    def skip_to(self, close: str) -> None:
        while self.i < len(self.toks):
            tok = self.toks[self.i]
            self.i += 1
            if isinstance(tok, Op) and tok.op == close:
                return
            if isinstance(tok, Word):
                self.cmd.extra_subs.extend(tok.subs)

    def word(self, tok: Word) -> None:
        value = tok.value
        mode = self.case_mode[-1] if self.case_mode else ""
        if mode == "word":
            self.case_mode[-1] = "in"
            self.cmd.extra_subs.extend(tok.subs)
            return
        if mode == "in":
            if value == "in":
                self.case_mode[-1] = "pattern"
            return
        if mode == "pattern":
            if value == "esac" and not tok.quoted:
                self.case_mode.pop()
            return
        if not self.cmd.words and not self.cmd.assigns and not tok.quoted and self.keyword(tok):
            return
        if not self.cmd.words and _ASSIGN.match(tok.raw):
            self.cmd.assigns.append(tok)
        else:
            self.cmd.words.append(tok)
        if not self.cmd.line:
            self.cmd.line = tok.line

    def keyword(self, tok: Word) -> bool:
        """Handle a reserved word in command position; True when consumed."""
        value = tok.value
        if value in _PREFIX_KEYWORDS:
            if value == "{":
                self.braces += 1
            elif value == "}":
                self.braces -= 1
                if self.functions and self.functions[-1][1] == self.braces:
                    self.end_pipe()
                    self.functions.pop()
            return True
        if value == "case":
            self.case_mode.append("word")
            return True
        if value == "esac" and self.case_mode:
            self.case_mode.pop()
            return True
        if value in ("for", "select"):
            # `for x in a b c` is not a command; stop at the list terminator.
            while self.i < len(self.toks):
                nxt = self.toks[self.i]
                if isinstance(nxt, Op) and nxt.op in (";", "\n"):
                    break
                if isinstance(nxt, Word):
                    self.cmd.extra_subs.extend(nxt.subs)
                    if nxt.value == "do":
                        break
                self.i += 1
            return True
        if value == "[[":
            while self.i < len(self.toks):
                nxt = self.toks[self.i]
                self.i += 1
                if isinstance(nxt, Word):
                    if nxt.value == "]]":
                        break
                    self.cmd.extra_subs.extend(nxt.subs)
            if not self.cmd.line:
                self.cmd.line = tok.line
            return True
        if value == "function" and self.i < len(self.toks):
            nxt = self.toks[self.i]
            if isinstance(nxt, Word):
                self.i += 1
                if (self.i + 1 < len(self.toks) and isinstance(self.toks[self.i], Op)
                        and self.toks[self.i].op == "("):  # type: ignore[union-attr]
                    self.i += 2
                self.functions.append((nxt.value, self.braces))
            return True
        return False


def parse(tokens: list[Token]) -> list[Pipeline]:
    """Pipelines of simple commands, in source order."""
    return _Parser(tokens).run()


def snippet_of(cmd: SimpleCommand, words: list[Word] | None = None) -> str:
    """The command as written, on one line, at most 120 characters."""
    parts = [w.raw for w in cmd.assigns] + [w.raw for w in (words or cmd.words)]
    for r in cmd.redirects:
        parts.append(r.op + (r.target.raw if r.target is not None else ""))
    text = _WS.sub(" ", " ".join(parts)).strip()
    return text if len(text) <= 120 else text[:117] + "..."
