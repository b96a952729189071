"""Issue 15, findings 3-5: edits follow the file's own layout and never re-emit what they do not touch.

Each golden below was a layout change on the old editors: LF lines inserted into a CRLF file, a YAML delete
re-styling `True`/`False` and dropping `---` and trailing spaces, a new TOML table glued to the next one, an
extra blank line or an added final newline at the end, a `{}` settings file rewritten as one line.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from switchover.core.errors import ConfigFileError
from switchover.core.formats import load_bytes, load_document, to_bytes

P = Path("/home/u/config")
CODEX_TABLE = {"name": "DeepSeek (Switchover)", "base_url": "http://127.0.0.1:8080/v1", "wire_api": "responses",
               "auth": {"command": "/usr/bin/switchover", "args": ["key", "deepseek"]}}


def _codex_switch(text: str) -> str:
    doc = load_document("toml", text, P)
    doc.set(("model",), "deepseek-chat")
    doc.set(("model_provider",), "switchover")
    doc.set(("model_providers", "switchover"), CODEX_TABLE)
    return doc.dumps()


# -- finding 3: CRLF ---------------------------------------------------------------------------------------------


def test_toml_lines_inserted_into_a_crlf_file_use_crlf() -> None:
    text = '# codex\r\nmodel = "gpt-5"\r\n\r\n[tui]\r\nnotifications = true\r\n'
    out = _codex_switch(text)
    assert "\n" not in out.replace("\r\n", "")  # not one bare LF
    assert out == (
        '# codex\r\nmodel = "deepseek-chat"\r\nmodel_provider = "switchover"\r\n\r\n[tui]\r\nnotifications = true\r\n'
        '\r\n[model_providers.switchover]\r\nname = "DeepSeek (Switchover)"\r\nbase_url = "http://127.0.0.1:8080/v1"'
        '\r\nwire_api = "responses"\r\n\r\n[model_providers.switchover.auth]\r\ncommand = "/usr/bin/switchover"\r\n'
        'args = ["key", "deepseek"]\r\n'
    )
    assert tomllib.loads(out)["model_providers"]["switchover"] == CODEX_TABLE


def test_yaml_and_dotenv_lines_inserted_into_a_crlf_file_use_crlf() -> None:
    yaml = load_document("yaml", "models:\r\n  - name: Mine\r\n    model: gpt-4o\r\nschema: v1\r\n", P)
    yaml.insert(("models",), 0, {"name": "Switchover", "roles": ["chat"]})
    yaml.set(("version",), "1.0.0")
    assert yaml.dumps() == ("models:\r\n  - name: Switchover\r\n    roles:\r\n      - chat\r\n  - name: Mine\r\n"
                            "    model: gpt-4o\r\nschema: v1\r\nversion: \"1.0.0\"\r\n")
    dotenv = load_document("dotenv", "A=1\r\n", P)
    dotenv.set(("B",), "2")
    assert dotenv.dumps() == "A=1\r\nB=2\r\n"


# -- finding 4: YAML re-emission -----------------------------------------------------------------------------------

AIDER = (
    "---\n"
    "# Aider: my settings\n"
    "model: gpt-4o\n"
    "weak-model: gpt-4o-mini   \n"  # trailing spaces
    "dark-mode: True\n"
    "auto-commits: False  \n"
    "read: [CONVENTIONS.md,\n"
    "       NOTES.md]\n"
)


def test_yaml_delete_keeps_every_other_line_byte_for_byte() -> None:
    doc = load_document("yaml", AIDER, P)
    assert doc.delete(("weak-model",))
    assert doc.dumps() == AIDER.replace("weak-model: gpt-4o-mini   \n", "")


def test_yaml_new_keys_and_replacements_keep_styles_they_do_not_own() -> None:
    doc = load_document("yaml", AIDER, P)
    doc.set(("model",), "openai/deepseek-chat")
    doc.set(("openai-api-base",), "http://127.0.0.1:8080/v1")
    doc.delete(("weak-model",))
    assert doc.dumps() == AIDER.replace("model: gpt-4o\n", "model: openai/deepseek-chat\n").replace(
        "weak-model: gpt-4o-mini   \n", "") + "openai-api-base: http://127.0.0.1:8080/v1\n"
    assert YAML(typ="safe").load(doc.dumps())["dark-mode"] is True


def test_yaml_list_items_are_inserted_and_removed_as_lines() -> None:
    text = ("name: Local Assistant\nmodels:\n    # my main model\n    -   name: GPT\n        roles: [chat]\n"
            "    - name: Switchover\n      model: old\n# tail comment\ncontext: []\n")
    doc = load_document("yaml", text, P)
    doc.delete(("models", 1))
    assert doc.dumps() == text.replace("    - name: Switchover\n      model: old\n", "")
    doc.insert(("models",), 0, {"name": "Switchover", "model": "new"})
    assert doc.dumps() == ("name: Local Assistant\nmodels:\n    - name: Switchover\n      model: new\n"
                           "    # my main model\n    -   name: GPT\n        roles: [chat]\n# tail comment\n"
                           "context: []\n")


def test_yaml_edit_only_the_library_can_make_is_refused_when_it_would_damage_the_file() -> None:
    """Adding to a non-empty flow map needs ruamel to re-emit; ruamel would corrupt the list (a known bug)."""
    text = "providers: {openai: {model: gpt-4o}}\nextras:\n# my list\n- {}\n- false\n- []\n"
    doc = load_document("yaml", text, P)
    with pytest.raises(ConfigFileError, match="cannot edit this YAML file safely"):
        doc.set(("providers", "custom", "model"), "m")
    assert doc.dumps() == text
    doc.set(("GOOSE_MODEL",), "m")  # the document is still usable afterwards
    assert doc.dumps() == text + "GOOSE_MODEL: m\n"


def test_yaml_fallback_keeps_leading_document_marker_and_final_newline_state() -> None:
    doc = load_document("yaml", "---\nproviders: {openai: {model: gpt}}\nx: True", P)
    doc.set(("providers", "custom", "model"), "m")
    out = doc.dumps()
    assert out.startswith("---\n") and not out.endswith("\n")
    assert YAML(typ="safe").load(out) == {"providers": {"openai": {"model": "gpt"}, "custom": {"model": "m"}},
                                          "x": True}


# -- finding 5: small layout changes -------------------------------------------------------------------------------


def test_toml_new_table_keeps_a_blank_line_before_the_next_table() -> None:
    text = 'model = "gpt-5"\n\n[model_providers.corp]\nname = "Corp"\n\n[tui]\nnotifications = true\n'
    out = _codex_switch(text)
    assert '[model_providers.switchover.auth]\ncommand = "/usr/bin/switchover"\nargs = ["key", "deepseek"]\n\n[tui]' \
        in out
    assert out.startswith('model = "deepseek-chat"\nmodel_provider = "switchover"\n\n[model_providers.corp]\n'
                          'name = "Corp"\n\n[model_providers.switchover]\n')


def test_toml_no_extra_blank_line_at_the_end_and_final_newline_state_kept() -> None:
    with_newline = _codex_switch('model = "gpt-5"\n')
    assert with_newline.endswith('args = ["key", "deepseek"]\n')
    without = _codex_switch('model = "gpt-5"')
    assert without.endswith('args = ["key", "deepseek"]')
    assert tomllib.loads(without)["model"] == "deepseek-chat"


def test_toml_key_added_without_a_blank_line_the_file_did_not_have() -> None:
    doc = load_document("toml", 'model = "a"\n[tui]\nx = 1', P)
    doc.set(("model_provider",), "switchover")
    assert doc.dumps() == 'model = "a"\nmodel_provider = "switchover"\n[tui]\nx = 1'


def test_toml_switching_back_removes_only_what_was_added() -> None:
    text = '# codex\nmodel = "gpt-5" # mine\n\n[mcp_servers.docs]\n  command = "npx"\n  args = [\n    "a", # why\n  ]\n'
    switched = _codex_switch(text)
    doc = load_document("toml", switched, P)
    doc.set(("model",), "gpt-5")
    doc.delete(("model_provider",))
    doc.delete(("model_providers", "switchover"))
    assert doc.dumps() == text


@pytest.mark.parametrize("kind", ["yaml", "dotenv"])
def test_final_newline_state_is_kept(kind: str) -> None:
    text = {"yaml": "a: 1", "dotenv": "A=1"}[kind]
    doc = load_document(kind, text, P)
    doc.set(("B",), "2")
    assert doc.dumps() == {"yaml": 'a: 1\nB: "2"', "dotenv": "A=1\nB=2"}[kind]
    doc.delete(("B",))
    assert doc.dumps() == text


def test_empty_json_object_becomes_a_readable_file_not_one_line() -> None:
    for text in ("{}", "{}\n", "{ }\n"):
        doc = load_document("json", text, P)
        doc.set(("env", "ANTHROPIC_BASE_URL"), "http://127.0.0.1:8080")
        doc.set(("apiKeyHelper",), "switchover key x")
        out = doc.dumps()
        assert out.startswith('{\n  "env": {\n    "ANTHROPIC_BASE_URL": "http://127.0.0.1:8080"\n  },\n'), out
        assert out.endswith("\n") == text.endswith("\n")
        assert json.loads(out)["apiKeyHelper"] == "switchover key x"
    compact = load_document("json", '{"theme":"dark"}', P)  # a one-line file with content stays one line
    compact.set(("env",), {"A": "1"})
    assert compact.dumps() == '{"theme":"dark", "env":{"A":"1"}}'


def test_bom_and_crlf_survive_together() -> None:
    doc = load_bytes("toml", b'\xef\xbb\xbfmodel = "a"\r\n', P)
    doc.set(("model_provider",), "switchover")
    assert to_bytes(doc) == b'\xef\xbb\xbfmodel = "a"\r\nmodel_provider = "switchover"\r\n'
