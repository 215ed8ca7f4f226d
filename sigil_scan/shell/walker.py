"""Walk parsed shell and record what each simple command does.

Everything that *runs* is visited: each simple command (after unwrapping `sudo`, `env`,
`xargs`, `timeout` …), the payloads of `bash -c`, `eval`, `python -c`, here-strings and heredocs
fed to a shell, `find -exec`, and every `$(…)`, backtick and `<(…)` substitution. Words that are
only *data* — arguments of `grep`, `echo`, `[[ … ]]`, `case` patterns, comments — are never
analysed as commands, which is what keeps guard hooks (`grep -q 'rm -rf' && exit 2`) quiet.
"""

from __future__ import annotations

from collections.abc import Sequence

from sigil_scan.lazyre import LazyPattern

from . import effects, exfil
from .argv import (
    Argv,
    effective,
    find_operands,
    matches,
    program_name,
    read_argv,
    unwrap_once,
    worst_target,
)
from .compile import Compiled, Matcher
from .effects import strip_dot
from .lexer import Sub, Token, Word, lex
from .parse import Pipeline, SimpleCommand, parse, snippet_of

MAX_DEPTH = 8  # nesting of bash -c / eval / substitutions analysed; deeper text is reported
MAX_HOPS = 16  # wrappers / find -exec unwrapped within one simple command (sudo env nice …)


# compiled at first use: only `bash -c "$X"` / `eval "$X"` shapes need it
_PLAIN_VAR = LazyPattern(r"^\$(\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*|[@*0-9])$")


_PRINTERS = frozenset({"echo", "printf", "print"})


