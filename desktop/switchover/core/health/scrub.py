"""Keep keys out of anything a check reports: provider messages sometimes echo part of the key."""

from __future__ import annotations

import re

from switchover.core.secrets import redact

# Masked echoes such as OpenAI's "Incorrect API key provided: sk-abc***wxyz".
_MASKED = re.compile(r"\b[A-Za-z0-9][A-Za-z0-9_\-]*\*{2,}[A-Za-z0-9_\-*]*")
_MAX_CHARS = 240


def scrub(text: str, *secrets: str | None, max_chars: int | None = _MAX_CHARS) -> str:
    """Remove each secret (and anything key-like), collapse whitespace, and bound the length."""
    known = tuple(s for s in secrets if s)
    for secret in known:
        if len(secret) >= 12:  # partial echoes keep a prefix or suffix of the key
            text = text.replace(secret, "[key]").replace(secret[:10], "[key]").replace(secret[-6:], "[key]")
    text = _MASKED.sub("[key]", redact(text, known))
    text = " ".join(text.split())
    if max_chars is None or len(text) <= max_chars:
        return text
    return text[: max_chars - 1] + "…"
