"""Hook scripts referenced by path: safe reading, language detection, `source` chains.

Reading never blocks and never executes: the path must be a regular file (checked with stat
before open and fstat after, so a FIFO or device swapped in between is refused), it is opened
with O_NONBLOCK, and at most CAP + 1 bytes are read. Sourced files are followed to depth 5 and
at most 32 files; each resolved file is analysed once, so a script that sources itself ends.
The hits of a script that sources nothing are remembered by content digest and language on the
compiled pattern sets, so copies of one hook across repositories are walked once per process.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from sigil_scan.lazyre import LazyPattern

from .compile import Compiled
from .lexer import lex
from .walker import RawHit, Walker

CAP = 256 * 1024
MAX_SOURCE_DEPTH = 5
MAX_FILES = 32
MAX_MEMO = 1024  # scripts whose hits are remembered per compiled pattern sets
_TEXT = frozenset(range(9, 14)) | frozenset(range(0x20, 0x7F))
# Deleted by bytes.translate to count the other bytes in C (a generator cost ~5 µs a script).
_TEXT_BYTES = bytes(sorted(_TEXT))
_TEXT_OR_HIGH = bytes(sorted(_TEXT | frozenset(range(0x80, 0x100))))
_EXT = {".sh": "shell", ".bash": "shell", ".zsh": "shell", ".ksh": "shell", ".py": "python",
        ".js": "node", ".mjs": "node", ".cjs": "node", ".ts": "node", ".mts": "node",
        ".cts": "node", ".pl": "perl", ".rb": "ruby"}


# compiled at first use: only scripts that `source` something need it
_SCRIPT_DIR = LazyPattern(
    r'\$\(\s*cd\s+"?\$\(\s*dirname\s+"?\$\{?(?:0|BASH_SOURCE(?:\[0\])?)\}?"?\s*\)"?'
    r'(?:\s*(?:&&|;)\s*pwd(?:\s+-P)?)?\s*\)'
    r'|\$\(\s*dirname\s+"?\$\{?(?:0|BASH_SOURCE(?:\[0\])?)\}?"?\s*\)'
    r'|\$\{(?:BASH_SOURCE(?:\[0\])?|0)%/\*\}'
    r'|\$\{?(?:SCRIPT_DIR|SCRIPTDIR|SCRIPT_PATH|DIR|HERE|BASEDIR|BASE_DIR)\}?(?![A-Za-z0-9_])')


# plain slotted classes, not dataclasses: `import dataclasses` costs ~8 ms (see model.py)
class FileRead:
    __slots__ = ("data", "digest", "size", "unscanned")

    def __init__(self, data: bytes | None, digest: str | None, size: int | None, unscanned: str | None) -> None:
        self.data = data
        self.digest = digest
        self.size = size
        self.unscanned = unscanned


def read_capped(path: Path) -> FileRead:
    """Read a regular file without blocking, up to CAP bytes; say why not when it cannot."""
    try:
        st = os.stat(path)
    except OSError as exc:
        return FileRead(None, None, None, f"unreadable: {exc.strerror or exc}")
    if not stat.S_ISREG(st.st_mode):
        return FileRead(None, None, None, "not a regular file")
    if st.st_size > CAP:
        return FileRead(None, None, st.st_size, f"too large: {st.st_size} bytes (cap {CAP})")
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        return FileRead(None, None, st.st_size, f"unreadable: {exc.strerror or exc}")
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return FileRead(None, None, None, "not a regular file")
        chunks: list[bytes] = []
        left = CAP + 1  # one byte more than the cap tells "grew past the cap" from "exactly cap"
        while left > 0:
            chunk = os.read(fd, min(left, 65536))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    except OSError as exc:
        return FileRead(None, None, None, f"unreadable: {exc.strerror or exc}")
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > CAP:
        return FileRead(None, None, len(data), f"too large: more than {CAP} bytes")
    import blake3  # deferred: only scripts need hashing

    digest = "blake3:" + blake3.blake3(data).hexdigest()
    if is_binary(data[:1024]):
        return FileRead(data, digest, len(data), "binary file")
    return FileRead(data, digest, len(data), None)


def is_binary(head: bytes) -> bool:
    """NUL, or more than 30% non-text bytes. In valid UTF-8 (comments in Chinese, emoji) the
    multi-byte characters are text, so only control bytes count there."""
    if b"\0" in head:
        return True
    limit = len(head) * 3
    try:
        head.decode("utf-8")
        utf8 = True
    except UnicodeDecodeError as exc:  # a character cut by the 1024-byte window is still UTF-8
        utf8 = exc.start >= len(head) - 3 and exc.reason.startswith("unexpected end")
    if utf8:
        return len(head.translate(None, _TEXT_OR_HIGH)) * 10 > limit
    return len(head.translate(None, _TEXT_BYTES)) * 10 > limit


def language_of(path: Path, text: str) -> str:
    """shell, python, node, … from the shebang (through `env -S`), else the extension."""
    if text.startswith("#!"):
        words = text[2:].split("\n", 1)[0].split()
        names = [w.rsplit("/", 1)[-1] for w in words]
        if names and names[0] == "env":
            names = [n for n in names[1:] if not n.startswith("-") and "=" not in n]
        name = names[0] if names else ""
        if name in ("sh", "bash", "zsh", "dash", "ksh", "mksh", "ash"):
            return "shell"
        if name.startswith(("python", "pypy")) or name in ("uv", "pipx"):  # uv run --script
            return "python"
        if name in ("node", "nodejs", "bun", "deno", "tsx", "ts-node", "npx", "bunx"):
            return "node"
        if name:
            return name
    return _EXT.get(path.suffix.lower(), "shell")


class ScriptState:
    __slots__ = ("compiled", "base_dir", "home", "visited", "entry", "files", "hits")

    def __init__(self, compiled: Compiled, base_dir: Path | None, home: Path | None) -> None:
        self.compiled = compiled
        self.base_dir = base_dir
        self.home = home
        self.visited: set[Path] = set()  # resolved paths of the files analysed
        # The entry script, not yet resolved: its real path only matters once it sources a
        # file (to stop a cycle back to it), and Path.resolve costs ~25 µs, a fifth of a script.
        self.entry: Path | None = None
        self.files: list[tuple[Path, str | None, int | None]] = []
        self.hits: list[tuple[RawHit, tuple[str, ...]]] = []


def analyse_file(state: ScriptState, path: Path, chain: tuple[str, ...], depth: int) -> str | None:
    """Analyse one file (and what it sources); return why it was not scanned, if it was not."""
    if not state.visited and state.entry is None:
        state.entry = path
    else:
        if state.entry is not None:
            state.visited.add(_identity(state.entry))
            state.entry = None
        key = _identity(path)
        if key in state.visited or len(state.visited) >= MAX_FILES:
            return None
        state.visited.add(key)
    read = read_capped(path)
    state.files.append((path, read.digest, read.size))
    if read.unscanned is not None or read.data is None:
        return read.unscanned or "unreadable"
    text = read.data.decode("utf-8", errors="replace")
    language = language_of(path, text)
    chain = chain + (str(path),)
    if language != "shell" and all(i.language != language for i in state.compiled.interpreters):
        return f"unsupported interpreter: {language}"
    # Hits depend only on the text and its language (lines count from 1 in any file; the path
    # only enters through `chain`, added here), so identical files are walked once.
    memo = state.compiled.script_hits
    memo_key = (read.digest or "", language)
    known = memo.get(memo_key)
    if known is not None:
        state.hits.extend((h, chain) for h in known)
        return None
    walker = Walker(state.compiled)
    complete = True
    try:
        if language == "shell":
            toks, unterminated = lex(text, 1)
            if not toks and unterminated:
                walker.too_deep(text, 1)
            walker.tokens(toks, 0)
            if unterminated:  # a quote we misread swallowed the rest: also read line by line
                for number, line in logical_lines(text):
                    walker.source_text(line, number, 0)
        else:
            walker.code(text, language, 1, 0)
    except RecursionError:  # every recursion is capped; this is a last guard
        complete = False
    state.hits.extend((h, chain) for h in walker.hits)
    if complete and not walker.sources and read.digest is not None:  # sourcing depends on the path
        if len(memo) >= MAX_MEMO:
            memo.clear()
        memo[memo_key] = tuple(walker.hits)
    if depth < MAX_SOURCE_DEPTH:
        for word, _line in walker.sources:
            target = resolve_sourced(word.value, path.parent, state.base_dir, state.home)
            if target is not None:
                analyse_file(state, target, chain, depth + 1)
    return None


def _identity(path: Path) -> Path:
    """The file's real path, so that two spellings of one file are analysed once."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path


