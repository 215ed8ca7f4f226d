"""stdlib argparse plumbing shared by every command: leaf commands, command groups, dispatch,
help layout, and the argument types click used to give us (paths, integer ranges, repeatable
options collected into tuples).

Each command module exposes `Leaf` or `Group` objects; a group names its subcommands as
"module:attribute" strings, so a module is imported only when its command runs: `sigil scan`
never imports the modules behind rules, packs, show, serve or upload.
"""

from __future__ import annotations

import argparse
import importlib
import os
import stat
import sys

from sigil_scan.errors import SigilError

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing and pathlib stay out of `sigil --version`; the scan path brings its own
    from collections.abc import Callable
    from pathlib import Path
    from typing import Any

    Run = Callable[[argparse.Namespace], int | None]
    Arguments = Callable[[argparse.ArgumentParser], None]


class Leaf:
    """A command that runs: its help text, how to declare its arguments, what to run."""

    __slots__ = ("arguments", "description", "run")

    def __init__(self, description: str, arguments: Arguments, run: Run) -> None:
        self.description = description
        self.arguments = arguments
        self.run = run


def leaf(function: Callable[..., int | None], arguments: Arguments) -> Leaf:
    """A Leaf whose function takes the parsed options as keyword arguments (dest = parameter name)."""
    return Leaf(function.__doc__ or "", arguments, lambda args: function(**vars(args)))


class UsageError(Exception):
    """Raised by a command for a value that parsed but makes no sense: printed with the usage, exit 2."""


class Group:
    """A command made of subcommands: name -> ("module:attribute", one-line summary)."""

    __slots__ = ("commands", "description", "epilog", "version")

    def __init__(self, description: str, commands: dict[str, tuple[str, str]], *, epilog: str = "", version: str | None = None) -> None:
        self.description = description
        self.commands = commands
        self.epilog = epilog
        self.version = version


class HelpFormatter(argparse.HelpFormatter):
    """Descriptions are reflowed per paragraph (docstring indentation does not matter); a
    paragraph that starts with a line holding only "\\b" is printed as written (click's marker)."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24, width: int | None = None, **kwargs: Any) -> None:
        # argparse builds a formatter for every add_argument call, and its default width comes
        # from shutil.get_terminal_size: importing shutil (bz2, lzma) cost ~2 ms of every run.
        # The same rule without shutil: $COLUMNS, else the terminal, else 80.
        if width is None:
            try:
                columns = int(os.environ.get("COLUMNS") or 0)
            except ValueError:
                columns = 0
            if columns <= 0:
                try:
                    columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
                except (AttributeError, ValueError, OSError):
                    columns = 80
            width = (columns or 80) - 2
        super().__init__(prog, indent_increment, max_help_position, width, **kwargs)

    def _format_action_invocation(self, action: argparse.Action) -> str:
        # "-o, --output FILE" (as click and Python 3.13 print it), not "-o FILE, --output FILE"
        if not action.option_strings or action.nargs == 0:
            return super()._format_action_invocation(action)
        return f"{', '.join(action.option_strings)} {self._format_args(action, self._get_default_metavar_for_optional(action))}"

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        import textwrap

        out: list[str] = []
        for para in text.strip("\n").split("\n\n"):
            lines = para.strip("\n").splitlines()
            if lines and lines[0].strip() == "\b":
                out.append("\n".join(indent + line for line in textwrap.dedent("\n".join(lines[1:])).splitlines()))
            elif lines:
                out.append(textwrap.fill(" ".join(para.split()), width, initial_indent=indent, subsequent_indent=indent))
        return "\n\n".join(out)


def new_parser(prog: str, description: str, *, epilog: str | None = None, usage: str | None = None) -> argparse.ArgumentParser:
    # allow_abbrev=False: a security tool must not guess that --form meant --format
    return argparse.ArgumentParser(prog=prog, description=description, epilog=epilog, usage=usage, allow_abbrev=False, formatter_class=HelpFormatter)


def invoke(prog: str, target: str, argv: list[str]) -> int:
    """Import the command named by "module:attribute" and run it with argv."""
    module, _, attr = target.partition(":")
    command = getattr(importlib.import_module(module), attr)
    if isinstance(command, Group):
        return run_group(prog, command, argv)
    assert isinstance(command, Leaf)
    parser = new_parser(prog, command.description)
    command.arguments(parser)
    args = parse(parser, argv)
    try:
        return command.run(args) or 0
    except UsageError as exc:
        parser.error(str(exc))
    except SigilError as exc:  # any command's expected failure: one message, exit 2
        from sigil_scan.commands.common import fail

        fail(str(exc))


def parse(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    """Intermixed, as click parsed: options may come after or between positionals
    (`sigil scan . --format jsonl -q`). After `--` every word is a positional, even `-x`:
    argparse's own `--` handling differs between Python versions and breaks with intermixed
    parsing, so the words after it are added to the command's (single) positional here."""
    if "--" not in argv:
        return parser.parse_intermixed_args(argv)
    cut = argv.index("--")
    before, after = argv[:cut], argv[cut + 1 :]
    positionals = [a for a in parser._actions if not a.option_strings]  # no public accessor
    if len(positionals) != 1:  # every sigil command has at most one positional
        parser.error("-- is only accepted before positional arguments")
    action = positionals[0]
    saved = action.nargs, action.required, action.default
    action.nargs, action.required, action.default = "*", False, []
    try:
        args = parser.parse_intermixed_args(before)
    finally:
        action.nargs, action.required, action.default = saved
    convert = action.type if callable(action.type) else str
    values = list(getattr(args, action.dest)) + [_converted(parser, action, convert, word) for word in after]
    many = action.nargs in ("*", "+")
    if action.nargs is None and len(values) != 1 or action.nargs == "?" and len(values) > 1 or action.nargs == "+" and not values:
        parser.error(f"argument {action.metavar or action.dest}: expected {'one argument' if action.nargs is None else 'at most one argument' if action.nargs == '?' else 'at least one argument'}")
    setattr(args, action.dest, values if many else values[0] if values else action.default)
    return args


