"""OpenAI Responses requests (Codex) → Chat Completions requests."""

from __future__ import annotations

import json
from typing import Any

import pytest

from switchover.gateway.translate import Untranslatable, responses_to_chat


def chat(**body: Any) -> dict[str, Any]:
    return responses_to_chat({"model": "m", **body}).body


def user(text: str) -> dict[str, Any]:
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


FUNCTION = {"type": "function", "name": "exec_command", "description": "run", "strict": False,
            "parameters": {"type": "object", "properties": {"cmd": {"type": "string"}}, "required": ["cmd"]}}


def test_string_input_and_instructions() -> None:
    assert chat(instructions="be brief", input="hi") == {"model": "m", "messages": [
        {"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}]}


def test_developer_and_system_messages_join_the_instructions_in_one_leading_system_message() -> None:
    translated = responses_to_chat({"model": "m", "instructions": "base", "input": [
        {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "dev one"}]},
        {"role": "system", "content": "sys two"},
        user("q"),
        {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "late"}]},
    ]})
    assert translated.body["messages"] == [{"role": "system", "content": "base\n\ndev one\n\nsys two\n\nlate"},
                                           {"role": "user", "content": "q"}]
    assert "mid-conversation system/developer message moved into the system prompt" in translated.notes


def test_multi_turn_with_assistant_output_text() -> None:
    body = chat(input=[user("a"), {"type": "message", "role": "assistant", "id": "msg_1", "status": "completed",
                                   "content": [{"type": "output_text", "text": "b", "annotations": []}]}, user("c")])
    assert body["messages"] == [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"},
                                {"role": "user", "content": "c"}]


def test_images_become_image_url_parts_and_file_ids_are_refused() -> None:
    body = chat(input=[{"role": "user", "content": [
        {"type": "input_text", "text": "see"},
        {"type": "input_image", "image_url": "data:image/png;base64,AA==", "detail": "high"}]}])
    assert body["messages"][0]["content"] == [
        {"type": "text", "text": "see"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA==", "detail": "high"}}]
    with pytest.raises(Untranslatable, match="file_id"):
        chat(input=[{"role": "user", "content": [{"type": "input_image", "file_id": "file-1"}]}])
    with pytest.raises(Untranslatable, match="File inputs"):
        chat(input=[{"role": "user", "content": [{"type": "input_file", "file_id": "file-1"}]}])


def test_parallel_function_calls_join_the_assistant_text_and_outputs_follow_directly() -> None:
    body = chat(tools=[FUNCTION], input=[
        user("go"),
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Running both."}]},
        {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "gAAA"},
        {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "exec_command",
         "arguments": '{"cmd": "ls"}', "status": "completed"},
        {"type": "function_call", "id": "fc_2", "call_id": "call_2", "name": "exec_command",
         "arguments": '{"cmd": "pwd"}', "status": "completed"},
        {"type": "function_call_output", "call_id": "call_2", "output": "/w"},
        {"type": "function_call_output", "call_id": "call_1", "output": [{"type": "input_text", "text": "a b"}]},
        user("thanks"),
    ])
    assert body["messages"] == [
        {"role": "user", "content": "go"},
        {"role": "assistant", "content": "Running both.", "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "exec_command", "arguments": '{"cmd": "ls"}'}},
            {"id": "call_2", "type": "function", "function": {"name": "exec_command", "arguments": '{"cmd": "pwd"}'}},
        ]},
        {"role": "tool", "tool_call_id": "call_2", "content": "/w"},
        {"role": "tool", "tool_call_id": "call_1", "content": "a b"},
        {"role": "user", "content": "thanks"},
    ]
    assert body["tools"] == [{"type": "function", "function": {
        "name": "exec_command", "description": "run", "parameters": FUNCTION["parameters"]}}]


def test_messages_between_a_call_and_its_output_move_after_the_tool_message() -> None:
    body = chat(tools=[FUNCTION], input=[
        {"type": "function_call", "call_id": "c1", "name": "exec_command", "arguments": "{}"},
        user("(interrupting)"),
        {"type": "function_call_output", "call_id": "c1", "output": "done"},
    ])
    assert [m["role"] for m in body["messages"]] == ["assistant", "tool", "user"]


def test_calls_without_outputs_get_placeholders_and_orphan_outputs_become_user_text() -> None:
    translated = responses_to_chat({"model": "m", "tools": [FUNCTION], "input": [
        {"type": "function_call", "call_id": "c1", "name": "exec_command", "arguments": "{}"},
        user("stop"),
        {"type": "function_call_output", "call_id": "elsewhere", "output": "x"},
    ]})
    assert translated.body["messages"] == [
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "exec_command", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "(no result: the call was not completed)"},
        {"role": "user", "content": "stop"},
        {"role": "user", "content": "Output of tool call elsewhere:\nx"},
    ]
    assert "a tool call without a result got a placeholder result" in translated.notes


