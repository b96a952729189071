"""An estimate of an Anthropic request's input tokens, for ``count_tokens`` when the upstream has none."""

from __future__ import annotations

from typing import Any


def estimate_input_tokens(anthropic_body: dict[str, Any]) -> int:
    raise NotImplementedError
