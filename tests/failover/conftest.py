"""Fixtures for failover tests: real provider servers, a store with a chain, Claude Code pointed at it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from switchover.core.providers import Credential, Endpoint, Protocol, Provider
from switchover.core.secrets import Keychain
from switchover.core.store import ChainEntry, edit_store
from tests.support.fixtures import provider_server  # re-exported fixture
from tests.support.provider_server import ProviderServer

__all__ = ["provider_server"]

MODEL = "test-model"


@dataclass
class Scenario:
    home: Path
    servers: dict[str, ProviderServer]

    @property
    def settings_path(self) -> Path:
        return self.home / ".claude" / "settings.json"

    def claude_base_url(self) -> str | None:
        data = json.loads(self.settings_path.read_text())
        value = data.get("env", {}).get("ANTHROPIC_BASE_URL")
        return str(value) if value else None

    def url(self, name: str) -> str:
        return self.servers[name].base_url("anthropic")

    def play(self, name: str, behaviour: str) -> None:
        self.servers[name].play("anthropic", behaviour, (MODEL,))

    def requests(self, name: str) -> int:
        return len(self.servers[name].requests)


def point_claude_at(home: Path, base_url: str, model: str = MODEL) -> None:
    """Claude Code's settings as a user would have them, with unrelated keys we must keep."""
    path = home / ".claude" / "settings.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({
        "theme": "dark",
        "env": {"ANTHROPIC_BASE_URL": base_url, "ANTHROPIC_MODEL": model, "MY_OWN_VAR": "keep me"},
        "permissions": {"allow": ["Bash(ls:*)"]},
    }, indent=2) + "\n")


@pytest.fixture
def scenario(provider_server: Callable[..., ProviderServer], isolated_home: Path) -> Iterator[Scenario]:
    """Two Anthropic-protocol providers on real local servers; Claude Code uses `primary`; chain
    primary → backup for claude-code; keys in the (test) keychain."""
    servers = {"primary": provider_server(), "backup": provider_server()}
    for server in servers.values():
        server.play("anthropic", "ok", (MODEL,))
    keychain = Keychain()
    with edit_store() as store:
        for name, server in servers.items():
            store.add(Provider(name=name, endpoints=(Endpoint.make(Protocol.ANTHROPIC, server.base_url("anthropic")),),
                               models=(MODEL,), label=name.title(), credential=Credential.keychain()))
            keychain.set(name, f"sk-test-{name}-0123456789abcdef")
        store.chains["claude-code"] = [ChainEntry("primary", MODEL), ChainEntry("backup", MODEL)]
    point_claude_at(isolated_home, servers["primary"].base_url("anthropic"))
    yield Scenario(isolated_home, servers)
