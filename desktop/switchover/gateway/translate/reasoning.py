"""Carrying a chat provider's reasoning through clients that cannot see it (opt-in, ``keep_reasoning``).

Several chat providers return the model's reasoning in ``reasoning_content`` (DeepSeek, Moonshot, vLLM,
SGLang) or ``reasoning`` (OpenRouter, newer vLLM), and DeepSeek's thinking mode answers 400 when the
reasoning of an assistant turn that called tools is not sent back with the history. The clients keep it for
us when it comes as their own kind of reasoning:
- Claude Code sends ``thinking`` blocks back verbatim, signature included: the gateway signs its blocks with
  ``GATEWAY_SIGNATURE`` and reads them back into ``reasoning_content``;
- Codex sends ``reasoning`` items back with their ``content`` (``reasoning_text``) and no
  ``encrypted_content`` (verified with codex 0.169.0): those become ``reasoning_content`` again.
Neither Anthropic nor OpenAI would accept these (a foreign signature; a reasoning item without encrypted
content under ``store: false``), so ``strip_gateway_reasoning`` removes them from a request before it is
passed through unchanged to a provider that speaks the client's protocol natively.
"""

from __future__ import annotations

from typing import Any

from switchover.gateway.translate.errors import ClientProtocol

GATEWAY_SIGNATURE = "switchover-gateway-reasoning-v1"
REASONING_ID_PREFIX = "rs_swgw_"


def reasoning_text(message: dict[str, Any]) -> str:
    """The reasoning a chat message or delta carries, in either common field ('' when none)."""
    for field in ("reasoning_content", "reasoning"):
        value = message.get(field)
        if isinstance(value, str) and value:
            return value
    return ""


def _blocks(message: object) -> list[Any]:
    content = message.get("content") if isinstance(message, dict) else None
    return content if isinstance(content, list) else []


def _is_gateway_thinking(block: object) -> bool:
    return isinstance(block, dict) and block.get("type") == "thinking" and block.get(
        "signature") == GATEWAY_SIGNATURE


def _is_unreplayable_reasoning(item: object) -> bool:
    return isinstance(item, dict) and item.get("type") == "reasoning" and not item.get("encrypted_content")


def strip_gateway_reasoning(protocol: ClientProtocol, body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """``body`` without the reasoning the gateway made up for the client, and how many pieces were removed.

    Anthropic: ``thinking`` blocks signed with ``GATEWAY_SIGNATURE`` (an assistant message left empty goes
    too). Responses: ``reasoning`` items without ``encrypted_content`` (OpenAI cannot replay those under
    ``store: false`` anyway). Chat Completions requests are returned unchanged. The input is not modified.
    """
    removed = 0
    if protocol is ClientProtocol.ANTHROPIC and isinstance(body.get("messages"), list):
        if not any(_is_gateway_thinking(b) for m in body["messages"] for b in _blocks(m)):
            return body, 0
        out = dict(body)
        messages = []
        for message in body["messages"]:
            content = message.get("content") if isinstance(message, dict) else None
            if isinstance(content, list) and any(_is_gateway_thinking(b) for b in content):
                kept = [b for b in content if not _is_gateway_thinking(b)]
                removed += len(content) - len(kept)
                if kept:
                    messages.append({**message, "content": kept})
            else:
                messages.append(message)
        out["messages"] = messages
        return out, removed
    if protocol is ClientProtocol.RESPONSES and isinstance(body.get("input"), list):
        kept = [item for item in body["input"] if not _is_unreplayable_reasoning(item)]
        removed = len(body["input"]) - len(kept)
        if removed:
            return {**body, "input": kept}, removed
    return body, removed

