"""Switching: apply target plans with backups, a journal, atomic writes, rollback, undo and history."""

from switchover.core.switching.crashpoints import crashpoint
from switchover.core.switching.engine import (
    HealthHook,
    SwitchEngine,
    SwitchFailedError,
    SwitchInProgressError,
    SwitchRefusedError,
    SwitchResult,
    ToolOutcome,
    ToolStatus,
    UndoError,
    UndoResult,
    VerifyReport,
)
from switchover.core.switching.exposure import ExposedFile
from switchover.core.switching.journal import JournalEntry

__all__ = [
    "ExposedFile",
    "HealthHook",
    "JournalEntry",
    "SwitchEngine",
    "SwitchFailedError",
    "SwitchInProgressError",
    "SwitchRefusedError",
    "SwitchResult",
    "ToolOutcome",
    "ToolStatus",
    "UndoError",
    "UndoResult",
    "VerifyReport",
    "crashpoint",
]
