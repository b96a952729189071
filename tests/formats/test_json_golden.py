"""Golden tests: strict JSON and JSONC edits keep every byte we do not own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from switchover.core.errors import ConfigFileError
from switchover.core.formats import load_bytes, load_document, to_bytes

P = Path("/home/u/.claude/settings.json")

CLAUDE = """{
    "permissions": {
        "allow": ["Bash(ls:*)"]
    },
    "env": {
        "API_TIMEOUT_MS": "600000"
    },
    "theme": "dark"
}
"""


def test_set_existing_and_new_keys_keeps_layout() -> None:
    doc = load_document("json", CLAUDE, P)
    doc.set(("env", "ANTHROPIC_BASE_URL"), "https://api.deepseek.com/anthropic")
    doc.set(("env", "API_TIMEOUT_MS"), "900000")
    assert doc.dumps() == """{
    "permissions": {
        "allow": ["Bash(ls:*)"]
    },
    "env": {
        "API_TIMEOUT_MS": "900000",
        "ANTHROPIC_BASE_URL": "https://api.deepseek.com/anthropic"
    },
    "theme": "dark"
}
"""


def test_creates_intermediate_objects_with_file_indent() -> None:
    doc = load_document("json", '{\n\t"a": 1\n}\n', P)
    doc.set(("env", "X"), "y")
    assert doc.dumps() == '{\n\t"a": 1,\n\t"env": {\n\t\t"X": "y"\n\t}\n}\n'
    assert json.loads(doc.dumps()) == {"a": 1, "env": {"X": "y"}}


def test_delete_last_member_removes_previous_comma() -> None:
    doc = load_document("json", CLAUDE, P)
    assert doc.delete(("theme",))
    assert doc.dumps().endswith('        "API_TIMEOUT_MS": "600000"\n    }\n}\n')
    assert json.loads(doc.dumps()) == {"permissions": {"allow": ["Bash(ls:*)"]}, "env": {"API_TIMEOUT_MS": "600000"}}
    assert not doc.delete(("theme",))


def test_delete_only_member_leaves_empty_object() -> None:
    doc = load_document("json", CLAUDE, P)
    doc.delete(("env", "API_TIMEOUT_MS"))
    assert '"env": {}' in doc.dumps()


def test_compact_file_stays_compact() -> None:
    doc = load_document("json", '{"a":1,"b":{"c":2}}', P)
    doc.set(("b", "d"), [1, 2])
    doc.delete(("a",))
    assert doc.dumps() == '{"b":{"c":2, "d":[1, 2]}}'  # the file's own ":" spacing


def test_unchanged_value_keeps_spelling() -> None:
    doc = load_document("json", '{"n": 1.50}', P)
    doc.set(("n",), 1.5)
    assert doc.dumps() == '{"n": 1.50}'


def test_crlf_newlines_are_kept() -> None:
    doc = load_document("json", '{\r\n  "a": 1\r\n}\r\n', P)
    doc.set(("b",), True)
    assert doc.dumps() == '{\r\n  "a": 1,\r\n  "b": true\r\n}\r\n'


def test_empty_file_becomes_pretty_object() -> None:
    doc = load_bytes("json", None, P)
    doc.set(("env", "A"), "b")
    assert doc.dumps() == '{\n  "env": {\n    "A": "b"\n  }\n}\n'


def test_append_to_list() -> None:
    doc = load_document("json", '{\n  "l": [\n    1\n  ]\n}\n', P)
    doc.append(("l",), {"x": 1})
    doc.append(("m",), 5)
    assert json.loads(doc.dumps()) == {"l": [1, {"x": 1}], "m": [5]}
    assert doc.dumps().startswith('{\n  "l": [\n    1,\n    {\n      "x": 1\n    }\n  ],')


def test_bom_is_kept() -> None:
    doc = load_bytes("json", b'\xef\xbb\xbf{"a": 1}', P)
    doc.set(("a",), 2)
    assert to_bytes(doc) == b'\xef\xbb\xbf{"a": 2}'


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ('{\n  "a": 1,\n}\n', 2, "trailing comma"),
        ('{\n  // note\n  "a": 1\n}\n', 2, "comments are not allowed"),
        ('{\n  "a": 1,\n  "b": 2,\n  "a": 3\n}\n', 4, "duplicate key 'a' (first defined on line 2)"),
        ('{\n  "a": 1\n  "b": 2\n}\n', 3, "expected ','"),
        ('{\n  "a": tru\n}\n', 2, "expected a value"),
        ('{\n  "a": "x\n', 2, "string"),
        ("[1, 2", 1, "']' missing"),
    ],
)
def test_strict_json_errors_name_the_line(text: str, line: int, fragment: str) -> None:
    with pytest.raises(ConfigFileError) as caught:
        load_document("json", text, P)
    assert caught.value.line == line
    assert fragment in str(caught.value)
    assert str(P) in str(caught.value)


def test_non_utf8_is_a_clear_error() -> None:
    with pytest.raises(ConfigFileError) as caught:
        load_bytes("json", b'{\n"a": "\xff"}', P)
    assert "not UTF-8" in str(caught.value)
    assert caught.value.line == 2


def test_shape_error_when_intermediate_is_not_an_object() -> None:
    doc = load_document("json", '{\n  "env": "oops"\n}\n', P)
    with pytest.raises(ConfigFileError) as caught:
        doc.set(("env", "A"), "b")
    assert "env is a str" in str(caught.value)
    assert caught.value.line == 2


ZED = """// Zed settings
//
// For information on how to configure Zed, see the Zed docs.
{
  "theme": "One Dark", // my theme
  /* fonts */
  "buffer_font_size": 15,
  "language_models": {
    "openai_compatible": {
      // keep this provider
      "Old": { "api_url": "https://old.example/v1", "available_models": [] },
    },
  },
  "agent": {
    "default_model": {
      "provider": "Old",
      "model": "m1" // pinned
    }
  },
}
"""


def test_jsonc_edits_keep_comments_and_trailing_commas() -> None:
    doc = load_document("jsonc", ZED, P)
    doc.set(("agent", "default_model", "model"), "deepseek-chat")
    doc.set(("agent", "default_model", "provider"), "switchover-deepseek")
    doc.set(
        ("language_models", "openai_compatible", "switchover-deepseek"),
        {"api_url": "https://api.deepseek.com/v1", "available_models": [{"name": "deepseek-chat"}]},
    )
    out = doc.dumps()
    for comment in ("// Zed settings", "// my theme", "/* fonts */", "// keep this provider", "// pinned"):
        assert comment in out
    assert '"model": "deepseek-chat" // pinned' in out
    assert '      "Old": { "api_url": "https://old.example/v1", "available_models": [] },\n' in out
    assert '      "switchover-deepseek": {\n        "api_url": "https://api.deepseek.com/v1",' in out
    reparsed = load_document("jsonc", out, P).data
    assert reparsed["language_models"]["openai_compatible"]["Old"]["api_url"] == "https://old.example/v1"
    assert reparsed["agent"]["default_model"] == {"provider": "switchover-deepseek", "model": "deepseek-chat"}


def test_jsonc_delete_keeps_neighbour_comments() -> None:
    doc = load_document("jsonc", ZED, P)
    doc.delete(("language_models", "openai_compatible", "Old"))
    out = doc.dumps()
    assert "// keep this provider" in out
    assert "Old" not in out.split('"agent"')[0]
    assert load_document("jsonc", out, P).data["language_models"] == {"openai_compatible": {}}


def test_jsonc_duplicate_key_and_unterminated_comment() -> None:
    with pytest.raises(ConfigFileError, match="duplicate key"):
        load_document("jsonc", '{\n "a": 1, // x\n "a": 2\n}', P)
    with pytest.raises(ConfigFileError, match="unterminated") as caught:
        load_document("jsonc", '{\n "a": 1 /* x\n}', P)
    assert caught.value.line == 2


def test_jsonc_comment_only_file_gets_object_after_comments() -> None:
    doc = load_document("jsonc", "// nothing yet\n", P)
    doc.set(("model", "name"), "gemini-2.5-pro")
    assert doc.dumps() == '// nothing yet\n{\n  "model": {\n    "name": "gemini-2.5-pro"\n  }\n}\n'
