"""A small JSON/JSONC parser that remembers where every value sits, so edits can splice text.

Why not `json`: it loses formatting, and it cannot read the comments Zed, Gemini CLI and Qwen Code allow.
Why not a PyPI library: none of the comment-preserving JSONC editors is mature and maintained. Editing by
splicing the original text means every byte we do not own stays exactly as the user wrote it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from switchover.core.errors import ConfigFileError

_WS = " \t\r\n"
_WS_RE = re.compile(r"[ \t\r\n]*")
_STRING_RE = re.compile(r'"(?:[^"\\\x00-\x1f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"')
_NUMBER_RE = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_LITERALS = {"true": True, "false": False, "null": None}


@dataclass
class Node:
    """A value and its span `[start, end)` in the text."""

    start: int
    end: int
    value: Any
    members: list[Member] | None = None  # objects
    items: list[Node] | None = None  # arrays
    close: int = -1  # offset of the closing bracket, containers only
    commas: list[int] = field(default_factory=list)  # arrays: offset of the comma after each item


@dataclass
class Member:
    key: str
    key_start: int
    value: Node
    comma: int | None = None  # offset of the comma that follows this member, if any


def line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of `offset`."""
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


class Parser:
    def __init__(self, text: str, path: Path, *, comments: bool, trailing_commas: bool):
        self.text = text
        self.path = path
        self.comments = comments
        self.trailing_commas = trailing_commas
        self.pos = 0

    def error(self, message: str, offset: int | None = None) -> ConfigFileError:
        line, column = line_col(self.text, self.pos if offset is None else offset)
        return ConfigFileError(self.path, message, line, column)

    def skip(self) -> None:
        """Skip whitespace and (when allowed) comments."""
        text, n = self.text, len(self.text)
        while True:
            self.pos = _WS_RE.match(text, self.pos).end()  # type: ignore[union-attr]  # matches empty
            if self.pos >= n or text[self.pos] != "/" or not text.startswith(("//", "/*"), self.pos):
                return
            if not self.comments:
                raise self.error("comments are not allowed in this strict JSON file")
            if text.startswith("//", self.pos):
                end = text.find("\n", self.pos)
                self.pos = n if end < 0 else end
            else:
                end = text.find("*/", self.pos + 2)
                if end < 0:
                    raise self.error("unterminated /* comment")
                self.pos = end + 2

    def parse_document(self) -> Node | None:
        if self.text.startswith("\ufeff"):
            self.pos = 1
        self.skip()
        if self.pos >= len(self.text):
            return None
        root = self.parse_value()
        self.skip()
        if self.pos < len(self.text):
            raise self.error(f"unexpected {self.text[self.pos]!r} after the end of the document")
        return root

    def parse_value(self) -> Node:
        text = self.text
        if self.pos >= len(text):
            raise self.error("unexpected end of file")
        ch = text[self.pos]
        if ch == "{":
            return self.parse_object()
        if ch == "[":
            return self.parse_array()
        if ch == '"':
            start = self.pos
            string = self.parse_string()
            return Node(start, self.pos, string)
        match = _NUMBER_RE.match(text, self.pos)
        if match and match.end() > self.pos:
            start, self.pos = self.pos, match.end()
            literal = match.group(0)
            value: Any = float(literal) if any(c in literal for c in ".eE") else int(literal)
            return Node(start, self.pos, value)
        for word, value in _LITERALS.items():
            if text.startswith(word, self.pos):
                start, self.pos = self.pos, self.pos + len(word)
                return Node(start, self.pos, value)
        raise self.error(f"unexpected {ch!r}: expected a value")

    def parse_string(self) -> str:
        match = _STRING_RE.match(self.text, self.pos)
        if not match:
            raise self.error("invalid or unterminated string")
        self.pos = match.end()
        raw = match.group(0)
        if "\\" not in raw:
            return raw[1:-1]
        value: str = json.loads(raw)
        return value

    def parse_object(self) -> Node:
        start = self.pos
        self.pos += 1
        members: list[Member] = []
        seen: dict[str, int] = {}
        value: dict[str, Any] = {}
        while True:
            self.skip()
            if self.pos >= len(self.text):
                raise self.error("unexpected end of file: '}' missing", start)
            if self.text[self.pos] == "}":
                if members and members[-1].comma is not None and not self.trailing_commas:
                    raise self.error("trailing comma before '}' is not allowed", members[-1].comma)
                break
            if members and members[-1].comma is None:
                raise self.error("expected ',' or '}' after an object member")
            if self.text[self.pos] != '"':
                raise self.error("expected a double-quoted key")
            key_start = self.pos
            key = self.parse_string()
            if key in seen:
                first, _ = line_col(self.text, seen[key])
                raise self.error(f"duplicate key {key!r} (first defined on line {first})", key_start)
            seen[key] = key_start
            self.skip()
            if self.pos >= len(self.text) or self.text[self.pos] != ":":
                raise self.error(f"expected ':' after key {key!r}")
            self.pos += 1
            self.skip()
            node = self.parse_value()
            member = Member(key, key_start, node)
            members.append(member)
            value[key] = node.value
            self.skip()
            if self.pos < len(self.text) and self.text[self.pos] == ",":
                member.comma = self.pos
                self.pos += 1
        close = self.pos
        self.pos += 1
        return Node(start, self.pos, value, members=members, close=close)

    def parse_array(self) -> Node:
        start = self.pos
        self.pos += 1
        items: list[Node] = []
        commas: list[int] = []
        while True:
            self.skip()
            if self.pos >= len(self.text):
                raise self.error("unexpected end of file: ']' missing", start)
            if self.text[self.pos] == "]":
                if items and len(commas) == len(items) and not self.trailing_commas:
                    raise self.error("trailing comma before ']' is not allowed", commas[-1])
                break
            if items and len(commas) < len(items):
                raise self.error("expected ',' or ']' after an array item")
            items.append(self.parse_value())
            self.skip()
            if self.pos < len(self.text) and self.text[self.pos] == ",":
                commas.append(self.pos)
                self.pos += 1
        close = self.pos
        self.pos += 1
        return Node(start, self.pos, [i.value for i in items], items=items, close=close, commas=commas)
