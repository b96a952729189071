"""YAML (Aider, Continue, Goose) through ruamel.yaml round-trip mode: comments, quotes and order are kept.

ruamel re-emits the whole document, so we detect the file's indentation first and keep it; a document we
did not edit is returned byte for byte as read. Known ruamel limits: a longer value pushes its end-of-line
comment to one space after it, and a comment line right after an empty (null) value inside a list can be
lost when the file is re-emitted.
"""

from __future__ import annotations

import io
import re
import warnings
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark, MarkedYAMLError, YAMLError
from ruamel.yaml.tokens import CommentToken

from switchover.core.errors import ConfigFileError
from switchover.core.formats.document import ConfigDocument, DocPath, nest

_KEY_LINE = re.compile(r"^((?: *- +)*)( *)(?:[^\s#:-][^:#]*|\"[^\"]*\"|'[^']*'):(\s*(#.*)?)$")
_DASH_LINE = re.compile(r"^( *)- ")


def detect_indent(text: str) -> tuple[int, int, int]:
    """(mapping, sequence, offset) as ruamel names them, read from the first nested block of each kind."""
    mapping = sequence = offset = None
    lines = text.splitlines()
    for i, line in enumerate(lines[:-1]):
        match = _KEY_LINE.match(line)
        if not match:
            continue
        parent = len(match.group(1)) + len(match.group(2))  # a key inside a list item starts after "- "
        following = next((n for n in lines[i + 1 :] if n.strip() and not n.lstrip().startswith("#")), None)
        if following is None:
            continue
        child = len(following) - len(following.lstrip(" "))
        if _DASH_LINE.match(following):
            if sequence is None and child >= parent:
                offset = child - parent
                sequence = offset + 2
        elif child > parent and mapping is None:
            mapping = child - parent
        if mapping is not None and sequence is not None:
            break
    mapping = mapping or 2
    if sequence is None:
        sequence, offset = mapping + 2, mapping
    return mapping, sequence, offset or 0


def _delete_keeping_comments(parent: CommentedMap, key: str) -> None:
    """Delete `key` but keep the full-line comments ruamel stores with it (those above the next key).

    ruamel attaches the comment lines *after* a key to that key, so a plain `del` would drop comments that
    belong to the user's next setting. Only the deleted line's own end-of-line comment goes with it.
    """
    keys = list(parent.keys())
    index = keys.index(key)
    entry = parent.ca.items.pop(key, None)
    del parent[key]
    keep = ""
    if entry:
        keep += "".join(token.value for token in (entry[1] or []))
        post = entry[2]
        if post is not None and "\n" in post.value:
            keep += post.value.split("\n", 1)[1]
    if not keep:
        return
    if index + 1 < len(keys):
        slot = parent.ca.items.setdefault(keys[index + 1], [None, None, None, None])
        slot[1] = [CommentToken(keep, CommentMark(0), None), *(slot[1] or [])]
        return
    _attach_after_last(parent, keep)


def _attach_after_last(node: Any, text: str) -> None:
    """Put comment lines after the last item of `node` (descending into a trailing nested block)."""
    if isinstance(node, CommentedMap) and node:
        last = list(node.keys())[-1]
        if isinstance(node[last], (CommentedMap, CommentedSeq)) and node[last]:
            _attach_after_last(node[last], text)
            return
        slot = node.ca.items.setdefault(last, [None, None, None, None])
        _extend_post(slot, 2, text)
    elif isinstance(node, CommentedSeq) and node:
        last_index = len(node) - 1
        if isinstance(node[last_index], (CommentedMap, CommentedSeq)) and node[last_index]:
            _attach_after_last(node[last_index], text)
            return
        slot = node.ca.items.setdefault(last_index, [None, None, None, None])
        _extend_post(slot, 0, text)


def _extend_post(slot: list[Any], position: int, text: str) -> None:
    token = slot[position]
    if token is None:
        slot[position] = CommentToken("\n" + text, CommentMark(0), None)
    else:
        token.value = token.value + text


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


