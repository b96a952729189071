"""Line splices for block-style YAML, so an edit touches only the lines it changes.

ruamel.yaml keeps comments on a round trip but re-emits the whole document: `True` becomes `true`, a leading
`---` and trailing spaces go, long flow lists are re-wrapped. Adding or removing a key or a list item is a
matter of whole lines in block-style YAML, so it is done here on the text, at the positions ruamel reports
(`lc`), in the file's newline and indentation. Anything unusual raises `CannotSplice`; the caller then lets
ruamel re-emit, and every splice is checked by re-parsing (`YamlDocument`).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

_PLAIN_SAFE = re.compile(r"^[A-Za-z/_][A-Za-z0-9_./:@+~-]*$")  # no leading "." (YAML 1.1 reads .5 / .inf as floats)
_RESERVED = re.compile(r"^(y|n|yes|no|true|false|on|off|null|~)$", re.IGNORECASE)
_PLAIN_KEY = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$.-]*$")
_ODD_BREAKS = ("\r\n", "\x85", "\u2028", "\u2029")


class CannotSplice(Exception):
    """This edit is not a plain line splice here; let ruamel re-emit instead."""


def render_scalar(value: Any, quote: str = "") -> str | None:
    """YAML text for a scalar: the old quote style when possible, plain only when unambiguous."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else None
    if not isinstance(value, str):
        return None
    if not value.isprintable():
        return None  # line separators and friends: let ruamel write it
    if quote == "'" and "'" not in value:
        return f"'{value}'"
    if quote == "" and _PLAIN_SAFE.match(value) and not _RESERVED.match(value) and not value.endswith(":"):
        return value
    return json.dumps(value, ensure_ascii=False)


def render_key(key: str) -> str:
    if _PLAIN_KEY.match(key) and not _RESERVED.match(key):
        return key
    return json.dumps(key, ensure_ascii=False)


