"""The one interface every format editor offers, so targets edit JSON, TOML, YAML and .env the same way.

Paths are tuples of keys (str) and list indices (int): `("env", "ANTHROPIC_BASE_URL")`. Editors change only
what they are told to; everything else in the file (order, comments, quoting, indentation) is kept.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

from switchover.core.errors import ConfigFileError

PathKey = str | int
DocPath = tuple[PathKey, ...]

_MISSING: Any = object()


def dotted(path: DocPath) -> str:
    """`env.ANTHROPIC_MODEL` / `models[0].name`: how we name a path to the user."""
    out = ""
    for segment in path:
        out += f"[{segment}]" if isinstance(segment, int) else (f".{segment}" if out else segment)
    return out or "(top level)"


def walk(data: Any, path: DocPath) -> Any:
    """The value at `path` in plain data, or the `_MISSING` sentinel."""
    node = data
    for segment in path:
        if isinstance(segment, str) and isinstance(node, dict):
            if segment not in node:
                return _MISSING
            node = node[segment]
        elif isinstance(segment, int) and isinstance(node, list):
            if not -len(node) <= segment < len(node):
                return _MISSING
            node = node[segment]
        else:
            return _MISSING
    return node


def nest(path: DocPath, value: Any) -> Any:
    """`("a", "b"), 1` -> `{"a": {"b": 1}}`: the objects to create when a path does not exist yet."""
    for segment in reversed(path):
        if not isinstance(segment, str):
            raise TypeError(f"cannot create a list index {segment} that does not exist")
        value = {segment: value}
    return value


def copied(data: Any) -> Any:
    """A copy of plain data (dicts and lists copied at every level; scalars shared, being immutable)."""
    if isinstance(data, dict):
        return {k: copied(v) for k, v in data.items()}
    if isinstance(data, list):
        return [copied(v) for v in data]
    return data


class ConfigDocument(ABC):
    """A parsed config file that can be edited in place and written back with `dumps()`."""

    kind: str = ""

    def __init__(self, path: Path):
        self.path = path
        self.bom = False  # set by `load_document`; `to_bytes` puts the BOM back

    @property
    @abstractmethod
    def data(self) -> Any:
        """The whole document as plain Python data (dicts, lists, scalars); do not mutate it."""

    def get(self, path: DocPath, default: Any = None) -> Any:
        found = walk(self.data, path)
        return default if found is _MISSING else found

    def has(self, path: DocPath) -> bool:
        return walk(self.data, path) is not _MISSING

    @abstractmethod
    def set(self, path: DocPath, value: Any) -> None:
        """Set `path` to `value`, creating missing intermediate objects/tables."""

    @abstractmethod
    def delete(self, path: DocPath) -> bool:
        """Remove `path`; False when it was not there."""

    @abstractmethod
    def append(self, path: DocPath, value: Any) -> None:
        """Append to the list at `path`, creating the list when missing."""

    def insert(self, path: DocPath, index: int, value: Any) -> None:
        """Insert into the list at `path` before item `index` (at the end when `index` >= its length)."""
        current = self.get(path)
        if not isinstance(current, list) or index >= len(current):
            self.append(path, value)
            return
        self.set(path, [*current[: max(0, index)], value, *current[max(0, index) :]])

    @abstractmethod
    def dumps(self) -> str:
        """The document as text, byte-identical to the input where nothing was edited."""

    def shape_error(self, path: DocPath, found: Any, line: int | None = None) -> ConfigFileError:
        kind = type(found).__name__ if found is not None else "null"
        kind = {"dict": "object", "list": "list", "str": "string", "CommentedMap": "object"}.get(kind, kind)
        return ConfigFileError(
            self.path, f"{dotted(path)} is a {kind} here, where Switchover expected an object or list", line
        )
