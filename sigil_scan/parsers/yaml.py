"""YAML with key lines, refusing alias bombs (billion laughs) before anything walks the value."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml as pyyaml

from sigil_scan.model import Document, Position
from sigil_scan.parsers.base import ParseError
from sigil_scan.yamlload import SafeLoader

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


def _index(root: pyyaml.Node | None) -> dict[tuple[str | int, ...], tuple[int, int]]:
    table: dict[tuple[str | int, ...], tuple[int, int]] = {}
    if root is None:
        return table
    stack: list[tuple[pyyaml.Node, tuple[str | int, ...]]] = [(root, ())]
    seen: set[int] = set()
    while stack:
        node, path = stack.pop()
        table.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, pyyaml.MappingNode):
            for key_node, value_node in node.value:
                key = key_node.value if isinstance(key_node, pyyaml.ScalarNode) else str(key_node.start_mark)
                child = (*path, key)
                table.setdefault(child, (key_node.start_mark.line + 1, key_node.start_mark.column + 1))
                stack.append((value_node, child))
        elif isinstance(node, pyyaml.SequenceNode):
            for i, item in enumerate(node.value):
                stack.append((item, (*path, i)))
    return table


def parse_yaml(path: Path, text: str) -> Document:
    loader = SafeLoader(text)
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
            table = _index(root)
        for cut in range(len(key_path), -1, -1):
            hit = table.get(tuple(key_path[:cut]))
            if hit is not None:
                return Position(*hit)
        return None

    return Document(path=path, format="yaml", value=value, text=text, locate=locate)