class YamlLines:
    """The text as lines (split on "\\n" only, each keeping its ending) plus the file's layout conventions."""

    def __init__(self, text: str, mapping: int, sequence: int, offset: int):
        probe = text.replace("\r\n", "\n")
        if any(mark in probe for mark in _ODD_BREAKS[1:]) or "\r" in probe:
            raise CannotSplice("line breaks ruamel counts differently")
        self.text = text
        self.lines = text.split("\n")  # the last element is what follows the final newline ("" usually)
        crlf = text.count("\r\n")
        self.newline = "\r\n" if crlf and crlf >= text.count("\n") - crlf else "\n"
        self.mapping, self.sequence, self.offset = mapping, sequence, offset

    # -- geometry ---------------------------------------------------------------------------------------------

    def content(self, index: int) -> str:
        return self.lines[index].removesuffix("\r")

    def indent(self, index: int) -> int:
        line = self.content(index)
        return len(line) - len(line.lstrip(" "))

    def neutral(self, index: int) -> bool:
        """Blank or comment lines: they belong to whatever follows them."""
        stripped = self.content(index).strip()
        return not stripped or stripped.startswith("#")

    def block_end(self, first: int, parent: int, dashes: bool) -> int:
        """The last line of the block starting at line `first` whose lines are indented more than `parent`
        (`dashes`: a sequence value may also put its `- ` at the parent's own column)."""
        last = first
        for index in range(first + 1, len(self.lines)):
            if self.neutral(index):
                continue
            line = self.content(index)
            if line.startswith(("---", "...")) and self.indent(index) == 0:
                break
            indent = self.indent(index)
            stripped = line.lstrip(" ")
            if indent > parent or (dashes and indent == parent and (stripped.startswith("- ") or stripped == "-")):
                last = index
                continue
            break
        return last

    def offset_of(self, line: int) -> int:
        """Offset of the start of `line` in the text."""
        return sum(len(text) + 1 for text in self.lines[:line])

    def splice_lines(self, start: int, end: int, new: list[str]) -> str:
        """Replace lines [start, end) with `new` (contents without endings), in the file's newline."""
        nl = self.newline
        rendered = "".join(line + nl for line in new)
        head = self.text[: self.offset_of(start)]
        if end >= len(self.lines):  # through the end of the text: keep its final-newline state
            tail = ""
            if rendered and not self.text.endswith("\n") and self.text:
                rendered = rendered[: -len(nl)]
            if not rendered and head.endswith("\n") and not self.text.endswith("\n"):
                head = head[: -1].removesuffix("\r")
        else:
            tail = self.text[self.offset_of(end) :]
        return head + rendered + tail

    def insert_after(self, line: int, new: list[str]) -> str:
        """Insert lines after `line` (-1: at the very top)."""
        nl = self.newline
        at = line + 1
        if at >= len(self.lines) - 1 and self.lines[-1] != "":  # after a last line that has no newline
            return self.text + nl + nl.join(new)
        if at >= len(self.lines):
            at = len(self.lines) - 1
        offset = self.offset_of(at)
        return self.text[:offset] + "".join(item + nl for item in new) + self.text[offset:]

    # -- rendering new nodes ----------------------------------------------------------------------------------

    def render_entry(self, key: str, value: Any, column: int) -> list[str]:
        """`key: value` at `column`, with nested blocks indented the file's way."""
        pad = " " * column
        head = pad + render_key(key) + ":"
        if isinstance(value, dict) and value:
            return [head, *self.render_mapping(value, column + self.mapping)]
        if isinstance(value, list) and value:
            return [head, *self.render_sequence(value, column + self.offset)]
        return [head + " " + self.render_inline(value)]

    def render_mapping(self, value: dict[str, Any], column: int) -> list[str]:
        lines: list[str] = []
        for key, item in value.items():
            if not isinstance(key, str):
                raise CannotSplice("a non-string key")
            lines += self.render_entry(key, item, column)
        return lines

    def render_sequence(self, value: list[Any], dash: int) -> list[str]:
        lines: list[str] = []
        for item in value:
            lines += self.render_item(item, dash)
        return lines

    def render_item(self, item: Any, dash: int) -> list[str]:
        pad = " " * dash
        inner = dash + max(2, self.sequence - self.offset)
        if isinstance(item, dict) and item:
            body = self.render_mapping(item, inner)
            return [pad + "-" + " " * (inner - dash - 1) + body[0].lstrip(" "), *body[1:]]
        if isinstance(item, list) and item:
            body = self.render_sequence(item, inner)
            return [pad + "-" + " " * (inner - dash - 1) + body[0].lstrip(" "), *body[1:]]
        return [pad + "- " + self.render_inline(item)]

    def render_inline(self, value: Any) -> str:
        if isinstance(value, dict):
            if value:
                raise CannotSplice("a mapping in flow position")
            return "{}"
        if isinstance(value, list):
            if value:
                raise CannotSplice("a list in flow position")
            return "[]"
        text = render_scalar(value)
        if text is None:
            raise CannotSplice("a scalar that needs ruamel's quoting")
        return text

    # -- positions of nodes ------------------------------------------------------------------------------------

    def key_block(self, node: CommentedMap, key: str) -> tuple[int, int, int]:
        """(first line, last line, key column) of `key: value` in block mapping `node`."""
        if node.fa.flow_style():
            raise CannotSplice("a flow-style mapping")
        try:
            line, column = node.lc.key(key)
        except (AttributeError, KeyError, TypeError, IndexError):
            raise CannotSplice("no position for this key") from None
        if key not in _own_keys(node):
            raise CannotSplice("a key merged in from elsewhere")
        value = node[key]
        dashes = isinstance(value, CommentedSeq) and not value.fa.flow_style()
        return line, self.block_end(line, column, dashes), column

    def item_block(self, node: CommentedSeq, index: int) -> tuple[int, int, int]:
        """(first line, last line, dash column) of item `index` of block sequence `node`."""
        if node.fa.flow_style():
            raise CannotSplice("a flow-style list")
        try:
            line, column = node.lc.item(index)
        except (AttributeError, KeyError, TypeError, IndexError):
            raise CannotSplice("no position for this item") from None
        text = self.content(line)
        dash = text.rfind("-", 0, column)
        if dash < 0 or text[dash + 1 : column].strip(" ") or text[:dash].strip(" -"):
            raise CannotSplice("the item does not start its line")
        first_dash = len(text) - len(text.lstrip(" "))
        if first_dash != dash:
            raise CannotSplice("a nested list item sharing a line")
        return line, self.block_end(line, dash, False), dash

    def comments_above(self, line: int) -> int:
        """The first of the comment lines directly above `line` (they describe it)."""
        while line > 0 and self.content(line - 1).strip().startswith("#"):
            line -= 1
        return line


def _own_keys(node: CommentedMap) -> list[Any]:
    """The keys written in this mapping itself (not merged in with `<<`)."""
    merged = getattr(node, "merge", None)
    if not merged:
        return list(node.keys())
    try:
        return list(node._ok)  # ruamel's own record of the keys set directly
    except AttributeError:
        raise CannotSplice("a mapping with merge keys") from None
