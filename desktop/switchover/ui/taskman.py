"""The one way the UI runs work off its thread (model: Anki's `aqt.taskman` and `QueryOp`).

Health checks, file writes and keychain calls block; the UI thread must not. `TaskManager.run` hands a callable
to a thread pool and delivers its result, failure and any progress items back on the UI thread as Qt signals,
so widgets only ever see results on their own thread and tests can `qtbot.waitSignal(task.succeeded)`.

Never touch widgets inside the callable: it runs on a worker thread, where any Qt UI call may crash.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal

log = logging.getLogger(__name__)


class Progress:
    """Handed to a task's callable: `report(item)` streams an item to the UI; `cancelled` says stop early."""

    def __init__(self, task: Task) -> None:
        self._task = task

    def report(self, item: object) -> None:
        self._task._deliver(self._task.progress.emit, item)

    @property
    def cancelled(self) -> bool:
        return self._task.is_cancelled


class Task(QObject):
    """One background job. Signals are always emitted on the UI thread.

    Signals:
        progress(object): an item the callable reported (e.g. one health result as it arrives).
        succeeded(object): the callable's return value.
        failed(object): the exception it raised.
        finished(): after succeeded or failed, in both cases (not after a cancel).
    """

    progress = Signal(object)
    succeeded = Signal(object)
    failed = Signal(object)
    finished = Signal()

    def __init__(self, manager: TaskManager, label: str) -> None:
        super().__init__(manager)
        self.label = label
        self._manager = manager
        self._cancelled = threading.Event()
        self.done = False
        self.future: Future[Any] | None = None

    @property
    def is_cancelled(self) -> bool:
        return self._cancelled.is_set()

    def cancel(self) -> None:
        """Stop delivering anything; the callable sees `progress.cancelled` and should return early."""
        self._cancelled.set()
        if self.future is not None:
            self.future.cancel()

    def _deliver(self, emit: Callable[[Any], None], value: object) -> None:
        def closure() -> None:
            if not self.is_cancelled:
                emit(value)

        self._manager.run_on_main(closure)


class TaskManager(QObject):
    """Thread pools plus a queue of closures drained on the UI thread.

    Two pools, as in Anki: `serial` work (store writes, keychain calls: things that must not interleave) runs
    one at a time in submission order; other work (health checks) runs concurrently.

    Signals:
        busy_changed(int): number of tasks not yet finished, for a spinner or a status line.
    """

    busy_changed = Signal(int)
    _closures_pending = Signal()

    def __init__(self, parent: QObject | None = None, max_workers: int = 8) -> None:
        super().__init__(parent)
        self._parallel = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="switchover-bg")
        self._serial = ThreadPoolExecutor(max_workers=1, thread_name_prefix="switchover-serial")
        self._closures: list[Callable[[], None]] = []
        self._closures_lock = threading.Lock()
        self._active: set[Task] = set()
        self._closed = False
        # Queued: the slot runs on this object's (the UI) thread whichever thread emitted.
        self._closures_pending.connect(self._drain, Qt.ConnectionType.QueuedConnection)

    # ------------------------------------------------------------ API

    def run(
        self,
        fn: Callable[[Progress], Any],
        *,
        on_success: Callable[[Any], None] | None = None,
        on_failure: Callable[[BaseException], None] | None = None,
        on_progress: Callable[[Any], None] | None = None,
        serial: bool = False,
        label: str = "",
    ) -> Task:
        """Run `fn(progress)` on a worker thread; callbacks (all optional) run on the UI thread.

        A failure without `on_failure` is logged, never swallowed silently.
        """
        if self._closed:
            raise RuntimeError("TaskManager is shut down")
        task = Task(self, label or getattr(fn, "__name__", "task"))
        if on_progress is not None:
            task.progress.connect(on_progress)
        if on_success is not None:
            task.succeeded.connect(on_success)
        if on_failure is not None:
            task.failed.connect(on_failure)
        else:
            task.failed.connect(lambda exc, t=task: log.error("Background task %r failed: %r", t.label, exc))
        self._active.add(task)
        self.busy_changed.emit(len(self._active))
        executor = self._serial if serial else self._parallel
        task.future = executor.submit(self._work, task, fn)
        return task

    def run_on_main(self, closure: Callable[[], None]) -> None:
        """Queue `closure` to run on the UI thread (callable from any thread)."""
        with self._closures_lock:
            self._closures.append(closure)
        self._closures_pending.emit()

    @property
    def active_count(self) -> int:
        return len(self._active)

    def shutdown(self, wait: bool = True) -> None:
        """Stop accepting work, cancel what has not started, and (by default) wait for what is running."""
        self._closed = True
        for task in list(self._active):
            task.cancel()
        self._parallel.shutdown(wait=wait, cancel_futures=True)
        self._serial.shutdown(wait=wait, cancel_futures=True)

    # ------------------------------------------------------------ internals

    def _work(self, task: Task, fn: Callable[[Progress], Any]) -> None:
        if task.is_cancelled:
            return
        try:
            result = fn(Progress(task))
        except BaseException as exc:
            error = exc  # `exc` is unbound after the except block; the closure runs later
            self.run_on_main(lambda: self._finish(task, task.failed, error))
        else:
            self.run_on_main(lambda: self._finish(task, task.succeeded, result))

    def _finish(self, task: Task, signal: Any, value: object) -> None:
        task.done = True
        self._active.discard(task)
        if not task.is_cancelled:
            signal.emit(value)
            task.finished.emit()
        self.busy_changed.emit(len(self._active))
        task.deleteLater()

    def _drain(self) -> None:
        """Run queued closures one by one; an exception propagates (pytest-qt reports it), the rest still run."""
        while True:
            with self._closures_lock:
                if not self._closures:
                    return
                closure = self._closures.pop(0)
            try:
                closure()
            except BaseException:
                with self._closures_lock:
                    pending = bool(self._closures)
                if pending:
                    self._closures_pending.emit()
                raise
