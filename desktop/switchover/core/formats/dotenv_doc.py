"""`.env` files (Gemini CLI, Qwen Code, Continue secrets): edit KEY=VALUE lines, keep everything else.

Values keep their quoting style where possible; a key that is missing is added at the end. When a key
appears more than once every occurrence is updated, so it does not matter which one a tool reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from switchover.core.errors import ConfigFileError
from switchover.core.formats.document import ConfigDocument, DocPath

_ASSIGN = re.compile(r"^(?P<lead>[ \t]*(?:export[ \t]+)?)(?P<key>[A-Za-z_][A-Za-z0-9_.-]*)(?P<eq>[ \t]*=[ \t]*)")
_SAFE = re.compile(r"^[A-Za-z0-9_./:@%+,=-]*$")
_UNESCAPE = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\", "$": "$"}


@dataclass
class _Line:
    text: str  # the raw line(s), including the newline
    key: str | None = None
    lead: str = ""
    eq: str = "="
    value: str = ""
    quote: str = ""  # '', "'" or '"'
    trailer: str = ""  # an inline comment after the value, with its spacing
    newline: str = "\n"


def _split_newline(raw: str) -> tuple[str, str]:
    for ending in ("\r\n", "\n"):
        if raw.endswith(ending):
            return raw[: -len(ending)], ending
    return raw, ""


# Characters that end a line for some .env reader and have no escape in the .env dialect tools share.
_UNWRITABLE = frozenset("\0\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


def _quote(value: str, style: str) -> str:
    """The value encoded for a .env line: bare when plain, single quotes when that is literal, else double
    quotes with the escapes every reader knows (\\n, \\r, \\", \\\\, \\$). A value no .env reader can hold
    on one line (NUL, vertical tab, form feed, U+0085, U+2028, U+2029) is refused."""
    bad = sorted({c for c in value if c in _UNWRITABLE})
    if bad:
        shown = ", ".join(f"U+{ord(c):04X}" for c in bad)
        raise ValueError(f"a .env value cannot hold {shown}")
    if style == "" and _SAFE.match(value):
        return value
    if style != '"' and not any(c in value for c in "'\n\r"):
        return f"'{value}'"
    escaped = (value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
               .replace("$", "\\$"))
    return f'"{escaped}"'


class DotenvDocument(ConfigDocument):
    kind = "dotenv"

    def __init__(self, text: str, path: Path):
        super().__init__(path)
        self._lines = self._parse(text)
        self.newline = "\r\n" if "\r\n" in text else "\n"

    def _parse(self, text: str) -> list[_Line]:
        raw_lines = text.splitlines(keepends=True)
        lines: list[_Line] = []
        i = 0
        while i < len(raw_lines):
            start_line = i
            body, newline = _split_newline(raw_lines[i])
            i += 1
            match = _ASSIGN.match(body)
            if not match or body.lstrip().startswith("#"):
                lines.append(_Line(raw_lines[start_line], newline=newline))
                continue
            rest = body[match.end() :]
            quote = rest[:1] if rest[:1] in ("'", '"') else ""
            trailer = ""
            if quote:
                content = rest[1:]
                end = _closing(content, quote)
                while end < 0 and quote == '"' and i < len(raw_lines):  # a multi-line double-quoted value
                    extra, newline = _split_newline(raw_lines[i])
                    content += "\n" + extra
                    i += 1
                    end = _closing(content, quote)
                if end < 0:
                    raise ConfigFileError(self.path, f"unterminated {quote} quote for {match['key']}", start_line + 1)
                value = content[:end]
                trailer = content[end + 1 :]
                if quote == '"':
                    value = re.sub(r"\\(.)", lambda m: _UNESCAPE.get(m.group(1), "\\" + m.group(1)), value)
            else:
                comment = re.search(r"[ \t]+#", rest)
                value = rest[: comment.start()] if comment else rest
                trailer = rest[comment.start() :] if comment else ""
                stripped = value.rstrip(" \t")
                trailer = value[len(stripped) :] + trailer
                value = stripped
            raw = "".join(raw_lines[start_line:i])
            lines.append(_Line(raw, match["key"], match["lead"], match["eq"], value, quote, trailer, newline))
        return lines

    @property
    def data(self) -> Any:
        return {line.key: line.value for line in self._lines if line.key is not None}

    def dumps(self) -> str:
        return "".join(line.text for line in self._lines)

    def _key(self, path: DocPath) -> str:
        if len(path) != 1 or not isinstance(path[0], str):
            raise ValueError(f".env files hold flat KEY=VALUE pairs; {path!r} is not a single key")
        return path[0]

    def set(self, path: DocPath, value: Any) -> None:
        key = self._key(path)
        if isinstance(value, bool):
            value = "true" if value else "false"
        if not isinstance(value, (str, int, float)):
            raise ValueError(f".env values are text; cannot write {type(value).__name__} for {key}")
        text = str(value)
        found = False
        for line in self._lines:
            if line.key != key:
                continue
            found = True
            if line.value == text:
                continue
            line.value = text
            line.text = f"{line.lead}{key}{line.eq}{_quote(text, line.quote)}{line.trailer}{line.newline}"
        if not found:
            # A file without a final newline keeps that state: the new line becomes the unterminated last one.
            ending = self.newline
            if self._lines and not self._lines[-1].text.endswith("\n"):
                self._lines[-1].text += self.newline
                self._lines[-1].newline = self.newline
                ending = ""
            rendered = f"{key}={_quote(text, '')}{ending}"
            self._lines.append(_Line(rendered, key, "", "=", text, "", "", ending))

    def delete(self, path: DocPath) -> bool:
        key = self._key(path)
        before = len(self._lines)
        unterminated = bool(self._lines) and not self._lines[-1].text.endswith("\n")
        self._lines = [line for line in self._lines if line.key != key]
        if unterminated and self._lines and self._lines[-1].text.endswith("\n"):  # keep "no final newline"
            last = self._lines[-1]
            last.text = last.text.removesuffix(last.newline)
            last.newline = ""
        return len(self._lines) != before

    def append(self, path: DocPath, value: Any) -> None:  # noqa: ARG002 - the interface's signature
        raise ValueError(f".env files have no lists; cannot append to {self._key(path)}")


def _closing(content: str, quote: str) -> int:
    """Index of the closing quote in `content`, honouring backslash escapes inside double quotes."""
    i = 0
    while i < len(content):
        if quote == '"' and content[i] == "\\":
            i += 2
            continue
        if content[i] == quote:
            return i
        i += 1
    return -1
