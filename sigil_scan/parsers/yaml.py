"""YAML with key lines, refusing alias bombs (billion laughs) before anything walks the value."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml as pyyaml

from sigil_scan.model import Document, Position
from sigil_scan.parsers.base import LineIndex, ParseError
from sigil_scan.yamlload import safe_loader

MAX_EXPANDED_NODES = 200_000  # a config is thousands of nodes; aliases must not multiply that


def _expanded_size(root: pyyaml.Node) -> int:
    """Number of nodes the document would have with every alias expanded (iterative, memoised)."""
    sizes: dict[int, int] = {}
    stack: list[tuple[pyyaml.Node, bool]] = [(root, False)]
    on_stack: set[int] = set()
    while stack:
        node, done = stack.pop()
        key = id(node)
        if key in sizes and not done:
            continue
        children: list[pyyaml.Node] = []
        if isinstance(node, pyyaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, pyyaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        if not done:
            if key in on_stack:
                raise ParseError("recursive alias")
            on_stack.add(key)
            stack.append((node, True))
            stack.extend((c, False) for c in children if id(c) not in sizes)
            continue
        on_stack.discard(key)
        total = 1 + sum(sizes.get(id(c), 1) for c in children)
        sizes[key] = total
        if total > MAX_EXPANDED_NODES:
            raise ParseError(f"alias expansion exceeds {MAX_EXPANDED_NODES} nodes (YAML bomb?)")
    return sizes.get(id(root), 0)


_MERGE = "tag:yaml.org,2002:merge"


def _key_values(node: pyyaml.Node) -> list[Any]:
    """The key(s) a mapping key node stands for: its text, and the typed value (`on` -> True,
    `1` -> 1) when the safe loader would construct something else, so both lookups hit."""
    if not isinstance(node, pyyaml.ScalarNode):
        return [str(node.start_mark)]
    keys: list[Any] = [node.value]
    if node.tag != "tag:yaml.org,2002:str":
        try:
            typed = pyyaml.constructor.SafeConstructor().construct_object(node)
        except (pyyaml.YAMLError, ValueError, TypeError, OverflowError):
            typed = None
        if typed is not None and typed != node.value and isinstance(typed, (int, float, bool)):
            keys.append(typed)
    return keys


def _index(root: pyyaml.Node | None, text: str) -> dict[tuple[str | int, ...], tuple[int, int]]:
    """Key path -> (line, column) of its key (mapping) or item (sequence), in document order.

    Lines are counted in newlines from the mark's character offset, not taken from the mark: YAML
    also breaks lines at NEL, LINE SEPARATOR and PARAGRAPH SEPARATOR, which editors and GitHub do
    not, so a few of those in a value would otherwise move every later finding down.

    Later duplicate keys overwrite earlier ones, as the loader keeps the last value; keys merged
    in with `<<` only fill gaps. Aliases are walked under every path that uses them: the tree was
    already bounded by _expanded_size, so the walk is too.
    """
    table: dict[tuple[str | int, ...], tuple[int, int]] = {}
    if root is None:
        return table
    lines = LineIndex(text)
    table[()] = lines.position(root.start_mark.index)
    # (node, path, weak): weak entries come from a merge and never replace an explicit key
    stack: list[tuple[pyyaml.Node, tuple[str | int, ...], bool]] = [(root, (), False)]
    while stack:
        node, path, weak = stack.pop()
        todo: list[tuple[pyyaml.Node, tuple[str | int, ...], bool]] = []
        if isinstance(node, pyyaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.tag == _MERGE:
                    merged = value_node.value if isinstance(value_node, pyyaml.SequenceNode) else [value_node]
                    todo.extend((m, path, True) for m in merged)
                    continue
                where = lines.position(key_node.start_mark.index)
                for key in _key_values(key_node):
                    child = (*path, key)
                    if weak:
                        table.setdefault(child, where)
                    else:
                        table[child] = where
                    todo.append((value_node, child, weak))
        elif isinstance(node, pyyaml.SequenceNode):
            for i, item in enumerate(node.value):
                child = (*path, i)
                table[child] = lines.position(item.start_mark.index)
                todo.append((item, child, weak))
        stack.extend(reversed(todo))  # popped in document order
    return table


def parse_yaml(path: Path, text: str) -> Document:
    loader = safe_loader()(text)
    try:
        root = loader.get_single_node()
        if root is not None:
            _expanded_size(root)
        value: Any = loader.construct_document(root) if root is not None else None
    except pyyaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        raise ParseError(str(exc.problem or exc), mark.line + 1 if mark else None, mark.column + 1 if mark else None) from None
    except pyyaml.YAMLError as exc:
        raise ParseError(str(exc)) from None
    finally:
        loader.dispose()
    table: dict[tuple[str | int, ...], tuple[int, int]] | None = None

    def locate(key_path: tuple[str | int, ...]) -> Position | None:
        nonlocal table
        if table is None:
            table = _index(root, text)
        for cut in range(len(key_path), -1, -1):
            hit = table.get(tuple(key_path[:cut]))
            if hit is not None:
                return Position(*hit)
        return None

    return Document(path=path, format="yaml", value=value, text=text, locate=locate)
