"""The count_tokens estimate: plausible against known sizes, monotone, images by their real size."""

from __future__ import annotations

import base64
import json
import struct
import zlib
from pathlib import Path

from switchover.gateway.translate import estimate_input_tokens

FIXTURES = Path(__file__).parent / "fixtures"


def png(width: int, height: int) -> str:
    def block(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return base64.b64encode(b"\x89PNG\r\n\x1a\n" + block(b"IHDR", header) + block(b"IEND", b"")).decode()


def jpeg(width: int, height: int) -> str:
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return base64.b64encode(b"\xff\xd8" + b"\xff\xe0" + struct.pack(">H", 4) + b"JF" + sof + b"\xff\xd9").decode()


def gif(width: int, height: int) -> str:
    return base64.b64encode(b"GIF89a" + struct.pack("<HH", width, height) + b"\x00" * 8).decode()


def image_body(data: str, media: str = "image/png") -> dict[str, object]:
    return {"messages": [{"role": "user", "content": [
        {"type": "image", "source": {"type": "base64", "media_type": media, "data": data}}]}]}


def test_english_prose_is_close_to_four_characters_per_token() -> None:
    text = "The quick brown fox jumps over the lazy dog. " * 100
    estimate = estimate_input_tokens({"messages": [{"role": "user", "content": text}]})
    assert len(text) / 4.5 < estimate < len(text) / 3


def test_cjk_text_counts_about_one_token_per_character() -> None:
    text = "模型切换助手" * 100
    estimate = estimate_input_tokens({"messages": [{"role": "user", "content": text}]})
    assert len(text) <= estimate < len(text) * 1.2


def test_images_count_by_their_size_with_anthropics_rule() -> None:
    assert estimate_input_tokens(image_body(png(200, 200))) - estimate_input_tokens(image_body("")) < 0
    small = estimate_input_tokens(image_body(png(200, 200)))
    assert 50 < small < 80  # 200*200/750 = 53 plus framing
    assert 1400 < estimate_input_tokens(image_body(png(1092, 1092))) < 1700
    assert estimate_input_tokens(image_body(jpeg(400, 300), "image/jpeg")) == estimate_input_tokens(
        image_body(png(400, 300)))
    assert estimate_input_tokens(image_body(gif(400, 300), "image/gif")) == estimate_input_tokens(
        image_body(png(400, 300)))
    huge = estimate_input_tokens(image_body(png(8000, 8000)))
    assert huge <= 1600 + 20
    url = {"messages": [{"role": "user", "content": [{"type": "image", "source": {"type": "url", "url": "u"}}]}]}
    assert estimate_input_tokens(url) >= 1600


def test_tools_system_and_history_all_count() -> None:
    base = {"messages": [{"role": "user", "content": "hi"}]}
    with_system = {**base, "system": [{"type": "text", "text": "You are helpful. " * 50}]}
    with_tools = {**base, "tools": [{"name": "Read", "description": "Read a file " * 20,
                                     "input_schema": {"type": "object", "properties": {"p": {"type": "string"}}}}]}
    with_history = {"messages": [*base["messages"],
                                 {"role": "assistant", "content": [{"type": "tool_use", "id": "t", "name": "Read",
                                                                    "input": {"path": "/a/b/c" * 20}}]},
                                 {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t",
                                                               "content": "line\n" * 200}]}]}
    plain = estimate_input_tokens(base)
    for bigger in (with_system, with_tools, with_history):
        assert estimate_input_tokens(bigger) > plain + 50


def test_real_claude_code_request_estimate_is_in_a_plausible_band() -> None:
    body = json.loads((FIXTURES / "claude-request-1.json").read_text())["body"]
    characters = len(json.dumps(body, ensure_ascii=False))
    estimate = estimate_input_tokens(body)
    assert characters / 5 < estimate < characters / 2.5


def test_garbage_does_not_crash() -> None:
    assert estimate_input_tokens({}) > 0
    assert estimate_input_tokens({"messages": "nope", "tools": [1, None], "system": 5}) > 0
    assert estimate_input_tokens(image_body("!!!not base64")) >= 1600
