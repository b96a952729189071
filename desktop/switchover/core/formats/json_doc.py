"""Strict JSON (Claude Code's settings.json): comments and trailing commas are errors, formatting is kept.

Edits splice the original text (see `_jsontext`), so untouched bytes stay identical; new keys follow the
file's own indentation, key/value spacing and newline style.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from switchover.core.errors import ConfigFileError
from switchover.core.formats._jsontext import Node, Parser, line_col
from switchover.core.formats.document import ConfigDocument, DocPath, dotted, nest


@dataclass
class _Entry:
    """One object member or array item: where it starts, where its value ends, and its comma."""

    start: int
    value_end: int
    comma: int | None


def _entries(node: Node) -> list[_Entry]:
    if node.members is not None:
        return [_Entry(m.key_start, m.value.end, m.comma) for m in node.members]
    items = node.items or []
    return [
        _Entry(item.start, item.end, node.commas[i] if i < len(node.commas) else None)
        for i, item in enumerate(items)
    ]


class JsonDocument(ConfigDocument):
    kind = "json"
    allow_comments = False
    allow_trailing_commas = False

    def __init__(self, text: str, path: Path):
        super().__init__(path)
        self._text = text
        self._root = self._parse(text)
        # A file we create, one already spread over lines, or an empty `{}` (nothing says the user wants one
        # line) gets pretty output; a one-line file with content stays compact.
        root = self._root
        self._pretty = root is None or "\n" in text.strip() or not (root.members or root.items)
        self.newline = "\r\n" if "\r\n" in text else "\n"
        self.indent_unit = self._detect_indent()
        self.key_separator = self._detect_separator()

    # -- parsing and layout detection --------------------------------------------------------------------

    def _parse(self, text: str) -> Node | None:
        parser = Parser(
            text, self.path, comments=self.allow_comments, trailing_commas=self.allow_trailing_commas
        )
        return parser.parse_document()

    @property
    def data(self) -> Any:
        return {} if self._root is None else self._root.value

    def dumps(self) -> str:
        return self._text

    def _line_start(self, offset: int) -> int:
        return self._text.rfind("\n", 0, offset) + 1

    def _line_indent(self, offset: int) -> str:
        start = self._line_start(offset)
        end = start
        while end < len(self._text) and self._text[end] in " \t":
            end += 1
        return self._text[start:end]

    def _at_line_start(self, offset: int) -> bool:
        return self._text[self._line_start(offset) : offset].strip(" \t") == ""

    def _detect_indent(self) -> str:
        queue = [self._root] if self._root is not None else []
        while queue:
            node = queue.pop(0)
            children = [m.value for m in node.members] if node.members is not None else (node.items or [])
            starts = [m.key_start for m in node.members] if node.members is not None else [c.start for c in children]
            if starts and self._at_line_start(starts[0]):
                outer, inner = self._line_indent(node.start), self._line_indent(starts[0])
                if inner.startswith(outer) and len(inner) > len(outer):
                    return inner[len(outer) :]
            queue.extend(c for c in children if c.members is not None or c.items is not None)
        return "  "

    def _detect_separator(self) -> str:
        node = self._root
        if node is not None and node.members:
            member = node.members[0]
            key_end = member.key_start + len(json.dumps(member.key, ensure_ascii=False))
            between = self._text[key_end : member.value.start]
            if between.strip() == ":" and "\n" not in between and between.startswith(":"):
                return between
        return ": "

    # -- rendering new text -------------------------------------------------------------------------------

    def _render(self, value: Any, base_indent: str) -> str:
        try:
            if not self._pretty:
                return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(", ", self.key_separator))
            text = json.dumps(
                value,
                ensure_ascii=False,
                allow_nan=False,
                indent=self.indent_unit,
                separators=(",", self.key_separator),
            )
        except (TypeError, ValueError) as exc:
            raise ValueError(f"cannot write {value!r} as JSON: {exc}") from exc
        return text.replace("\n", self.newline + base_indent)

    def _member_text(self, key: str, value: Any, indent: str) -> str:
        return json.dumps(key, ensure_ascii=False) + self.key_separator + self._render(value, indent)

    # -- splicing ---------------------------------------------------------------------------------------------

    def _splice(self, edits: list[tuple[int, int, str]]) -> None:
        text = self._text
        # Right to left; at equal offsets the edit listed first must end up first in the text.
        ordered = sorted(enumerate(edits), key=lambda ie: (ie[1][0], ie[0]), reverse=True)
        for _, (start, end, replacement) in ordered:
            text = text[:start] + replacement + text[end:]
        self._root = self._parse(text)  # our own output must parse; a failure here is a bug, not user error
        self._text = text

    def _tail(self, entry: _Entry) -> tuple[int, bool]:
        """Where this entry's line ends (after its comma and a trailing comment) and whether it is a newline."""
        text, n = self._text, len(self._text)
        pos = entry.comma + 1 if entry.comma is not None else entry.value_end
        while True:
            while pos < n and text[pos] in " \t":
                pos += 1
            if text.startswith("/*", pos):
                end = text.find("*/", pos)
                if end >= 0 and "\n" not in text[pos:end]:
                    pos = end + 2
                    continue
            if text.startswith("//", pos):
                end = text.find("\n", pos)
                pos = n if end < 0 else end
            break
        if text.startswith("\r\n", pos):
            return pos + 2, True
        if pos < n and text[pos] == "\n":
            return pos + 1, True
        return pos, pos >= n

    def _line_end_before_newline(self, entry: _Entry) -> int | None:
        end, on_own_line = self._tail(entry)
        if not on_own_line:
            return None
        if self._text[end - 2 : end] == "\r\n":
            return end - 2
        return end - 1 if self._text[end - 1 : end] == "\n" else end

    def _insert_entry(self, node: Node, render: Any) -> None:
        """Add an entry at the end of a container; `render(indent)` gives its text."""
        entries = _entries(node)
        nl = self.newline
        if entries:
            last = entries[-1]
            eol = self._line_end_before_newline(last) if self._at_line_start(last.start) else None
            if eol is not None:
                indent = self._line_indent(last.start)
                if last.comma is None:
                    self._splice([(last.value_end, last.value_end, ","), (eol, eol, nl + indent + render(indent))])
                else:  # the file uses trailing commas (JSONC): keep that style
                    self._splice([(eol, eol, nl + indent + render(indent) + ",")])
                return
            if last.comma is None:
                self._splice([(last.value_end, last.value_end, ", " + render(""))])
            else:
                self._splice([(last.comma + 1, last.comma + 1, " " + render("") + ",")])
            return
        inner_start, inner_end = node.start + 1, node.close
        inner = self._text[inner_start:inner_end]
        if not self._pretty:
            self._splice([(inner_start, inner_end, render(""))])
            return
        base = self._line_indent(node.start)
        indent = base + self.indent_unit
        if inner.strip() == "":
            self._splice([(inner_start, inner_end, nl + indent + render(indent) + nl + base)])
        else:  # only comments inside: put the entry first, keep the comments after it
            self._splice([(inner_start, inner_start, nl + indent + render(indent))])

    def _remove_entry(self, node: Node, index: int) -> None:
        entries = _entries(node)
        entry = entries[index]
        prev = entries[index - 1] if index > 0 else None
        end, own_line = self._tail(entry)
        edits: list[tuple[int, int, str]]
        if len(entries) == 1 and self._text[node.start + 1 : node.close].replace(
            self._text[entry.start : entry.value_end], ""
        ).strip(" \t\r\n,") == "":
            edits = [(node.start + 1, node.close, "")]
        elif own_line and self._at_line_start(entry.start):
            edits = [(self._line_start(entry.start), end, "")]
            if entry.comma is None and prev is not None and prev.comma is not None:
                edits.append((prev.comma, prev.comma + 1, ""))
        elif entry.comma is not None:
            after = entry.comma + 1
            while after < len(self._text) and self._text[after] in " \t":
                after += 1
            edits = [(entry.start, after, "")]
        elif prev is not None and prev.comma is not None:
            edits = [(prev.comma, entry.value_end, "")]
        else:
            edits = [(entry.start, entry.value_end, "")]
        self._splice(edits)

    # -- navigation -----------------------------------------------------------------------------------------

    def _error_at(self, offset: int, message: str) -> ConfigFileError:
        line, column = line_col(self._text, offset)
        return ConfigFileError(self.path, message, line, column)

    def _child(self, node: Node, segment: str | int, where: DocPath) -> tuple[Node | None, int]:
        """The child node and its index, (None, -1) when absent; errors when `node` has the wrong shape."""
        if node.members is not None and isinstance(segment, str):
            for i, member in enumerate(node.members):
                if member.key == segment:
                    return member.value, i
            return None, -1
        if node.items is not None and isinstance(segment, int) and not isinstance(segment, bool):
            index = segment + len(node.items) if segment < 0 else segment
            if 0 <= index < len(node.items):
                return node.items[index], index
            raise self._error_at(node.start, f"{dotted(where)} has no item {segment}")
        line, _ = line_col(self._text, node.start)
        raise self.shape_error(where, node.value, line)

    def _root_node(self) -> Node:
        if self._root is None:
            prefix = self._text
            if prefix and not prefix.endswith("\n"):
                prefix += self.newline
            self._text = prefix + "{}" + self.newline
            self._root = self._parse(self._text)
            assert self._root is not None
        return self._root

    # -- the public editing API ----------------------------------------------------------------------------

    def set(self, path: DocPath, value: Any) -> None:
        if not path:
            root = self._root
            if root is None:
                self._root_node()
                root = self._root
            assert root is not None
            self._splice([(root.start, root.end, self._render(value, self._line_indent(root.start)))])
            return
        node = self._root_node()
        for depth, segment in enumerate(path):
            child, index = self._child(node, segment, path[:depth])
            if child is None:
                assert isinstance(segment, str)
                created = nest(path[depth + 1 :], value)
                self._insert_entry(node, lambda indent, k=segment, v=created: self._member_text(k, v, indent))
                return
            if depth == len(path) - 1:
                if child.value == value and type(child.value) is type(value):
                    return  # unchanged: keep the user's exact spelling (e.g. 1.0 vs 1.00)
                indent = self._line_indent(child.start)
                self._splice([(child.start, child.end, self._render(value, indent))])
                return
            del index
            node = child

    def delete(self, path: DocPath) -> bool:
        if not path or self._root is None:
            return False
        node = self._root
        for depth, segment in enumerate(path):
            try:
                child, index = self._child(node, segment, path[:depth])
            except ConfigFileError:
                return False
            if child is None:
                return False
            if depth == len(path) - 1:
                self._remove_entry(node, index)
                return True
            node = child
        return False

    def insert(self, path: DocPath, index: int, value: Any) -> None:
        node = self._list_at(path, value)
        if node is None:
            return
        assert node.items is not None
        if index >= len(node.items):
            self._insert_entry(node, lambda indent: self._render(value, indent))
            return
        item = node.items[max(0, index)]
        if self._at_line_start(item.start):  # one item per line: a new line before it, same indent
            indent = self._line_indent(item.start)
            start = self._line_start(item.start)
            self._splice([(start, start, indent + self._render(value, indent) + "," + self.newline)])
        else:
            self._splice([(item.start, item.start, self._render(value, "") + ", ")])

    def append(self, path: DocPath, value: Any) -> None:
        node = self._list_at(path, value)
        if node is not None:
            self._insert_entry(node, lambda indent: self._render(value, indent))

    def _list_at(self, path: DocPath, value: Any) -> Node | None:
        """The list at `path`, to add `value` to; None when there was none (then it is created holding just
        `value`). Anything else at `path` is a shape error."""
        node = self._root_node()
        for depth, segment in enumerate(path):
            child, _ = self._child(node, segment, path[:depth])
            if child is None:
                self.set(path, [value])
                return None
            node = child
        if node.items is None:
            line, _ = line_col(self._text, node.start)
            raise self.shape_error(path, node.value, line)
        return node

