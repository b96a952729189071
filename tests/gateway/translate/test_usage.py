"""Usage from every protocol, streamed and not, for spend counting on passthrough and translated routes."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from switchover.gateway.translate import ClientProtocol, SseEvent, Usage, UsageTap, usage_of


def test_non_streamed_usage_of_each_protocol() -> None:
    assert usage_of(ClientProtocol.ANTHROPIC, {"usage": {
        "input_tokens": 10, "output_tokens": 5, "cache_creation_input_tokens": 100,
        "cache_read_input_tokens": 1000}}) == Usage(input_tokens=1110, output_tokens=5, cached_input_tokens=1000,
                                                    cache_write_input_tokens=100)
    assert usage_of(ClientProtocol.CHAT, {"usage": {
        "prompt_tokens": 50, "completion_tokens": 20, "prompt_tokens_details": {"cached_tokens": 30},
        "completion_tokens_details": {"reasoning_tokens": 12}}}) == Usage(
        input_tokens=50, output_tokens=20, cached_input_tokens=30, reasoning_tokens=12)
    assert usage_of(ClientProtocol.RESPONSES, {"usage": {
        "input_tokens": 50, "output_tokens": 20, "input_tokens_details": {"cached_tokens": 30},
        "output_tokens_details": {"reasoning_tokens": 12}, "total_tokens": 70}}) == Usage(
        input_tokens=50, output_tokens=20, cached_input_tokens=30, reasoning_tokens=12)
    assert usage_of(ClientProtocol.CHAT, {"choices": []}) is None
    assert usage_of(ClientProtocol.CHAT, {"usage": {"prompt_tokens": -3, "completion_tokens": "7"}}) == Usage()
    assert Usage(input_tokens=3, output_tokens=4).total_tokens == 7


def anthropic_stream() -> bytes:
    events = [
        ("message_start", {"type": "message_start", "message": {"id": "m", "usage": {
            "input_tokens": 12, "output_tokens": 1, "cache_read_input_tokens": 100,
            "cache_creation_input_tokens": 8}}}),
        ("ping", {"type": "ping"}),
        ("content_block_start", {"type": "content_block_start", "index": 0,
                                 "content_block": {"type": "text", "text": ""}}),
        ("content_block_delta", {"type": "content_block_delta", "index": 0,
                                 "delta": {"type": "text_delta", "text": "\"usage\": fake"}}),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn"},
                           "usage": {"output_tokens": 42}}),
        ("message_stop", {"type": "message_stop"}),
    ]
    return b"".join(SseEvent(name, json.dumps(data)).encode() for name, data in events)


def chat_stream() -> bytes:
    chunks = [
        {"choices": [{"index": 0, "delta": {"content": "usage"}}]},
        {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}], "usage": None},
        {"choices": [], "usage": {"prompt_tokens": 9, "completion_tokens": 4, "prompt_cache_hit_tokens": 2}},
    ]
    return b"".join(SseEvent(None, json.dumps(c)).encode() for c in chunks) + b"data: [DONE]\n\n"


def responses_stream() -> bytes:
    events = [
        ("response.created", {"type": "response.created", "response": {"usage": None}}),
        ("response.output_text.delta", {"type": "response.output_text.delta", "delta": "x"}),
        ("response.completed", {"type": "response.completed", "response": {"usage": {
            "input_tokens": 70, "output_tokens": 6, "input_tokens_details": {"cached_tokens": 64},
            "output_tokens_details": {"reasoning_tokens": 2}}}}),
    ]
    return b"".join(SseEvent(name, json.dumps(data)).encode() for name, data in events)


EXPECTED = {
    ClientProtocol.ANTHROPIC: (anthropic_stream, Usage(input_tokens=120, output_tokens=42, cached_input_tokens=100,
                                                       cache_write_input_tokens=8)),
    ClientProtocol.CHAT: (chat_stream, Usage(input_tokens=9, output_tokens=4, cached_input_tokens=2)),
    ClientProtocol.RESPONSES: (responses_stream, Usage(input_tokens=70, output_tokens=6, cached_input_tokens=64,
                                                       reasoning_tokens=2)),
}


@pytest.mark.parametrize("protocol", list(ClientProtocol))
@given(cuts=st.lists(st.integers(min_value=0, max_value=10_000), max_size=15))
def test_usage_tap_reads_a_passthrough_stream_however_it_is_chunked(protocol: ClientProtocol, cuts: list[int]) -> None:
    make, expected = EXPECTED[protocol]
    body = make()
    points = sorted({c % (len(body) + 1) for c in cuts})
    tap = UsageTap(protocol)
    for a, b in zip([0, *points], [*points, len(body)], strict=True):
        tap.feed_bytes(body[a:b])
    tap.close()
    assert tap.usage == expected


def test_anthropic_delta_with_full_usage_replaces_the_start_figures() -> None:
    tap = UsageTap(ClientProtocol.ANTHROPIC)
    tap.feed_event(SseEvent("message_start", json.dumps({"type": "message_start", "message": {
        "usage": {"input_tokens": 0, "output_tokens": 0}}})))
    tap.feed_event(SseEvent("message_delta", json.dumps({"type": "message_delta", "usage": {
        "input_tokens": 15, "output_tokens": 9, "cache_read_input_tokens": 5, "cache_creation_input_tokens": 0}})))
    assert tap.usage == Usage(input_tokens=20, output_tokens=9, cached_input_tokens=5)


def test_streams_without_usage_report_none_and_garbage_is_ignored() -> None:
    tap = UsageTap(ClientProtocol.CHAT)
    tap.feed_bytes(b'data: {"choices": []}\n\ndata: not json "usage"\n\ndata: [DONE]\n\n')
    assert tap.usage is None
    tap = UsageTap(ClientProtocol.RESPONSES)
    tap.feed_bytes(b'event: response.completed\ndata: {"type": "response.completed", "response": {}}\n\n')
    assert tap.usage is None
