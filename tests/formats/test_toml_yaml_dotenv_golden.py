"""Golden tests for TOML (tomlkit), YAML (ruamel round-trip) and .env editing."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from switchover.core.errors import ConfigFileError
from switchover.core.formats import load_bytes, load_document

P = Path("/home/u/cfg")

CODEX = """# my codex config
model = "gpt-5" # default
approval_policy = "on-request"

[model_providers.corp]
name = "Corp"
base_url = "https://corp.example/v1"

[tui]
notifications = true
"""


def test_toml_sets_owned_keys_and_keeps_the_rest() -> None:
    doc = load_document("toml", CODEX, P)
    doc.set(("model",), "deepseek-chat")
    doc.set(("model_provider",), "switchover")
    doc.set(("model_providers", "switchover", "base_url"), "http://127.0.0.1:8080/v1")
    doc.set(("model_providers", "switchover", "wire_api"), "responses")
    assert doc.dumps() == """# my codex config
model = "deepseek-chat" # default
approval_policy = "on-request"
model_provider = "switchover"

[model_providers.corp]
name = "Corp"
base_url = "https://corp.example/v1"

[model_providers.switchover]
base_url = "http://127.0.0.1:8080/v1"
wire_api = "responses"

[tui]
notifications = true
"""
    data = tomllib.loads(doc.dumps())
    assert data["model_providers"]["corp"]["base_url"] == "https://corp.example/v1"


def test_toml_delete_and_append() -> None:
    doc = load_document("toml", CODEX + 'extra = ["a"]\n', P)
    assert doc.delete(("model_providers", "corp"))
    doc.append(("tui", "extra"), "b")
    data = tomllib.loads(doc.dumps())
    assert "corp" not in data.get("model_providers", {})
    assert data["tui"]["extra"] == ["a", "b"]
    assert "# my codex config" in doc.dumps()


def test_toml_new_file() -> None:
    doc = load_bytes("toml", None, P)
    doc.set(("model_providers", "s", "auth", "command"), "/usr/bin/switchover")
    doc.set(("model",), "m")
    expected = {"model": "m", "model_providers": {"s": {"auth": {"command": "/usr/bin/switchover"}}}}
    assert tomllib.loads(doc.dumps()) == expected
    assert doc.dumps().startswith('model = "m"\n')


@pytest.mark.parametrize(
    ("text", "line"),
    [('a = 1\nb = 2\na = 3\n', 3), ('a = 1\nb = \n', 2), ('[t]\nx = "unterminated\n', 2)],
)
def test_toml_errors_name_the_line(text: str, line: int) -> None:
    with pytest.raises(ConfigFileError) as caught:
        load_document("toml", text, P)
    assert caught.value.line == line


AIDER = """# Aider settings
model: gpt-4o  # main model
weak-model: "gpt-4o-mini"
read:
    - CONVENTIONS.md
env-file: ~/.env
"""


def test_yaml_edits_keep_comments_quotes_and_indent() -> None:
    doc = load_document("yaml", AIDER, P)
    doc.set(("model",), "openai/deepseek-chat")
    doc.set(("weak-model",), "openai/deepseek-chat")
    doc.set(("openai-api-base",), "https://api.deepseek.com/v1")
    # Every edit is a splice: the comment keeps its spacing, the new key follows the file's layout.
    assert doc.dumps() == """# Aider settings
model: openai/deepseek-chat  # main model
weak-model: "openai/deepseek-chat"
read:
    - CONVENTIONS.md
