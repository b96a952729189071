"""TOML (Codex's config.toml) through tomlkit, which keeps comments, order and formatting on round trip."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.container import Container
from tomlkit.exceptions import ParseError, TOMLKitError
from tomlkit.items import AoT, Array, Table, Whitespace

from switchover.core.errors import ConfigFileError
from switchover.core.formats.document import ConfigDocument, DocPath, nest


class TomlDocument(ConfigDocument):
    kind = "toml"

    def __init__(self, text: str, path: Path):
        super().__init__(path)
        self._original = text
        self._created = False
        try:
            self._doc = tomlkit.parse(text)
        except ParseError as exc:
            message = str(exc).split(" at line ")[0]
            raise ConfigFileError(path, message, exc.line, exc.col + 1) from None
        except TOMLKitError as exc:
            raise ConfigFileError(path, str(exc)) from None

    @property
    def data(self) -> Any:
        return self._doc.unwrap()

    def dumps(self) -> str:
        text = self._doc.as_string()
        if self._created and text.endswith("\n\n") and not self._original.endswith("\n\n"):
            text = text[:-1]  # the blank line after a table we appended at the very end
        return text

    def _container(self, path: DocPath, create: bool) -> Any:
        """The table/array at `path`; missing tables are created when `create`, else None is returned."""
        node: Any = self._doc
        for depth, segment in enumerate(path):
            if isinstance(node, (Container, Table)) or (isinstance(node, dict) and isinstance(segment, str)):
                if not isinstance(segment, str):
                    raise self.shape_error(path[:depth], node.unwrap() if hasattr(node, "unwrap") else node)
                if segment not in node:
                    if not create:
                        return None
                    node[segment] = tomlkit.table()
                node = node[segment]
            elif isinstance(node, (Array, AoT, list)):
                if not isinstance(segment, int) or not -len(node) <= segment < len(node):
                    if not create:
                        return None
                    raise ConfigFileError(self.path, f"{path[:depth]} has no item {segment}")
                node = node[segment]
            else:
                if not create:
                    return None
                raise self.shape_error(path[:depth], node)
        return node

    def set(self, path: DocPath, value: Any) -> None:
        if not path:
            raise ValueError("cannot replace a whole TOML document")
        parent = self._container(path[:-1], create=False)
        if parent is None:
            # Create the first missing table with everything below it, so tomlkit lays the tables out itself.
            depth = 0
            while self._container(path[: depth + 1], create=False) is not None:
                depth += 1
            parent = self._container(path[:depth], create=True)
            parent[path[depth]] = _new_item(nest(path[depth + 1 :], value))
            self._created = True
            return
        key = path[-1]
        if isinstance(parent, (Array, AoT, list)):
            if not isinstance(key, int):
                raise self.shape_error(path[:-1], list(parent))
            parent[key] = value
            return
        if not isinstance(parent, (Container, Table, dict)) or not isinstance(key, str):
            raise self.shape_error(path[:-1], parent)
        if key in parent and _plain(parent[key]) == value and type(_plain(parent[key])) is type(value):
            return  # unchanged: keep the user's exact spelling
        parent[key] = value

    def delete(self, path: DocPath) -> bool:
        if not path:
            return False
        parent = self._container(path[:-1], create=False)
        key = path[-1]
        try:
            if isinstance(parent, (Container, Table, dict)) and isinstance(key, str) and key in parent:
                del parent[key]
                return True
            if isinstance(parent, (Array, AoT, list)) and isinstance(key, int) and -len(parent) <= key < len(parent):
                del parent[key]
                return True
        except TOMLKitError:
            return False
        return False

    def append(self, path: DocPath, value: Any) -> None:
        target = self._container(path, create=False)
        if target is None:
            self.set(path, [value])
            return
        if not isinstance(target, (Array, AoT, list)):
            raise self.shape_error(path, _plain(target))
        target.append(value)


def _new_item(value: Any) -> Any:
    """A tomlkit item for `value`; new tables end with a blank line, like hand-written TOML."""
    item = tomlkit.item(value)
    tables = [item] if isinstance(item, Table) else []
    while tables:
        table = tables.pop()
        children = list(table.value.body)
        if any(k is not None and not isinstance(v, Table) for k, v in children):
            table.add(Whitespace("\n"))  # not "fixed": later keys go before it, as in a parsed file
        tables.extend(v for _, v in children if isinstance(v, Table))
    return item


def _plain(item: Any) -> Any:
    return item.unwrap() if hasattr(item, "unwrap") else item
