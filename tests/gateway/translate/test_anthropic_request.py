"""Anthropic Messages requests (Claude Code) → Chat Completions requests."""

from __future__ import annotations

import json
from typing import Any

import pytest

from switchover.gateway.translate import Untranslatable, anthropic_to_chat


def chat(**body: Any) -> dict[str, Any]:
    return anthropic_to_chat({"model": "m", "max_tokens": 100, **body}).body


def notes(**body: Any) -> tuple[str, ...]:
    return anthropic_to_chat({"model": "m", "max_tokens": 100, **body}).notes


def test_plain_turn_keeps_model_and_max_tokens() -> None:
    body = chat(messages=[{"role": "user", "content": "hi"}])
    assert body == {"model": "m", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 100}


def test_system_string_and_block_list_become_one_leading_system_message() -> None:
    assert chat(system="be brief", messages=[{"role": "user", "content": "hi"}])["messages"][0] == {
        "role": "system", "content": "be brief"}
    blocks = [{"type": "text", "text": "one"}, {"type": "text", "text": "two", "cache_control": {"type": "ephemeral"}}]
    translated = anthropic_to_chat({"model": "m", "max_tokens": 1, "system": blocks,
                                    "messages": [{"role": "user", "content": "hi"}]})
    assert translated.body["messages"][0] == {"role": "system", "content": "one\n\ntwo"}
    assert any("cache_control" in note for note in translated.notes)


def test_mid_conversation_system_message_is_moved_into_the_system_prompt() -> None:
    translated = anthropic_to_chat({"model": "m", "max_tokens": 1, "system": "base", "messages": [
        {"role": "user", "content": "q"},
        {"role": "system", "content": [{"type": "text", "text": "env: linux"}]},
        {"role": "assistant", "content": "a"},
    ]})
    assert translated.body["messages"] == [
        {"role": "system", "content": "base\n\nenv: linux"},
        {"role": "user", "content": "q"},
        {"role": "assistant", "content": "a"},
    ]
    assert "mid-conversation system message moved into the system prompt" in translated.notes


