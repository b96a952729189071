"""What every CLI handler gets: output helpers, and lazy access to the store, catalog and keychain."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

from switchover.core.secrets import Keychain, redact
from switchover.core.store import Store, load_store
from switchover.core.terminal import json_text, terminal_safe
from switchover.services.keys import KeySource

if TYPE_CHECKING:
    from switchover.core.catalog import Catalog
    from switchover.core.providers import Provider

NO_PROVIDERS = "No providers configured yet. Add one: switchover provider add NAME --preset PRESET"


@dataclass
class CliContext:
    stdout: IO[str] = field(default_factory=lambda: sys.stdout)
    stderr: IO[str] = field(default_factory=lambda: sys.stderr)
    stdin: IO[str] = field(default_factory=lambda: sys.stdin)
    _store: Store | None = None
    _keychain: Keychain | None = None

    # Everything printed goes through `terminal_safe`: provider messages, model ids and server versions are
    # untrusted, and an escape sequence in one must be shown, never acted on by the user's terminal.

    def out(self, text: str = "") -> None:
        print(terminal_safe(text), file=self.stdout)

    def warn(self, text: str) -> None:
        print(f"switchover: warning: {terminal_safe(redact(text))}", file=self.stderr)

    def fail(self, text: str, code: int = 1) -> int:
        print(f"switchover: error: {terminal_safe(redact(text))}", file=self.stderr)
        return code

    def emit_json(self, data: Any) -> None:
        self.stdout.write(json_text(data) + "\n")

    def store(self) -> Store:
        if self._store is None:
            self._store = load_store()
        return self._store

    def catalog(self) -> Catalog:
        from switchover.core.catalog import default_catalog

        return default_catalog()

    def keychain(self) -> Keychain:
        if self._keychain is None:
            self._keychain = Keychain()
        return self._keychain

    def chosen_providers(self, names: list[str]) -> list[Provider]:
        """The named providers (an unknown name is an error, as in `Store.get`), or every configured one."""
        store = self.store()
        return [store.get(name) for name in names] if names else list(store.providers.values())

    def keys(self) -> KeySource:
        """Reads providers' keys; opens the keychain (this context's) only for a provider kept there."""
        return KeySource(self.keychain)


def add_provider_names(parser: Any, verb: str) -> None:
    """The optional NAME... of the commands that act on some or all providers (`ctx.chosen_providers`)."""
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"providers to {verb} (default: all)")


def add_json_flag(parser: Any) -> None:
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")


def table(rows: list[list[str]], headers: list[str]) -> str:
    """A plain aligned text table; no colour, so it pipes cleanly."""
    rows = [[terminal_safe(cell, newlines=False) for cell in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    return "\n".join(lines)
