"""YAML (Aider, Continue, Goose): ruamel.yaml parses; edits splice the text so untouched lines keep their bytes.

Replacing a scalar, adding or removing a key, and adding or removing a list item in block-style YAML are
line splices (`_yamltext`) at the positions ruamel reports, in the file's newline and indentation; each result
must re-parse to exactly the edited data with every comment kept. Anything else (flow style, anchors shared by
the edit, an empty map becoming non-empty) is made by ruamel's round-trip emitter instead, with the file's
indentation, newline, leading `---` and final-newline state kept. Known ruamel limits there: a longer value
pushes its end-of-line comment to one space after it, and a comment line right after an empty (null) value
inside a list can be lost (such files are refused, untouched).
"""

from __future__ import annotations

import io
import math
import re
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.error import CommentMark, MarkedYAMLError, YAMLError
from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString, SingleQuotedScalarString
from ruamel.yaml.tokens import CommentToken

from switchover.core.errors import ConfigFileError
from switchover.core.formats._yamltext import CannotSplice, YamlLines, render_scalar
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


def _scalar_end(line: str, col: int) -> int | None:
    """End of the scalar token starting at `col` on a block-style line, or None for anything unusual."""
    first = line[col]
    if first == "'":
        i = col + 1
        while True:
            j = line.find("'", i)
            if j < 0:
                return None
            if line[j + 1 : j + 2] == "'":
                i = j + 2
                continue
            return j + 1
    if first == '"':
        i = col + 1
        while i < len(line):
            if line[i] == "\\":
                i += 2
            elif line[i] == '"':
                return i + 1
            else:
                i += 1
        return None
    if first in "|>&*!{[#%@`":
        return None
    comment = re.search(r"\s#", line[col:])
    end = col + comment.start() if comment else len(line)
    return len(line[:end].rstrip(" \t"))


# Strings a YAML 1.1 reader (PyYAML, as Aider uses) would take for a bool, null, number or merge key if
# written plain; ruamel follows YAML 1.2 and would write some of them plain.
_AMBIGUOUS_11 = re.compile(r"^(?:[-+.]?[0-9].*|\.(?:inf|nan)|<<|=|y|n|yes|no|true|false|on|off|null|~)$",
                           re.IGNORECASE | re.DOTALL)