def _converted(parser: argparse.ArgumentParser, action: argparse.Action, convert: Callable[[str], Any], word: str) -> Any:
    try:
        return convert(word)
    except (argparse.ArgumentTypeError, ValueError) as exc:
        parser.error(f"argument {action.metavar or action.dest}: {exc}")


def group_parser(prog: str, group: Group) -> argparse.ArgumentParser:
    """The group's parser, built only for help and usage errors (not on the way to a command)."""
    import textwrap

    width = max(map(len, group.commands), default=0)
    listing = "\n".join(
        textwrap.fill(summary, 79, initial_indent=f"  {name:<{width}}  ", subsequent_indent=" " * (width + 4)) for name, (_, summary) in sorted(group.commands.items())
    )
    epilog = f"\b\ncommands:\n{listing}" + (f"\n\n{group.epilog}" if group.epilog else "")
    parser = new_parser(prog, group.description, epilog=epilog, usage=f"{prog} [-h]{' [--version]' if group.version else ''} COMMAND [ARGS]...")
    if group.version:
        parser.add_argument("--version", action="version", version=group.version, help="show the version and exit")
    return parser


def run_group(prog: str, group: Group, argv: list[str]) -> int:
    """`PROG COMMAND ARGS...`: the group's own options come before COMMAND (as with click)."""
    if argv[:1] == ["--"]:  # `sigil -- scan`: the group has no positional to protect
        argv = argv[1:]
    spec = group.commands.get(argv[0]) if argv else None
    if spec is not None:
        return invoke(f"{prog} {argv[0]}", spec[0], argv[1:])
    if argv[:1] == ["--version"] and group.version:  # what argparse would print, without building the help
        print(group.version)
        return 0
    parser = group_parser(prog, group)
    if not argv:
        parser.print_help(sys.stderr)  # as click did: the help, as a usage error
        return 2
    first = argv[0]
    if first.startswith("-") and first != "-":
        parser.parse_args([first])  # -h exits here; anything else is a usage error
        parser.error(f"unrecognized arguments: {first}")
    choices = ", ".join(sorted(group.commands))
    parser.error(f"argument COMMAND: invalid choice: {first!r} (choose from {choices})")


class AppendTuple(argparse.Action):
    """A repeatable option (click's multiple=True): every value, in order, as a tuple; default ()."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any, option_string: str | None = None) -> None:
        setattr(namespace, self.dest, (*(getattr(namespace, self.dest, None) or ()), values))


class PathArg:
    """click.Path semantics: a path that exists must be of the allowed kind and readable;
    a path that does not exist is fine unless exists=True."""

    def __init__(self, *, file_okay: bool = True, dir_okay: bool = True, exists: bool = False) -> None:
        self.file_okay, self.dir_okay, self.exists = file_okay, dir_okay, exists
        self.kind = "File" if not dir_okay else "Directory" if not file_okay else "Path"

    def __repr__(self) -> str:  # argparse names the type in some messages
        return self.kind.lower()

    def __call__(self, value: str) -> Path:
        from pathlib import Path

        try:
            st = os.stat(value)
        except (OSError, ValueError):
            if self.exists:
                raise argparse.ArgumentTypeError(f"{self.kind} {value!r} does not exist.") from None
            return Path(value)
        if not self.file_okay and stat.S_ISREG(st.st_mode):
            raise argparse.ArgumentTypeError(f"{self.kind} {value!r} is a file.")
        if not self.dir_okay and stat.S_ISDIR(st.st_mode):
            raise argparse.ArgumentTypeError(f"{self.kind} {value!r} is a directory.")
        if not os.access(value, os.R_OK):
            raise argparse.ArgumentTypeError(f"{self.kind} {value!r} is not readable.")
        return Path(value)


FILE = PathArg(dir_okay=False)
DIRECTORY = PathArg(file_okay=False)
ANY_PATH = PathArg()


class IntRange:
    """An integer within [low, high] (high None: no upper bound), like click.IntRange."""

    def __init__(self, low: int, high: int | None = None) -> None:
        self.low, self.high = low, high

    def __repr__(self) -> str:
        return "integer"

    def describe(self) -> str:
        return f"x>={self.low}" if self.high is None else f"{self.low}<=x<={self.high}"

    def __call__(self, value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{value!r} is not a valid integer.") from None
        if number < self.low or (self.high is not None and number > self.high):
            raise argparse.ArgumentTypeError(f"{value} is not in the range {self.describe()}.")
        return number


def with_default(help_text: str, default: object, *, range_: IntRange | None = None) -> str:
    """Help text ending as click's show_default=True did: "[default: 30; 1<=x<=3650]"."""
    extra = [f"default: {default}"] + ([range_.describe()] if range_ else [])
    return f"{help_text}  [{'; '.join(extra)}]".lstrip()
