"""Golden tests: the requests the real pinned Claude Code and Codex sent (fixtures/capture.py) translate to
the reviewed Chat Completions requests stored next to them, and those obey the chat protocol's rules.

After a deliberate change of the translation, regenerate and review the diff:
``SWITCHOVER_UPDATE_GOLDENS=1 .venv/bin/python -m pytest tests/gateway/translate/test_goldens.py``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from switchover.gateway.translate import Translated, anthropic_to_chat, responses_to_chat

FIXTURES = Path(__file__).parent / "fixtures"
CAPTURES = sorted(p for p in FIXTURES.glob("*-request-*.json") if not p.name.endswith(".chat.json"))


def translate(path: Path) -> Translated:
    body = json.loads(path.read_text())["body"]
    return anthropic_to_chat(body) if path.name.startswith("claude") else responses_to_chat(body)


def test_captures_exist_for_both_tools() -> None:
    names = {p.name for p in CAPTURES}
    assert {"claude-request-1.json", "claude-request-2.json", "codex-request-1.json", "codex-request-2.json",
            "codex-gpt-5.5-request-1.json", "codex-gpt-5.5-request-2.json"} <= names


@pytest.mark.parametrize("capture", CAPTURES, ids=lambda p: p.stem)
def test_capture_translates_to_its_golden(capture: Path) -> None:
    translated = translate(capture)
    golden_path = capture.with_suffix(".chat.json")
    actual = {"body": translated.body, "notes": list(translated.notes)}
    if os.environ.get("SWITCHOVER_UPDATE_GOLDENS"):
        golden_path.write_text(json.dumps(actual, indent=1, ensure_ascii=False) + "\n")
    assert actual == json.loads(golden_path.read_text())


@pytest.mark.parametrize("capture", CAPTURES, ids=lambda p: p.stem)
def test_translated_capture_obeys_the_chat_protocol(capture: Path) -> None:
    body = translate(capture).body
    messages: list[dict[str, Any]] = body["messages"]
    assert messages[0]["role"] == "system"
    assert all(m["role"] != "system" for m in messages[1:])
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    names = [t["function"]["name"] for t in body["tools"]]
    assert len(names) == len(set(names))
    assert all(t["type"] == "function" and t["function"]["parameters"]["type"] == "object" for t in body["tools"])
    for index, message in enumerate(messages):
        calls = message.get("tool_calls") or []
        for call in calls:
            assert call["function"]["name"] in names
            json.loads(call["function"]["arguments"])
        if calls:  # the tool messages answering these calls come next, one per call, nothing in between
            answers = messages[index + 1:index + 1 + len(calls)]
            assert [m["role"] for m in answers] == ["tool"] * len(calls)
            assert {m["tool_call_id"] for m in answers} == {c["id"] for c in calls}
        if message["role"] == "tool":
            assert messages[index - 1]["role"] in ("assistant", "tool")


def test_second_requests_carry_the_tool_turn() -> None:
    claude = translate(FIXTURES / "claude-request-2.json").body["messages"]
    assert [m["role"] for m in claude[-3:]] == ["assistant", "tool", "tool"]
    assert "PAPAYA" in claude[-2]["content"]
    codex = translate(FIXTURES / "codex-request-2.json").body["messages"]
    assert [m["role"] for m in codex[-3:]] == ["assistant", "tool", "tool"]
    assert "PAPAYA" in codex[-2]["content"]


def test_codex_known_model_offers_apply_patch_as_a_function_and_drops_web_search() -> None:
    translated = translate(FIXTURES / "codex-gpt-5.5-request-1.json")
    tools = {t["function"]["name"]: t["function"] for t in translated.body["tools"]}
    assert tools["apply_patch"]["parameters"]["required"] == ["input"]
    assert "*** Begin Patch" in tools["apply_patch"]["description"]
    assert "tool_search" in tools
    assert "hosted tool 'web_search' dropped (it runs on OpenAI's servers only)" in translated.notes
