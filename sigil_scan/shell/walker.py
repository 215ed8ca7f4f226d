"""Walk parsed shell and record what each simple command does.

Everything that *runs* is visited: each simple command (after unwrapping `sudo`, `env`,
`xargs`, `timeout` …), the payloads of `bash -c`, `eval`, `python -c`, here-strings and heredocs
fed to a shell, `find -exec`, and every `$(…)`, backtick and `<(…)` substitution. Words that are
only *data* — arguments of `grep`, `echo`, `[[ … ]]`, `case` patterns, comments — are never
analysed as commands, which is what keeps guard hooks (`grep -q 'rm -rf' && exit 2`) quiet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import exfil, interp
from .argv import Argv, matches, option_values, program_name, read_argv, worst_target
from .compile import Compiled, Matcher, Wrapper
from .lexer import Sub, Token, Word, lex
from .parse import Pipeline, SimpleCommand, parse

MAX_DEPTH = 8  # nesting of bash -c / eval / substitutions analysed; deeper text is skipped
_WS = re.compile(r"\s+")
_PLAIN_VAR = re.compile(r"^\$(\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*|[@*0-9])$")
_WRITE_OPS = frozenset({">", ">>", ">|", "&>", "&>>", "<>"})
_TRUNCATE_OPS = frozenset({">", ">|", "&>"})
_PRINTERS = frozenset({"echo", "printf", "print"})


@dataclass(frozen=True, slots=True)
class RawHit:
    category: str
    pattern: str
    snippet: str
    target: str | None
    line: int


def snippet_of(cmd: SimpleCommand, words: list[Word] | None = None) -> str:
    parts = [w.raw for w in cmd.assigns] + [w.raw for w in (words or cmd.words)]
    for r in cmd.redirects:
        parts.append(r.op + (r.target.raw if r.target is not None else ""))
    text = _WS.sub(" ", " ".join(parts)).strip()
    return text if len(text) <= 120 else text[:117] + "..."


class Walker:
    def __init__(self, compiled: Compiled) -> None:
        self.c = compiled
        self.hits: list[RawHit] = []
        self._seen: set[tuple[str, str, str, int]] = set()
        self.sources: list[tuple[Word, int]] = []  # `source X` / `. X` operands, for scripts
        self.fetched: set[str] = set()  # files a downloader wrote to

    # -- recording ---------------------------------------------------------------------------

    def hit(self, category: str, pattern: str, snippet: str, target: str | None, line: int) -> None:
        key = (category, pattern, snippet, line)
        if key not in self._seen:
            self._seen.add(key)
            self.hits.append(RawHit(category, pattern, snippet, target, line))

    def structure(self, check: str, cmd: SimpleCommand, target: str | None = None) -> None:
        found = self.c.structures.get(check)
        if found is not None:
            self.hit(found[0], found[1], snippet_of(cmd), target, cmd.line)

    # -- entry points ------------------------------------------------------------------------

    def source_text(self, text: str, line: int, depth: int) -> None:
        if depth > MAX_DEPTH or not text.strip():
            return
        toks, _ = lex(text, line)
        self.tokens(toks, depth)

    def tokens(self, toks: list[Token], depth: int) -> None:
        for pipe in parse(toks):
            self.pipeline(pipe, depth)

    def code(self, text: str, language: str, line: int, depth: int) -> None:
        if depth <= MAX_DEPTH:
            interp.analyse_code(self, text, language, line, depth)

    # -- structure ---------------------------------------------------------------------------

    def pipeline(self, pipe: Pipeline, depth: int) -> None:
        for idx, cmd in enumerate(pipe):
            self.command(cmd, pipe[:idx], depth)
        if len(pipe) > 1:
            for cmd in pipe:
                if cmd.function and cmd.words and program_name(cmd.words[0]) == cmd.function:
                    self.structure("fork-bomb", cmd, "system")
                    break

    def command(self, cmd: SimpleCommand, upstream: list[SimpleCommand], depth: int) -> None:
        if depth < MAX_DEPTH:
            for sub in cmd.subs():
                self.tokens(sub.tokens, depth + 1)
        for w in cmd.assigns:
            self.assignment(w, cmd)
        self.redirects(cmd)
        if cmd.words:
            self.simple(cmd.words, cmd, upstream, depth, from_stdin=False)

    def simple(self, words: list[Word], cmd: SimpleCommand, upstream: list[SimpleCommand],
               depth: int, *, from_stdin: bool, find_paths: list[str] | None = None) -> None:
        c = self.c
        argv = read_argv(words)
        prog = argv.program
        if words[0].raw.startswith("$'") and "\\" in words[0].raw:
            self.structure("escaped-program-name", cmd)
        for m in c.matchers_for(prog):
            if matches(m, argv):
                target = self.target_for(m, argv, from_stdin, find_paths)
                if not m.targets_only or target in m.targets_only:
                    self.hit(m.category, m.id, snippet_of(cmd, words), target, cmd.line)
        wrapper = c.wrappers.get(prog)
        if wrapper is not None:
            inner = self.unwrap(words, wrapper, cmd)
            if inner:
                self.simple(inner, cmd, upstream, depth,
                            from_stdin=from_stdin or wrapper.operands_from_stdin,
                            find_paths=find_paths)
            return
        if prog in ("export", "declare", "typeset", "local", "readonly"):
            for w in argv.operands:
                self.assignment(w, cmd)
        if prog == "find":
            self.find(argv, cmd, upstream, depth)
        it = c.interpreter(prog)
        if prog in c.shells:
            self.run_code(argv, "shell", c.shell_payload_flags[0], c.shell_payload_flags[1],
                          cmd, upstream, depth)
        elif it is not None:
            shorts = frozenset(f[1] for f in it.payload_flags if len(f) == 2)
            self.run_code(argv, it.language, shorts, it.payload_flags, cmd, upstream, depth)
        elif prog in c.evaluators:
            self.evaluate(argv, cmd, depth)
        elif prog in c.sourcers and argv.operands:
            op = argv.operands[0]
            if not self.substituted_script(op, cmd):
                self.sources.append((op, cmd.line))
        self.files(argv, cmd)
        exfil.check(self, argv, cmd, upstream)
        self.fetch_then_run(argv, cmd)

    # -- helpers for simple commands ---------------------------------------------------------

    def target_for(self, m: Matcher, argv: Argv, from_stdin: bool,
                   find_paths: list[str] | None) -> str | None:
        if m.target_value is not None:
            return m.target_value
        if m.target == "find":
            return worst_target(self.c, find_operands(argv)) or "relative"
        if m.target not in ("operands", "operands-after-first"):
            return None
        ops = argv.operands[1:] if m.target == "operands-after-first" else argv.operands
        values = [w.value for w in ops]
        if find_paths is not None:
            values = [v for v in values if v != "{}"] + (find_paths if "{}" in values else [])
        if not values:
            return "stdin" if from_stdin else None
        return worst_target(self.c, values)

    def unwrap(self, words: list[Word], w: Wrapper, cmd: SimpleCommand) -> list[Word]:
        i, skip = 1, w.skip_positionals
        while i < len(words):
            v = words[i].value
            if v in w.stop_options:
                return []
            if v.startswith("-") and len(v) > 1:
                i += 2 if v in w.value_options else 1
            elif "=" in v and re.match(r"[A-Za-z_][A-Za-z0-9_]*=", v):
                self.assignment(words[i], cmd)  # env VAR=value cmd
                i += 1
            elif skip:
                skip -= 1
                i += 1
            else:
                break
        return words[i:]

    def find(self, argv: Argv, cmd: SimpleCommand, upstream: list[SimpleCommand],
             depth: int) -> None:
        words = argv.words
        paths = find_operands(argv) or ["."]
        for i, w in enumerate(words):
            if w.value in ("-exec", "-execdir", "-ok", "-okdir"):
                end = i + 1
                while end < len(words) and words[end].value not in (";", "+"):
                    end += 1
                if end > i + 1:
                    self.simple(words[i + 1:end], cmd, upstream, depth, from_stdin=False,
                                find_paths=paths)

    def run_code(self, argv: Argv, language: str, shorts: frozenset[str],
                 longs: frozenset[str], cmd: SimpleCommand, upstream: list[SimpleCommand],
                 depth: int) -> None:
        """A shell or interpreter: find its payload, its script operand, or its stdin."""
        words = argv.words
        i = 1
        while i < len(words):
            v = words[i].value
            if v in longs or (len(v) > 1 and v[0] == "-" and v[1:].isalpha()
                              and shorts & set(v[1:])):
                if i + 1 < len(words):
                    self.payload(words[i + 1], language, cmd, depth, evaluator=False)
                return
            if v in ("-o", "+o", "-O", "+O", "--rcfile", "--init-file", "-m", "-W", "-X"):
                if v == "-m":  # python -m module: not a script or stdin
                    return
                i += 2
                continue
            if v.startswith(("-", "+")) and v not in ("-", "--"):
                i += 1
                continue
            if v == "--":
                i += 1
                continue
            if v != "-":
                op = words[i]
                if not self.substituted_script(op, cmd) and strip_dot(op.value) in self.fetched:
                    self.structure("fetch-then-run", cmd)
                return
            break
        self.stdin_code(language, cmd, upstream, depth)

    def payload(self, word: Word, language: str, cmd: SimpleCommand, depth: int,
                *, evaluator: bool) -> None:
        """Code given inline (`-c`, `eval`, here-string): check splices, then analyse the text."""
        if word.subs:
            self.spliced(word.subs, cmd)
        elif word.expands and _PLAIN_VAR.match(word.value.strip()):
            self.structure("eval-variable" if evaluator else "shell-payload-variable", cmd)
            return
        if language == "shell":
            self.source_text(word.value, word.line, depth + 1)
        else:
            self.code(word.value, language, word.line, depth + 1)

    def spliced(self, subs: list[Sub], cmd: SimpleCommand) -> None:
        roles = self.sub_roles(subs)
        if "fetcher" in roles:
            self.structure("fetch-substitution-exec", cmd)
        if "decoder" in roles:
            self.structure("decode-substitution-exec", cmd)

    def substituted_script(self, word: Word, cmd: SimpleCommand) -> bool:
        """`bash <(curl …)` / `source <(curl …)`: the substitution's output is the script."""
        procs = [s for s in word.subs if s.kind == "proc"]
        if not procs:
            return False
        roles = self.sub_roles(procs)
        if "fetcher" in roles:
            self.structure("fetch-process-substitution", cmd)
        if "decoder" in roles:
            self.structure("decode-substitution-exec", cmd)
        return True

    def evaluate(self, argv: Argv, cmd: SimpleCommand, depth: int) -> None:
        args = argv.words[1:]
        if not args:
            return
        if len(args) == 1:
            self.payload(args[0], "shell", cmd, depth, evaluator=True)
            return
        subs = [s for w in args for s in w.subs]
        if subs:
            self.spliced(subs, cmd)
        self.source_text(" ".join(w.value for w in args), args[0].line, depth + 1)

    def stdin_code(self, language: str, cmd: SimpleCommand, upstream: list[SimpleCommand],
                   depth: int) -> None:
        """A shell or interpreter reading its program from stdin."""
        for r in cmd.redirects:
            if r.op == "<<<" and r.target is not None:
                self.payload(r.target, language, cmd, depth, evaluator=False)
            elif r.heredoc is not None and r.heredoc.body is not None:
                if r.heredoc.body_subs:
                    self.spliced(r.heredoc.body_subs, cmd)
                if language == "shell":
                    self.source_text(r.heredoc.body, r.heredoc.body_line, depth + 1)
                else:
                    self.code(r.heredoc.body, language, r.heredoc.body_line, depth + 1)
            elif r.op == "<" and r.target is not None and strip_dot(r.target.value) in self.fetched:
                self.structure("fetch-then-run", cmd)
        if not upstream:
            return
        roles: set[str] = set()
        for up in upstream:
            roles |= self.roles_of(up.words)
        if "fetcher" in roles:
            self.structure("fetch-pipe-exec", cmd)
        if "decoder" in roles:
            self.structure("decode-pipe-exec", cmd)
        last = effective(upstream[-1].words, self.c)
        if last and program_name(last[0]) in _PRINTERS and not roles:
            text = " ".join(w.value for w in last[1:] if not w.value.startswith("-"))
            if language == "shell":
                self.source_text(text, upstream[-1].line, depth + 1)
            else:
                self.code(text, language, upstream[-1].line, depth + 1)

    def roles_of(self, words: list[Word]) -> set[str]:
        found: set[str] = set()
        inner = effective(words, self.c)
        if not inner:
            return found
        argv = read_argv(inner)
        for role in ("fetcher", "decoder"):
            if any(matches(m, argv) for m in self.c.role(role, argv.program)):
                found.add(role)
        return found

    def sub_roles(self, subs: list[Sub], depth: int = 0) -> set[str]:
        found: set[str] = set()
        for sub in subs:
            for pipe in parse(sub.tokens):
                for cmd in pipe:
                    if cmd.words:
                        found |= self.roles_of(cmd.words)
                    if depth < 4:
                        found |= self.sub_roles(cmd.subs(), depth + 1)
        return found

    def assignment(self, word: Word, cmd: SimpleCommand) -> None:
        name, _, value = word.value.partition("=")
        for pid, cat, name_rx, value_rx in self.c.assignments:
            if name_rx.search(name) and value_rx.search(value):
                self.hit(cat, pid, snippet_of(cmd), None, cmd.line)

    def redirects(self, cmd: SimpleCommand) -> None:
        for r in cmd.redirects:
            if r.target is None or r.heredoc is not None:
                continue
            path = r.target.value
            if path.startswith(("/dev/tcp/", "/dev/udp/")):
                self.structure("dev-tcp", cmd)
            if r.op in _WRITE_OPS:
                self.path_rules(self.c.writes, path, cmd)
            if r.op in _TRUNCATE_OPS:
                self.path_rules(self.c.deletes, path, cmd)

    def path_rules(self, rules: list, path: str, cmd: SimpleCommand) -> None:  # type: ignore[type-arg]
        for rule in rules:
            if rule.regex.search(path):
                self.hit(rule.category, rule.id, snippet_of(cmd), rule.target_value, cmd.line)

    def files(self, argv: Argv, cmd: SimpleCommand) -> None:
        prog, ops = argv.program, [w.value for w in argv.operands]
        mode = self.c.writers.get(prog)
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
                self.path_rules(self.c.deletes, ops[-1], cmd)
        else:
            written = []
        for path in written:
            self.path_rules(self.c.writes, path, cmd)
        if prog in self.c.removers or (prog == "tee" and "a" not in argv.short):
            for path in ops:
                self.path_rules(self.c.deletes, path, cmd)

    def fetch_then_run(self, argv: Argv, cmd: SimpleCommand) -> None:
        for m in self.c.role("fetcher", argv.program):
            if m.output_options:
                for v in option_values(argv, sorted(m.output_options)):
                    self.fetched.add(strip_dot(v))
                for r in cmd.redirects:
                    if r.op in (">", ">|") and r.target is not None:
                        self.fetched.add(strip_dot(r.target.value))
        if strip_dot(argv.words[0].value) in self.fetched:
            self.structure("fetch-then-run", cmd)


def strip_dot(path: str) -> str:
    return path[2:] if path.startswith("./") else path


def find_operands(argv: Argv) -> list[str]:
    out: list[str] = []
    for w in argv.words[1:]:
        v = w.value
        if v in ("-H", "-L", "-P") and not out:
            continue
        if v.startswith("-") or v in ("(", "!", ")"):
            break
        out.append(v)
    return out


def effective(words: list[Word], c: Compiled) -> list[Word]:
    """The command after wrappers (`sudo -u x env A=1 curl …` -> `curl …`)."""
    for _ in range(8):
        if not words:
            return words
        w = c.wrappers.get(program_name(words[0]))
        if w is None:
            return words
        i = 1
        while i < len(words):
            v = words[i].value
            if v in w.stop_options:
                return []
            if v.startswith("-") and len(v) > 1:
                i += 2 if v in w.value_options else 1
            elif "=" in v and not v.startswith("="):
                i += 1
            else:
                break
        words = words[i + w.skip_positionals:]
    return words
