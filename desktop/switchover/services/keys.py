"""Keys: the one command tools run to fetch a key, and the one way Switchover reads keys for its own use.

Light on purpose (no httpx, no targets): `switchover key NAME` imports this module on every call a tool makes.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from switchover.core.providers import Provider
from switchover.core.secrets import Keychain, resolve_key


def switchover_command(*args: str) -> tuple[str, ...]:
    """The argv that runs this installation's `switchover` with `args`, as tools are told to run it.

    One answer whoever writes it (the CLI, the app, failover, the wizard, the gateway), and one that does not
    depend on how this process was started: a frozen build runs itself; an install runs the `switchover`
    command that sits next to its Python (the venv's or pipx's `bin/`); a source checkout runs
    `python -m switchover`.
    """
    if getattr(sys, "frozen", False):  # a PyInstaller build: the executable is switchover itself
        return (str(Path(sys.executable).resolve()), *args)
    python = Path(sys.executable)
    script = python.parent / ("switchover.exe" if sys.platform.startswith("win") else "switchover")
    if python.is_absolute() and script.is_file():
        return (str(script), *args)
    return (sys.executable, "-m", "switchover", *args)


def key_helper_command(provider: str) -> tuple[str, ...]:
    """The argv a tool runs to get `provider`'s key at run time (never the key itself): `switchover key NAME`."""
    return switchover_command("key", provider)


class KeySource:
    """Reads providers' keys. The OS keychain is opened lazily, only for a provider that keeps its key there,
    so commands whose keys all come from environment variables never pay for keyring's backend discovery.

    `keychain` may be a ready `Keychain` or a factory (the app passes its own, created on a worker).
    """

    def __init__(self, keychain: Keychain | Callable[[], Keychain] | None = None) -> None:
        self._keychain: Keychain | None = None
        self._factory: Callable[[], Keychain] = Keychain
        if callable(keychain):  # a factory (a `Keychain` instance is not callable)
            self._factory = keychain
        elif keychain is not None:
            self._keychain = keychain

    def keychain(self) -> Keychain:
        if self._keychain is None:
            self._keychain = self._factory()
        return self._keychain

    def resolve(self, provider: Provider) -> str | None:
        """The provider's key; None for keyless providers. Raises `MissingKeyError` (named key not there) or
        another `KeychainError` (keychain locked or unavailable), each with a message saying what to do."""
        if provider.credential.kind == "keychain":
            return resolve_key(provider, self.keychain())
        return resolve_key(provider)

    def resolver(self, provider: Provider) -> Callable[[], str | None]:
        """`resolve` for one provider, called only when needed (e.g. a tool that cannot take a key command)."""
        return lambda: self.resolve(provider)