def _protect(value: Any) -> Any:
    """`value` with every string that plain YAML would misread marked to be written single-quoted."""
    if isinstance(value, str) and not isinstance(value, (LiteralScalarString, FoldedScalarString)):
        return SingleQuotedScalarString(value) if _AMBIGUOUS_11.match(value) and value.isprintable() else value
    if isinstance(value, CommentedMap | CommentedSeq):
        return value
    if isinstance(value, dict):
        return {k: _protect(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_protect(v) for v in value]
    return value


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
        if _is_block(node[last]):
            _attach_after_last(node[last], text)
            return
        slot = node.ca.items.setdefault(last, [None, None, None, None])
        _extend_post(slot, 2, text)
    elif isinstance(node, CommentedSeq) and node:
        last_index = len(node) - 1
        if _is_block(node[last_index]):
            _attach_after_last(node[last_index], text)
            return
        slot = node.ca.items.setdefault(last_index, [None, None, None, None])
        _extend_post(slot, 0, text)


def _is_block(node: Any) -> bool:
    """A non-empty block-style collection: where ruamel keeps the lines after it (not `[a, b]` or `{a: 1}`)."""
    return isinstance(node, (CommentedMap, CommentedSeq)) and bool(node) and not node.fa.flow_style()


def _take_trailing_lines(node: Any) -> str:
    """Remove and return the full lines (blank or comment) ruamel keeps after the last item of `node`.

    They belong to what follows the block (e.g. the blank line before the next section), not to its last
    item, so they must stay at the block's end when that item is removed or another is appended.
    """
    if isinstance(node, CommentedMap) and node:
        last: Any = list(node.keys())[-1]
        position = 2
    elif isinstance(node, CommentedSeq) and node:
        last, position = len(node) - 1, 0
    else:
        return ""
    if _is_block(node[last]):
        return _take_trailing_lines(node[last])
    slot = node.ca.items.get(last)
    token = slot[position] if slot and len(slot) > position else None
    if token is None or "\n" not in token.value:
        return ""
    head, tail = str(token.value).split("\n", 1)
    token.value = head + "\n"
    return tail


def _commented(value: Any) -> Any:
    """Plain dicts and lists as ruamel's commented types, so trailing lines can be attached inside them."""
    if isinstance(value, dict) and not isinstance(value, CommentedMap):
        return CommentedMap((k, _commented(v)) for k, v in value.items())
    if isinstance(value, list) and not isinstance(value, CommentedSeq):
        return CommentedSeq(_commented(v) for v in value)
    return value


def _extend_post(slot: list[Any], position: int, text: str) -> None:
    token = slot[position]
    if token is None:
        slot[position] = CommentToken("\n" + text, CommentMark(0), None)
    else:
        token.value = token.value + text


# Aliases share nodes, so a few lines can stand for billions of values ("billion laughs"); reading such a file
# as plain data would never finish. Real configs expand to hundreds.
MAX_EXPANDED_VALUES = 100_000


def _expanded_size(root: Any) -> int:
    """How many values `root` has with every alias expanded; counted once per shared node, so it is fast."""
    sizes: dict[int, int] = {}

    def size(node: Any) -> int:
        if not isinstance(node, dict | list):
            return 1
        known = sizes.get(id(node))
        if known is not None:
            return known
        sizes[id(node)] = 1  # a recursive alias refers back to itself: count it once
        children = node.values() if isinstance(node, dict) else node
        total = 1 + sum(size(child) for child in children)
        sizes[id(node)] = min(total, MAX_EXPANDED_VALUES + 1)
        return sizes[id(node)]

    return size(root)


def _comparable(node: Any) -> Any:
    """Plain data for comparing two loads of a document; tagged scalars (`!custom x`) compare by tag and value."""
    if isinstance(node, dict):
        return {str(k): _comparable(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_comparable(v) for v in node]
    if isinstance(node, TaggedScalar):
        return ("tagged", str(node.tag.value if hasattr(node.tag, "value") else node.tag), str(node.value))
    return node


def _comment_lines(text: str) -> Counter[str]:
    return Counter(line.strip() for line in text.splitlines() if line.lstrip().startswith("#"))


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
        self._text = text
        self._indent = detect_indent(text)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                documents = list(self._loader().load_all(text))
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
        if _expanded_size(root) > MAX_EXPANDED_VALUES:
            raise ConfigFileError(path, f"uses YAML aliases that expand to more than {MAX_EXPANDED_VALUES} values "
                                        "(an alias bomb?)")
        self._root: CommentedMap = root

    def _loader(self) -> YAML:
        yaml = YAML(typ="rt")
        yaml.preserve_quotes = True
        yaml.width = 4096
        mapping, sequence, offset = self._indent
        yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
        return yaml

    def _load(self, text: str) -> CommentedMap:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            root = self._loader().load(text)
        return CommentedMap() if root is None else root

    @property
    def data(self) -> Any:
        return _plain(self._root)

    def dumps(self) -> str:
        return self._text

    # -- one edit: a checked splice, else ruamel ------------------------------------------------------------------

    def _edit(self, expected: Any, splice: Any, tree: Any) -> None:
        """Make one edit: `splice()` gives the new text (checked), else `tree()` edits ruamel's tree to re-emit."""
        try:
            text = splice(YamlLines(self._text, *self._indent))
            root = self._load(text)
            if _comparable(root) == expected and _comment_lines(self._text) <= _comment_lines(text):
                self._text, self._root = text, root
                return
        except (CannotSplice, YAMLError):
            pass
        tree()
        try:
            self._text = self._emit()
        finally:  # refused: the tree goes back to what the (untouched) text says
            self._root = self._load(self._text)

    def _emit(self) -> str:
        yaml = self._loader()
        if re.match(r"---(\s|$)", self._text):
            yaml.explicit_start = True
        buffer = io.StringIO()
        yaml.dump(self._root, buffer)
        text = buffer.getvalue()
        if text in ("{}\n", "--- {}\n") and not self._root:
            return ""
        self._check_reemitted(text)
        if "\r\n" in self._text:
            text = text.replace("\r\n", "\n").replace("\n", "\r\n")
        if self._text and not self._text.endswith("\n"):
            text = text.rstrip("\r\n")
        return text

    def _check_reemitted(self, text: str) -> None:
        """Refuse rather than write a file ruamel re-emitted wrongly.

        ruamel.yaml has round-trip bugs: a comment before the first item of a sequence holding `{}` / `[]`
        re-emits as `- false - []` (invalid YAML), and a comment after a nested sequence ending in an empty
        item is dropped. So the new text must parse to exactly the edited data and keep every full-line comment.
        """
        problem = None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                reloaded = YAML(typ="rt").load(text)
        except YAMLError:
            problem = "the re-written YAML would not parse"
        else:
            if _comparable(reloaded if reloaded is not None else CommentedMap()) != _comparable(self._root):
                problem = "the re-written YAML would mean something else"
            elif not _comment_lines(self._text) <= _comment_lines(text):
                problem = "a comment would be lost"
        if problem:
            raise ConfigFileError(self.path, f"Switchover cannot edit this YAML file safely ({problem}; a limitation "
                                             "of the YAML library around comments next to empty lists or maps)")

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

    def _expected(self, change: Any) -> Any:
        data = _comparable(self._root)
        change(data)
        return data

    # -- the editing API ----------------------------------------------------------------------------------------

    def set(self, path: DocPath, value: Any) -> None:
        if not path:
            raise ValueError("cannot replace a whole YAML document")
        value = _protect(value)
        node: Any = self._root
        for depth, segment in enumerate(path[:-1]):
            if isinstance(node, dict) and isinstance(segment, str):
                empty = segment in node and isinstance(node[segment], CommentedMap) and not node[segment]
                if segment not in node or node[segment] is None or empty:  # `key:` / `key: {}` gets a block
                    self._assign(path[:depth], node, segment, nest(path[depth + 1 :], value))
                    return
                node = node[segment]
            elif isinstance(node, list) and isinstance(segment, int) and -len(node) <= segment < len(node):
                node = node[segment]
            else:
                raise self.shape_error(path[:depth], _plain(node))
        key = path[-1]
        if isinstance(node, dict) and isinstance(key, str):
            self._assign(path[:-1], node, key, value)
        elif isinstance(node, list) and isinstance(key, int) and -len(node) <= key < len(node):
            if _plain(node[key]) != value:
                def change(data: Any) -> None:
                    _walk_plain(data, path[:-1])[key] = _comparable(value)

                def tree() -> None:
                    node[key] = value

                self._edit(self._expected(change), _no_splice, tree)
        else:
            raise self.shape_error(path[:-1], _plain(node))

    def _assign(self, where: DocPath, node: Any, key: str, value: Any) -> None:
        old = node.get(key) if key in node else _ABSENT
        if old is not _ABSENT and _plain(old) == value and type(_plain(old)) is type(value):
            return
        if (isinstance(old, CommentedMap) and old and isinstance(value, dict) and value
                and not old.fa.flow_style()):
            self._merge((*where, key), old, value)
            return

        def change(data: Any) -> None:
            _walk_plain(data, where)[key] = _comparable(value)

        def tree() -> None:
            node[key] = value

        self._edit(self._expected(change), lambda lines: self._splice_assign(lines, node, key, value, old), tree)

    def _merge(self, path: DocPath, old: CommentedMap, value: dict[str, Any]) -> None:
        """Make the mapping at `path` equal `value` key by key, so unchanged keys keep their lines."""
        for key in [k for k in old if k not in value]:
            self.delete((*path, key))
        for key, item in value.items():
            self.set((*path, key), item)

    def _splice_assign(self, lines: YamlLines, node: Any, key: str, value: Any, old: Any) -> str:
        if old is not _ABSENT:
            if old is None or (isinstance(old, (CommentedMap, CommentedSeq)) and not old):
                return self._fill_empty(lines, node, key, value)
            splice = self._scalar_splice(lines, node, key, value)
            if splice is None:
                raise CannotSplice("not a plain scalar replacement")
            line, column, length, text = splice
            offset = lines.offset_of(line) + column
            return lines.text[:offset] + text + lines.text[offset + length :]
        if not isinstance(node, CommentedMap):
            raise CannotSplice("not a mapping")
        keys = list(node)
        if not keys:
            if node is not self._root or any(not lines.neutral(i) and not lines.content(i).startswith("---")
                                             for i in range(len(lines.lines))):
                raise CannotSplice("an empty mapping written in flow style")
            last = len(lines.lines) - (2 if lines.text.endswith("\n") else 1)
            return lines.insert_after(last, lines.render_entry(key, value, 0))
        _, end, column = lines.key_block(node, str(keys[-1]))
        return lines.insert_after(end, lines.render_entry(key, value, column))

    def _fill_empty(self, lines: YamlLines, node: Any, key: str, value: Any) -> str:
        """`key:` with nothing after it (null), or `key: {}` / `key: []`, gets a nested block below it."""
        first, end, column = lines.key_block(node, key)
        match = re.fullmatch(r"(.*?:)([ \t]*(?:\{\}|\[\])?)([ \t]*#.*)?", lines.content(first))
        if end != first or match is None or not isinstance(value, (dict, list)) or not value:
            raise CannotSplice("not an empty value on its key's line")
        if isinstance(value, dict):
            block = lines.render_mapping(value, column + lines.mapping)
        else:
            block = lines.render_sequence(value, column + lines.offset)
        line = match.group(1) + (match.group(3) or "")
        return lines.splice_lines(first, first + 1, [line, *block])

    def _scalar_splice(self, lines: YamlLines, node: Any, key: str, value: Any) -> tuple[int, int, int, str] | None:
        """Where the old scalar sits in the text and what replaces it; None when unsure."""
        if not isinstance(node, CommentedMap) or key not in node or node.fa.flow_style():
            return None
        old = node[key]
        if old is None or isinstance(old, (dict, list, LiteralScalarString, FoldedScalarString)):
            return None
        if not isinstance(value, (str, int, float)) or (isinstance(value, float) and not math.isfinite(value)):
            return None
        try:
            line, col = node.lc.value(key)
            key_col = node.lc.key(key)[1]
        except (AttributeError, KeyError, TypeError, IndexError):
            return None
        if line >= len(lines.lines) - (1 if lines.text.endswith("\n") else 0):
            return None
        text = lines.content(line)
        if col >= len(text):
            return None
        following = lines.content(line + 1) if line + 1 < len(lines.lines) else ""
        continued = following.strip() and not following.lstrip().startswith("#")
        if continued and len(following) - len(following.lstrip(" ")) > key_col:
            return None  # a plain scalar continued on the next line
        end = _scalar_end(text, col)
        if end is None:
            return None
        quote = text[col] if text[col] in "'\"" else ""
        rendered = render_scalar(value, quote)
        return None if rendered is None else (line, col, end - col, rendered)

    def delete(self, path: DocPath) -> bool:
        if not path:
            return False
        parent = self._node(path[:-1])
        key = path[-1]
        in_map = isinstance(parent, dict) and key in parent
        in_list = isinstance(parent, list) and isinstance(key, int) and -len(parent) <= key < len(parent)
        if not (in_map or in_list):
            return False

        def change(data: Any) -> None:
            del _walk_plain(data, path[:-1])[key]

        def tree() -> None:
            if isinstance(parent, CommentedMap) and isinstance(key, str):
                _delete_keeping_comments(parent, key)
            elif isinstance(parent, CommentedSeq) and isinstance(key, int) and key % len(parent) == len(parent) - 1:
                trailing = _take_trailing_lines(parent)
                del parent[key]
                if trailing:
                    _attach_after_last(parent, trailing)
            else:
                del parent[key]

        self._edit(self._expected(change), lambda lines: self._splice_delete(lines, parent, key), tree)
        return True

    def _splice_delete(self, lines: YamlLines, parent: Any, key: Any) -> str:
        if isinstance(parent, CommentedMap):
            if len(parent) == 1 and parent is not self._root:
                raise CannotSplice("the mapping would become {}")
            first, end, column = lines.key_block(parent, str(key))
            if lines.content(first)[:column].strip():
                raise CannotSplice("the key shares its line with a list dash")
            return lines.splice_lines(first, end + 1, [])
        if isinstance(parent, CommentedSeq):
            if len(parent) == 1:
                raise CannotSplice("the list would become []")
            first, end, _ = lines.item_block(parent, key % len(parent))
            return lines.splice_lines(first, end + 1, [])
        raise CannotSplice("not a block collection")

    def insert(self, path: DocPath, index: int, value: Any) -> None:
        """Insert `value` into the list at `path` before item `index` (`len` or more: at the end)."""
        value = _protect(value)
        target = self._node(path)
        if target is None:
            self.set(path, [value])
            return
        if not isinstance(target, list):
            raise self.shape_error(path, _plain(target))
        at = max(0, min(index, len(target)))

        def change(data: Any) -> None:
            _walk_plain(data, path).insert(at, _comparable(value))

        def tree() -> None:
            if at >= len(target):
                trailing = _take_trailing_lines(target)
                target.append(_commented(value))
                if trailing:
                    _attach_after_last(target, trailing)
            else:
                target.insert(at, _commented(value))

        self._edit(self._expected(change), lambda lines: self._splice_insert(lines, target, at, value), tree)

    def _splice_insert(self, lines: YamlLines, target: Any, at: int, value: Any) -> str:
        if not isinstance(target, CommentedSeq) or not target:
            raise CannotSplice("an empty or flow-style list")
        if at >= len(target):
            _, end, dash = lines.item_block(target, len(target) - 1)
            return lines.insert_after(end, lines.render_item(value, dash))
        first, _, dash = lines.item_block(target, at)
        return lines.insert_after(lines.comments_above(first) - 1, lines.render_item(value, dash))

    def append(self, path: DocPath, value: Any) -> None:
        target = self._node(path)
        self.insert(path, len(target) if isinstance(target, list) else 0, value)


class _Absent:
    pass


_ABSENT: Any = _Absent()


def _no_splice(_: YamlLines) -> str:
    raise CannotSplice("edited by ruamel")


def _walk_plain(data: Any, path: DocPath) -> Any:
    node = data
    for segment in path:
        node = node[segment]
    return node
