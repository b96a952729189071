"""The UI's view of core state: the store, app settings and the keychain, loaded and saved off the UI thread.

Widgets read `AppState` and listen to its signals; every change goes through `edit()`, which runs the core's
locked read-modify-write (`edit_store`) on the serial worker and then publishes the new store.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from switchover.core.store import Store, edit_store, load_store
from switchover.ui.settings import AppSettings
from switchover.ui.taskman import Progress, Task, TaskManager

log = logging.getLogger(__name__)


class AppState(QObject):
    """Signals:
    store_changed(): `store` and `settings` were (re)loaded.
    store_failed(str): the store could not be read or written; the message names file and line.
    """

    store_changed = Signal()
    store_failed = Signal(str)

    def __init__(self, tasks: TaskManager, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.tasks = tasks
        self.store = Store()
        self.settings = AppSettings()
        self.loaded = False
        self._keychain: Any = None

    # ------------------------------------------------------------ store

    def reload(self) -> Task:
        return self.tasks.run(
            lambda _p: load_store(), on_success=self._publish, on_failure=self._failed, serial=True,
            label="load store",
        )

    def edit(
        self,
        change: Callable[[Store], Any],
        on_done: Callable[[Any], None] | None = None,
        on_failure: Callable[[BaseException], None] | None = None,
    ) -> Task:
        """Apply `change(store)` under the store lock on the serial worker, then publish the saved store."""

        def work(_progress: Progress) -> tuple[Store, Any]:
            with edit_store() as store:
                result = change(store)
            return store, result

        def done(value: tuple[Store, Any]) -> None:
            store, result = value
            self._publish(store)
            if on_done is not None:
                on_done(result)

        def failed(exc: BaseException) -> None:
            self._failed(exc)
            if on_failure is not None:
                on_failure(exc)

        return self.tasks.run(work, on_success=done, on_failure=failed, serial=True, label="edit store")

    def failover_settings(self) -> Any:
        """The failover policy's settings from the store (defaults if the table is invalid: shown elsewhere)."""
        from switchover.core.errors import SwitchoverError
        from switchover.core.failover.settings import FailoverSettings, load_settings

        try:
            return load_settings(self.store)
        except SwitchoverError:
            return FailoverSettings()

    def save_settings(self, settings: AppSettings, on_done: Callable[[Any], None] | None = None) -> Task:
        return self.edit(settings.write_to, on_done=on_done)

    def _publish(self, store: Store) -> None:
        self.store = store
        self.settings = AppSettings.from_store(store)
        self.loaded = True
        self.store_changed.emit()

    def _failed(self, exc: BaseException) -> None:
        log.warning("store: %s", exc)
        self.store_failed.emit(str(exc))

    # ------------------------------------------------------------ keychain (worker threads only)

    def keychain(self) -> Any:
        """The core `Keychain`, created lazily on a worker (importing keyring backends is slow)."""
        if self._keychain is None:
            from switchover.core.secrets import Keychain

            self._keychain = Keychain()
        return self._keychain