def test_tool_output_images_follow_in_a_user_message() -> None:
    body = chat(tools=[FUNCTION], input=[
        {"type": "function_call", "call_id": "c1", "name": "view_image", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "c1", "output": [
            {"type": "input_image", "image_url": "data:image/png;base64,AA=="}]},
    ])
    assert [m["role"] for m in body["messages"]] == ["assistant", "tool", "user"]
    assert body["messages"][2]["content"][1]["image_url"]["url"] == "data:image/png;base64,AA=="


NAMESPACE = {"type": "namespace", "name": "multi_agent_v1", "description": "Sub-agents.", "tools": [
    {"type": "function", "name": "wait_agent", "description": "Wait.", "strict": False,
     "parameters": {"type": "object", "properties": {"targets": {"type": "array"}}}}]}
CUSTOM = {"type": "custom", "name": "apply_patch", "description": "Edit files. FREEFORM.",
          "format": {"type": "grammar", "syntax": "lark", "definition": "start: \"*** Begin Patch\""}}


def test_namespace_tools_are_flattened_and_their_calls_keep_the_namespace_apart() -> None:
    body = chat(tools=[NAMESPACE], input=[
        {"type": "function_call", "call_id": "c1", "name": "wait_agent", "namespace": "multi_agent_v1",
         "arguments": '{"targets": []}'},
        {"type": "function_call_output", "call_id": "c1", "output": "ok"}])
    assert body["tools"] == [{"type": "function", "function": {
        "name": "multi_agent_v1__wait_agent", "description": "Wait.\n\n(multi_agent_v1: Sub-agents.)",
        "parameters": NAMESPACE["tools"][0]["parameters"]}}]
    assert body["messages"][0]["tool_calls"][0]["function"]["name"] == "multi_agent_v1__wait_agent"


def test_custom_freeform_tools_become_functions_with_an_input_string() -> None:
    body = chat(tools=[CUSTOM], input=[
        {"type": "custom_tool_call", "call_id": "c1", "name": "apply_patch", "input": "*** Begin Patch\n"},
        {"type": "custom_tool_call_output", "call_id": "c1", "output": "Success."}])
    tool = body["tools"][0]["function"]
    assert tool["name"] == "apply_patch"
    assert tool["parameters"]["required"] == ["input"]
    assert "lark grammar" in tool["description"] and 'start: "*** Begin Patch"' in tool["description"]
    call = body["messages"][0]["tool_calls"][0]
    assert json.loads(call["function"]["arguments"]) == {"input": "*** Begin Patch\n"}
    assert body["messages"][1] == {"role": "tool", "tool_call_id": "c1", "content": "Success."}


def test_local_shell_tool_and_its_calls() -> None:
    body = chat(tools=[{"type": "local_shell"}], input=[
        {"type": "local_shell_call", "call_id": "c1", "status": "completed",
         "action": {"type": "exec", "command": ["ls", "-la"], "timeout_ms": None, "working_directory": "/w"}},
        {"type": "local_shell_call_output", "call_id": "c1", "output": "total 0"}])
    assert body["tools"][0]["function"]["name"] == "local_shell"
    assert json.loads(body["messages"][0]["tool_calls"][0]["function"]["arguments"]) == {
        "command": ["ls", "-la"], "working_directory": "/w"}


def test_client_tool_search_and_the_tools_it_reveals_are_offered() -> None:
    search = {"type": "tool_search", "execution": "client", "description": "Find tools.",
              "parameters": {"type": "object", "properties": {"query": {"type": "string"}}}}
    body = chat(tools=[search], input=[
        {"type": "tool_search_call", "call_id": "c1", "execution": "client", "arguments": {"query": "agent"},
         "status": "completed"},
        {"type": "tool_search_output", "call_id": "c1", "execution": "client", "status": "completed",
         "tools": [NAMESPACE]},
    ])
    assert [t["function"]["name"] for t in body["tools"]] == ["tool_search", "multi_agent_v1__wait_agent"]
    assert json.loads(body["messages"][0]["tool_calls"][0]["function"]["arguments"]) == {"query": "agent"}
    assert body["messages"][1]["content"] == "Tools now available:\n- multi_agent_v1__wait_agent: Wait."


def test_hosted_tools_are_dropped_with_notes_unless_forced() -> None:
    translated = responses_to_chat({"model": "m", "input": "x", "tools": [
        FUNCTION, {"type": "web_search", "external_web_access": True},
        {"type": "tool_search", "execution": "server"}]})
    assert [t["function"]["name"] for t in translated.body["tools"]] == ["exec_command"]
    assert "hosted tool 'web_search' dropped (it runs on OpenAI's servers only)" in translated.notes
    assert "hosted tool 'tool_search' dropped (it runs on OpenAI's servers only)" in translated.notes
    with pytest.raises(Untranslatable, match="web_search"):
        chat(input="x", tools=[{"type": "web_search"}], tool_choice={"type": "web_search"})
    with pytest.raises(Untranslatable, match="mystery_tool"):
        chat(input="x", tools=[{"type": "mystery_tool"}])