def logical_lines(text: str) -> list[tuple[int, str]]:
    """Lines with backslash continuations joined, each with its first line number."""
    out: list[tuple[int, str]] = []
    pending: list[str] = []
    start = 1
    for number, line in enumerate(text.split("\n"), 1):
        if not pending:
            start = number
        if line.endswith("\\") and not line.endswith("\\\\"):
            pending.append(line[:-1])
            continue
        pending.append(line)
        out.append((start, " ".join(pending)))
        pending = []
    if pending:
        out.append((start, " ".join(pending)))
    return out


def resolve_sourced(value: str, script_dir: Path, base_dir: Path | None,
                    home: Path | None) -> Path | None:
    """Where `source VALUE` points, for the idioms hooks use; None when it cannot be known."""
    script_dir = script_dir.absolute()  # the idioms below expand to it; keep it unambiguous
    v = _SCRIPT_DIR.sub(lambda _m: str(script_dir), value)
    if v.startswith("~/") and home is not None:
        v = str(home) + v[1:]
    for var in ("$HOME", "${HOME}"):
        if v.startswith(var) and home is not None:
            v = str(home) + v[len(var):]
    for var in ("$CLAUDE_PROJECT_DIR", "${CLAUDE_PROJECT_DIR}"):
        if v.startswith(var):
            if base_dir is None:
                return None
            v = str(base_dir) + v[len(var):]
    if "$" in v or "`" in v or not v:
        return None
    p = Path(v)
    if p.is_absolute():
        return p
    near = script_dir / p
    if base_dir is not None and not near.exists() and (base_dir / p).exists():
        return base_dir / p
    return near
