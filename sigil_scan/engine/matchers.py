"""The registry of matcher kinds rules compose (design.md §2). The engine knows these kinds,
never a rule: a rule says `command: {shell-executes: destructive}` and this module does the rest.

A matcher gets the value at the field, its argument from the rule, and the evaluation context;
it returns None (no match), True, or a dict of captures (a match that tells more, e.g. which
pattern and line of a script matched). Captures are available to templates as `{capture.x}`.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from sigil_scan.engine.analysers import ANALYSERS
from sigil_scan.engine.context import EvalContext

MatchResult = bool | dict[str, Any] | None
Matcher = Callable[[Any, Any, EvalContext], MatchResult]


@lru_cache(maxsize=1024)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _equals(value: Any, arg: Any, ctx: EvalContext) -> MatchResult:
    return bool(value == arg)


def _not_equals(value: Any, arg: Any, ctx: EvalContext) -> MatchResult:
    return bool(value != arg)


def _one_of(value: Any, arg: Any, ctx: EvalContext) -> MatchResult:
    return value in arg


def _not_one_of(value: Any, arg: Any, ctx: EvalContext) -> MatchResult:
    return value not in arg


def _one_of_ci(value: Any, arg: Any, ctx: EvalContext) -> MatchResult:
    return isinstance(value, str) and value.lower() in {str(a).lower() for a in arg}


def _regex_match(value: Any, arg: Any, ctx: EvalContext) -> MatchResult:
    if not isinstance(value, str):
        return None
    m = _regex(arg).search(value)
    return {"match": m.group(0)} if m else None


def _glob(value: Any, arg: Any, ctx: EvalContext) -> MatchResult:
    patterns = arg if isinstance(arg, list) else [arg]
    return isinstance(value, str) and any(fnmatch.fnmatchcase(value, p) for p in patterns)


def _exists(value: Any, arg: Any, ctx: EvalContext) -> MatchResult:
    return (value is not None) == bool(arg)


def _truthy(value: Any, arg: Any, ctx: EvalContext) -> MatchResult:
    return bool(value) == bool(arg)


def _empty(value: Any, arg: Any, ctx: EvalContext) -> MatchResult:
    is_empty = value is None or value == "" or value == [] or value == {}
    return is_empty == bool(arg)


def _contains(value: Any, arg: Any, ctx: EvalContext) -> MatchResult:
    return isinstance(value, (list, tuple, str, dict)) and arg in value


def _type(value: Any, arg: Any, ctx: EvalContext) -> MatchResult:
    names: dict[str, type | tuple[type, ...]] = {
        "string": str, "boolean": bool, "number": (int, float), "array": list, "object": dict, "null": type(None)
    }
    return isinstance(value, names[arg])


def _any_item(value: Any, arg: Any, ctx: EvalContext) -> MatchResult:
    """Some item of a list (or value of a mapping) satisfies the nested condition."""
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        result = check(item, arg, ctx)
        if result:
            captures = result if isinstance(result, dict) else {}
            return {"item": item, "item_key": key, **captures}
    return None


def _no_item(value: Any, arg: Any, ctx: EvalContext) -> MatchResult:
    return not _any_item(value, arg, ctx)


def _not(value: Any, arg: Any, ctx: EvalContext) -> MatchResult:
    return not check(value, arg, ctx)


MATCHERS: dict[str, Matcher] = {
    "equals": _equals,
    "not-equals": _not_equals,
    "one-of": _one_of,
    "not-one-of": _not_one_of,
    "one-of-ci": _one_of_ci,
    "regex": _regex_match,
    "glob": _glob,
    "exists": _exists,
    "truthy": _truthy,
    "empty": _empty,
    "contains": _contains,
    "type": _type,
    "any-item": _any_item,
    "no-item": _no_item,
    "not": _not,
    **ANALYSERS,
}


_MEMO_TYPES = (str, int, float, bool, type(None))


def check(value: Any, condition: dict[str, Any], ctx: EvalContext) -> MatchResult:
    """All matcher kinds in one condition must hold; captures are merged."""
    captures: dict[str, Any] = {}
    for kind, arg in condition.items():
        if kind in ANALYSERS and isinstance(value, _MEMO_TYPES):
            # rule arguments live as long as the library, so id(arg) is a stable key
            key = (kind, id(arg), value)
            if key in ctx.memo:
                result = ctx.memo[key]
            else:
                result = ctx.memo[key] = MATCHERS[kind](value, arg, ctx)
        else:
            result = MATCHERS[kind](value, arg, ctx)
        if not result:
            return None
        if isinstance(result, dict):
            captures.update(result)
    return captures or True
