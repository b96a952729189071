"""A statement-level map of a TOML file, so edits can splice text and keep every byte they do not own.

tomlkit keeps untouched parts on a round trip, but the text it inserts does not follow the file: LF lines in a
CRLF file, a new table glued to the next one, an extra blank line at the end, a final newline added to a file
that had none. Here the file is cut into statements (blank line, comment, `[table]` / `[[array]]` header, or
`key = value`, which may span lines), so a key or a table can be replaced, inserted or removed as text in the
file's own newline, indentation and blank-line style. Anything unusual raises `CannotSplice`; the caller then
falls back to tomlkit, and every splice is checked by re-parsing (`TomlDocument`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import tomlkit

from switchover.core.formats.document import copied

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_BLANK = " \t"


class CannotSplice(Exception):
    """This edit is not a plain text splice here; use the library instead."""


@dataclass
class Statement:
    kind: str  # "blank" | "comment" | "table" | "array" | "keyvalue"
    start: int  # offset of the line start
    end: int  # offset just after its newline (or the end of the text)
    path: tuple[str, ...] = ()  # header: the table path; keyvalue: the dotted key, relative to `section`
    indent: str = ""
    section: tuple[str, ...] = ()  # keyvalue: the table it belongs to
    in_array: bool = False  # keyvalue inside a [[table]] item: not addressable by a plain path
    value_start: int = -1
    value_end: int = -1

    @property
    def full_path(self) -> tuple[str, ...]:
        return self.section + self.path


def newline_of(text: str) -> str:
    """The file's line ending: CRLF when most of its lines use it."""
    crlf = text.count("\r\n")
    return "\r\n" if crlf and crlf >= text.count("\n") - crlf else "\n"