def test_multi_turn_text_blocks_collapse_to_strings() -> None:
    body = chat(messages=[
        {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
        {"role": "assistant", "content": [{"type": "text", "text": "c"}]},
        {"role": "user", "content": "d"},
    ])
    assert body["messages"] == [
        {"role": "user", "content": "a\n\nb"},
        {"role": "assistant", "content": "c"},
        {"role": "user", "content": "d"},
    ]


def test_images_base64_and_url_become_image_url_parts() -> None:
    body = chat(messages=[{"role": "user", "content": [
        {"type": "text", "text": "what is this?"},
        {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": "QUJD"}},
        {"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}},
    ]}])
    assert body["messages"][0]["content"] == [
        {"type": "text", "text": "what is this?"},
        {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,QUJD"}},
        {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
    ]


def test_image_from_a_file_id_is_refused() -> None:
    with pytest.raises(Untranslatable, match="file"):
        chat(messages=[{"role": "user", "content": [{"type": "image", "source": {"type": "file", "file_id": "f"}}]}])


def test_parallel_tool_use_and_results_map_to_tool_calls_and_adjacent_tool_messages() -> None:
    body = chat(messages=[
        {"role": "user", "content": "read both"},
        {"role": "assistant", "content": [
            {"type": "text", "text": "Reading."},
            {"type": "tool_use", "id": "toolu_1", "name": "Read", "input": {"path": "a"}},
            {"type": "tool_use", "id": "toolu_2", "name": "Read", "input": {"path": "b", "n": [1, "ü"]}},
        ]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "toolu_1", "content": "A"},
            {"type": "tool_result", "tool_use_id": "toolu_2", "content": [{"type": "text", "text": "B"}],
             "is_error": True},
            {"type": "text", "text": "and now?"},
        ]},
    ])
    assistant, tool_1, tool_2, user = body["messages"][1:]
    assert assistant["content"] == "Reading."
    assert [c["id"] for c in assistant["tool_calls"]] == ["toolu_1", "toolu_2"]
    assert assistant["tool_calls"][1]["type"] == "function"
    assert assistant["tool_calls"][1]["function"]["name"] == "Read"
    assert json.loads(assistant["tool_calls"][1]["function"]["arguments"]) == {"path": "b", "n": [1, "ü"]}
    assert tool_1 == {"role": "tool", "tool_call_id": "toolu_1", "content": "A"}
    assert tool_2 == {"role": "tool", "tool_call_id": "toolu_2", "content": "Error: B"}
    assert user == {"role": "user", "content": "and now?"}


def test_text_before_tool_results_still_comes_after_the_tool_messages() -> None:
    body = chat(messages=[
        {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "f", "input": {}}]},
        {"role": "user", "content": [{"type": "text", "text": "note"},
                                     {"type": "tool_result", "tool_use_id": "t1", "content": "ok"}]},
    ])
    assert [m["role"] for m in body["messages"]] == ["assistant", "tool", "user"]
    assert body["messages"][0]["content"] is None


def test_tool_result_images_follow_the_tool_messages_in_a_user_message() -> None:
    translated = anthropic_to_chat({"model": "m", "max_tokens": 1, "messages": [
        {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "Read", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": [
            {"type": "text", "text": "image file"},
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AA=="}}]}]},
    ]})
    assistant, tool, user = translated.body["messages"]
    assert assistant["tool_calls"][0]["id"] == "t1"
    assert tool == {"role": "tool", "tool_call_id": "t1", "content": "image file"}
    assert user["role"] == "user"
    assert user["content"][1] == {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA=="}}
    assert any("images returned by a tool" in note for note in translated.notes)


def test_a_tool_call_left_without_result_gets_a_noted_placeholder() -> None:
    translated = anthropic_to_chat({"model": "m", "max_tokens": 1, "messages": [
        {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "f", "input": {}}]},
        {"role": "user", "content": "never mind"},
    ]})
    assert [m["role"] for m in translated.body["messages"]] == ["assistant", "tool", "user"]
    assert translated.body["messages"][1]["tool_call_id"] == "t1"
    assert "a tool call without a result got a placeholder result" in translated.notes


def test_orphan_tool_result_becomes_user_text() -> None:
    translated = anthropic_to_chat({"model": "m", "max_tokens": 1, "messages": [
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "gone", "content": "x"}]}]})
    assert translated.body["messages"] == [{"role": "user", "content": "Output of tool call gone:\nx"}]
    assert any("without a matching call" in note for note in translated.notes)


def test_tools_and_every_tool_choice() -> None:
    tools = [{"name": "Read", "description": "read a file", "input_schema": {"type": "object", "properties": {
        "path": {"type": "string"}}, "required": ["path"]}}, {"name": "Bare", "input_schema": {"type": "object"}}]
    body = chat(messages=[{"role": "user", "content": "x"}], tools=tools)
    assert body["tools"] == [
        {"type": "function", "function": {"name": "Read", "description": "read a file",
                                          "parameters": tools[0]["input_schema"]}},
        {"type": "function", "function": {"name": "Bare", "parameters": {"type": "object"}}},
    ]
    base = {"messages": [{"role": "user", "content": "x"}], "tools": tools}
    assert chat(**base, tool_choice={"type": "auto"})["tool_choice"] == "auto"
    assert chat(**base, tool_choice={"type": "any"})["tool_choice"] == "required"
    assert chat(**base, tool_choice={"type": "none"})["tool_choice"] == "none"
    assert chat(**base, tool_choice={"type": "tool", "name": "Read"})["tool_choice"] == {
        "type": "function", "function": {"name": "Read"}}
    forced = chat(**base, tool_choice={"type": "auto", "disable_parallel_tool_use": True})
    assert forced["parallel_tool_calls"] is False
    with pytest.raises(Untranslatable, match="Nope"):
        chat(**base, tool_choice={"type": "tool", "name": "Nope"})


def test_hosted_tools_are_dropped_with_a_note_and_builtins_refused() -> None:
    translated = anthropic_to_chat({"model": "m", "max_tokens": 1, "messages": [{"role": "user", "content": "x"}],
                                    "tools": [{"type": "web_search_20250305", "name": "web_search"},
                                              {"name": "Read", "input_schema": {"type": "object"}}]})
    assert [t["function"]["name"] for t in translated.body["tools"]] == ["Read"]
    assert "hosted tool 'web_search' dropped (it runs on Anthropic's servers only)" in translated.notes
    with pytest.raises(Untranslatable, match="bash_20250124"):
        chat(messages=[{"role": "user", "content": "x"}], tools=[{"type": "bash_20250124", "name": "bash"}])


