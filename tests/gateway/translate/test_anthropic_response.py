"""Chat Completions responses and streams → Anthropic Messages responses and event streams."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.gateway.translate.protocol_checks import fold_anthropic

from switchover.gateway.translate import (
    ChatToAnthropicStream,
    SseDecoder,
    SseEvent,
    Untranslatable,
    Usage,
    chat_to_anthropic,
)

CREATED = 1_700_000_000


def completion(message: dict[str, Any], finish: str | None = "stop", usage: dict[str, Any] | None = None,
               ) -> dict[str, Any]:
    return {"id": "chatcmpl-abc123", "object": "chat.completion", "created": CREATED, "model": "up",
            "choices": [{"index": 0, "message": {"role": "assistant", **message}, "finish_reason": finish}],
            "usage": usage or {"prompt_tokens": 10, "completion_tokens": 3, "total_tokens": 13}}


def test_text_response() -> None:
    out = chat_to_anthropic(completion({"content": "hello"}), "claude-x")
    assert out == {
        "id": "msg_abc123", "type": "message", "role": "assistant", "model": "claude-x",
        "content": [{"type": "text", "text": "hello"}], "stop_reason": "end_turn", "stop_sequence": None,
        "usage": {"input_tokens": 10, "output_tokens": 3, "cache_creation_input_tokens": 0,
                  "cache_read_input_tokens": 0},
    }


def test_parallel_tool_calls_become_tool_use_blocks() -> None:
    out = chat_to_anthropic(completion({"content": "Reading.", "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "Read", "arguments": '{"path": "a"}'}},
        {"id": "functions.Read:1", "type": "function", "function": {"name": "Read", "arguments": ""}},
    ]}, "tool_calls"), "m")
    assert out["content"] == [
        {"type": "text", "text": "Reading."},
        {"type": "tool_use", "id": "call_1", "name": "Read", "input": {"path": "a"}},
        {"type": "tool_use", "id": "functions_Read_1", "name": "Read", "input": {}},
    ]
    assert out["stop_reason"] == "tool_use"


@pytest.mark.parametrize(("finish", "calls", "reason"), [
    ("stop", False, "end_turn"), ("length", False, "max_tokens"), ("tool_calls", True, "tool_use"),
    ("content_filter", False, "refusal"), (None, False, "end_turn"), ("stop", True, "tool_use"),
    ("something_new", False, "end_turn"),
])
def test_finish_reasons(finish: str | None, calls: bool, reason: str) -> None:
    message: dict[str, Any] = {"content": "x"}
    if calls:
        message["tool_calls"] = [{"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}]
    assert chat_to_anthropic(completion(message, finish), "m")["stop_reason"] == reason


@pytest.mark.parametrize("usage", [
    {"prompt_tokens": 100, "completion_tokens": 7, "prompt_tokens_details": {"cached_tokens": 60}},
    {"prompt_tokens": 100, "completion_tokens": 7, "prompt_cache_hit_tokens": 60, "prompt_cache_miss_tokens": 40},
    {"prompt_tokens": 100, "completion_tokens": 7, "cached_tokens": 60},
])
def test_cached_tokens_of_every_spelling_become_cache_reads(usage: dict[str, Any]) -> None:
    out = chat_to_anthropic(completion({"content": "x"}, usage=usage), "m")
    assert out["usage"] == {"input_tokens": 40, "output_tokens": 7, "cache_creation_input_tokens": 0,
                            "cache_read_input_tokens": 60}


def test_reasoning_content_is_not_turned_into_unsigned_thinking() -> None:
    out = chat_to_anthropic(completion({"content": "answer", "reasoning_content": "secret chain"}), "m")
    assert out["content"] == [{"type": "text", "text": "answer"}]


def test_malformed_upstream_answers_are_bad_upstream_errors() -> None:
    with pytest.raises(Untranslatable) as missing:
        chat_to_anthropic({"id": "x", "choices": []}, "m")
    assert missing.value.kind == "api_error" and missing.value.status == 502
    with pytest.raises(Untranslatable, match="malformed arguments for the tool 'f'"):
        chat_to_anthropic(completion({"tool_calls": [
            {"id": "c", "type": "function", "function": {"name": "f", "arguments": "{not json"}}]}), "m")


# -- streaming ---------------------------------------------------------------------------------------------------

def chunk(delta: dict[str, Any] | None = None, finish: str | None = None, usage: dict[str, Any] | None = None,
          choices: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {"id": "chatcmpl-s1", "object": "chat.completion.chunk", "created": CREATED, "model": "up",
                           "choices": [{"index": 0, "delta": delta or {}, "finish_reason": finish}] if choices else []}
    if usage is not None:
        out["usage"] = usage
    return out


def run(chunks: list[dict[str, Any]], model: str = "claude-x") -> tuple[list[SseEvent], ChatToAnthropicStream]:
    stream = ChatToAnthropicStream(model)
    events: list[SseEvent] = []
    for item in chunks:
        events.extend(stream.feed(item))
    events.extend(stream.finish())
    return events, stream


USAGE = {"prompt_tokens": 20, "completion_tokens": 9, "total_tokens": 29, "prompt_tokens_details": {"cached_tokens": 5}}


def test_text_stream_exact_event_sequence() -> None:
    events, stream = run([
        chunk({"role": "assistant", "content": ""}), chunk({"content": "Hel"}), chunk({"content": "lo"}),
        chunk(finish="stop"), chunk(usage=USAGE, choices=False),
    ])
    assert [e.event for e in events] == ["message_start", "content_block_start", "content_block_delta",
                                         "content_block_delta", "content_block_stop", "message_delta", "message_stop"]
    assert json.loads(events[0].data) == {"type": "message_start", "message": {
        "id": "msg_s1", "type": "message", "role": "assistant", "model": "claude-x", "content": [],
        "stop_reason": None, "stop_sequence": None,
        "usage": {"input_tokens": 0, "output_tokens": 0, "cache_creation_input_tokens": 0,
                  "cache_read_input_tokens": 0}}}
    assert json.loads(events[1].data) == {"type": "content_block_start", "index": 0,
                                          "content_block": {"type": "text", "text": ""}}
    assert json.loads(events[2].data) == {"type": "content_block_delta", "index": 0,
                                          "delta": {"type": "text_delta", "text": "Hel"}}
    assert json.loads(events[5].data) == {"type": "message_delta",
                                          "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                                          "usage": {"input_tokens": 15, "output_tokens": 9,
                                                    "cache_creation_input_tokens": 0, "cache_read_input_tokens": 5}}
    assert json.loads(events[6].data) == {"type": "message_stop"}
    assert stream.usage == Usage(input_tokens=20, output_tokens=9, cached_input_tokens=5)
    assert stream.saw_finish_reason
    message = fold_anthropic(events)
    assert message["content"] == [{"type": "text", "text": "Hello"}]


def tool_chunks() -> list[dict[str, Any]]:
    return [
        chunk({"role": "assistant", "content": "Let me look."}),
        chunk({"tool_calls": [{"index": 0, "id": "call_a", "type": "function",
                               "function": {"name": "Read", "arguments": ""}}]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"pa'}}]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": 'th": "a.txt"}'}}]}),
        chunk({"tool_calls": [{"index": 1, "id": "call_b", "type": "function",
                               "function": {"name": "Grep", "arguments": '{"q": "ü\\n"}'}}]}),
        chunk(finish="tool_calls"), chunk(usage=USAGE, choices=False),
    ]


def test_parallel_tool_calls_stream_as_separate_tool_use_blocks() -> None:
    events, _ = run(tool_chunks())
    assert [e.event for e in events] == [
        "message_start",
        "content_block_start", "content_block_delta", "content_block_stop",
        "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
        "content_block_start", "content_block_delta", "content_block_stop",
        "message_delta", "message_stop"]
    assert json.loads(events[4].data)["content_block"] == {"type": "tool_use", "id": "call_a", "name": "Read",
                                                           "input": {}}
    assert json.loads(events[5].data)["delta"] == {"type": "input_json_delta", "partial_json": '{"pa'}
    message = fold_anthropic(events)
    assert message["content"] == [
        {"type": "text", "text": "Let me look."},
        {"type": "tool_use", "id": "call_a", "name": "Read", "input": {"path": "a.txt"}},
        {"type": "tool_use", "id": "call_b", "name": "Grep", "input": {"q": "ü\n"}},
    ]
    assert message["stop_reason"] == "tool_use"


def test_tool_calls_without_arguments_get_an_empty_object() -> None:
    events, _ = run([chunk({"tool_calls": [{"index": 0, "id": "c", "function": {"name": "Now"}}]}),
                     chunk(finish="tool_calls")])
    assert fold_anthropic(events)["content"] == [{"type": "tool_use", "id": "c", "name": "Now", "input": {}}]


def test_several_tool_calls_at_index_zero_with_new_ids_are_separate_calls() -> None:
    events, _ = run([
        chunk({"tool_calls": [{"index": 0, "id": "a", "function": {"name": "f", "arguments": "{}"}}]}),
        chunk({"tool_calls": [{"index": 0, "id": "b", "function": {"name": "g", "arguments": '{"x":1}'}}]}),
        chunk(finish="tool_calls")])
    assert [(b["id"], b["input"]) for b in fold_anthropic(events)["content"]] == [("a", {}), ("b", {"x": 1})]


def test_providers_that_send_no_tool_call_ids_get_stable_made_up_ones() -> None:
    events, _ = run([chunk({"tool_calls": [{"index": 0, "function": {"name": "f", "arguments": "{}"}}]}),
                     chunk({"tool_calls": [{"index": 1, "function": {"name": "g", "arguments": "{}"}}]}),
                     chunk(finish="tool_calls")])
    assert [b["id"] for b in fold_anthropic(events)["content"]] == ["toolu_s1_0", "toolu_s1_1"]


def test_interleaved_tool_call_fragments_fail_the_stream_honestly() -> None:
    stream = ChatToAnthropicStream("m")
    stream.feed(chunk({"tool_calls": [{"index": 0, "id": "a", "function": {"name": "f", "arguments": "{"}}]}))
    stream.feed(chunk({"tool_calls": [{"index": 1, "id": "b", "function": {"name": "g", "arguments": "{"}}]}))
    events = stream.feed(chunk({"tool_calls": [{"index": 0, "function": {"arguments": "}"}}]}))
    assert events[-1].event == "error"
    assert json.loads(events[-1].data)["error"]["type"] == "api_error"
    assert stream.finish() == []


def test_missing_usage_and_finish_reason() -> None:
    events, stream = run([chunk({"content": "x"})])
    assert stream.usage is None and not stream.saw_finish_reason
    assert fold_anthropic(events)["stop_reason"] == "end_turn"


def test_reasoning_deltas_are_dropped() -> None:
    events, _ = run([chunk({"reasoning_content": "thinking..."}), chunk({"content": "answer"}), chunk(finish="stop")])
    assert fold_anthropic(events)["content"] == [{"type": "text", "text": "answer"}]


def test_empty_stream_still_forms_a_valid_message() -> None:
    events, _ = run([])
    message = fold_anthropic(events)
    assert message["content"] == [] and message["stop_reason"] == "end_turn"


def test_ping_comes_after_message_start_and_is_ignored_by_clients() -> None:
    stream = ChatToAnthropicStream("m")
    first = stream.ping()
    assert [e.event for e in first] == ["message_start", "ping"]
    assert json.loads(first[1].data) == {"type": "ping"}
    events = first + stream.feed(chunk({"content": "x"})) + stream.ping() + stream.finish()
    assert fold_anthropic(events)["content"] == [{"type": "text", "text": "x"}]
    assert stream.ping() == []


@pytest.mark.parametrize(("kind", "error_type"), [
    ("overloaded", "overloaded_error"), ("rate_limit", "rate_limit_error"), ("timeout", "timeout_error"),
    ("api_error", "api_error")])
def test_fail_after_bytes_is_an_anthropic_error_event(kind: str, error_type: str) -> None:
    stream = ChatToAnthropicStream("m")
    stream.feed(chunk({"content": "partial"}))
    events = stream.fail(kind, "upstream went away")
    assert [e.event for e in events] == ["error"]
    assert json.loads(events[0].data) == {"type": "error", "error": {"type": error_type,
                                                                      "message": "upstream went away"}}
    assert stream.finish() == [] and stream.feed(chunk({"content": "more"})) == []


def test_an_error_object_in_the_upstream_stream_becomes_an_error_event() -> None:
    stream = ChatToAnthropicStream("m")
    events = stream.feed({"error": {"message": "model crashed", "code": 500}})
    assert events[-1].event == "error"
    assert json.loads(events[-1].data)["error"]["message"] == "model crashed"


# -- properties ---------------------------------------------------------------------------------------------------

def sse_body(chunks: list[dict[str, Any]]) -> bytes:
    return b"".join(SseEvent(None, json.dumps(c)).encode() for c in chunks) + SseEvent(None, "[DONE]").encode()


def relay(body_pieces: list[bytes]) -> list[SseEvent]:
    decoder = SseDecoder()
    stream = ChatToAnthropicStream("claude-x")
    events: list[SseEvent] = []
    upstream = [e for piece in body_pieces for e in decoder.feed(piece)] + decoder.close()
    for event in upstream:
        if event.data != "[DONE]":
            events.extend(stream.feed(json.loads(event.data)))
    return events + stream.finish()


@given(cuts=st.lists(st.integers(min_value=0, max_value=100_000), max_size=20))
def test_any_byte_chunking_of_the_upstream_gives_identical_client_events(cuts: list[int]) -> None:
    body = sse_body(tool_chunks())
    points = sorted({c % (len(body) + 1) for c in cuts})
    pieces = [body[a:b] for a, b in zip([0, *points], [*points, len(body)], strict=True)]
    assert relay(pieces) == relay([body])


def split(text: str, cuts: list[int]) -> list[str]:
    points = sorted({c % (len(text) + 1) for c in cuts})
    return [text[a:b] for a, b in zip([0, *points], [*points, len(text)], strict=True) if text[a:b]]


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)


@given(
    text=st.text(max_size=40),
    calls=st.lists(st.tuples(st.text(alphabet="abcxyz_", min_size=1, max_size=6),
                             st.dictionaries(st.text(max_size=6), _json_values, max_size=4)), max_size=3),
    cuts=st.lists(st.integers(min_value=0, max_value=1000), max_size=10),
)
def test_tool_arguments_and_text_are_reassembled_exactly_however_they_are_split(
    text: str, calls: list[tuple[str, dict[str, Any]]], cuts: list[int]
) -> None:
    chunks = [chunk({"content": piece}) for piece in split(text, cuts)]
    for index, (name, arguments) in enumerate(calls):
        encoded = json.dumps(arguments, ensure_ascii=False)
        pieces = split(encoded, cuts) or [""]
        chunks.append(chunk({"tool_calls": [{"index": index, "id": f"call_{index}", "type": "function",
                                             "function": {"name": name, "arguments": pieces[0]}}]}))
        chunks.extend(chunk({"tool_calls": [{"index": index, "function": {"arguments": p}}]}) for p in pieces[1:])
    chunks.append(chunk(finish="tool_calls" if calls else "stop"))
    message = fold_anthropic(run(chunks)[0])
    expected: list[dict[str, Any]] = [{"type": "text", "text": text}] if text else []
    expected += [{"type": "tool_use", "id": f"call_{i}", "name": n, "input": a} for i, (n, a) in enumerate(calls)]
    assert message["content"] == expected
    assert message["stop_reason"] == ("tool_use" if calls else "end_turn")
