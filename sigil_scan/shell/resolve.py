"""Which script file a hook / helper command runs, so it can be read and analysed too."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from .argv import program_name
from .lexer import Word, lex
from .parse import parse

# Programs that run the script named by their first operand. These are launcher conventions
# rather than attack patterns, so they live here and not in rules/patterns/.
_RUNNERS = frozenset({"bash", "sh", "zsh", "dash", "ksh", "python", "python3", "python2",
                      "node", "nodejs", "bun", "deno", "tsx", "ts-node", "pypy3", "exec"})
_TWO_WORD_RUNNERS = {"uv": "run", "bun": "run", "deno": "run", "poetry": "run", "pipenv": "run"}
_SCRIPT_EXT = (".sh", ".bash", ".zsh", ".py", ".js", ".mjs", ".cjs", ".ts", ".mts", ".cts")
_OPTS_WITH_VALUE = frozenset({"--with", "--python", "-p", "--project", "--directory",
                              "--env-file", "-o", "-O", "--rcfile", "--init-file"})
_SHELLS = frozenset({"bash", "sh", "zsh", "dash", "ksh"})
_SHELL_INLINE = frozenset({"-c", "--command"})
_PY_INLINE = frozenset({"-c", "-m"})
_JS_INLINE = frozenset({"-e", "--eval", "-p", "--print"})
# Options that mean "the code is inline", per runner: then there is no script file to read.
_INLINE_CODE = {"python": _PY_INLINE, "python3": _PY_INLINE, "python2": _PY_INLINE,
                "pypy3": _PY_INLINE, "node": _JS_INLINE, "nodejs": _JS_INLINE, "bun": _JS_INLINE,
                "deno": _JS_INLINE, "tsx": _JS_INLINE, "ts-node": _JS_INLINE}
_PROJECT_VARS = ("$CLAUDE_PROJECT_DIR", "${CLAUDE_PROJECT_DIR}")
_HOME_VARS = ("$HOME", "${HOME}")


def _first_command(command: str) -> tuple[Word, ...]:
    # Memoised per process: a tree of repositories repeats the same few hook commands
    # (`bash .claude/hooks/x.sh`), and lexing + parsing one is most of the cost here. Only
    # the words are kept (never modified here); the paths built from them depend on the call.
    # Long commands are not kept, so the memo stays small whatever the configs hold.
    return _first_command_memo(command) if len(command) <= 1024 else _first_words(command)


@lru_cache(maxsize=512)
def _first_command_memo(command: str) -> tuple[Word, ...]:
    return _first_words(command)


def _first_words(command: str) -> tuple[Word, ...]:
    toks, _ = lex(command)
    for pipe in parse(toks):
        for cmd in pipe:
            if cmd.words:
                return tuple(cmd.words)
    return ()


def resolve_script_path(command: str, *, project_dir: Path | None,
                        home: Path | None) -> Path | None:
    """The script a command runs, if its first word (after an interpreter) is a path."""
    words = _first_command(command)
    if not words:
        return None
    i, via_runner = 0, False
    name = program_name(words[0])
    if name in _TWO_WORD_RUNNERS and len(words) > 1 and words[1].value == _TWO_WORD_RUNNERS[name]:
        i, via_runner = 2, True
    elif name in _RUNNERS or name.startswith("python3."):
        i, via_runner = 1, True
    if via_runner:
        while i < len(words) and words[i].value.startswith("-") and words[i].value != "-":
            opt = words[i].value
            runner = "python" if name.startswith("python") else name
            if opt in _INLINE_CODE.get(runner, _SHELL_INLINE) or (
                    name in _SHELLS and opt[1:].isalpha() and opt[1:].islower() and "c" in opt):
                return None  # `bash -lc '…'`, `python -m x`, `node -e '…'`: no script file
            i += 2 if opt in _OPTS_WITH_VALUE else 1
    if i >= len(words):
        return None
    value = words[i].value
    if not value or value == "-":
        return None
    home_dir = home if home is not None else Path.home()
    if value.startswith("/"):
        return Path(value)
    if value == "~" or value.startswith("~/"):
        return home_dir / value[2:]
    for var in _HOME_VARS:
        if value.startswith(var + "/"):
            return home_dir / value[len(var) + 1:]
    for var in _PROJECT_VARS:
        if value.startswith(var + "/"):
            return project_dir / value[len(var) + 1:] if project_dir is not None else None
    if "$" in value or "`" in value:
        return None
    is_path = "/" in value or (via_runner and value.endswith(_SCRIPT_EXT))
    if not is_path or project_dir is None:
        return None
    return project_dir / value
