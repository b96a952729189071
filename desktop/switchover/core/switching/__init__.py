"""Switching: apply target plans with backups, a journal, atomic writes, rollback, undo and history.

The names below load their modules when first used, so importing a light submodule of this package (the
contract, the trust checks) does not pull in the engine and every config format: `switchover key` relies on it.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_HOMES = {
    "crashpoint": "crashpoints",
    "ExposedFile": "exposure",
    "JournalEntry": "journal",
    **dict.fromkeys(
        ("HealthHook", "SwitchEngine", "SwitchFailedError", "SwitchInProgressError", "SwitchRefusedError",
         "SwitchResult", "ToolOutcome", "ToolStatus", "UndoError", "UndoResult", "VerifyReport"), "engine"),
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(import_module(f"{__name__}.{_HOMES[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
