"""Server-sent events: the frames every streaming protocol here uses, and an incremental decoder.

The decoder follows the WHATWG event-stream parsing rules that matter for model APIs: lines end in LF, CR
or CRLF (even split across reads), ``:`` starts a comment, ``data`` lines of one event are joined with LF,
a field name without a colon has an empty value, one leading space after the colon is dropped, and an event
is dispatched at a blank line (not when its data is empty, as the standard says). ``id`` and ``retry`` are
ignored (no model API relies on reconnection).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SseEvent:
    """One event: ``event`` is the ``event:`` field (None when absent), ``data`` the joined ``data:`` lines."""

    event: str | None
    data: str

    def encode(self) -> bytes:
        """The event as wire bytes, ending with the blank line that dispatches it."""
        head = "" if self.event is None else f"event: {self.event}\n"
        body = "".join(f"data: {line}\n" for line in self.data.split("\n"))
        return f"{head}{body}\n".encode()


class SseDecoder:
    """Bytes in, complete events out. Keeps partial lines (and a trailing CR) between ``feed`` calls."""

    def __init__(self) -> None:
        self._buffer = ""
        self._bytes = b""  # an incomplete UTF-8 sequence at the end of the last chunk
        self._pending_cr = False
        self._event: str | None = None
        self._data: list[str] = []

    def feed(self, chunk: bytes) -> list[SseEvent]:
        """Decode ``chunk`` and return the events it completed (possibly none)."""
        raw = self._bytes + chunk
        cut = _utf8_safe_end(raw)
        self._bytes = raw[cut:]
        text = raw[:cut].decode("utf-8", "replace")
        if self._pending_cr and text:
            self._pending_cr = False
            if text.startswith("\n"):
                text = text[1:]  # the LF of a CRLF split across two reads
        if text:
            self._pending_cr = text.endswith("\r")
        self._buffer += text.replace("\r\n", "\n").replace("\r", "\n")
        events: list[SseEvent] = []
        if "\n" not in self._buffer:
            return events
        lines = self._buffer.split("\n")
        self._buffer = lines.pop()
        for line in lines:
            event = self._line(line)
            if event is not None:
                events.append(event)
        return events

    def close(self) -> list[SseEvent]:
        """End of stream: dispatch an event left without its closing blank line (lenient, like browsers are
        not, because some upstreams end the body right after the last ``data:`` line)."""
        events: list[SseEvent] = []
        if self._bytes:
            self._buffer += self._bytes.decode("utf-8", "replace")
            self._bytes = b""
        if self._buffer:
            event = self._line(self._buffer)
            self._buffer = ""
            if event is not None:
                events.append(event)
        event = self._line("")
        if event is not None:
            events.append(event)
        return events

    def _line(self, line: str) -> SseEvent | None:
        if not line:
            data = "\n".join(self._data)
            event = SseEvent(self._event, data) if data or len(self._data) > 1 else None
            self._event, self._data = None, []
            return event
        if line.startswith(":"):
            return None
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        return None


def _utf8_safe_end(raw: bytes) -> int:
    """Index up to which ``raw`` holds only complete UTF-8 sequences (at most 3 trailing bytes held back)."""
    end = len(raw)
    for back in range(1, min(4, end) + 1):
        byte = raw[end - back]
        if byte & 0xC0 == 0x80:  # continuation byte: keep looking for the lead byte
            continue
        if byte & 0x80 == 0:  # ASCII: everything is complete
            return end
        needed = 2 if byte & 0xE0 == 0xC0 else 3 if byte & 0xF0 == 0xE0 else 4 if byte & 0xF8 == 0xF0 else 1
        return end if back >= needed else end - back
    return end
