"""TOML (Codex's config.toml): edits splice the text (`_tomltext`), tomlkit parses and checks every result.

An edit first tries a text splice that follows the file's newline, indentation and blank-line style; the new
text must parse (tomlkit) to exactly the expected data, or the edit is made by tomlkit instead (which keeps
untouched parts on a round trip), with the lines it added put into the file's newline style.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.container import Container
from tomlkit.exceptions import ParseError, TOMLKitError
from tomlkit.items import AoT, Array, Table, Whitespace
from tomlkit.toml_document import TOMLDocument

from switchover.core.errors import ConfigFileError
from switchover.core.formats._tomltext import ABSENT, CannotSplice, TomlText, newline_of
from switchover.core.formats.document import ConfigDocument, DocPath, copied, nest


class TomlDocument(ConfigDocument):
    kind = "toml"

    def __init__(self, text: str, path: Path):
        super().__init__(path)
        self._text = text
        self._doc = self._parse(text, user=True)
        self._data: Any = self._doc.unwrap()

    def _parse(self, text: str, user: bool = False) -> TOMLDocument:
        try:
            return tomlkit.parse(text)
        except ParseError as exc:
            if not user:
                raise
            message = str(exc).split(" at line ")[0]
            raise ConfigFileError(self.path, message, exc.line, exc.col + 1) from None
        except TOMLKitError as exc:
            if not user:
                raise
            raise ConfigFileError(self.path, str(exc)) from None

    @property
    def data(self) -> Any:
        return self._data

    def dumps(self) -> str:
        return self._text

    # -- editing ------------------------------------------------------------------------------------------------

    def _commit(self, text: str, expected: Any, *alternatives: Any) -> bool:
        """Take `text` if it parses to `expected` (or one of the equivalent `alternatives`)."""
        try:
            doc = self._parse(text)
        except TOMLKitError:
            return False
        data = doc.unwrap()
        if not any(data == want and _same_types(data, want) for want in (expected, *alternatives)):
            return False
        self._text, self._doc, self._data = text, doc, data
        return True

    def _splice_or(self, splice: Any, expected: Any, fallback: Any, *alternatives: Any) -> None:
        try:
            if self._commit(splice(TomlText(self._text, self._data)), expected, *alternatives):
                return
        except CannotSplice:
            pass
        doc = self._parse(self._text)
        fallback(doc)
        if not self._commit(follow_layout(self._text, doc.as_string()), expected, *alternatives):
            raise ConfigFileError(self.path, "Switchover cannot edit this TOML file safely (the TOML library would "
                                             "change what it means); edit it by hand or simplify its layout")

    def set(self, path: DocPath, value: Any) -> None:
        if not path:
            raise ValueError("cannot replace a whole TOML document")
        old = _walk(self._data, path)
        if old is not ABSENT and old == value and type(old) is type(value):
            return  # unchanged: keep the user's exact spelling
        self._check_shape(path)
        expected = _with(self._data, path, value)
        if all(isinstance(p, str) for p in path):
            keys = tuple(str(p) for p in path)
            self._splice_or(lambda t: t.set(keys, value, old), expected, lambda doc: _library_set(self, doc, path,
                                                                                                 value))
        else:
            self._splice_or(_no_splice, expected, lambda doc: _library_set(self, doc, path, value))

    def delete(self, path: DocPath) -> bool:
        if not path or _walk(self._data, path) is ABSENT:
            return False
        expected = _without(self._data, path)
        # A table that only held the deleted one ([a.b] made `a`) goes with it; an explicit [a] stays.
        pruned = _without(self._data, path, prune=True)
        if all(isinstance(p, str) for p in path):
            keys = tuple(str(p) for p in path)
            self._splice_or(lambda t: t.delete(keys), expected, lambda doc: _library_delete(doc, path), pruned)
        else:
            self._splice_or(_no_splice, expected, lambda doc: _library_delete(doc, path), pruned)
        return True

    def append(self, path: DocPath, value: Any) -> None:
        current = _walk(self._data, path)
        if current is ABSENT:
            self.set(path, [value])
            return
        if not isinstance(current, list):
            raise self.shape_error(path, current)
        self.set(path, [*current, value])

    def _check_shape(self, path: DocPath) -> None:
        """A path through a scalar is the caller's mistake: say which key is in the way."""
        node: Any = self._data
        for depth, segment in enumerate(path[:-1]):
            if isinstance(node, dict) and isinstance(segment, str):
                if segment not in node:
                    return
                node = node[segment]
            elif isinstance(node, list) and isinstance(segment, int):
                if not -len(node) <= segment < len(node):
                    raise ConfigFileError(self.path, f"{path[:depth + 1]} has no item {segment}")
                node = node[segment]
            else:
                raise self.shape_error(path[:depth], node)
        if isinstance(node, list) and not isinstance(path[-1], int):
            raise self.shape_error(path[:-1], node)
        if not isinstance(node, (dict, list)):
            raise self.shape_error(path[:-1], node)


