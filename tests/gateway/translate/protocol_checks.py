"""Strict client-side readers of the two event streams the gateway produces.

They fold a list of SSE events into the final message the way Anthropic's and OpenAI's SDKs do, and fail on
anything a real client could trip over: events before ``message_start``/``response.created``, overlapping or
skipped blocks, deltas for a block that is not open, tool input that is not a JSON object, sequence numbers
that do not count up from 0, a missing terminal event.
"""

from __future__ import annotations

import json
from typing import Any

from switchover.gateway.translate import SseDecoder, SseEvent


def reparse(events: list[SseEvent]) -> list[SseEvent]:
    """The events as a client receives them: encoded to bytes and decoded again."""
    decoder = SseDecoder()
    out = decoder.feed(b"".join(e.encode() for e in events))
    return out + decoder.close()


def fold_anthropic(events: list[SseEvent]) -> dict[str, Any]:
    events = reparse(events)
    payloads = [json.loads(e.data) for e in events]
    for event, payload in zip(events, payloads, strict=True):
        assert event.event == payload["type"], (event.event, payload)
    kinds = [p["type"] for p in payloads if p["type"] != "ping"]
    if kinds and kinds[-1] == "error":
        return {"error": payloads[-1]["error"], "kinds": kinds}
    assert kinds[0] == "message_start", kinds
    assert kinds[-2:] == ["message_delta", "message_stop"], kinds
    message = dict(payloads[0]["message"])
    assert message["content"] == [] and message["role"] == "assistant" and message["type"] == "message"
    content: list[dict[str, Any]] = []
    open_index: int | None = None
    partial = ""
    for payload in payloads[1:]:
        kind = payload["type"]
        if kind == "content_block_start":
            assert open_index is None, "a block started while another is open"
            assert payload["index"] == len(content), "block indexes must count up from 0"
            block = dict(payload["content_block"])
            assert block["type"] in ("text", "tool_use", "thinking")
            if block["type"] == "thinking":
                assert block == {"type": "thinking", "thinking": "", "signature": ""}
            if block["type"] == "tool_use":
                assert block["input"] == {} and block["id"] and block["name"]
            content.append(block)
            open_index = payload["index"]
            partial = ""
        elif kind == "content_block_delta":
            assert payload["index"] == open_index, "delta for a block that is not open"
            delta = payload["delta"]
            block = content[open_index]
            if delta["type"] == "text_delta":
                assert block["type"] == "text"
                block["text"] += delta["text"]
            elif delta["type"] == "thinking_delta":
                assert block["type"] == "thinking" and not block["signature"], "thinking after its signature"
                block["thinking"] += delta["thinking"]
            elif delta["type"] == "signature_delta":
                assert block["type"] == "thinking"
                block["signature"] += delta["signature"]
            else:
                assert delta["type"] == "input_json_delta" and block["type"] == "tool_use"
                partial += delta["partial_json"]
        elif kind == "content_block_stop":
            assert payload["index"] == open_index
            block = content[open_index]
            if block["type"] == "tool_use":
                block["input"] = json.loads(partial)
                assert isinstance(block["input"], dict)
            if block["type"] == "thinking":
                assert block["signature"], "a thinking block must be signed before it stops"
            open_index = None
        elif kind == "message_delta":
            assert open_index is None, "message_delta while a block is open"
            message.update(payload["delta"])
            message["usage"] = {**message["usage"], **payload["usage"]}
        elif kind == "message_stop":
            pass
        elif kind != "ping":
            raise AssertionError(f"unexpected event {kind}")
    message["content"] = content
    return message


def fold_responses(events: list[SseEvent]) -> dict[str, Any]:
    events = reparse(events)
    payloads = [json.loads(e.data) for e in events]
    for number, (event, payload) in enumerate(zip(events, payloads, strict=True)):
        assert event.event == payload["type"]
        assert payload["sequence_number"] == number, "sequence numbers must count up from 0"
        assert event.data != "[DONE]"
    kinds = [p["type"] for p in payloads]
    assert kinds[0] == "response.created"
    terminal = kinds[-1]
    assert terminal in ("response.completed", "response.incomplete", "response.failed"), kinds
    assert sum(k in ("response.completed", "response.incomplete", "response.failed") for k in kinds) == 1
    if terminal == "response.failed":
        return payloads[-1]["response"]
    assert kinds[1] == "response.in_progress"
    items: list[dict[str, Any]] = []
    open_item: dict[str, Any] | None = None
    text = ""
    arguments = ""
    for payload in payloads[2:-1]:
        kind = payload["type"]
        if kind == "response.output_item.added":
            assert open_item is None, "an item was added while another is open"
            assert payload["output_index"] == len(items)
            open_item = payload["item"]
            assert open_item.get("status") == "in_progress" or open_item["type"] == "reasoning"
            text = arguments = ""
        elif kind == "response.content_part.added":
            assert open_item is not None and open_item["type"] == "message"
            assert payload["item_id"] == open_item["id"] and payload["content_index"] == 0
        elif kind == "response.output_text.delta":
            assert open_item is not None and payload["item_id"] == open_item["id"]
            assert payload["output_index"] == len(items)
            text += payload["delta"]
        elif kind == "response.output_text.done":
            assert payload["text"] == text
        elif kind == "response.content_part.done":
            assert payload["part"] == {"type": "output_text", "text": text, "annotations": []}
        elif kind == "response.reasoning_summary_part.added":
            assert open_item is not None and open_item["type"] == "reasoning" and payload["summary_index"] == 0
            assert payload["item_id"] == open_item["id"]
        elif kind == "response.reasoning_summary_text.delta":
            assert open_item is not None and payload["item_id"] == open_item["id"]
            text += payload["delta"]
        elif kind == "response.reasoning_summary_text.done":
            assert payload["text"] == text
        elif kind == "response.reasoning_summary_part.done":
            assert payload["part"] == {"type": "summary_text", "text": text}
        elif kind == "response.function_call_arguments.delta":
            assert open_item is not None and open_item["type"] == "function_call"
            assert payload["item_id"] == open_item["id"] and payload["output_index"] == len(items)
            arguments += payload["delta"]
        elif kind == "response.function_call_arguments.done":
            assert payload["arguments"] == arguments
        elif kind in ("response.custom_tool_call_input.delta", "response.custom_tool_call_input.done"):
            assert open_item is not None and open_item["type"] == "custom_tool_call"
        elif kind == "response.output_item.done":
            assert open_item is not None and payload["output_index"] == len(items)
            done = payload["item"]
            assert done["id"] == open_item["id"] and done["type"] == open_item["type"]
            assert done.get("status") == "completed" or done["type"] == "reasoning"
            if done["type"] == "reasoning":
                assert done["summary"] == [{"type": "summary_text", "text": text}]
            if done["type"] == "message":
                assert done["content"][0]["text"] == text
            if done["type"] == "function_call":
                assert done["arguments"] == arguments
                json.loads(done["arguments"] or "{}")
            items.append(done)
            open_item = None
        else:
            raise AssertionError(f"unexpected event {kind}")
    assert open_item is None
    response = payloads[-1]["response"]
    assert response["output"] == items
    assert response["status"] == terminal.removeprefix("response.")
    return response