def test_tool_choice_mappings() -> None:
    base: dict[str, Any] = {"input": "x", "tools": [FUNCTION, CUSTOM, NAMESPACE]}
    assert chat(**base, tool_choice="auto")["tool_choice"] == "auto"
    assert chat(**base, tool_choice="required")["tool_choice"] == "required"
    assert chat(**base, tool_choice="none")["tool_choice"] == "none"
    assert chat(**base, tool_choice={"type": "function", "name": "exec_command"})["tool_choice"] == {
        "type": "function", "function": {"name": "exec_command"}}
    assert chat(**base, tool_choice={"type": "custom", "name": "apply_patch"})["tool_choice"] == {
        "type": "function", "function": {"name": "apply_patch"}}
    limited = chat(**base, tool_choice={"type": "allowed_tools", "mode": "required", "tools": [
        {"type": "function", "name": "exec_command"}, {"type": "function", "name": "wait_agent",
                                                       "namespace": "multi_agent_v1"}]})
    assert limited["tool_choice"] == "required"
    assert [t["function"]["name"] for t in limited["tools"]] == ["exec_command", "multi_agent_v1__wait_agent"]
    with pytest.raises(Untranslatable, match="nope"):
        chat(**base, tool_choice={"type": "function", "name": "nope"})
    assert chat(**base, parallel_tool_calls=False)["parallel_tool_calls"] is False
    assert "parallel_tool_calls" not in chat(input="x", parallel_tool_calls=True)


def test_sampling_limits_streaming_and_formats() -> None:
    body = chat(input="x", max_output_tokens=500, temperature=0.1, top_p=0.5, stream=True,
                text={"format": {"type": "json_schema", "name": "out", "schema": {"type": "object"}, "strict": True}})
    assert body["max_tokens"] == 500 and body["temperature"] == 0.1 and body["top_p"] == 0.5
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert body["response_format"] == {"type": "json_schema", "json_schema": {
        "name": "out", "schema": {"type": "object"}, "strict": True}}
    assert chat(input="x", text={"format": {"type": "json_object"}})["response_format"] == {"type": "json_object"}


def test_previous_response_id_is_refused_clearly() -> None:
    with pytest.raises(Untranslatable, match="previous_response_id") as refused:
        chat(input="x", previous_response_id="resp_1")
    assert "full conversation" in refused.value.message


@pytest.mark.parametrize(("field", "value", "match"), [
    ("conversation", "conv_1", "conversation"), ("background", True, "Background"),
    ("prompt", {"id": "pmpt_1"}, "prompt"),
])
def test_server_state_features_are_refused(field: str, value: object, match: str) -> None:
    with pytest.raises(Untranslatable, match=match):
        chat(input="x", **{field: value})


@pytest.mark.parametrize(("item", "match"), [
    ({"type": "compaction", "encrypted_content": "gAAA"}, "compacted by OpenAI"),
    ({"type": "item_reference", "id": "msg_1"}, "item_reference"),
    ({"type": "brand_new_item"}, "brand_new_item"),
])
def test_untranslatable_history_items_are_refused(item: dict[str, Any], match: str) -> None:
    with pytest.raises(Untranslatable, match=match):
        chat(input=[item])


def test_dropped_settings_and_history_are_each_reported() -> None:
    translated = responses_to_chat({"model": "m", "input": [
        user("x"), {"type": "reasoning", "summary": [], "encrypted_content": "e"},
        {"type": "web_search_call", "id": "ws", "status": "completed", "action": {"type": "search", "query": "q"}}],
        "reasoning": {"effort": "high"}, "include": ["reasoning.encrypted_content"], "store": True,
        "prompt_cache_key": "k", "client_metadata": {"a": "b"}, "text": {"verbosity": "low"}, "brand_new": 1})
    assert set(translated.notes) == {
        "reasoning items dropped from the history (encrypted for OpenAI only)",
        "'web_search_call' items dropped from the history (hosted calls only OpenAI can replay)",
        "text.verbosity dropped", "store dropped (the gateway keeps no responses)",
        "reasoning settings dropped (Chat Completions has no portable equivalent)",
        "include dropped (nothing to include from a Chat Completions provider)", "prompt_cache_key dropped",
        "client_metadata dropped", "unknown request field 'brand_new' dropped",
    }


def test_token_limit_field_and_cap_for_the_upstream() -> None:
    translated = responses_to_chat({"model": "m", "input": "x", "max_output_tokens": 9000},
                                   limit_field="max_completion_tokens", limit_cap=4096)
    assert translated.body["max_completion_tokens"] == 4096
    assert "output token limit 9000 lowered to the upstream's maximum 4096" in translated.notes
    assert "max_completion_tokens" not in responses_to_chat({"model": "m", "input": "x"},
                                                            limit_field="max_completion_tokens").body