class YamlDocument(ConfigDocument):
    kind = "yaml"

    def __init__(self, text: str, path: Path):
        super().__init__(path)
        self._original = text
        self._edited = False
        self._yaml = YAML(typ="rt")
        self._yaml.preserve_quotes = True
        self._yaml.width = 4096
        mapping, sequence, offset = detect_indent(text)
        self._yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                documents = list(self._yaml.load_all(text))
        except MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            message = " ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
            line = mark.line + 1 if mark is not None else None
            column = mark.column + 1 if mark is not None else None
            raise ConfigFileError(path, message, line, column) from None
        except YAMLError as exc:
            raise ConfigFileError(path, f"invalid YAML: {exc}") from None
        if len(documents) > 1:
            raise ConfigFileError(path, "holds several YAML documents; Switchover edits single-document files only")
        root = documents[0] if documents else None
        if root is None:
            root = CommentedMap()
        if not isinstance(root, CommentedMap):
            raise ConfigFileError(path, "the top level is not a mapping (key: value)", 1, 1)
        self._root: CommentedMap = root

    @property
    def data(self) -> Any:
        return _plain(self._root)

    def dumps(self) -> str:
        if not self._edited:
            return self._original
        buffer = io.StringIO()
        self._yaml.dump(self._root, buffer)
        text = buffer.getvalue()
        if text == "{}\n" and not self._root:
            return ""
        if "\r\n" in self._original:
            text = text.replace("\r\n", "\n").replace("\n", "\r\n")
        return text

    def _node(self, path: DocPath) -> Any:
        node: Any = self._root
        for segment in path:
            if isinstance(node, dict) and isinstance(segment, str):
                if segment not in node:
                    return None
                node = node[segment]
            elif isinstance(node, list) and isinstance(segment, int) and -len(node) <= segment < len(node):
                node = node[segment]
            else:
                return None
        return node

    def set(self, path: DocPath, value: Any) -> None:
        if not path:
            raise ValueError("cannot replace a whole YAML document")
        node: Any = self._root
        for depth, segment in enumerate(path[:-1]):
            if isinstance(node, dict) and isinstance(segment, str):
                if segment not in node or node[segment] is None:
                    self._assign(node, segment, nest(path[depth + 1 :], value))
                    return
                node = node[segment]
            elif isinstance(node, list) and isinstance(segment, int) and -len(node) <= segment < len(node):
                node = node[segment]
            else:
                raise self.shape_error(path[:depth], _plain(node))
        key = path[-1]
        if isinstance(node, dict) and isinstance(key, str):
            self._assign(node, key, value)
        elif isinstance(node, list) and isinstance(key, int) and -len(node) <= key < len(node):
            if _plain(node[key]) != value:
                node[key] = value
                self._edited = True
        else:
            raise self.shape_error(path[:-1], _plain(node))

    def _assign(self, node: dict[str, Any], key: str, value: Any) -> None:
        if key in node and _plain(node[key]) == value and type(_plain(node[key])) is type(value):
            return
        node[key] = value
        self._edited = True

    def delete(self, path: DocPath) -> bool:
        if not path:
            return False
        parent = self._node(path[:-1])
        key = path[-1]
        in_map = isinstance(parent, dict) and key in parent
        in_list = isinstance(parent, list) and isinstance(key, int) and -len(parent) <= key < len(parent)
        if not (in_map or in_list):
            return False
        if isinstance(parent, CommentedMap) and isinstance(key, str):
            _delete_keeping_comments(parent, key)
        else:
            del parent[key]
        self._edited = True
        return True

    def append(self, path: DocPath, value: Any) -> None:
        target = self._node(path)
        if target is None:
            self.set(path, CommentedSeq([value]))
            return
        if not isinstance(target, list):
            raise self.shape_error(path, _plain(target))
        target.append(value)
        self._edited = True
