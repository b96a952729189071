"""Property tests: editing an owned key changes that key only; the rest of the file is kept byte for byte.

Each generated document is checked against an independent parser (json, tomllib, ruamel safe loader, or a
small comment stripper for JSONC), never only against our own editor.
"""

from __future__ import annotations

import copy
import json
import random
import re
import tomllib
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from switchover.core.formats import load_document

P = Path("/tmp/generated")
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Generated keys never collide with the owned ones ("env", "OWNED", "owned", "sw").
keys = st.text(alphabet="abcxyz_-é\"\\/ ", min_size=1, max_size=6)
bare_keys = st.text(alphabet="abcxyz_", min_size=1, max_size=6)
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(10**9), 10**9)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
)
json_values = st.recursive(
    json_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3), max_leaves=10
)
owned_values = st.one_of(st.text(max_size=12), st.integers(), st.booleans(), st.lists(st.integers(), max_size=3))
# Existing owned values are scalars: comments *inside* an owned value are the owned value's own text.
owned_scalars = st.one_of(st.text(max_size=12), st.integers(), st.booleans())


def without(data: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    """`data` minus the owned key (and the owned parent when that is all it held)."""
    out = copy.deepcopy(data)
    node = out
    for segment in path[:-1]:
        if not isinstance(node.get(segment), dict):
            return out
        node = node[segment]
    node.pop(path[-1], None)
    if len(path) > 1 and out.get(path[0]) == {}:
        out.pop(path[0])
    return out


# -- JSON / JSONC ------------------------------------------------------------------------------------------


def render_jsonc(value: Any, unit: str, level: int, rnd: random.Random, comments: list[str], jsonc: bool) -> str:
    """Pretty JSON with (for JSONC) random line comments, block comments and trailing commas."""
    if not isinstance(value, (dict, list)) or not value:
        return json.dumps(value, ensure_ascii=False)
    pad, close = unit * (level + 1), unit * level
    entries = value.items() if isinstance(value, dict) else ((None, v) for v in value)
    lines = []
    for key, item in entries:
        line = ""
        if jsonc and rnd.random() < 0.3:
            comments.append(f"// c{len(comments)}")
            line += pad + comments[-1] + "\n"
        line += pad + ("" if key is None else json.dumps(key, ensure_ascii=False) + ": ")
        line += render_jsonc(item, unit, level + 1, rnd, comments, jsonc)
        lines.append(line)
    out = ""
    for i, line in enumerate(lines):
        last = i == len(lines) - 1
        comma = "," if not last or (jsonc and rnd.random() < 0.3) else ""
        tail = ""
        if jsonc and rnd.random() < 0.25:
            comments.append(f"/* b{len(comments)} */" if rnd.random() < 0.5 else f"// e{len(comments)}")
            tail = " " + comments[-1]
        out += line + comma + tail + "\n"
    brackets = "{}" if isinstance(value, dict) else "[]"
    return brackets[0] + "\n" + out + close + brackets[1]


def strip_jsonc(text: str) -> Any:
    """An independent JSONC reader: drop comments outside strings, drop trailing commas, then json.loads."""
    out, i, in_string = [], 0, False
    while i < len(text):
        ch = text[i]
        if in_string:
            out.append(ch)
            if ch == "\\":
                out.append(text[i + 1])
                i += 1
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
            out.append(ch)
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = len(text) if end < 0 else end
            continue
        elif text.startswith("/*", i):
            i = text.index("*/", i) + 2
            continue
        else:
            out.append(ch)
        i += 1
    return json.loads(re.sub(r",(\s*[}\]])", r"\1", "".join(out)))


def _json_case(kind: str, doc_data: dict[str, Any], seed: int, unit: str, existing: Any, new: Any) -> None:
    rnd = random.Random(seed)
    data = copy.deepcopy(doc_data)
    if existing is not None:
        data.setdefault("env", {})
        data["env"] = {**dict.fromkeys(["a"], 1), "OWNED": existing}
    comments: list[str] = []
    text = render_jsonc(data, unit, 0, rnd, comments, kind == "jsonc") + "\n"
    read = json.loads if kind == "json" else strip_jsonc
    assert read(text) == data  # the generator is sound

    doc = load_document(kind, text, P)
    assert doc.data == data
    path = ("env", "OWNED")
    doc.set(path, new)
    out = doc.dumps()
    after = read(out)
    assert after["env"]["OWNED"] == new
    assert without(after, path) == without(data, path)
    for comment in comments:
        assert comment in out
    if existing is not None:
        # Only the value's own text changed: everything before and after it is identical.
        prefix_end = text.index('"OWNED": ') + len('"OWNED": ')
        assert out[:prefix_end] == text[:prefix_end]
        old_value_text = json.dumps(existing, ensure_ascii=False)
        suffix = text[prefix_end + len(old_value_text) :] if text[prefix_end:].startswith(old_value_text) else None
        if suffix is not None:
            assert out.endswith(suffix)

    doc.delete(path)
    gone = read(doc.dumps())
    assert "OWNED" not in gone.get("env", {})
    assert without(gone, path) == without(data, path)


@SETTINGS
@given(st.dictionaries(keys, json_values, max_size=5), st.integers(0, 2**32), st.sampled_from(["  ", "    ", "\t"]),
       st.none() | owned_scalars, owned_values)
def test_json_owned_key_edit_keeps_everything_else(data: Any, seed: int, unit: str, existing: Any, new: Any) -> None:
    _json_case("json", data, seed, unit, existing, new)


@SETTINGS
@given(st.dictionaries(keys, json_values, max_size=5), st.integers(0, 2**32), st.sampled_from(["  ", "    ", "\t"]),
       st.none() | owned_scalars, owned_values)
def test_jsonc_owned_key_edit_keeps_comments(data: Any, seed: int, unit: str, existing: Any, new: Any) -> None:
    _json_case("jsonc", data, seed, unit, existing, new)


@SETTINGS
@given(st.dictionaries(keys, json_values, max_size=5), st.integers(0, 2**32))
def test_jsonc_roundtrip_without_edit_is_identical(data: Any, seed: int) -> None:
    text = render_jsonc(data, "  ", 0, random.Random(seed), [], True)
    assert load_document("jsonc", text, P).dumps() == text


# -- TOML ---------------------------------------------------------------------------------------------------

toml_scalars = (
    st.booleans()
    | st.integers(-(10**9), 10**9)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), max_size=8)
)
toml_tables = st.dictionaries(bare_keys, toml_scalars | st.lists(st.integers(), max_size=3), max_size=4)
toml_docs = st.dictionaries(bare_keys, toml_scalars | toml_tables, max_size=6)


