"""JSON from the network or from files others can write: parsed with bounds, never a crash.

`json.loads` raises `RecursionError` (not `ValueError`) for deeply nested input, e.g. a local server answering
`[[[[…]]]]` 100 000 levels deep; callers that catch `ValueError` for "not JSON" would crash. `loads` turns
both into `ValueError` and refuses nesting deeper than any API answer has.

It sits on hot paths (every request through the gateway), so the depth check is cheap: none at all when a
short text has too few brackets to nest that deep, else one pass over the containers (never the scalars).
`loads_object` also says where each top-level member lies in the text, so the gateway can replace one (the
model) in a large request without serialising the rest again.
"""

from __future__ import annotations

import json
import json.decoder
import json.scanner
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MAX_DEPTH = 64
_SHORT = 4096  # below this many characters, counting brackets is cheaper than walking the parsed value
_TOO_DEEP = "JSON nested too deeply (more than {} levels)"


def _too_deep(data: Any, max_depth: int) -> bool:
    level = [data]
    depth = 1
    while level:
        deeper: list[Any] = []
        for node in level:
            children = node.values() if node.__class__ is dict else node
            deeper.extend([c for c in children if c.__class__ is dict or c.__class__ is list])
        if not deeper:
            return False
        depth += 1
        if depth > max_depth:
            return True
        level = deeper
    return False


def _check_depth(value: Any, text: str | bytes | bytearray, max_depth: int) -> None:
    if not (value.__class__ is dict or value.__class__ is list):
        return
    if len(text) <= _SHORT:
        brackets = text.count("[") + text.count("{") if isinstance(text, str) else \
            text.count(b"[") + text.count(b"{")
        if brackets <= max_depth:
            return
    if _too_deep(value, max_depth):
        raise ValueError(_TOO_DEEP.format(max_depth))


def loads(data: str | bytes | bytearray, max_depth: int = MAX_DEPTH) -> Any:
    """`json.loads`, but deep nesting is a `ValueError` ("nested too deeply"), like any other bad JSON."""
    try:
        value = json.loads(data)
    except RecursionError:
        raise ValueError(_TOO_DEEP.format(max_depth)) from None
    _check_depth(value, data, max_depth)
    return value


# ---------------------------------------------------------------- a top-level object, with where its members are

# The json module's own C scanner and string reader (typeshed does not describe them).
_SCAN: Callable[[str, int], tuple[Any, int]] = json.scanner.make_scanner(json.decoder.JSONDecoder())  # type: ignore[arg-type]
_STRING: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]
_SPACE = re.compile(r"[ \t\n\r]*")  # json's whitespace


def _skip(text: str, index: int) -> int:
    match = _SPACE.match(text, index)
    return match.end() if match else index


@dataclass(frozen=True)
class JsonObject:
    """A JSON object as text, its parsed members, and where each member's value lies in the text."""

    text: str
    value: dict[str, Any]
    spans: dict[str, tuple[int, int]]  # member -> (start, end) of its value in `text`
    duplicates: bool  # some member appears twice (its span is the last one, which `value` holds)

    def replaced(self, member: str, new_value: Any) -> str | None:
        """The text with `member`'s value replaced and nothing else touched; None when that cannot be done
        exactly (the member is missing or appears twice)."""
        span = self.spans.get(member)
        if span is None or self.duplicates:
            return None
        return self.text[:span[0]] + json.dumps(new_value, ensure_ascii=False) + self.text[span[1]:]


def _decode(data: str | bytes | bytearray) -> str:
    if isinstance(data, str):
        if data.startswith("\ufeff"):
            raise ValueError("Unexpected UTF-8 BOM")
        return data
    # as json.loads does for bytes: UTF-8/16/32 by the first bytes, lone surrogates kept
    return bytes(data).decode(json.detect_encoding(data), "surrogatepass")


def loads_object(data: str | bytes | bytearray, max_depth: int = MAX_DEPTH) -> JsonObject:
    """A JSON object parsed like `loads` (same values, same errors, `ValueError` when it is not an object),
    with the span of every top-level member. One pass of the C scanner over the text, like `json.loads`."""
    text = _decode(data)
    end = len(text)
    value: dict[str, Any] = {}
    spans: dict[str, tuple[int, int]] = {}
    duplicates = False
    try:
        index = _skip(text, 0)
        if text[index:index + 1] != "{":
            raise ValueError("not a JSON object")
        index = _skip(text, index + 1)
        if text[index:index + 1] == "}":
            index += 1
        else:
            while True:
                if text[index:index + 1] != '"':
                    raise ValueError(f"expected a member name at {index}")
                key, index = _STRING(text, index + 1)
                index = _skip(text, index)
                if text[index:index + 1] != ":":
                    raise ValueError(f"expected ':' at {index}")
                start = _skip(text, index + 1)
                try:
                    member, index = _SCAN(text, start)
                except StopIteration:
                    raise ValueError(f"expected a value at {start}") from None
                duplicates = duplicates or key in value
                value[key] = member
                spans[key] = (start, index)
                index = _skip(text, index)
                separator = text[index:index + 1]
                index = _skip(text, index + 1)
                if separator == "}":
                    break
                if separator != ",":
                    raise ValueError(f"expected ',' or '}}' at {index}")
        if _skip(text, index) != end:
            raise ValueError("extra data after the JSON object")
    except RecursionError:
        raise ValueError(_TOO_DEEP.format(max_depth)) from None
    _check_depth(value, text, max_depth)
    return JsonObject(text, value, spans, duplicates)