def _skip_blank(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in _BLANK:
        pos += 1
    return pos


def _line_end(text: str, pos: int) -> int:
    """From `pos` (after a value or header): optional spaces and comment, then the newline; returns the offset
    after the newline."""
    pos = _skip_blank(text, pos)
    if pos < len(text) and text[pos] == "#":
        newline = text.find("\n", pos)
        return len(text) if newline < 0 else newline + 1
    if text.startswith("\r\n", pos):
        return pos + 2
    if pos < len(text) and text[pos] == "\n":
        return pos + 1
    if pos >= len(text):
        return pos
    raise CannotSplice(f"unexpected {text[pos]!r} at offset {pos}")


def _string_end(text: str, pos: int) -> int:
    """Offset after the string starting at `pos` (any of TOML's four kinds)."""
    for quote in ('"""', "'''"):
        if text.startswith(quote, pos):
            i = pos + 3
            while True:
                j = text.find(quote, i)
                if j < 0:
                    raise CannotSplice("unterminated multi-line string")
                if quote == '"""' and _escaped(text, j, pos + 3):
                    i = j + 1
                    continue
                end = j + 3
                while end < len(text) and text[end] == quote[0] and end - j < 5:
                    end += 1  # up to two quotes may end the content
                return end
    quote = text[pos]
    i = pos + 1
    while i < len(text) and text[i] != "\n":
        if quote == '"' and text[i] == "\\":
            i += 2
            continue
        if text[i] == quote:
            return i + 1
        i += 1
    raise CannotSplice("unterminated string")


def _escaped(text: str, index: int, floor: int) -> bool:
    backslashes = 0
    while index - 1 - backslashes >= floor and text[index - 1 - backslashes] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


def _value_end(text: str, pos: int) -> int:
    """Offset just after the value starting at `pos` (a string, array, inline table or other scalar)."""
    if pos >= len(text):
        raise CannotSplice("missing value")
    ch = text[pos]
    if ch in "\"'":
        return _string_end(text, pos)
    if ch in "[{":
        depth = 0
        i = pos
        while i < len(text):
            c = text[i]
            if c in "\"'":
                i = _string_end(text, i)
                continue
            if c == "#":
                newline = text.find("\n", i)
                if newline < 0:
                    raise CannotSplice("unterminated array")
                i = newline
                continue
            if c in "[{":
                depth += 1
            elif c in "]}":
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1
        raise CannotSplice("unterminated array or inline table")
    end = pos
    while end < len(text) and text[end] not in "#\r\n":
        end += 1
    end = len(text[:end].rstrip(_BLANK))
    if end == pos:
        raise CannotSplice("missing value")
    return end


def _parse_key(text: str, pos: int, stop: str) -> tuple[tuple[str, ...], int]:
    """A dotted key starting at `pos` and ending before `stop` ("=" or "]"); returns (path, offset of stop)."""
    parts: list[str] = []
    while True:
        pos = _skip_blank(text, pos)
        if pos < len(text) and text[pos] in "\"'":
            end = _string_end(text, pos)
            raw = text[pos:end]
            if raw.startswith(('"""', "'''")):
                raise CannotSplice("multi-line key")
            if raw[0] == "'":
                parts.append(raw[1:-1])
            else:
                try:
                    parts.append(json.loads(raw))
                except ValueError:
                    raise CannotSplice("unusual escape in a key") from None
            pos = end
        else:
            match = _BARE_KEY.match(text, pos)
            if not match:
                raise CannotSplice("not a key")
            parts.append(match.group(0))
            pos = match.end()
        pos = _skip_blank(text, pos)
        if text.startswith(".", pos):
            pos += 1
            continue
        if text.startswith(stop, pos):
            return tuple(parts), pos
        raise CannotSplice("unexpected text after a key")


def scan(text: str) -> list[Statement]:
    statements: list[Statement] = []
    section: tuple[str, ...] = ()
    in_array = False
    pos = 0
    while pos < len(text):
        start = pos
        pos = _skip_blank(text, pos)
        indent = text[start:pos]
        if pos >= len(text) or text[pos] in "\r\n":
            statements.append(Statement("blank", start, _line_end(text, pos), indent=indent))
        elif text[pos] == "#":
            statements.append(Statement("comment", start, _line_end(text, pos), indent=indent))
        elif text[pos] == "[":
            array = text.startswith("[[", pos)
            path, close = _parse_key(text, pos + (2 if array else 1), "]]" if array else "]")
            end = _line_end(text, close + (2 if array else 1))
            statements.append(Statement("array" if array else "table", start, end, path, indent))
            section, in_array = path, array
        else:
            path, equals = _parse_key(text, pos, "=")
            value_start = _skip_blank(text, equals + 1)
            value_end = _value_end(text, value_start)
            statements.append(Statement("keyvalue", start, _line_end(text, value_end), path, indent, section,
                                        in_array, value_start, value_end))
        pos = statements[-1].end
        if pos <= start:  # pragma: no cover - every branch consumes at least one character
            raise CannotSplice("scanner did not advance")
    return statements


def render_value(value: Any) -> str:
    if isinstance(value, dict):
        table = tomlkit.inline_table()
        table.update(value)
        return str(table.as_string())
    return str(tomlkit.item(value).as_string())


def render_key(path: tuple[str, ...]) -> str:
    return ".".join(part if _BARE_KEY.fullmatch(part) else json.dumps(part, ensure_ascii=False) for part in path)


class TomlText:
    """Splice edits into TOML text. Each method returns the new text or raises CannotSplice."""

    def __init__(self, text: str, data: dict[str, Any]):
        self.text = text
        self.data = data
        self.statements = scan(text)
        self.newline = newline_of(text)

    # -- layout conventions ---------------------------------------------------------------------------------

    def _headers(self) -> list[int]:
        return [i for i, s in enumerate(self.statements) if s.kind in ("table", "array")]

    def _table_gap(self) -> str:
        """Blank line before a table header when most of the file's later headers have one (or none exist)."""
        headers = [i for i in self._headers() if i > 0]
        if not headers:
            return self.newline
        spaced = 0
        for i in headers:
            j = i - 1
            while j >= 0 and self.statements[j].kind == "comment":
                j -= 1
            spaced += j >= 0 and self.statements[j].kind == "blank"
        return self.newline if spaced * 2 >= len(headers) else ""

    def _key_indent(self, section: tuple[str, ...]) -> str:
        inside = [s.indent for s in self.statements if s.kind == "keyvalue" and s.section == section]
        if inside or not section:
            return inside[-1] if inside else ""
        tabled = [s.indent for s in self.statements if s.kind == "keyvalue" and s.section]
        return tabled[-1] if tabled else ""

    def _header_indent(self) -> str:
        headers = [self.statements[i].indent for i in self._headers()]
        return headers[-1] if headers else ""

    # -- lookups -----------------------------------------------------------------------------------------------

    def _keyvalue(self, path: tuple[str, ...]) -> Statement | None:
        for s in self.statements:
            if s.kind == "keyvalue" and s.full_path == path:
                if s.in_array:
                    raise CannotSplice("inside an array of tables")
                return s
        return None

    def _table(self, path: tuple[str, ...]) -> int | None:
        for i, s in enumerate(self.statements):
            if s.kind in ("table", "array") and s.path == path:
                if s.kind == "array":
                    raise CannotSplice("an array of tables")
                return i
        return None

    def _check_plain_tables(self, base: tuple[str, ...]) -> None:
        """`base` must be defined only by [table] headers (not dotted keys, inline tables or [[arrays]])."""
        for s in self.statements:
            if s.kind == "keyvalue" and len(s.section) < len(base) and s.full_path[: len(base)] == base[: len(
                    s.full_path)]:
                raise CannotSplice("defined by a dotted key or an inline table")
            if s.kind == "array" and (s.path[: len(base)] == base or base[: len(s.path)] == s.path):
                raise CannotSplice("an array of tables on the way")

    def _section_end(self, header: int) -> int:
        """Offset after the last key (or the header itself) of the section starting at statement `header`."""
        end = self.statements[header].end
        for s in self.statements[header + 1 :]:
            if s.kind in ("table", "array"):
                break
            if s.kind == "keyvalue":
                end = s.end
        return end

    # -- text assembly -----------------------------------------------------------------------------------------

    def _insert(self, offset: int, lines: list[str], gap_before: bool, gap_after: bool) -> str:
        """Insert whole lines at a line boundary `offset`, with blank lines around them as asked."""
        nl = self.newline
        text = self.text
        head, tail = text[:offset], text[offset:]
        block = nl.join(lines)
        at_end = tail == ""
        if head and not head.endswith("\n"):  # the last line of a file without a final newline
            head += nl
            if at_end:
                block = (nl if gap_before else "") + block  # and the file still ends without one
                return head + block
        if gap_before and head and not head.endswith(("\n\n", "\n\r\n")):
            block = nl + block
        if at_end:
            return head + block + (nl if text.endswith("\n") or not text else "")
        block += nl
        if gap_after and not tail.startswith(("\n", "\r\n")):
            block += nl
        return head + block + tail

    def _table_lines(self, path: tuple[str, ...], value: dict[str, Any], gap: str) -> list[str]:
        """`[path]` with its keys, then sub-tables; a table holding only tables gets no header of its own."""
        lines: list[str] = []
        scalars = {k: v for k, v in value.items() if not isinstance(v, dict)}
        tables = {k: v for k, v in value.items() if isinstance(v, dict)}
        if scalars or not tables:
            lines.append(self._header_indent() + "[" + render_key(path) + "]")
            indent = self._key_indent(path)
            lines += [indent + render_key((k,)) + " = " + render_value(v) for k, v in scalars.items()]
        for key, sub in tables.items():
            if lines and gap:
                lines.append("")
            lines += self._table_lines((*path, key), sub, gap)
        return lines

    # -- edits ------------------------------------------------------------------------------------------------

    def set(self, path: tuple[str, ...], value: Any, old: Any) -> str:
        """`old` is the current value at `path` (the `_MISSING` sentinel of the caller when absent)."""
        found = self._keyvalue(path)
        if found is not None:
            return self.text[: found.value_start] + render_value(value) + self.text[found.value_end :]
        header = self._table(path)
        if header is not None:
            if not isinstance(value, dict) or not isinstance(old, dict):
                raise CannotSplice("a table replaced by a value")
            return self._merge(path, old, value)
        if isinstance(old, dict) and isinstance(value, dict):  # an implicit super-table ([a.b] defines a)
            self._check_plain_tables(path)
            return self._merge(path, old, value)
        if old is not _ABSENT:
            raise CannotSplice("defined in a way this splicer does not follow")
        return self._add(path, value)

    def _merge(self, path: tuple[str, ...], old: dict[str, Any], value: dict[str, Any]) -> str:
        """Make the table at `path` equal `value` key by key, so unchanged keys keep their bytes."""
        text, data = self.text, self.data
        for key in [k for k in old if k not in value]:
            text = TomlText(text, data).delete((*path, key))
            data = _without(data, (*path, key))
        for key, sub in value.items():
            current = old.get(key, _ABSENT)
            if current == sub and type(current) is type(sub):
                continue
            text = TomlText(text, data).set((*path, key), sub, current)
            data = _with(data, (*path, key), sub)
        return text

    def _add(self, path: tuple[str, ...], value: Any) -> str:
        depth = 0
        node: Any = self.data
        while depth < len(path) - 1 and isinstance(node, dict) and path[depth] in node:
            node = node[path[depth]]
            depth += 1
        if not isinstance(node, dict):
            raise CannotSplice("the parent is not a table")
        base, key = path[:depth], path[depth]
        created = _nest(path[depth + 1 :], value)
        if isinstance(created, dict):  # a [table] may extend one defined by dotted keys, not an array of tables
            if any(s.kind == "array" and path[: len(s.path)] == s.path for s in self.statements):
                raise CannotSplice("inside an array of tables")
            return self._add_table((*base, key), created)
        if base:
            self._check_plain_tables(base)
        header = self._table(base) if base else None
        if base and header is None:
            raise CannotSplice("no [table] to put the key in")
        return self._add_key(base, header, key, created)

    def _add_key(self, base: tuple[str, ...], header: int | None, key: str, value: Any) -> str:
        line = self._key_indent(base) + render_key((key,)) + " = " + render_value(value)
        if header is not None:
            return self._insert(self._section_end(header), [line], False, False)
        keys = [s for s in self.statements if s.kind == "keyvalue" and s.section == ()]
        if keys:
            return self._insert(keys[-1].end, [line], False, False)
        headers = self._headers()
        if not headers:
            return self._insert(len(self.text), [line], False, False)
        first = headers[0]
        while first > 0 and self.statements[first - 1].kind == "comment":
            first -= 1  # the comments right above the first table describe it
        return self._insert(self.statements[first].start, [line], False, bool(self._table_gap()))

    def _add_table(self, path: tuple[str, ...], value: dict[str, Any]) -> str:
        gap = self._table_gap()
        lines = self._table_lines(path, value, gap)
        parent = path[:-1]
        related = [i for i in self._headers() if self.statements[i].path[: len(parent)] == parent]
        if related:
            offset = self._section_end(related[-1])
        else:
            last = max((i for i, s in enumerate(self.statements) if s.kind not in ("blank", "comment")),
                       default=None)
            offset = len(self.text) if last is None else self.statements[last].end
            if last is not None and last == len(self.statements) - 1:
                offset = len(self.text)
        offset = min(len(self.text), offset)
        return self._insert(offset, lines, bool(gap) and offset > 0, bool(gap))

    def delete(self, path: tuple[str, ...]) -> str:
        found = self._keyvalue(path)
        if found is not None:
            index = self.statements.index(found)
            before = self.statements[index - 1] if index > 0 else None
            after = self.statements[index + 1] if index + 1 < len(self.statements) else None
            end = found.end
            if (before is None or before.kind == "blank") and after is not None and after.kind == "blank":
                end = after.end  # the blank line that separated it from what follows goes too
            return self.text[: found.start] + self.text[end:]
        headers = [i for i in self._headers() if self.statements[i].path[: len(path)] == path]
        if not headers:
            raise CannotSplice("not a key or table of this file")
        self._check_plain_tables(path)
        text = self.text
        for i in reversed(headers):
            start, end = self.statements[i].start, self._section_end(i)
            before = self.statements[i - 1] if i > 0 else None
            after = next((s for s in self.statements if s.start >= end), None)
            if before is not None and before.kind == "blank" and (after is None or after.kind == "blank"):
                start = before.start  # do not leave two blank lines (or one at the end) behind
            text = text[:start] + text[end:]
        return text


class _Absent:
    def __repr__(self) -> str:
        return "<absent>"


_ABSENT: Any = _Absent()


def _nest(path: tuple[str, ...], value: Any) -> Any:
    for segment in reversed(path):
        value = {segment: value}
    return value


def _with(data: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    copy: dict[str, Any] = copied(data)
    node = copy
    for segment in path[:-1]:
        node = node.setdefault(segment, {})
    node[path[-1]] = value
    return copy


def _without(data: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    copy: dict[str, Any] = copied(data)
    node = copy
    for segment in path[:-1]:
        node = node[segment]
    node.pop(path[-1], None)
    return copy


ABSENT = _ABSENT
