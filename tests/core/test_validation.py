"""The input grammar in `switchover.core.validation`: what each kind of value may hold, and the messages."""

from __future__ import annotations

from dataclasses import replace

import pytest
from tests.reliability.hostile_strings import HOSTILE, UNUSUAL_BUT_VALID

from switchover.core import validation
from switchover.core.errors import ValidationError
from switchover.core.providers import Credential, Endpoint, Protocol, Provider

GOOD_MODELS = ("deepseek-chat", "claude-sonnet-4-5", "qwen3-coder:latest", "meta-llama/Llama-3.3-70B-Instruct",
               "models/gemini-2.5-pro", "gpt-4o@2024-08-06", "模型", *UNUSUAL_BUT_VALID)


@pytest.mark.parametrize("model", GOOD_MODELS)
def test_real_and_unusual_model_ids_are_accepted(model: str) -> None:
    assert validation.model_id(model) == model


@pytest.mark.parametrize(("value", "why"), [
    ("", "is empty"),
    ("a b", "U+0020 SPACE (whitespace)"),
    ("a\nb", "U+000A LINE FEED (a line separator)"),
    ("a\x0bb", "U+000B VERTICAL TAB (a line separator)"),
    ("a\u2028b", "U+2028 LINE SEPARATOR (a line separator)"),
    ("a\u2029b", "U+2029 PARAGRAPH SEPARATOR (a line separator)"),
    ("a\x85b", "U+0085 NEXT LINE (a line separator)"),
    ("a\x9bb", "U+009B CONTROL SEQUENCE INTRODUCER (a control character)"),
    ("a\x1b[2J", "U+001B ESCAPE (a control character)"),
    ("a\x00", "U+0000 NUL (a control character)"),
    ("a\u202eb", "U+202E RIGHT-TO-LEFT OVERRIDE (an invisible format character)"),
    ("{file:/etc/passwd}", "'{' (expanded by some tools or shells)"),
    ("${HOME}", "'$' (expanded by some tools or shells)"),
    ("`id`", "'`' (expanded by some tools or shells)"),
    ("m" * 257, "is 257 characters long; at most 256"),
])
def test_bad_model_ids_are_refused_with_the_reason(value: str, why: str) -> None:
    with pytest.raises(ValidationError) as info:
        validation.model_id(value, "model of deepseek")
    message = str(info.value)
    assert message.startswith("Invalid model of deepseek ")
    assert why in message
    assert "\n" not in message and "\x1b" not in message and "\u2028" not in message  # the value is escaped


def test_every_corpus_string_is_classified_and_the_refusals_are_printable() -> None:
    refused = 0
    for name, value in HOSTILE:
        problem = validation.model_id_problem(value)
        if problem is None:
            assert validation.model_id(value) == value, name
            continue
        refused += 1
        with pytest.raises(ValidationError) as info:
            validation.model_id(value)
        assert str(info.value).isprintable(), name
        assert len(str(info.value)) < 400, name
    assert refused >= 40


def test_a_model_list_keeps_valid_ids_and_notes_each_dropped_one() -> None:
    kept, notes = validation.split_model_ids(["good-1", "bad\nid", 7, "{env:HOME}", "good-2"])
    assert kept == ("good-1", "good-2")
    assert len(notes) == 3
    assert "'bad\\nid'" in notes[0] and "line separator" in notes[0]
    assert "(int)" in notes[1] and "must be text" in notes[1]
    assert "'{env:HOME}'" in notes[2]


@pytest.mark.parametrize("url", ["https://api.deepseek.com/anthropic", "http://127.0.0.1:11434",
                                 "http://[::1]:8080/v1", "https://x.example/v1?key=a&b=c#frag",
                                 "https://xn--e1afmkfd.xn--p1ai/v1"])
def test_good_urls(url: str) -> None:
    assert validation.url(url) == url


@pytest.mark.parametrize(("url", "why"), [
    ("https://api.example.com/v1 ", "whitespace"),
    ("https://api.example.com/\tv1", "whitespace"),
    ("https://api.example.com/v1\n", "line separator"),
    ("https://api.example.com/{file:/etc/passwd}", "expanded"),
    ("https://api.example.com/${HOME}", "expanded"),
    ("https://пример.рф/v1", "xn-- form"),
    ('https://api.example.com/"', "percent-encode"),
    ("ftp://api.example.com", "not an http(s) URL"),
    ("https://", "not an http(s) URL"),
    ("https://user:pw@api.example.com", "user name or password"),
    ("https://api.example.com:99999", "not a valid URL"),
    ("", "is empty"),
    ("https://a.example/" + "x" * 2048, "at most 2048"),
])
def test_bad_urls(url: str, why: str) -> None:
    with pytest.raises(ValidationError, match="Invalid models URL") as info:
        validation.url(url, "models URL")
    assert why in str(info.value)


@pytest.mark.parametrize("name", ["DEEPSEEK_API_KEY", "_x", "a1"])
def test_good_env_var_names(name: str) -> None:
    assert validation.env_var_name(name) == name


@pytest.mark.parametrize("name", ["", "1X", "A-B", "A B", "A\nB", "A$", "X" * 129, "É"])
def test_bad_env_var_names(name: str) -> None:
    with pytest.raises(ValidationError, match="Invalid key variable"):
        validation.env_var_name(name, "key variable")


@pytest.mark.parametrize("label", ["DeepSeek (China)", "Zhipu GLM / Z.ai", "Ollama — laptop", "月之暗面 Kimi"])
def test_good_labels(label: str) -> None:
    assert validation.label(label) == label


@pytest.mark.parametrize("label", ["", " padded", "a\nb", "{env:HOME}", "$x", "a\u202eb", "L" * 81])
def test_bad_labels(label: str) -> None:
    with pytest.raises(ValidationError, match="Invalid label"):
        validation.label(label)


def test_every_provider_obeys_the_grammar_however_it_is_built() -> None:
    endpoint = Endpoint.make(Protocol.OPENAI_CHAT, "http://127.0.0.1:1/v1")
    good = Provider("p", (endpoint,), models=("m",), label="P")
    with pytest.raises(ValidationError, match="model id of provider 'p'"):
        replace(good, models=("ok", "x\n#"))
    with pytest.raises(ValidationError, match="small model of provider 'p'"):
        Provider("p", (endpoint,), small_model="a b")
    with pytest.raises(ValidationError, match="label of provider 'p'"):
        Provider("p", (endpoint,), label="{file:/etc/passwd}")
    with pytest.raises(ValidationError, match="provider name"):
        Provider("P!", (endpoint,))
    with pytest.raises(ValidationError, match="models URL of provider 'p'"):
        Provider("p", (endpoint,), models_url="http://127.0.0.1/ x")
    with pytest.raises(ValidationError, match="openai-chat URL"):
        Endpoint(Protocol.OPENAI_CHAT, "http://127.0.0.1/\n", endpoint.auth)
    with pytest.raises(ValidationError, match="key variable name"):
        Credential.env("A-B")
