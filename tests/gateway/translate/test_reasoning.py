"""The opt-in reasoning round trip: a provider's reasoning_content goes out as the client's own kind of
reasoning, comes back with the history as reasoning_content, and is stripped before a native upstream."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.gateway.translate.protocol_checks import fold_anthropic, fold_responses

from switchover.gateway.translate import (
    GATEWAY_SIGNATURE,
    ChatToAnthropicStream,
    ChatToResponsesStream,
    ClientProtocol,
    anthropic_to_chat,
    chat_to_anthropic,
    chat_to_responses,
    responses_to_chat,
    strip_gateway_reasoning,
)

FUNCTION = {"type": "function", "name": "exec_command", "parameters": {"type": "object"}}
REQUEST: dict[str, Any] = {"model": "m", "tools": [FUNCTION], "input": "go", "stream": True}


def chunk(delta: dict[str, Any] | None = None, finish: str | None = None) -> dict[str, Any]:
    return {"id": "chatcmpl-t1", "object": "chat.completion.chunk", "created": 1, "model": "up",
            "choices": [{"index": 0, "delta": delta or {}, "finish_reason": finish}]}


THINKING_TOOL_TURN = [
    chunk({"role": "assistant", "reasoning_content": "I need "}),
    chunk({"reasoning_content": "the file."}),
    chunk({"content": "Reading."}),
    chunk({"tool_calls": [{"index": 0, "id": "c1", "function": {"name": "exec_command", "arguments": "{}"}}]}),
    chunk(finish="tool_calls"),
]


def test_anthropic_stream_signs_a_thinking_block_and_the_next_request_restores_reasoning_content() -> None:
    stream = ChatToAnthropicStream("claude-x", keep_reasoning=True)
    events = [e for c in THINKING_TOOL_TURN for e in stream.feed(c)] + stream.finish()
    kinds = [json.loads(e.data).get("delta", {}).get("type") for e in events if e.event == "content_block_delta"]
    assert kinds == ["thinking_delta", "thinking_delta", "signature_delta", "text_delta", "input_json_delta"]
    message = fold_anthropic(events)
    assert message["content"][0] == {"type": "thinking", "thinking": "I need the file.",
                                     "signature": GATEWAY_SIGNATURE}
    follow_up = {"model": "m", "max_tokens": 10, "messages": [
        {"role": "user", "content": "go"},
        {"role": "assistant", "content": message["content"]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "c1", "content": "done"}]}]}
    chat = anthropic_to_chat(follow_up)
    assistant = chat.body["messages"][1]
    assert assistant["reasoning_content"] == "I need the file."
    assert assistant["content"] == "Reading." and assistant["tool_calls"][0]["id"] == "c1"
    assert not any("thinking" in note for note in chat.notes)


def test_anthropic_real_thinking_blocks_are_still_dropped_with_a_note() -> None:
    chat = anthropic_to_chat({"model": "m", "max_tokens": 1, "messages": [
        {"role": "user", "content": "x"},
        {"role": "assistant", "content": [{"type": "thinking", "thinking": "t", "signature": "EqQBCkYIBx..."},
                                          {"type": "text", "text": "y"}]}]})
    assert "reasoning_content" not in chat.body["messages"][1]
    assert "thinking blocks dropped from the history (only Anthropic can read them)" in chat.notes


def test_non_streamed_anthropic_with_and_without_keep_reasoning() -> None:
    response = {"id": "chatcmpl-n", "choices": [{"index": 0, "finish_reason": "stop", "message": {
        "role": "assistant", "content": "42", "reasoning": "compute"}}]}
    assert chat_to_anthropic(response, "m", keep_reasoning=True)["content"] == [
        {"type": "thinking", "thinking": "compute", "signature": GATEWAY_SIGNATURE}, {"type": "text", "text": "42"}]
    assert chat_to_anthropic(response, "m")["content"] == [{"type": "text", "text": "42"}]


def test_responses_stream_emits_a_reasoning_item_and_codex_history_restores_it() -> None:
    stream = ChatToResponsesStream("m", REQUEST, keep_reasoning=True)
    events = [e for c in THINKING_TOOL_TURN for e in stream.feed(c)] + stream.finish()
    assert [e.event for e in events][:7] == [
        "response.created", "response.in_progress", "response.output_item.added",
        "response.reasoning_summary_part.added", "response.reasoning_summary_text.delta",
        "response.reasoning_summary_text.delta", "response.reasoning_summary_text.done"]
    output = fold_responses(events)["output"]
    reasoning = output[0]
    assert reasoning == {"type": "reasoning", "id": "rs_swgw_t1_0",
                         "summary": [{"type": "summary_text", "text": "I need the file."}],
                         "content": [{"type": "reasoning_text", "text": "I need the file."}],
                         "encrypted_content": None}
    # What codex 0.169.0 sends next (verified): the items as received, then the tool output.
    follow_up = {**REQUEST, "input": ["go", *output, {"type": "function_call_output", "call_id": "c1",
                                                      "output": "done"}]}
    follow_up["input"][0] = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "go"}]}
    chat = responses_to_chat(follow_up)
    assistant = chat.body["messages"][1]
    assert assistant["reasoning_content"] == "I need the file."
    assert assistant["content"] == "Reading." and assistant["tool_calls"][0]["id"] == "c1"


def test_responses_reasoning_before_calls_that_join_an_open_assistant_message() -> None:
    chat = responses_to_chat({"model": "m", "tools": [FUNCTION], "input": [
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Let me check."}]},
        {"type": "reasoning", "id": "rs_swgw_1", "summary": [], "content": [{"type": "reasoning_text", "text": "r"}]},
        {"type": "function_call", "call_id": "c1", "name": "exec_command", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "c1", "output": "ok"}]})
    assert chat.body["messages"][0] == {
        "role": "assistant", "content": "Let me check.", "reasoning_content": "r",
        "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "exec_command", "arguments": "{}"}}]}


def test_non_streamed_responses_with_keep_reasoning() -> None:
    response = {"id": "chatcmpl-n", "choices": [{"index": 0, "finish_reason": "stop", "message": {
        "role": "assistant", "content": "42", "reasoning_content": "compute"}}]}
    output = chat_to_responses(response, "m", REQUEST, keep_reasoning=True)["output"]
    assert [item["type"] for item in output] == ["reasoning", "message"]
    assert output[0]["content"] == [{"type": "reasoning_text", "text": "compute"}]
    assert [i["type"] for i in chat_to_responses(response, "m", REQUEST)["output"]] == ["message"]


def test_strip_before_a_native_anthropic_upstream() -> None:
    body = {"model": "claude", "messages": [
        {"role": "user", "content": "x"},
        {"role": "assistant", "content": [{"type": "thinking", "thinking": "t", "signature": GATEWAY_SIGNATURE},
                                          {"type": "text", "text": "y"}]},
        {"role": "assistant", "content": [{"type": "thinking", "thinking": "only", "signature": GATEWAY_SIGNATURE}]},
        {"role": "assistant", "content": [{"type": "thinking", "thinking": "real", "signature": "EqQB"}]},
        {"role": "user", "content": "z"}]}
    stripped, removed = strip_gateway_reasoning(ClientProtocol.ANTHROPIC, body)
    assert removed == 2
    assert stripped["messages"] == [
        {"role": "user", "content": "x"}, {"role": "assistant", "content": [{"type": "text", "text": "y"}]},
        {"role": "assistant", "content": [{"type": "thinking", "thinking": "real", "signature": "EqQB"}]},
        {"role": "user", "content": "z"}]
    assert body["messages"][1]["content"][0]["signature"] == GATEWAY_SIGNATURE  # the input is not modified
    untouched = {"model": "claude", "messages": [{"role": "user", "content": "x"}]}
    assert strip_gateway_reasoning(ClientProtocol.ANTHROPIC, untouched) == (untouched, 0)


def test_strip_before_a_native_responses_upstream() -> None:
    mine = {"type": "reasoning", "id": "rs_swgw_1", "summary": [], "content": [], "encrypted_content": None}
    openai = {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "gAAAA"}
    body = {"model": "gpt", "input": [mine, openai, {"type": "message", "role": "user", "content": "x"}]}
    stripped, removed = strip_gateway_reasoning(ClientProtocol.RESPONSES, body)
    assert removed == 1 and stripped["input"] == [openai, body["input"][2]]
    assert len(body["input"]) == 3


@pytest.mark.parametrize("protocol", [ClientProtocol.CHAT])
def test_strip_leaves_chat_requests_alone(protocol: ClientProtocol) -> None:
    body = {"model": "m", "messages": [{"role": "assistant", "content": "x", "reasoning_content": "r"}]}
    assert strip_gateway_reasoning(protocol, body) == (body, 0)