def _no_splice(_: TomlText) -> str:
    raise CannotSplice("list items are edited by tomlkit")


def follow_layout(original: str, text: str) -> str:
    """tomlkit's output with the lines it added in the file's newline style and its final-newline state."""
    if newline_of(original) == "\r\n" and "\n" not in original.replace("\r\n", ""):
        text = text.replace("\r\n", "\n").replace("\n", "\r\n")
    if original and not original.endswith("\n"):
        text = text.rstrip("\r\n") if text.rstrip("\r\n") else text
    elif text.endswith(("\n\n", "\n\r\n\r\n", "\r\n\r\n")) and not original.endswith(("\n\n", "\r\n\r\n")):
        text = text[: -len(newline_of(original))] if original else text.rstrip("\r\n") + "\n"
    return text


def _library_set(document: TomlDocument, doc: TOMLDocument, path: DocPath, value: Any) -> None:
    parent = _container(document, doc, path[:-1], create=False)
    if parent is None:
        # Create the first missing table with everything below it, so tomlkit lays the tables out itself.
        depth = 0
        while _container(document, doc, path[: depth + 1], create=False) is not None:
            depth += 1
        parent = _container(document, doc, path[:depth], create=True)
        parent[path[depth]] = _new_item(nest(path[depth + 1 :], value))
        return
    key = path[-1]
    if isinstance(parent, (Array, AoT, list)):
        if not isinstance(key, int):
            raise document.shape_error(path[:-1], list(parent))
        parent[key] = value
        return
    if not isinstance(parent, (Container, Table, dict)) or not isinstance(key, str):
        raise document.shape_error(path[:-1], parent)
    parent[key] = value


def _library_delete(doc: TOMLDocument, path: DocPath) -> None:
    node: Any = doc
    for segment in path[:-1]:
        node = node[segment]
    del node[path[-1]]


def _container(document: TomlDocument, doc: TOMLDocument, path: DocPath, create: bool) -> Any:
    """The table/array at `path`; missing tables are created when `create`, else None is returned."""
    node: Any = doc
    for depth, segment in enumerate(path):
        if isinstance(node, (Container, Table)) or (isinstance(node, dict) and isinstance(segment, str)):
            if not isinstance(segment, str):
                raise document.shape_error(path[:depth], node.unwrap() if hasattr(node, "unwrap") else node)
            if segment not in node:
                if not create:
                    return None
                node[segment] = tomlkit.table()
            node = node[segment]
        elif isinstance(node, (Array, AoT, list)):
            if not isinstance(segment, int) or not -len(node) <= segment < len(node):
                if not create:
                    return None
                raise ConfigFileError(document.path, f"{path[:depth]} has no item {segment}")
            node = node[segment]
        else:
            if not create:
                return None
            raise document.shape_error(path[:depth], node)
    return node


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


# -- plain data ------------------------------------------------------------------------------------------------


def _walk(data: Any, path: DocPath) -> Any:
    node = data
    for segment in path:
        in_map = isinstance(node, dict) and isinstance(segment, str) and segment in node
        in_list = isinstance(node, list) and isinstance(segment, int) and -len(node) <= segment < len(node)
        if not (in_map or in_list):
            return ABSENT
        node = node[segment]
    return node


def _with(data: Any, path: DocPath, value: Any) -> Any:
    copy = copied(data)
    node = copy
    for segment in path[:-1]:
        if isinstance(node, dict) and segment not in node:
            node[segment] = {}
        node = node[segment]
    node[path[-1]] = copied(value)
    return copy


def _without(data: Any, path: DocPath, prune: bool = False) -> Any:
    copy = copied(data)
    nodes = [copy]
    for segment in path[:-1]:
        nodes.append(nodes[-1][segment])
    del nodes[-1][path[-1]]
    if prune:  # drop the tables this left empty
        for depth in range(len(path) - 1, 0, -1):
            if nodes[depth] == {} and isinstance(nodes[depth - 1], dict):
                del nodes[depth - 1][path[depth - 1]]
            else:
                break
    return copy


def _same_types(a: Any, b: Any) -> bool:
    """Equal data can still differ in type (1 == 1.0 == True); a splice must not turn one into another."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_types(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same_types(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b)
