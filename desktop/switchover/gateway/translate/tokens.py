"""An estimate of an Anthropic request's input tokens, for ``count_tokens`` when the upstream has none.

Claude Code asks ``count_tokens`` to size its context (auto-compaction, the context meter); a Chat
Completions provider has no such endpoint and the gateway must not call a paid completion to find out. The
estimate errs slightly high, which only makes compaction come a little earlier:
- text: ASCII at about 3.5 characters per token (code and JSON tokenise denser than prose), CJK
  ideographs and kana at 1 token each, other non-ASCII letters at 2 characters per token;
- images: Anthropic's own rule, width × height / 750 capped at about 1,600 (the size it rescales to), read
  from the PNG/GIF/JPEG/WebP header of base64 data; 1,600 when the size is unknown (URLs, other formats);
- structure: a few tokens per message, block and tool for the framing the model sees.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import struct
from typing import Any

_IMAGE_TOKENS_MAX = 1600
_PER_MESSAGE = 4
_PER_BLOCK = 3
_PER_TOOL = 10
_REQUEST_OVERHEAD = 8
# Kana, CJK ideographs, Hangul syllables, CJK compatibility ideographs: about one token per character.
_DENSE_RANGES = ((0x3040, 0x30FF), (0x3400, 0x9FFF), (0xAC00, 0xD7AF), (0xF900, 0xFAFF))
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _text_tokens(text: str) -> float:
    if text.isascii():
        return len(text) / 3.5
    wide = _NON_ASCII.findall(text)
    dense = sum(1 for char in wide if any(low <= ord(char) <= high for low, high in _DENSE_RANGES))
    return (len(text) - len(wide)) / 3.5 + dense + (len(wide) - dense) / 2


def _image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from the first bytes of a PNG, GIF, JPEG or WebP file."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP" and len(data) >= 30:
        chunk = data[12:16]
        if chunk == b"VP8X":
            return 1 + int.from_bytes(data[24:27], "little"), 1 + int.from_bytes(data[27:30], "little")
        if chunk == b"VP8 ":
            width, height = struct.unpack("<HH", data[26:30])
            return int(width) & 0x3FFF, int(height) & 0x3FFF
        if chunk == b"VP8L" and len(data) >= 25:
            bits = int.from_bytes(data[21:25], "little")
            return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if data.startswith(b"\xff\xd8"):
        return _jpeg_size(data)
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    position = 2
    while position + 9 < len(data):
        if data[position] != 0xFF:
            return None
        marker = data[position + 1]
        length = int.from_bytes(data[position + 2:position + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[position + 5:position + 9])
            return int(width), int(height)
        position += 2 + length
    return None


def _image_tokens(block: dict[str, Any]) -> int:
    source = block.get("source")
    if isinstance(source, dict) and source.get("type") == "base64" and isinstance(source.get("data"), str):
        head = source["data"][:100_000]
        head = head[: len(head) - len(head) % 4]
        try:
            size = _image_size(base64.b64decode(head, validate=False))
        except (binascii.Error, ValueError):
            size = None
        if size and size[0] > 0 and size[1] > 0:
            width, height = size
            scale = min(1.0, math.sqrt(1_150_000 / (width * height)), 1568 / max(width, height))
            return min(_IMAGE_TOKENS_MAX, math.ceil(width * scale * height * scale / 750))
    return _IMAGE_TOKENS_MAX


def _content_tokens(content: object) -> float:
    if isinstance(content, str):
        return _text_tokens(content)
    if not isinstance(content, list):
        return 0.0
    total = 0.0
    for block in content:
        if not isinstance(block, dict):
            continue
        total += _PER_BLOCK
        kind = block.get("type")
        if kind == "text":
            total += _text_tokens(str(block.get("text", "")))
        elif kind == "image":
            total += _image_tokens(block)
        elif kind == "tool_use":
            total += _text_tokens(str(block.get("name", ""))) + _text_tokens(json.dumps(block.get("input", {})))
        elif kind == "tool_result":
            total += _content_tokens(block.get("content"))
        elif kind == "thinking":
            total += _text_tokens(str(block.get("thinking", "")))
        elif kind == "document":
            source = block.get("source")
            source = source if isinstance(source, dict) else {}
            data = source.get("data")
            if isinstance(data, str) and source.get("type") == "text":
                total += _text_tokens(data)
            else:  # a PDF: its text is not readable here; count its size like dense text
                total += len(data) * 3 / 4 / 3.5 if isinstance(data, str) else _IMAGE_TOKENS_MAX
        else:
            total += _text_tokens(json.dumps(block, ensure_ascii=False))
    return total


def estimate_input_tokens(anthropic_body: dict[str, Any]) -> int:
    """Estimated input tokens of an Anthropic Messages (or ``count_tokens``) request body."""
    if not isinstance(anthropic_body, dict):
        return 0
    total = float(_REQUEST_OVERHEAD)
    system = anthropic_body.get("system")
    if system:
        total += _content_tokens(system)
    for message in anthropic_body.get("messages") or []:
        if isinstance(message, dict):
            total += _PER_MESSAGE + _content_tokens(message.get("content"))
    for tool in anthropic_body.get("tools") or []:
        if isinstance(tool, dict):
            schema = tool.get("input_schema")
            total += _PER_TOOL + _text_tokens(str(tool.get("name", ""))) + _text_tokens(
                str(tool.get("description", ""))) + (_text_tokens(json.dumps(schema)) if schema else 0)
    return math.ceil(total)
