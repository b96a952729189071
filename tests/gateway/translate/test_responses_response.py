"""Chat Completions responses and streams → OpenAI Responses responses and event streams (what Codex reads)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.gateway.translate.protocol_checks import fold_responses

from switchover.gateway.translate import (
    ChatToResponsesStream,
    SseDecoder,
    SseEvent,
    Untranslatable,
    Usage,
    chat_to_responses,
)

CREATED = 1_700_000_000
FUNCTION = {"type": "function", "name": "exec_command", "parameters": {"type": "object"}}
NAMESPACE = {"type": "namespace", "name": "multi_agent_v1", "description": "d", "tools": [
    {"type": "function", "name": "wait_agent", "parameters": {"type": "object"}}]}
CUSTOM = {"type": "custom", "name": "apply_patch", "description": "patch",
          "format": {"type": "grammar", "syntax": "lark", "definition": "start: x"}}
SEARCH = {"type": "tool_search", "execution": "client", "parameters": {"type": "object"}}
REQUEST: dict[str, Any] = {"model": "gpt-x", "stream": True, "store": False, "tool_choice": "auto",
                           "parallel_tool_calls": True, "tools": [FUNCTION, NAMESPACE, CUSTOM, SEARCH,
                                                                  {"type": "local_shell"}]}
USAGE = {"prompt_tokens": 30, "completion_tokens": 8, "total_tokens": 38,
         "prompt_tokens_details": {"cached_tokens": 10}, "completion_tokens_details": {"reasoning_tokens": 3}}


def completion(message: dict[str, Any], finish: str | None = "stop") -> dict[str, Any]:
    return {"id": "chatcmpl-r1", "object": "chat.completion", "created": CREATED, "model": "up",
            "choices": [{"index": 0, "message": {"role": "assistant", **message}, "finish_reason": finish}],
            "usage": USAGE}


def call(call_id: str, name: str, arguments: str) -> dict[str, Any]:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def test_text_response_envelope() -> None:
    out = chat_to_responses(completion({"content": "hello"}), "gpt-x", REQUEST)
    assert out["id"] == "resp_r1" and out["object"] == "response" and out["created_at"] == CREATED
    assert out["status"] == "completed" and out["model"] == "gpt-x" and out["error"] is None
    assert out["incomplete_details"] is None and out["previous_response_id"] is None
    assert out["tools"] == REQUEST["tools"] and out["store"] is False
    assert out["output"] == [{"type": "message", "id": "msg_r1", "status": "completed", "role": "assistant",
                              "content": [{"type": "output_text", "text": "hello", "annotations": []}]}]
    assert out["usage"] == {"input_tokens": 30, "input_tokens_details": {"cached_tokens": 10}, "output_tokens": 8,
                            "output_tokens_details": {"reasoning_tokens": 3}, "total_tokens": 38}


def test_each_tool_kind_comes_back_as_its_own_item_type() -> None:
    out = chat_to_responses(completion({"content": None, "tool_calls": [
        call("c1", "exec_command", '{"cmd": "ls"}'),
        call("c2", "multi_agent_v1__wait_agent", '{"targets": ["a"]}'),
        call("c3", "apply_patch", json.dumps({"input": "*** Begin Patch\n*** End Patch\n"})),
        call("c4", "tool_search", '{"query": "agent"}'),
        call("c5", "local_shell", '{"command": ["ls"], "workdir": "/w"}'),
        call("c6", "hallucinated", "{}"),
    ]}, "tool_calls"), "gpt-x", REQUEST)
    assert out["output"] == [
        {"type": "function_call", "id": "fc_r1_0", "call_id": "c1", "name": "exec_command",
         "arguments": '{"cmd": "ls"}', "status": "completed"},
        {"type": "function_call", "id": "fc_r1_1", "call_id": "c2", "name": "wait_agent",
         "arguments": '{"targets": ["a"]}', "status": "completed", "namespace": "multi_agent_v1"},
        {"type": "custom_tool_call", "id": "ctc_r1_2", "call_id": "c3", "name": "apply_patch",
         "input": "*** Begin Patch\n*** End Patch\n", "status": "completed"},
        {"type": "tool_search_call", "id": "ts_r1_3", "call_id": "c4", "status": "completed",
         "execution": "client", "arguments": {"query": "agent"}},
        {"type": "local_shell_call", "id": "lsh_r1_4", "call_id": "c5", "status": "completed",
         "action": {"type": "exec", "command": ["ls"], "workdir": "/w"}},
        {"type": "function_call", "id": "fc_r1_5", "call_id": "c6", "name": "hallucinated", "arguments": "{}",
         "status": "completed"},
    ]
    assert out["status"] == "completed"


def test_a_custom_call_whose_model_skipped_the_json_wrapper_keeps_the_raw_text() -> None:
    out = chat_to_responses(completion({"tool_calls": [call("c", "apply_patch", "*** Begin Patch")]}), "m", REQUEST)
    assert out["output"][0]["input"] == "*** Begin Patch"


@pytest.mark.parametrize(("finish", "status", "reason"), [
    ("stop", "completed", None), ("tool_calls", "completed", None),
    ("length", "incomplete", "max_output_tokens"), ("content_filter", "incomplete", "content_filter"),
])
def test_finish_reasons_map_to_status(finish: str, status: str, reason: str | None) -> None:
    out = chat_to_responses(completion({"content": "x"}, finish), "m", REQUEST)
    assert out["status"] == status
    assert out["incomplete_details"] == (None if reason is None else {"reason": reason})


def test_bad_upstream_answers() -> None:
    with pytest.raises(Untranslatable) as missing:
        chat_to_responses({"choices": None}, "m", REQUEST)
    assert missing.value.status == 502
    with pytest.raises(Untranslatable, match="local_shell"):
        chat_to_responses(completion({"tool_calls": [call("c", "local_shell", "nope")]}), "m", REQUEST)


# -- streaming ---------------------------------------------------------------------------------------------------

def chunk(delta: dict[str, Any] | None = None, finish: str | None = None, usage: dict[str, Any] | None = None,
          choices: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {"id": "chatcmpl-s2", "object": "chat.completion.chunk", "created": CREATED, "model": "up",
                           "choices": [{"index": 0, "delta": delta or {}, "finish_reason": finish}] if choices else []}
    if usage is not None:
        out["usage"] = usage
    return out


def run(chunks: list[dict[str, Any]], request: dict[str, Any] = REQUEST) -> tuple[list[SseEvent],
                                                                                  ChatToResponsesStream]:
    stream = ChatToResponsesStream("gpt-x", request)
    events: list[SseEvent] = []
    for item in chunks:
        events.extend(stream.feed(item))
    return events + stream.finish(), stream


def test_text_stream_exact_event_sequence() -> None:
    events, stream = run([chunk({"role": "assistant", "content": ""}), chunk({"content": "Hi "}),
                          chunk({"content": "there"}), chunk(finish="stop"), chunk(usage=USAGE, choices=False)])
    assert [e.event for e in events] == [
        "response.created", "response.in_progress", "response.output_item.added", "response.content_part.added",
        "response.output_text.delta", "response.output_text.delta", "response.output_text.done",
        "response.content_part.done", "response.output_item.done", "response.completed"]
    payloads = [json.loads(e.data) for e in events]
    assert [p["sequence_number"] for p in payloads] == list(range(10))
    assert payloads[0]["response"]["status"] == "in_progress" and payloads[0]["response"]["output"] == []
    assert payloads[2] == {"type": "response.output_item.added", "sequence_number": 2, "output_index": 0, "item": {
        "type": "message", "id": "msg_s2_0", "status": "in_progress", "role": "assistant", "content": []}}
    assert payloads[4] == {"type": "response.output_text.delta", "sequence_number": 4, "item_id": "msg_s2_0",
                           "output_index": 0, "content_index": 0, "delta": "Hi ", "logprobs": []}
    response = fold_responses(events)
    assert response["output"][0]["content"][0]["text"] == "Hi there"
    assert response["usage"]["input_tokens_details"] == {"cached_tokens": 10}
    assert stream.usage == Usage(input_tokens=30, output_tokens=8, cached_input_tokens=10, reasoning_tokens=3)
    assert all("[DONE]" not in e.data for e in events)


def tool_chunks() -> list[dict[str, Any]]:
    return [
        chunk({"content": "Checking."}),
        chunk({"tool_calls": [{"index": 0, "id": "c1", "type": "function",
                               "function": {"name": "exec_command", "arguments": '{"cmd":'}}]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": ' "ls"}'}}]}),
        chunk({"tool_calls": [{"index": 1, "id": "c2", "type": "function",
                               "function": {"name": "multi_agent_v1__wait_agent", "arguments": "{}"}}]}),
        chunk({"tool_calls": [{"index": 2, "id": "c3", "type": "function",
                               "function": {"name": "apply_patch", "arguments": '{"input": "*** Begin'}}]}),
        chunk({"tool_calls": [{"index": 2, "function": {"arguments": ' Patch\\n"}'}}]}),
        chunk(finish="tool_calls"), chunk(usage=USAGE, choices=False),
    ]


def test_function_namespace_and_custom_calls_stream_as_items() -> None:
    events, _ = run(tool_chunks())
    kinds = [e.event for e in events]
    assert kinds == [
        "response.created", "response.in_progress",
        "response.output_item.added", "response.content_part.added", "response.output_text.delta",
        "response.output_text.done", "response.content_part.done", "response.output_item.done",
        "response.output_item.added", "response.function_call_arguments.delta",
        "response.function_call_arguments.delta", "response.function_call_arguments.done",
        "response.output_item.done",
        "response.output_item.added", "response.function_call_arguments.delta",
        "response.function_call_arguments.done", "response.output_item.done",
        "response.output_item.added", "response.custom_tool_call_input.delta", "response.custom_tool_call_input.done",
        "response.output_item.done", "response.completed"]
    response = fold_responses(events)
    assert response["output"][1] == {"type": "function_call", "id": "fc_s2_1", "call_id": "c1",
                                     "name": "exec_command", "arguments": '{"cmd": "ls"}', "status": "completed"}
    assert response["output"][2]["namespace"] == "multi_agent_v1" and response["output"][2]["name"] == "wait_agent"
    assert response["output"][3] == {"type": "custom_tool_call", "id": "ctc_s2_3", "call_id": "c3",
                                     "name": "apply_patch", "input": "*** Begin Patch\n", "status": "completed"}
    added = json.loads(events[13].data)["item"]
    assert added == {"type": "function_call", "id": "fc_s2_2", "call_id": "c2", "name": "wait_agent",
                     "arguments": "", "status": "in_progress", "namespace": "multi_agent_v1"}
    done = json.loads(events[15].data)
    assert done["arguments"] == "{}" and done["name"] == "wait_agent"


def test_tool_search_and_local_shell_calls_stream_as_items() -> None:
    events, _ = run([
        chunk({"tool_calls": [{"index": 0, "id": "c1", "function": {"name": "tool_search", "arguments": '{"q'}}]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": 'uery": "x"}'}}]}),
        chunk({"tool_calls": [{"index": 1, "id": "c2", "function": {"name": "local_shell",
                                                                     "arguments": '{"command": ["pwd"]}'}}]}),
        chunk(finish="tool_calls")])
    output = fold_responses(events)["output"]
    assert output[0]["type"] == "tool_search_call" and output[0]["arguments"] == {"query": "x"}
    assert output[1]["type"] == "local_shell_call" and output[1]["action"] == {"type": "exec", "command": ["pwd"]}


def test_providers_that_send_no_tool_call_ids_get_stable_made_up_ones() -> None:
    events, _ = run([chunk({"tool_calls": [{"index": 0, "function": {"name": "exec_command", "arguments": "{}"}}]}),
                     chunk(finish="tool_calls")])
    assert fold_responses(events)["output"][0]["call_id"] == "call_s2_0"


def test_length_ends_with_response_incomplete() -> None:
    events, _ = run([chunk({"content": "trunc"}), chunk(finish="length")])
    response = fold_responses(events)
    assert events[-1].event == "response.incomplete"
    assert response["status"] == "incomplete" and response["incomplete_details"] == {"reason": "max_output_tokens"}


def test_reasoning_deltas_are_dropped() -> None:
    events, _ = run([chunk({"reasoning_content": "hmm"}), chunk({"content": "ok"}), chunk(finish="stop")])
    assert [item["type"] for item in fold_responses(events)["output"]] == ["message"]


@pytest.mark.parametrize(("kind", "code"), [("context_length", "context_length_exceeded"),
                                            ("quota", "insufficient_quota"), ("overloaded", "server_overloaded"),
                                            ("api_error", "server_error")])
def test_fail_after_bytes_is_response_failed(kind: str, code: str) -> None:
    stream = ChatToResponsesStream("gpt-x", REQUEST)
    sent = stream.feed(chunk({"content": "part"}))
    events = sent + stream.fail(kind, "upstream broke")
    assert events[-1].event == "response.failed"
    response = fold_responses(events)
    assert response["status"] == "failed" and response["error"] == {"code": code, "message": "upstream broke"}
    assert stream.finish() == [] and stream.fail(kind, "again") == []


def test_fail_before_anything_was_sent_still_opens_the_response() -> None:
    events = ChatToResponsesStream("gpt-x", REQUEST).fail("timeout", "no first byte")
    assert [e.event for e in events] == ["response.created", "response.in_progress", "response.failed"]


def test_empty_stream_completes_with_no_output() -> None:
    events, _ = run([])
    assert fold_responses(events)["output"] == []


# -- properties ---------------------------------------------------------------------------------------------------

def relay(pieces: list[bytes]) -> list[SseEvent]:
    decoder = SseDecoder()
    stream = ChatToResponsesStream("gpt-x", REQUEST)
    events: list[SseEvent] = []
    for event in [e for piece in pieces for e in decoder.feed(piece)] + decoder.close():
        if event.data != "[DONE]":
            events.extend(stream.feed(json.loads(event.data)))
    return events + stream.finish()


@given(cuts=st.lists(st.integers(min_value=0, max_value=100_000), max_size=20))
def test_any_byte_chunking_of_the_upstream_gives_identical_client_events(cuts: list[int]) -> None:
    body = b"".join(SseEvent(None, json.dumps(c)).encode() for c in tool_chunks()) + b"data: [DONE]\n\n"
    points = sorted({c % (len(body) + 1) for c in cuts})
    pieces = [body[a:b] for a, b in zip([0, *points], [*points, len(body)], strict=True)]
    assert relay(pieces) == relay([body])


def split(text: str, cuts: list[int]) -> list[str]:
    points = sorted({c % (len(text) + 1) for c in cuts})
    return [text[a:b] for a, b in zip([0, *points], [*points, len(text)], strict=True) if text[a:b]]


@given(
    text=st.text(max_size=40),
    arguments=st.lists(st.dictionaries(st.text(max_size=6), st.text(max_size=10) | st.integers(), max_size=4),
                       max_size=3),
    cuts=st.lists(st.integers(min_value=0, max_value=1000), max_size=10),
)
def test_text_and_arguments_are_reassembled_exactly_however_they_are_split(
    text: str, arguments: list[dict[str, Any]], cuts: list[int]
) -> None:
    chunks = [chunk({"content": piece}) for piece in split(text, cuts)]
    for index, args in enumerate(arguments):
        pieces = split(json.dumps(args, ensure_ascii=False), cuts)
        chunks.append(chunk({"tool_calls": [{"index": index, "id": f"c{index}",
                                             "function": {"name": "exec_command", "arguments": pieces[0]}}]}))
        chunks.extend(chunk({"tool_calls": [{"index": index, "function": {"arguments": p}}]}) for p in pieces[1:])
    chunks.append(chunk(finish="tool_calls" if arguments else "stop"))
    output = fold_responses(run(chunks)[0])["output"]
    texts = [item["content"][0]["text"] for item in output if item["type"] == "message"]
    assert texts == ([text] if text else [])
    calls = [item for item in output if item["type"] == "function_call"]
    assert [json.loads(c["arguments"]) for c in calls] == arguments
    assert [c["call_id"] for c in calls] == [f"c{i}" for i in range(len(arguments))]
