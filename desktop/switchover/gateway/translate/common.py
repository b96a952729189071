"""What every translation returns, and small helpers shared by both directions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Translated:
    """A translated request: ``body`` is the Chat Completions request (the model id unchanged: aliasing is
    the gateway's job), ``notes`` say what was deliberately left out (e.g. ``cache_control``) so the gateway
    can log it. Anything that would change the meaning of the request raises ``Untranslatable`` instead."""

    body: dict[str, Any]
    notes: tuple[str, ...] = field(default=())
