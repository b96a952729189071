"""Keyring backends for tests only, selected with PYTHON_KEYRING_BACKEND (works across subprocesses).

`FileKeyring` keeps entries in the JSON file named by SWITCHOVER_TEST_KEYRING (a per-test tmp path), so
tests are isolated and parallel-safe. It stands in for the OS keychain; the real Secret Service has its own
tests (marker `keychain`). `LockedKeyring` behaves like a locked collection.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import KeyringLocked, PasswordDeleteError


def _store_path() -> Path:
    return Path(os.environ["SWITCHOVER_TEST_KEYRING"])


class FileKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def _load(self) -> dict[str, str]:
        try:
            return dict(json.loads(_store_path().read_text()))
        except FileNotFoundError:
            return {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service}/{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        data = self._load()
        data[f"{service}/{username}"] = password
        _store_path().write_text(json.dumps(data))

    def delete_password(self, service: str, username: str) -> None:
        data = self._load()
        if data.pop(f"{service}/{username}", None) is None:
            raise PasswordDeleteError("not found")
        _store_path().write_text(json.dumps(data))


class LockedKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]
    locked = True

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked("Failed to unlock the collection!")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringLocked("Failed to unlock the collection!")

    def delete_password(self, service: str, username: str) -> None:
        raise KeyringLocked("Failed to unlock the collection!")
