"""YAML from files naja did not write (``.condarc``, environment files, lockfiles), loaded within
bounds: nesting at most ``MAX_DEPTH`` levels (deeper would end in a ``RecursionError``) and at most
``MAX_NODES`` nodes once aliases are expanded (an alias bomb is a few lines that every consumer
walking the result sees as billions of nodes). A ``"\\ud800"`` escape (a lone UTF-16 surrogate, no
character at all) is refused too: such a string cannot be encoded, so it fails wherever it is used.
Past a bound, loading raises ``YAMLLimitError``, a ruamel ``YAMLError``, so each caller's handler
names the file as it does for any invalid YAML.
"""

from __future__ import annotations

import re
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer
from ruamel.yaml.error import YAMLError
from ruamel.yaml.events import AliasEvent
from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode

MAX_DEPTH = 100
MAX_NODES = 1_000_000
_SURROGATE = re.compile("[\ud800-\udfff]")


class YAMLLimitError(YAMLError):
    """A document nested too deeply or expanding (through aliases) to too many nodes."""

    def __init__(self, problem: str, line: int | None) -> None:
        self.problem = problem + (f" (line {line + 1})" if line is not None else "")
        super().__init__(self.problem)


class _BoundedComposer(Composer):
    """ruamel's composer, counting depth and each node's expanded size as it composes."""

    def __init__(self, loader: Any = None) -> None:
        super().__init__(loader)
        self._depth = 0
        self._sizes: dict[int, int] = {}

    def compose_document(self) -> Any:
        self._sizes = {}
        return super().compose_document()

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.parser.peek_event()
        line = event.start_mark.line if event.start_mark is not None else None
        if self.parser.check_event(AliasEvent):
            node = super().compose_node(parent, index)
            if id(node) not in self._sizes:
                raise YAMLLimitError("an alias refers to a node that contains it", line)
            return node
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise YAMLLimitError(f"nested more than {MAX_DEPTH} levels deep", line)
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        size = 1
        if isinstance(node, ScalarNode) and isinstance(node.value, str) and _SURROGATE.search(node.value):
            raise YAMLLimitError("a string holds a lone UTF-16 surrogate (not a character)", line)
        if isinstance(node, SequenceNode):
            size += sum(self._sizes[id(child)] for child in node.value)
        elif isinstance(node, MappingNode):
            size += sum(self._sizes[id(k)] + self._sizes[id(v)] for k, v in node.value)
        if size > MAX_NODES:
            raise YAMLLimitError(f"expands to more than {MAX_NODES} nodes (through aliases)", line)
        self._sizes[id(node)] = size
        return node


def loader(*, round_trip: bool = False) -> YAML:
    """A pure-Python ruamel ``YAML`` (``safe``, or ``rt`` to edit a file) with the bounded composer."""
    yaml = YAML(typ="rt" if round_trip else "safe", pure=True)
    yaml.Composer = _BoundedComposer
    return yaml


def load(text: str) -> Any:
    """``text`` loaded as plain Python values (``safe``), within the bounds."""
    return loader().load(text)