class RawHit:
    # A plain slotted class: nothing compares, hashes or unpacks it (hits are deduplicated by
    # Walker._seen), and defining a NamedTuple cost ~0.18 ms of every scan that reads a command.
    __slots__ = ("category", "pattern", "snippet", "target", "line")

    def __init__(self, category: str, pattern: str, snippet: str, target: str | None, line: int) -> None:
        self.category = category
        self.pattern = pattern
        self.snippet = snippet
        self.target = target
        self.line = line


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

    def structure(self, check: str, cmd: SimpleCommand, target: str | None = None,
                  pipe: list[SimpleCommand] | None = None) -> None:
        found = self.c.structures.get(check)
        if found is not None:
            snippet, line = snippet_of(cmd), cmd.line
            if pipe:  # a pipeline shape: show the whole pipeline, from its first line
                snippet = " | ".join(snippet_of(x) for x in [*pipe, cmd])
                snippet = snippet if len(snippet) <= 120 else snippet[:117] + "..."
                line = pipe[0].line or line
            self.hit(found[0], found[1], snippet, target, line)

    # -- entry points ------------------------------------------------------------------------

    def source_text(self, text: str, line: int, depth: int) -> None:
        if not text.strip():
            return
        if depth > MAX_DEPTH:
            self.too_deep(text, line)
            return
        toks, unterminated = lex(text, line)
        if not toks and unterminated:  # the lexer gave up on nesting past its own cap
            self.too_deep(text, line)
        self.tokens(toks, depth)

    def tokens(self, toks: list[Token], depth: int) -> None:
        for pipe in parse(toks):
            self.pipeline(pipe, depth)

    def too_deep(self, text: str, line: int) -> None:
        """Code nested past the cap is not analysed; nesting that deep is itself a disguise."""
        found = self.c.structures.get("deep-nesting")
        if found is not None:
            self.hit(found[0], found[1], " ".join(text.split())[:120], None, line)

    def code(self, text: str, language: str, line: int, depth: int) -> None:
        if depth <= MAX_DEPTH:
            from . import interp  # deferred: only interpreter code (python -c, node -e) needs it

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
        for sub in cmd.subs():
            if depth < MAX_DEPTH:
                self.tokens(sub.tokens, depth + 1)
            else:
                self.too_deep(sub.source, cmd.line)
        for w in cmd.assigns:
            effects.assignment(self, w, cmd)
        effects.redirects(self, cmd)
        if cmd.words:
            self.simple(cmd.words, cmd, upstream, depth, from_stdin=False)

    def simple(self, words: list[Word], cmd: SimpleCommand, upstream: list[SimpleCommand],
               depth: int, *, from_stdin: bool, find_paths: list[str] | None = None,
               hops: int = 0) -> None:
        """Classify one simple command (`words`), then what it runs: wrapped commands,
        payloads, scripts, stdin code, files it writes, data it sends."""
        c = self.c
        if hops > MAX_HOPS:
            self.too_deep(snippet_of(cmd, words), cmd.line)
            return
        if words[0].raw.startswith("$'") and "\\" in words[0].raw:
            self.structure("escaped-program-name", cmd)
        prog = program_name(words[0])
        if not c.is_interesting(prog):  # echo, jq, grep, [, exit …: only a fetched file matters
            if self.fetched and strip_dot(words[0].value) in self.fetched:
                self.structure("fetch-then-run", cmd)
            return
        argv = read_argv(words)
        for m in c.matchers_for(prog):
            if matches(m, argv):
                target = self.target_for(m, argv, from_stdin, find_paths)
                if not m.targets_only or target in m.targets_only:
                    self.hit(m.category, m.id, snippet_of(cmd, words), target, cmd.line)
        wrapper = c.wrappers.get(prog)
        if wrapper is not None:
            inner, assigns = unwrap_once(words, wrapper)
            for a in assigns:  # env VAR=value cmd
                effects.assignment(self, a, cmd)
            if len(inner) == 1 and " " in inner[0].value:  # watch 'cmd args': one string
                self.source_text(inner[0].value, inner[0].line, depth + 1)
            elif inner:
                self.simple(inner, cmd, upstream, depth,
                            from_stdin=from_stdin or wrapper.operands_from_stdin,
                            find_paths=find_paths, hops=hops + 1)
            return
        if prog in ("export", "declare", "typeset", "local", "readonly"):
            for w in argv.operands:
                effects.assignment(self, w, cmd)
        if prog == "find":
            self.find(argv, cmd, upstream, depth, hops)
        it = c.interpreter(prog)
        if prog in c.shells:
            self.run_code(argv, "shell", c.shell_payload_flags, c.shell_value_options,
                          frozenset(), cmd, upstream, depth)
        elif it is not None:
            flags = (frozenset(f[1] for f in it.payload_flags if len(f) == 2), it.payload_flags)
            self.run_code(argv, it.language, flags, it.value_options, it.module_flags,
                          cmd, upstream, depth)
        elif prog in c.evaluators:
            self.evaluate(argv, cmd, upstream, depth)
        elif prog in c.sourcers and argv.operands:
            op = argv.operands[0]
            if not self.substituted_script(op, cmd):
                self.sources.append((op, cmd.line))
        effects.files(self, argv, cmd)
        exfil.check(self, argv, cmd, upstream)
        effects.fetch_then_run(self, argv, cmd)

    # -- helpers for simple commands ---------------------------------------------------------

    def target_for(self, m: Matcher, argv: Argv, from_stdin: bool,
                   find_paths: list[str] | None) -> str | None:
        """What a matched command acts on, per the pattern's `target` mode."""
        if m.target_value is not None:
            return m.target_value
        if m.target == "find":
            return worst_target(self.c, find_operands(argv)) or "relative"
        ops = argv.operands
        if m.target == "operands-after-first":
            ops = ops[1:]
        elif m.target == "operands-but-last":
            ops = ops[:-1]
        elif m.target != "operands":
            return None
        values = [w.value for w in ops]
        if find_paths is not None:
            values = [v for v in values if v != "{}"] + (find_paths if "{}" in values else [])
        if not values:
            return "stdin" if from_stdin else None
        return worst_target(self.c, values)

    def find(self, argv: Argv, cmd: SimpleCommand, upstream: list[SimpleCommand],
             depth: int, hops: int) -> None:
        words = argv.words
        paths = find_operands(argv) or ["."]
        i = 1
        while i < len(words):
            if words[i].value in ("-exec", "-execdir", "-ok", "-okdir"):
                end = i + 1
                while end < len(words) and words[end].value not in (";", "+"):
                    end += 1
                if end > i + 1:
                    self.simple(words[i + 1:end], cmd, upstream, depth, from_stdin=False,
                                find_paths=paths, hops=hops + 1)
                i = end  # the clause's words belong to it, not to this find
            i += 1

    def run_code(self, argv: Argv, language: str,
                 payload_flags: tuple[frozenset[str], frozenset[str]],
                 value_options: frozenset[str], module_flags: frozenset[str],
                 cmd: SimpleCommand, upstream: list[SimpleCommand], depth: int) -> None:
        """A shell or interpreter: find its payload, its script operand, or its stdin."""
        shorts, longs = payload_flags
        words = argv.words
        i = 1
        while i < len(words):
            v = words[i].value
            # Short bundles are lower-case and short (-c, -lc, -euxc); `-ExecutionPolicy` is not.
            if v in longs or (1 < len(v) <= 6 and v[0] == "-" and v[1:].isalpha()
                              and v[1:].islower() and shorts & set(v[1:])):
                if i + 1 < len(words):
                    self.payload(words[i + 1], language, cmd, depth, evaluator=False)
                return
            if v in module_flags:  # python -m module: neither a script file nor stdin
                return
            if v in value_options:
                i += 2
                continue
            if v.startswith(("-", "+")) and v not in ("-", "--"):
                i += 1
                continue
            if v == "--":
                i += 1
                continue
            if v != "-" and argv.program in self.c.shell_user_operand:
                i += 1  # `su root -c …`: the operand is a user, options may follow it
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

    def spliced(self, subs: Sequence[Sub], cmd: SimpleCommand) -> None:
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

    def evaluate(self, argv: Argv, cmd: SimpleCommand, upstream: list[SimpleCommand],
                 depth: int) -> None:
        args = argv.words[1:]
        if not args:
            self.stdin_code("shell", cmd, upstream, depth)
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
            self.structure("fetch-pipe-exec", cmd, pipe=upstream)
        if "decoder" in roles:
            self.structure("decode-pipe-exec", cmd, pipe=upstream)
        feeder = upstream[-1]
        last = effective(feeder.words, self.c)
        if not last or roles:
            return
        name = program_name(last[0])
        if name in _PRINTERS:  # echo 'rm -rf /' | sh
            text = " ".join(w.value for w in last[1:] if not w.value.startswith("-"))
            self.feed(text, language, feeder.line, depth)
        elif name == "cat" and len(last) == 1:  # cat <<EOF | sh … EOF
            for r in feeder.redirects:
                if r.heredoc is not None and r.heredoc.body is not None:
                    self.feed(r.heredoc.body, language, r.heredoc.body_line, depth)
                elif r.op == "<<<" and r.target is not None:
                    self.feed(r.target.value, language, r.target.line, depth)

    def feed(self, text: str, language: str, line: int, depth: int) -> None:
        if language == "shell":
            self.source_text(text, line, depth + 1)
        else:
            self.code(text, language, line, depth + 1)

    def roles_of(self, words: list[Word]) -> set[str]:
        """Whether a command (after wrappers) is a downloader ("fetcher") or a "decoder"."""
        found: set[str] = set()
        inner = effective(words, self.c)
        if not inner:
            return found
        argv = read_argv(inner)
        for role in ("fetcher", "decoder"):
            if any(matches(m, argv) for m in self.c.role(role, argv.program)):
                found.add(role)
        return found

    def sub_roles(self, subs: Sequence[Sub], depth: int = 0) -> set[str]:
        """The roles of any command inside these substitutions (nested ones included)."""
        found: set[str] = set()
        for sub in subs:
            for pipe in parse(sub.tokens):
                for cmd in pipe:
                    if cmd.words:
                        found |= self.roles_of(cmd.words)
                    if depth < 4:
                        found |= self.sub_roles(cmd.subs(), depth + 1)
        return found
