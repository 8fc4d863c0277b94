"""YAML that remembers where each value was written, so errors can name the line."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

try:  # the C composer is several times faster on thousands of front matters
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - libyaml missing
    _Loader = yaml.SafeLoader

Path_ = tuple[str | int, ...]


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


def _scalar(node: yaml.Node) -> Any:
    if not isinstance(node, yaml.ScalarNode):
        return None
    # The safe constructor resolves tags (ints, bools, dates) exactly as yaml.safe_load would.
    return _SAFE.construct_object(node)


_SAFE = yaml.SafeLoader("")
