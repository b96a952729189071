"""safejson: network JSON parsed with a depth bound, deep nesting a ValueError (never a RecursionError)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from switchover.core import safejson


def nested(depth: int, open_: str = "[", close: str = "]") -> str:
    return open_ * depth + close * depth


@pytest.mark.parametrize("depth", [safejson.MAX_DEPTH + 1, 5_000, 200_000])
@pytest.mark.parametrize("kind", ["list", "dict", "mixed"])
def test_deep_nesting_is_a_value_error(depth: int, kind: str) -> None:
    if kind == "list":
        text = nested(depth)
    elif kind == "dict":
        text = '{"a":' * (depth - 1) + "{}" + "}" * (depth - 1)
    else:
        text = '[{"a":' * ((depth + 1) // 2) + "1" + "}]" * ((depth + 1) // 2)
    with pytest.raises(ValueError, match="nested too deeply"):
        safejson.loads(text)
    with pytest.raises(ValueError, match="nested too deeply"):
        safejson.loads(text.encode())


def test_nesting_up_to_the_bound_parses_and_brackets_in_strings_do_not_count() -> None:
    assert safejson.loads(nested(safejson.MAX_DEPTH)) == json.loads(nested(safejson.MAX_DEPTH))
    text = json.dumps({"text": "[" * 10_000, "list": [[1]]})
    assert safejson.loads(text)["list"] == [[1]]
    assert safejson.loads(bytearray(text.encode()))["text"] == "[" * 10_000


def test_a_wide_shallow_document_is_fine() -> None:
    wide = {"messages": [{"role": "user", "content": [{"type": "text", "text": str(i)}]} for i in range(5000)]}
    assert safejson.loads(json.dumps(wide)) == wide


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
                    max_leaves=40))
def test_agrees_with_json_on_documents_within_the_bound(value: object) -> None:
    text = json.dumps(value)
    assert safejson.loads(text) == json.loads(text)


@given(st.binary(max_size=300))
def test_any_bytes_parse_or_raise_value_error(data: bytes) -> None:
    try:
        value = safejson.loads(data)
    except ValueError:  # UnicodeDecodeError and JSONDecodeError are ValueErrors: "not JSON", never a crash
        return
    assert value == json.loads(data)


# ---------------------------------------------------------------- loads_object: members and where they are

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=25,
)


@given(st.dictionaries(st.text(max_size=8), json_values, max_size=6), st.booleans(), st.sampled_from(
    [None, 0, 2, "\t"]), json_values)
def test_loads_object_agrees_with_json_and_replaces_one_member_exactly(
        value: dict[str, object], ascii_only: bool, indent: int | str | None, new: object) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only, indent=indent)
    for data in (text, text.encode()):
        parsed = safejson.loads_object(data)
        assert parsed.value == json.loads(data) and not parsed.duplicates
        for member, (start, end) in parsed.spans.items():
            assert json.loads(parsed.text[start:end]) == value[member]
    replaced = safejson.loads_object(text).replaced("model", new)
    if "model" in value:
        assert replaced is not None and json.loads(replaced) == {**value, "model": new}
    else:
        assert replaced is None


@given(st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_loads_object_fails_exactly_where_json_does(data: bytes) -> None:
    try:
        expected = json.loads(data)
    except (ValueError, RecursionError):
        expected = None
    try:
        got = safejson.loads_object(data).value
    except ValueError:
        got = None
    assert got == (expected if isinstance(expected, dict) else None)


@pytest.mark.parametrize("text", [' {"model" : "a" , "x":[1,{"model":"inner"}] } ', '{"x":1,"model":"a"}',
                                  '\n{"model":"a"}\n'])
def test_the_top_level_member_is_replaced_not_a_nested_one(text: str) -> None:
    replaced = safejson.loads_object(text).replaced("model", "b")
    assert replaced is not None
    assert json.loads(replaced)["model"] == "b"
    assert replaced.replace('"b"', '"a"') == text  # every other byte as it was


def test_duplicates_and_bad_objects() -> None:
    twice = safejson.loads_object('{"model":"a","model":"b"}')
    assert twice.duplicates and twice.value == {"model": "b"} and twice.replaced("model", "c") is None
    for bad in ('[1]', '{"a":1', '{"a":1}x', '{"a" 1}', '{a:1}', '{"a":1,}', '\ufeff{}', '', '"x"'):
        with pytest.raises(ValueError):
            safejson.loads_object(bad)
    with pytest.raises(ValueError, match="nested too deeply"):
        safejson.loads_object('{"a":' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(ValueError, match="nested too deeply"):
        safejson.loads_object('{"a":' + "[" * 70 + "]" * 70 + "}")
    assert safejson.loads_object(b"\xef\xbb\xbf{}").value == {}  # bytes may carry a BOM, as with json.loads
    assert safejson.loads_object(b'{"a":"\\ud800"}').value == {"a": "\ud800"}
