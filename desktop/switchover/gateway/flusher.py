"""Writing what requests leave behind (log lines, usage, health evidence) off the event loop, in batches.

The event loop only appends to a bounded in-memory queue: no I/O, no lock, and no thread wake-up per request.
One writer thread is woken at most once per `flush_s` (the first item after a quiet spell wakes it; it then
waits `flush_s` so a burst becomes one batch), so a busy gateway pays one thread switch per batch, not per
request. A writer that falls behind (a stuck disk) loses the oldest items, counted in `dropped`, instead of
growing without bound; the gateway itself never waits for it.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


class BatchWriter(Generic[T]):
    def __init__(self, write: Callable[[list[T]], None], *, name: str, flush_s: float = 0.5,
                 max_pending: int = 10_000):
        self._write = write
        self._name = name
        self.flush_s = flush_s
        self._pending: deque[T] = deque(maxlen=max_pending)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._start_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.dropped = 0

    def add(self, item: T) -> None:
        """O(1) and non-blocking; safe from any one thread at a time (the gateway's event loop)."""
        pending = self._pending
        if len(pending) == pending.maxlen:
            self.dropped += 1
        pending.append(item)
        if self._thread is None:
            self._start()
        if not self._wake.is_set():  # an attribute read: only the first item of a batch wakes the writer
            self._wake.set()

    def _start(self) -> None:
        with self._start_lock:
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(target=self._loop, name=self._name, daemon=True)
                self._thread.start()

    def close(self, timeout: float = 5.0) -> None:
        """Write what is pending and stop the writer (items added later are written by a new one)."""
        with self._start_lock:
            thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stop.set()
        self._wake.set()
        thread.join(timeout)
        if not thread.is_alive():
            self._stop.clear()

    def _loop(self) -> None:
        while True:
            self._wake.wait()
            if not self._stop.is_set():
                self._stop.wait(self.flush_s)  # gather the rest of the burst (cut short by close())
            self._wake.clear()  # before draining: an item added after this wakes the next round
            batch = self._drain()
            if batch:
                try:
                    self._write(batch)
                except Exception:  # never let a disk problem stop the gateway
                    log.warning("%s: could not write %d item(s)", self._name, len(batch), exc_info=True)
            if self._stop.is_set():
                rest = self._drain()
                if rest:
                    try:
                        self._write(rest)
                    except Exception:
                        log.warning("%s: could not write %d item(s)", self._name, len(rest), exc_info=True)
                return

    def _drain(self) -> list[T]:
        pending = self._pending
        batch: list[T] = []
        while pending:
            try:
                batch.append(pending.popleft())
            except IndexError:
                break
        return batch
