"""Guards against a Qt binding that corrupts reference counts (PySide6 6.12.0 on Python 3.11 does).

With that build every call of a void Qt method drops one reference to `None` that it never took, and signal
emits do the same to `True`; a long-running app (and the test run) then dies with "none_dealloc:
deallocating None". Pin the binding to a version where this test passes.
"""

from __future__ import annotations

import sys
from typing import Any

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    fired = Signal()


def test_void_calls_keep_none_refcount(qapp: Any) -> None:
    obj = QObject()
    before = sys.getrefcount(None)
    for _ in range(1000):
        obj.setObjectName("probe")
    assert sys.getrefcount(None) - before > -50  # a leak shows as exactly -1000


def test_signal_emit_keeps_bool_refcount(qapp: Any) -> None:
    emitter = _Emitter()
    emitter.fired.connect(lambda: None)
    before = sys.getrefcount(True)
    for _ in range(1000):
        emitter.fired.emit()
    assert sys.getrefcount(True) - before > -50