def test_sampling_stop_sequences_and_streaming() -> None:
    body = chat(messages=[{"role": "user", "content": "x"}], temperature=0.2, top_p=0.9,
                stop_sequences=["END", "STOP"], stream=True)
    assert body["temperature"] == 0.2 and body["top_p"] == 0.9
    assert body["stop"] == ["END", "STOP"]
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert "stream_options" not in chat(messages=[{"role": "user", "content": "x"}])


def test_dropped_settings_are_each_reported() -> None:
    found = notes(messages=[{"role": "user", "content": "x"}], top_k=5, thinking={"type": "enabled",
                  "budget_tokens": 10}, metadata={"user_id": "u"}, context_management={"edits": []},
                  output_config={"effort": "high"}, brand_new_field=1)
    assert found == (
        "output_config.effort dropped (no portable equivalent in Chat Completions)",
        "top_k dropped (Chat Completions has no top_k)",
        "thinking config dropped (Chat Completions has no thinking budget)",
        "metadata dropped (Claude Code's user_id holds a device id; not forwarded)",
        "context_management dropped (Anthropic-side context editing)",
        "unknown request field 'brand_new_field' dropped",
    )


def test_thinking_blocks_in_history_are_dropped_with_a_note() -> None:
    translated = anthropic_to_chat({"model": "m", "max_tokens": 1, "messages": [
        {"role": "user", "content": "x"},
        {"role": "assistant", "content": [{"type": "thinking", "thinking": "hmm", "signature": "s"},
                                          {"type": "text", "text": "y"}]}]})
    assert translated.body["messages"][1] == {"role": "assistant", "content": "y"}
    assert "thinking blocks dropped from the history (only Anthropic can read them)" in translated.notes


def test_structured_output_format_maps_to_response_format() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}}
    body = chat(messages=[{"role": "user", "content": "x"}], output_config={"format": {"type": "json_schema",
                                                                                       "schema": schema}})
    assert body["response_format"] == {"type": "json_schema",
                                       "json_schema": {"name": "output", "schema": schema, "strict": True}}


@pytest.mark.parametrize(("block", "match"), [
    ({"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": "x"}}, "Documents"),
    ({"type": "server_tool_use", "id": "s", "name": "web_search", "input": {}}, "Anthropic's own servers"),
    ({"type": "mystery"}, "mystery"),
])
def test_untranslatable_blocks_are_refused_not_dropped(block: dict[str, Any], match: str) -> None:
    with pytest.raises(Untranslatable, match=match):
        chat(messages=[{"role": "user", "content": [block]}])


@pytest.mark.parametrize("field", ["mcp_servers", "container"])
def test_server_side_features_are_refused(field: str) -> None:
    with pytest.raises(Untranslatable, match=field):
        chat(messages=[{"role": "user", "content": "x"}], **{field: [{"type": "url", "url": "u"}]})


def test_deferred_tools_are_offered_and_tool_references_become_text() -> None:
    translated = anthropic_to_chat({"model": "m", "max_tokens": 1, "tools": [
        {"name": "Later", "input_schema": {"type": "object"}, "defer_loading": True}], "messages": [
        {"role": "assistant", "content": [{"type": "tool_use", "id": "t", "name": "ToolSearch", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t",
                                      "content": [{"type": "tool_reference", "tool_name": "Later"}]}]}]})
    assert translated.body["tools"][0]["function"]["name"] == "Later"
    assert translated.body["messages"][1]["content"] == "(tool Later is available)"


def test_token_limit_field_and_cap_for_the_upstream() -> None:
    body = {"model": "m", "max_tokens": 32000, "messages": [{"role": "user", "content": "x"}]}
    translated = anthropic_to_chat(body, limit_field="max_completion_tokens", limit_cap=8192)
    assert translated.body["max_completion_tokens"] == 8192 and "max_tokens" not in translated.body
    assert "output token limit 32000 lowered to the upstream's maximum 8192" in translated.notes
    assert anthropic_to_chat(body, limit_cap=64000).body["max_tokens"] == 32000
    with pytest.raises(ValueError, match="max_output"):
        anthropic_to_chat(body, limit_field="max_output")
