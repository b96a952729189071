"""Small, pure helpers for relaying Server-Sent Events without parsing more than needed."""

from __future__ import annotations

import json
from typing import Any

from switchover.core import safejson

_ENDS = (b"\n\n", b"\r\n\r\n")


MAX_EVENT_BYTES = 32 * 1024 * 1024  # no model API sends one event this large; beyond it the stream is refused


class EventTooLarge(ValueError):
    """An upstream sent more than `MAX_EVENT_BYTES` without ending an event (garbage, or hostile)."""


class EventBoundary:
    """Hands on only whole events, so a stream cut by the upstream can still be ended with a well-formed
    error event. Chunks almost always end on a boundary already; a partial tail waits for the rest. The tail
    is kept as a list of chunks (no copying per chunk) and bounded by `max_event` bytes."""

    __slots__ = ("_max", "_size", "_tail")

    def __init__(self, max_event: int | None = None) -> None:
        self._tail: list[bytes] = []
        self._size = 0
        self._max = MAX_EVENT_BYTES if max_event is None else max_event

    def feed(self, chunk: bytes) -> bytes:
        """The whole events completed by `chunk`; raises `EventTooLarge` when the open event grows too big."""
        if not self._tail:
            data = chunk
        else:
            # a boundary may straddle the tail's end and the chunk: look at the tail's last 3 bytes too
            edge = self._tail[-1][-3:] + chunk[:3]
            if b"\n\n" not in chunk and b"\r\n\r\n" not in chunk and b"\n\n" not in edge \
                    and b"\r\n\r\n" not in edge:
                self._keep(chunk)
                return b""
            data = b"".join(self._tail) + chunk
            self._tail, self._size = [], 0
        if data.endswith(_ENDS):
            return data
        cut = max(data.rfind(b"\n\n") + 2, data.rfind(b"\r\n\r\n") + 4)
        if cut <= 3:  # rfind found nothing (-1 + 2 or -1 + 4)
            self._keep(data)
            return b""
        if cut < len(data):
            self._keep(data[cut:])
        return data[:cut]

    def _keep(self, data: bytes) -> None:
        self._tail.append(data)
        self._size += len(data)
        if self._size > self._max:
            self._tail, self._size = [], 0
            raise EventTooLarge(f"the upstream sent more than {self._max // (1024 * 1024)} MB without ending "
                                "an event")

    def flush(self) -> bytes:
        """What is left at the end of a stream that ended normally (it may lack the final blank line)."""
        tail = b"".join(self._tail)
        self._tail, self._size = [], 0
        return tail

    @property
    def pending(self) -> bool:
        return bool(self._tail)


def first_event(chunk: bytes) -> tuple[str | None, Any] | None:
    """(event name, parsed data) of the first event in `chunk`, when it is complete and its data is JSON."""
    end = min((i for i in (chunk.find(b"\n\n"), chunk.find(b"\r\n\r\n")) if i >= 0), default=-1)
    if end < 0:
        return None
    name: str | None = None
    data_lines: list[bytes] = []
    for line in chunk[:end].splitlines():
        if line.startswith(b"event:"):
            name = line[6:].strip().decode("utf-8", "replace")
        elif line.startswith(b"data:"):
            data_lines.append(line[5:].strip())
    if not data_lines:
        return None
    try:
        return name, safejson.loads(b"\n".join(data_lines))
    except ValueError:
        return name, None


# Anthropic stream error types -> the HTTP status the same error has as a plain answer.
_ANTHROPIC_ERROR_STATUS = {
    "overloaded_error": 529,
    "rate_limit_error": 429,
    "api_error": 500,
    "authentication_error": 401,
    "permission_error": 403,
    "not_found_error": 404,
    "invalid_request_error": 400,
    "request_too_large": 413,
}


def early_error(chunk: bytes) -> tuple[int, bytes] | None:
    """An error event at the very start of a 200 stream (status, JSON error body): the upstream failed
    before saying anything, so the request may still fail over."""
    if b"error" not in chunk[:4096]:
        return None
    found = first_event(chunk)
    if found is None:
        return None
    name, data = found
    if not isinstance(data, dict):
        return None
    opening_error = name == "error" or data.get("type") in ("error", "response.failed")
    if opening_error or ("error" in data and not data.get("choices")):
        error = data.get("error")
        if name == "response.failed" or data.get("type") == "response.failed":
            response = data.get("response")
            error = response.get("error") if isinstance(response, dict) else error
        kind = error.get("type") or error.get("code") if isinstance(error, dict) else None
        status = _ANTHROPIC_ERROR_STATUS.get(str(kind), 500)
        if isinstance(error, dict) and isinstance(error.get("code"), int):
            status = int(error["code"])
        body = {"error": error} if isinstance(error, dict) else {"error": {"message": str(error)}}
        return status, json.dumps(body).encode()
    return None
