"""YAML that remembers where each value was written, so errors can name the line."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

try:  # the C composer is several times faster on thousands of front matters
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - libyaml missing
    _Loader = yaml.SafeLoader

Path_ = tuple[str | int, ...]

# An alias (`*name`) repeats a whole value: nine aliases to nine aliases, seven times over, are
# 466 bytes that expand to 4.8 million values (gigabytes, minutes). Config and front matter
# repeat a few values at most; past this many values repeated through aliases the document is
# refused before anything is expanded.
MAX_REPEATED_VALUES = 10_000
# libyaml allows 1,000 levels; building the values recursively must stay far from Python's limit.
MAX_DEPTH = 200


@dataclass
class LinedYaml:
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)  # key path -> 1-based line

    def line_of(self, path: Path_, default: int = 1) -> int:
        """Line of the deepest known ancestor of `path`: a missing key points at its parent."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), default)


class YamlSyntaxError(ValueError):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def load(text: str, first_line: int = 1) -> LinedYaml:
    """Parse YAML; `first_line` is the file line of the text's first line."""
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line if mark else 0) + first_line
        raise YamlSyntaxError(line, f"bad YAML: {exc.problem or exc.context}") from exc
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(first_line, f"bad YAML: {exc}") from exc
    result = LinedYaml(None)
    if node is None:
        return result
    offset = first_line
    _check_expansion(node, offset)
    result.lines[()] = node.start_mark.line + offset
    result.data = _construct(node, (), result.lines, offset)
    return result


def _construct(node: yaml.Node, path: Path_, lines: dict[Path_, int], offset: int) -> Any:
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node)
            child = (*path, str(key))
            lines[child] = key_node.start_mark.line + offset
            out[key] = _construct(value_node, child, lines, offset)
        return out
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            child = (*path, index)
            lines[child] = item.start_mark.line + offset
            items.append(_construct(item, child, lines, offset))
        return items
    return _scalar(node)


def _check_expansion(root: yaml.Node, offset: int) -> None:
    """Refuse a document whose aliases would expand it beyond MAX_REPEATED_VALUES, refer to
    the value that contains them, or nest it deeper than MAX_DEPTH. One walk over the composed
    nodes, each counted once (the composer shares an aliased node, it does not copy it)."""
    size: dict[int, int] = {}  # node → how many values it expands to, itself included
    depth: dict[int, int] = {}
    repeated = 0
    stack: list[tuple[yaml.Node, Iterator[yaml.Node]]] = [(root, _children(root))]
    open_nodes = {id(root)}
    while stack:
        node, children = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            open_nodes.discard(id(node))
            kids = list(_children(node))
            size[id(node)] = 1 + sum(size[id(kid)] for kid in kids)
            depth[id(node)] = 1 + max((depth[id(kid)] for kid in kids), default=0)
            continue
        line = node.start_mark.line + offset
        if id(child) in open_nodes:
            raise YamlSyntaxError(line, "bad YAML: an alias refers to the value that contains it")
        if id(child) in size:  # met before: an alias repeats it
            repeated += size[id(child)]
            if repeated > MAX_REPEATED_VALUES:
                raise YamlSyntaxError(line, f"bad YAML: aliases repeat more than "
                                            f"{MAX_REPEATED_VALUES:,} values; write the values "
                                            "out instead")
            if len(stack) + depth[id(child)] > MAX_DEPTH:
                raise YamlSyntaxError(line, f"bad YAML: nested more than {MAX_DEPTH} levels deep")
            continue
        if len(stack) >= MAX_DEPTH:
            raise YamlSyntaxError(line, f"bad YAML: nested more than {MAX_DEPTH} levels deep")
        stack.append((child, _children(child)))
        open_nodes.add(id(child))


def _children(node: yaml.Node) -> Iterator[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield key
            yield value
    elif isinstance(node, yaml.SequenceNode):
        yield from node.value


def _scalar(node: yaml.Node) -> Any:
    if not isinstance(node, yaml.ScalarNode):
        return None
    # The safe constructor resolves tags (ints, bools, dates) exactly as yaml.safe_load would.
    return _SAFE.construct_object(node)


_SAFE = yaml.SafeLoader("")