def _with_comments(text: str, rnd: random.Random) -> tuple[str, list[str]]:
    lines, comments = [], []
    for line in text.splitlines(keepends=True):
        if rnd.random() < 0.3:
            comments.append(f"# c{len(comments)}\n")
            lines.append(comments[-1])
        lines.append(line)
    return "".join(lines), comments


def _is_subsequence(needles: list[str], haystack: list[str]) -> bool:
    it = iter(haystack)
    return all(any(n == h for h in it) for n in needles)


@SETTINGS
@given(toml_docs, st.integers(0, 2**32), st.booleans(), st.text(max_size=10), st.text(max_size=10))
def test_toml_owned_keys_edit_keeps_everything_else(data: Any, seed: int, existing: bool, model: str, url: str) -> None:
    import tomlkit

    doc_data = copy.deepcopy(data)
    if existing:
        doc_data["owned"] = "old"
        doc_data["sw"] = {"base_url": "old", "x": 1}
    text, comments = _with_comments(tomlkit.dumps(doc_data), random.Random(seed))
    assert tomllib.loads(text) == doc_data

    doc = load_document("toml", text, P)
    doc.set(("owned",), model)
    doc.set(("sw", "base_url"), url)
    out = doc.dumps()
    after = tomllib.loads(out)
    assert after["owned"] == model
    assert after["sw"]["base_url"] == url
    assert without(without(after, ("owned",)), ("sw", "base_url")) == without(
        without(doc_data, ("owned",)), ("sw", "base_url")
    )
    untouched = [line for line in text.splitlines() if not line.startswith(("owned =", "base_url ="))]
    assert _is_subsequence(untouched, out.splitlines())

    doc.delete(("owned",))
    doc.delete(("sw", "base_url"))
    gone = tomllib.loads(doc.dumps())
    assert "owned" not in gone
    assert "base_url" not in gone.get("sw", {})
    for comment in comments:
        assert comment in doc.dumps()


# -- YAML ---------------------------------------------------------------------------------------------------

yaml_text = st.text(
    alphabet=st.characters(blacklist_categories=["Cs", "Cc", "Zl", "Zp"], blacklist_characters="\x85\ufeff"),
    max_size=8,
)
yaml_scalars = st.booleans() | st.integers(-(10**9), 10**9) | yaml_text
# ruamel limitation (documented in yaml_doc): a comment line right after an empty (null) value nested in a
# list is lost when ruamel re-emits the file, so nulls appear only as top-level values here.
yaml_values = st.none() | st.recursive(
    yaml_scalars,
    lambda inner: st.lists(inner, min_size=1, max_size=3) | st.dictionaries(bare_keys, inner, min_size=1, max_size=3),
    max_leaves=8,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(bare_keys, yaml_values, min_size=1, max_size=5), st.integers(0, 2**32), st.booleans(), yaml_text,
       st.sampled_from([(2, 2, 0), (2, 4, 2), (4, 4, 2)]))
