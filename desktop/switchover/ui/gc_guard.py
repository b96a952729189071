"""Run Python's cyclic garbage collector on the UI thread only (model: Anki's `garbage_collect_on_main_thread`).

Left automatic, a collection can start on a worker thread (any allocation triggers it) and destroy Qt objects
caught in reference cycles there, which crashes Qt. So automatic collection is off while the app runs and a
timer collects on the UI thread instead; reference counting still frees everything that is not in a cycle.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

DEFAULT_INTERVAL_MS = 5 * 60 * 1000  # rare: cycles are few, and an idle app should stay idle


class MainThreadGarbageCollector(QObject):
    def __init__(self, parent: QObject | None = None, interval_ms: int = DEFAULT_INTERVAL_MS) -> None:
        super().__init__(parent)
        self._was_enabled = gc.isenabled()
        gc.disable()
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.collect)
        self.timer.start()

    def collect(self) -> int:
        return gc.collect()

    def stop(self) -> None:
        """Collect once more here, then give collection back to Python."""
        self.timer.stop()
        gc.collect()
        if self._was_enabled:
            gc.enable()
