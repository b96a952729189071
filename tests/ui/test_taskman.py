"""The background-work API: results, failures and progress arrive on the UI thread, in order."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from switchover.ui.taskman import Progress, TaskManager


@pytest.fixture
def tasks(qapp: Any) -> Any:
    manager = TaskManager()
    yield manager
    manager.shutdown(wait=True)
    manager.deleteLater()


def test_result_arrives_on_ui_thread(tasks: TaskManager, qtbot: Any) -> None:
    ui_thread = threading.get_ident()
    seen: dict[str, int] = {}

    def work(_p: Progress) -> int:
        seen["worker"] = threading.get_ident()
        return 41 + 1

    def done(value: int) -> None:
        seen["callback"] = threading.get_ident()
        seen["value"] = value

    task = tasks.run(work, on_success=done)
    with qtbot.waitSignal(task.finished, timeout=3000):
        pass
    assert seen["value"] == 42
    assert seen["callback"] == ui_thread
    assert seen["worker"] != ui_thread


def test_failure_is_delivered_not_swallowed(tasks: TaskManager, qtbot: Any) -> None:
    def work(_p: Progress) -> None:
        raise ValueError("broken config at line 3")

    task = tasks.run(work, on_failure=lambda _exc: None)
    with qtbot.assertNotEmitted(task.succeeded), qtbot.waitSignal(task.failed, timeout=3000) as blocker:
        pass
    assert isinstance(blocker.args[0], ValueError)
    assert "line 3" in str(blocker.args[0])


def test_progress_streams_before_success(tasks: TaskManager, qtbot: Any) -> None:
    events: list[tuple[str, Any]] = []

    def work(progress: Progress) -> str:
        for i in range(5):
            progress.report(i)
            time.sleep(0.01)
        return "done"

    task = tasks.run(
        work,
        on_progress=lambda item: events.append(("progress", item)),
        on_success=lambda value: events.append(("success", value)),
    )
    with qtbot.waitSignal(task.finished, timeout=3000):
        pass
    assert events == [("progress", i) for i in range(5)] + [("success", "done")]


def test_serial_tasks_never_overlap_and_keep_order(tasks: TaskManager, qtbot: Any) -> None:
    order: list[int] = []
    running = threading.Event()
    overlaps: list[int] = []

    def make(n: int) -> Any:
        def work(_p: Progress) -> int:
            if running.is_set():
                overlaps.append(n)
            running.set()
            time.sleep(0.02)
            order.append(n)
            running.clear()
            return n

        return work

    last = None
    for n in range(4):
        last = tasks.run(make(n), serial=True)
    assert last is not None
    with qtbot.waitSignal(last.finished, timeout=3000):
        pass
    assert order == [0, 1, 2, 3]
    assert overlaps == []


def test_cancelled_task_delivers_nothing(tasks: TaskManager, qtbot: Any) -> None:
    release = threading.Event()
    delivered: list[object] = []

    def work(progress: Progress) -> str:
        release.wait(3)
        progress.report("late item")
        return "late"

    task = tasks.run(work, on_success=delivered.append, on_progress=delivered.append)
    task.cancel()
    release.set()
    qtbot.waitUntil(lambda: tasks.active_count == 0, timeout=3000)
    assert delivered == []


def test_busy_count_tracks_running_tasks(tasks: TaskManager, qtbot: Any) -> None:
    counts: list[int] = []
    tasks.busy_changed.connect(counts.append)
    gate = threading.Event()
    task = tasks.run(lambda _p: gate.wait(3))
    assert tasks.active_count == 1
    gate.set()
    with qtbot.waitSignal(task.finished, timeout=3000):
        pass
    assert counts[0] == 1
    assert counts[-1] == 0


def test_ui_thread_stays_responsive_while_work_blocks(tasks: TaskManager, qtbot: Any) -> None:
    gate = threading.Event()
    task = tasks.run(lambda _p: gate.wait(5))
    ticks: list[float] = []
    from PySide6.QtCore import QTimer

    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start(10)
    qtbot.wait(200)
    timer.stop()
    gate.set()
    with qtbot.waitSignal(task.finished, timeout=3000):
        pass
    assert len(ticks) >= 5  # the event loop kept running while the worker blocked