def test_yaml_owned_key_edit_keeps_everything_else(data: Any, seed: int, existing: bool, new: str,
                                                   indent: tuple[int, int, int]) -> None:
    import io

    doc_data = copy.deepcopy(data)
    if existing:
        doc_data["owned"] = "old"
    writer = YAML()
    writer.indent(mapping=indent[0], sequence=indent[1], offset=indent[2])
    writer.width = 4096
    buffer = io.StringIO()
    writer.dump(doc_data, buffer)
    text, comments = _with_comments(buffer.getvalue(), random.Random(seed))
    safe = YAML(typ="safe")
    assert (safe.load(text) or {}) == doc_data

    doc = load_document("yaml", text, P)
    doc.set(("owned",), new)
    out = doc.dumps()
    after = safe.load(out)
    assert after["owned"] == new
    assert without(after, ("owned",)) == without(doc_data, ("owned",))
    untouched = [line for line in text.splitlines() if not line.startswith("owned:")]
    assert _is_subsequence(untouched, out.splitlines())

    doc.delete(("owned",))
    gone = safe.load(doc.dumps()) or {}
    assert gone == without(doc_data, ("owned",))
    for comment in comments:
        assert comment.strip() in doc.dumps()


# -- .env ---------------------------------------------------------------------------------------------------

env_values = st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), max_size=12)


@SETTINGS
@given(st.dictionaries(st.from_regex(r"[A-Z][A-Z0-9_]{0,6}", fullmatch=True), env_values, max_size=5),
       st.integers(0, 2**32), env_values)
def test_dotenv_set_roundtrips_any_value(data: dict[str, str], seed: int, new: str) -> None:
    rnd = random.Random(seed)
    start = "".join(f"# note {i}\n" if rnd.random() < 0.3 else "" for i in range(3))
    doc = load_document("dotenv", start, P)
    for key, value in data.items():
        doc.set((key,), value)
    text = doc.dumps()
    reread = load_document("dotenv", text, P)
    assert reread.data == data
    reread.set(("OWNED_KEY",), new)
    out = reread.dumps()
    assert out.startswith(text)
    assert load_document("dotenv", out, P).data == {**data, "OWNED_KEY": new}


# -- minimal edits: adding and removing owned keys is a splice, so the round trip is byte for byte ------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(bare_keys, yaml_values, min_size=1, max_size=5), st.integers(0, 2**32),
       st.sampled_from([(2, 2, 0), (2, 4, 2), (4, 4, 2)]), st.sampled_from(["\n", "\r\n"]), yaml_text)
def test_yaml_add_then_remove_owned_keys_is_byte_identical(data: Any, seed: int, indent: tuple[int, int, int],
                                                           newline: str, new: str) -> None:
    import io

    writer = YAML()
    writer.indent(mapping=indent[0], sequence=indent[1], offset=indent[2])
    writer.width = 4096
    buffer = io.StringIO()
    writer.dump(data, buffer)
    text, _ = _with_comments(buffer.getvalue(), random.Random(seed))
    text = text.replace("\n", newline)
    doc = load_document("yaml", text, P)
    doc.set(("owned",), new)
    doc.set(("sw", "entry"), {"name": new, "roles": ["chat", "edit"]})
    out = doc.dumps()
    assert ("\n" not in out.replace("\r\n", "")) if newline == "\r\n" else ("\r" not in out)
    untouched = text.splitlines()
    assert _is_subsequence(untouched, out.splitlines())  # every line of the file is still there, unchanged
    after = YAML(typ="safe").load(out)
    assert after["owned"] == new and after["sw"] == {"entry": {"name": new, "roles": ["chat", "edit"]}}
    doc.delete(("sw",))
    doc.delete(("owned",))
    assert doc.dumps() == text


@SETTINGS
@given(toml_docs, st.integers(0, 2**32), st.sampled_from(["\n", "\r\n"]), st.text(max_size=10))
def test_toml_add_then_remove_owned_keys_is_byte_identical(data: Any, seed: int, newline: str, new: str) -> None:
    import tomlkit

    text, _ = _with_comments(tomlkit.dumps(data), random.Random(seed))
    text = text.replace("\n", newline)
    doc = load_document("toml", text, P)
    doc.set(("owned",), new)
    doc.set(("sw_providers", "switchover"), {"name": new, "auth": {"command": "x", "args": [new]}})
    out = doc.dumps()
    assert tomllib.loads(out)["sw_providers"]["switchover"]["auth"]["args"] == [new]
    if newline == "\r\n" and text:  # an empty file has no newline style: it gets LF
        assert "\n" not in out.replace("\r\n", "")
    assert _is_subsequence(text.splitlines(), out.splitlines())
    doc.delete(("sw_providers",))
    doc.delete(("owned",))
    assert doc.dumps() == text