env-file: ~/.env
openai-api-base: https://api.deepseek.com/v1
"""


def test_yaml_scalar_replacements_splice_the_text() -> None:
    text = (
        "# Aider settings\n"
        "model: gpt-4o  # main model\n"
        "weak-model: 'gpt-4o-mini'\n"
        "editor-model: \"x\"   # editor\n"
        "models:\n"
        "    - name: m   # first\n"
        "      apiBase: http://old\n"
    )
    doc = load_document("yaml", text, P)
    doc.set(("model",), "openai/deepseek-chat")
    doc.set(("weak-model",), "it's")  # cannot stay single-quoted
    doc.set(("editor-model",), "yes")  # would read as a boolean unquoted; it was double-quoted anyway
    doc.set(("models", 0, "apiBase"), "http://127.0.0.1:8080/v1")
    doc.set(("models", 0, "name"), "true")
    assert doc.dumps() == (
        "# Aider settings\n"
        "model: openai/deepseek-chat  # main model\n"
        "weak-model: \"it's\"\n"
        "editor-model: \"yes\"   # editor\n"
        "models:\n"
        "    - name: \"true\"   # first\n"
        "      apiBase: http://127.0.0.1:8080/v1\n"
    )
    assert YAML(typ="safe").load(doc.dumps())["models"][0] == {"name": "true", "apiBase": "http://127.0.0.1:8080/v1"}


def test_yaml_multiline_plain_scalar_is_reemitted_not_spliced() -> None:
    doc = load_document("yaml", "a: first part\n  continued here\nb: 1\n", P)
    doc.set(("a",), "short")
    assert YAML(typ="safe").load(doc.dumps()) == {"a": "short", "b": 1}


CONTINUE = """name: Local Assistant
version: 1.0.0
schema: v1
models:
  - name: Old
    provider: openai
    model: gpt-4o
    roles:
      - chat
  # a comment between models
  - name: Other
    provider: ollama
    model: llama3
"""


def test_yaml_list_edit_and_append() -> None:
    doc = load_document("yaml", CONTINUE, P)
    doc.set(("models", 0, "model"), "deepseek-chat")
    doc.append(("models",), {"name": "Switchover", "provider": "openai", "apiBase": "http://127.0.0.1:1/v1"})
    out = doc.dumps()
    assert "  # a comment between models\n" in out
    assert "    roles:\n      - chat\n" in out
    data = YAML(typ="safe").load(out)
    assert [m["name"] for m in data["models"]] == ["Old", "Other", "Switchover"]
    assert data["models"][0]["model"] == "deepseek-chat"


def test_yaml_untouched_document_is_byte_identical() -> None:
    text = "a:   1   # odd spacing\nb: [1,2]\n"
    doc = load_document("yaml", text, P)
    doc.set(("a",), 1)  # same value: nothing to do
    assert doc.dumps() == text


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [("a: 1\nb: 2\na: 3\n", 3, "duplicate key"), ("a: [1\nb: 2\n", 2, ""), ("- 1\n- 2\n", 1, "not a mapping")],
)
def test_yaml_errors_name_the_line(text: str, line: int, fragment: str) -> None:
    with pytest.raises(ConfigFileError) as caught:
        load_document("yaml", text, P)
    assert caught.value.line == line
    assert fragment in str(caught.value)


ENV = """# Gemini CLI environment
export GEMINI_API_KEY=old-key # rotated monthly
GOOGLE_GEMINI_BASE_URL="https://old.example"
OTHER='keep me'

"""


def test_dotenv_edits_values_in_place_and_appends_missing() -> None:
    doc = load_document("dotenv", ENV, P)
    doc.set(("GEMINI_API_KEY",), "new-key")
    doc.set(("GOOGLE_GEMINI_BASE_URL",), "http://127.0.0.1:9000")
    doc.set(("GEMINI_MODEL",), "gemini 2.5")
    assert doc.dumps() == """# Gemini CLI environment
export GEMINI_API_KEY=new-key # rotated monthly
GOOGLE_GEMINI_BASE_URL="http://127.0.0.1:9000"
OTHER='keep me'

GEMINI_MODEL='gemini 2.5'
"""
    assert load_document("dotenv", doc.dumps(), P).data["GEMINI_MODEL"] == "gemini 2.5"


def test_dotenv_without_final_newline_and_delete() -> None:
    doc = load_document("dotenv", "A=1\nB=2", P)
    doc.set(("C",), 'has "quotes" and \'apostrophes\'')
    assert doc.delete(("A",))
    assert not doc.delete(("A",))
    assert load_document("dotenv", doc.dumps(), P).data == {"B": "2", "C": 'has "quotes" and \'apostrophes\''}
    assert doc.dumps().startswith("B=2\nC=")


def test_dotenv_unterminated_quote_names_line() -> None:
    with pytest.raises(ConfigFileError) as caught:
        load_document("dotenv", "A=1\nB='open\n", P)
    assert caught.value.line == 2
