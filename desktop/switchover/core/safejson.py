"""JSON from the network or from files others can write: parsed with bounds, never a crash.

`json.loads` raises `RecursionError` (not `ValueError`) for deeply nested input, e.g. a local server answering
`[[[[…]]]]` 100 000 levels deep; callers that catch `ValueError` for "not JSON" would crash. `loads` turns
both into `ValueError` and refuses nesting deeper than any API answer has.
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 64


def _depth(data: Any) -> int:
    deepest, stack = 0, [(data, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > MAX_DEPTH:
            break
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
    return deepest


def loads(data: str | bytes, max_depth: int = MAX_DEPTH) -> Any:
    """`json.loads`, but deep nesting is a `ValueError` ("nested too deeply"), like any other bad JSON."""
    try:
        value = json.loads(data)
    except RecursionError:
        raise ValueError(f"JSON nested too deeply (more than {max_depth} levels)") from None
    if isinstance(value, (dict, list)) and _depth(value) > max_depth:
        raise ValueError(f"JSON nested too deeply (more than {max_depth} levels)")
    return value
