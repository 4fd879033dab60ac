"""Text views of a snapshot: the ``nodes`` and ``tree`` formats of the manual.

They format the snapshot map of the protocol, so every process (kernel, shell,
clients) can print a tree without importing the engine.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ._snapshot import top_level


def display_state(state: str, flags: list[str]) -> str:
    """A node's state as the manual prints it: ``FINISHED|SKIP|RT.SKIP``."""
    return "|".join([state, *(f"RT.{flag}" for flag in flags)])


def format_nodes(snapshot: Mapping[str, Any]) -> str:
    """The ``nodes`` view: one line per node with its state and runtime flags.

    ``A-- (3) a FINISHED|SKIP|RT.SKIP``, indented two spaces per depth; a ``+``
    after the type marks a node with children.
    """
    return "\n".join(_lines(top_level(snapshot), 0, _state_suffix))


def format_tree(snapshot: Mapping[str, Any]) -> str:
    """The ``tree`` view: the structure with serial numbers and descriptions."""
    return "\n".join(_lines(top_level(snapshot), 0, _description_suffix))


def _state_suffix(node: Mapping[str, Any]) -> str:
    return " " + display_state(node["state"], node.get("flags", []))


def _description_suffix(node: Mapping[str, Any]) -> str:
    description = node.get("description") or ""
    return f" - {description}" if description else ""


def _lines(nodes: list[Mapping[str, Any]], depth: int, suffix: Callable[[Mapping[str, Any]], str]) -> Iterator[str]:
    for node in nodes:
        children = node.get("children") or []
        shape = "+" if children else "-"
        yield f"{'  ' * depth}{node['type']}{shape}- ({node['sn']}) {node['name']}{suffix(node)}"
        yield from _lines(children, depth + 1, suffix)


def format_queue(snapshot: Mapping[str, Any]) -> str:
    """The ``queue`` view: the scripts and OBs in the order they run, an OB's templates below it
    (by their module).

    ``2. O (12) night NOT_STARTED|RT.PAUSE``; a last line says when the queue is held.
    """
    lines = []
    for number, item in enumerate(snapshot.get("scripts", []), 1):
        lines.append(f"{number}. {item['type']} ({item['sn']}) {item['name']} {_state_suffix(item).strip()}")
        templates = [child for child in item.get("children") or [] if item["type"] == "O" and child["type"] == "T"]
        lines += [f"   {step}. T ({template['sn']}) {template.get('description') or template['name']}"
                  f"{_state_suffix(template)}" for step, template in enumerate(templates, 1)]
    if not lines:
        lines.append("the queue is empty")
    if snapshot.get("held"):
        lines.append("held: the run stops before its next item (resume releases it)")
    return "\n".join(lines)
