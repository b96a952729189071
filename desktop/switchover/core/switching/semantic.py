"""Semantic undo: take back Switchover's own keys in a file the tool (or the user) changed since the switch.

A byte-for-byte restore would throw those later changes away, so `undo` used to refuse (Qwen Code adds
`"$version": 4` and re-formats settings.json on its first run; Claude Code migrates keys). Instead, the
journal records which keys a switch changed in each file (`changes`: the key path and a hash of the value
written, never the value), and undo puts exactly those keys back as they were before the switch, in the
file as it is now, through the same format-preserving editors. Everything else in the file stays as the tool
or the user left it. When one of Switchover's own keys no longer holds what was written, the change is
someone else's too: that is a real conflict, and undo still refuses (unless `--force`).
"""

from __future__ import annotations

import difflib
import hashlib
import json
from pathlib import Path
from typing import Any

from switchover.core.errors import ConfigFileError
from switchover.core.formats import load_bytes, to_bytes
from switchover.core.formats.document import DocPath, dotted

_MISSING: Any = object()


class KeyChangedSince(Exception):
    """One of the keys the switch wrote holds something else now."""

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def _walk(data: Any, path: DocPath) -> Any:
    node = data
    for segment in path:
        if isinstance(node, dict) and isinstance(segment, str) and segment in node:
            node = node[segment]
        else:
            return _MISSING
    return node


def value_hash(value: Any) -> str | None:
    """A hash of a value as parsed (None: the key is absent); the journal never holds the value itself."""
    if value is _MISSING:
        return None
    encoded = json.dumps(value, sort_keys=True, ensure_ascii=False, default=repr).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()


def _diff(before: Any, after: Any, prefix: DocPath = ()) -> list[dict[str, Any]]:
    """What differs, as journal changes. Objects on both sides are compared key by key; a list the switch
    only added items to or removed items from (Switchover's own model entries) records those items, so
    undo can take out just them; anything else records the whole value."""
    if isinstance(before, dict) and isinstance(after, dict):
        found: list[dict[str, Any]] = []
        for key in dict.fromkeys([*after, *before]):
            if key in before and key in after:
                found += _diff(before[key], after[key], (*prefix, key))
            else:
                found.append({"path": [*prefix, key], "after": value_hash(after.get(key, _MISSING))})
        return found
    if before == after and type(before) is type(after):
        return []
    if isinstance(before, list) and isinstance(after, list) and prefix:
        edits = _list_edits(before, after)
        if edits is not None:
            inserted, removed = edits
            return [{"path": list(prefix), "inserted": [value_hash(after[i]) for i in inserted], "removed": removed}]
    return [{"path": list(prefix), "after": value_hash(after)}]


def _list_edits(before: list[Any], after: list[Any]) -> tuple[list[int], list[int]] | None:
    """(indices inserted into `after`, indices removed from `before`) when that is all that changed."""
    matcher = difflib.SequenceMatcher(a=[value_hash(v) for v in before], b=[value_hash(v) for v in after],
                                      autojunk=False)
    inserted: list[int] = []
    removed: list[int] = []
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        if tag == "replace":
            return None
        inserted += range(b0, b1) if tag == "insert" else []
        removed += range(a0, a1) if tag == "delete" else []
    return inserted, removed


def _data(kind: str, data: bytes | None, path: Path) -> Any:
    parsed = load_bytes(kind, data, path).data if data is not None else {}
    return parsed if isinstance(parsed, dict) else {}


def owned_changes(kind: str, path: Path, before: bytes | None, after: bytes | None) -> list[dict[str, Any]] | None:
    """What a switch changed in a file, for the journal: [{"path": [...], "after": hash or None}], or None when
    the file is not in a format Switchover edits key by key (then undo can only restore it byte for byte)."""
    if not kind or after is None:
        return None
    try:
        old, new = _data(kind, before, path), _data(kind, after, path)
    except (ConfigFileError, ValueError, RecursionError):
        return None
    changes = _diff(old, new)
    if any(not change["path"] for change in changes):
        return None
    return changes


def restore(kind: str, path: Path, before: bytes | None, current: bytes | None,
            changes: list[dict[str, Any]]) -> bytes | None:
    """`current` with every key of `changes` put back as `before` had it (None: remove the file, which the
    switch created and which holds nothing else now). Raises KeyChangedSince, or ConfigFileError when the
    file no longer parses."""
    if current is None:
        raise KeyChangedSince("(the file was removed)")
    document = load_bytes(kind, current, path)
    now = document.data if isinstance(document.data, dict) else {}
    old = _data(kind, before, path)
    plans = [(tuple(change["path"]), change, _list_plan(now, tuple(change["path"]), change)
              if "inserted" in change else None) for change in changes]
    for key, change, list_plan in plans:  # check everything before changing anything
        if "inserted" not in change and value_hash(_walk(now, key)) != change["after"]:
            raise KeyChangedSince(dotted(key))
        if "inserted" in change and list_plan is None:
            raise KeyChangedSince(dotted(key))
    for key, change, list_plan in plans:
        if list_plan is not None:
            for index in sorted(list_plan, reverse=True):  # Switchover's own items out
                document.delete((*key, index))
            items = _walk(old, key)
            for index in sorted(change["removed"]):  # the items the switch had taken out, back in place
                if isinstance(items, list) and index < len(items):
                    document.insert(key, index, items[index])
            continue
        value = _walk(old, key)
        if value is _MISSING:
            document.delete(key)
        else:
            document.set(key, value)
    if before is None and not document.data:
        return None
    return to_bytes(document)


def _list_plan(now: Any, key: DocPath, change: dict[str, Any]) -> list[int] | None:
    """Where the items the switch inserted are in the list now (each found once), or None when one is gone."""
    items = _walk(now, key)
    if not isinstance(items, list):
        return None
    hashes = [value_hash(v) for v in items]
    found: list[int] = []
    for wanted in change["inserted"]:
        index = next((i for i, h in enumerate(hashes) if h == wanted and i not in found), None)
        if index is None:
            return None
        found.append(index)
    return found
