"""Providers → probes: one key policy for every surface, keys read once, results in the specs' order."""

from __future__ import annotations

from pathlib import Path

import keyring
import pytest

from switchover.core.health.history import HealthHistory
from switchover.core.health.results import HealthStatus, Tier
from switchover.core.providers import Credential, Endpoint, Protocol, Provider
from switchover.services.keys import KeySource
from switchover.services.probes import ProbeSpec, build_probes, every_endpoint, first_endpoints, sweep
from tests.support.file_keyring import LockedKeyring
from tests.support.provider_server import ProviderServer

LOCAL = "http://127.0.0.1:9"


def _provider(name: str, credential: Credential, *protocols: Protocol) -> Provider:
    return Provider(name, tuple(Endpoint.make(p, LOCAL) for p in protocols or (Protocol.OPENAI_CHAT,)),
                    models=("m-1", "m-2"), credential=credential)


class CountingKeychain:
    def __init__(self, keys: dict[str, str]) -> None:
        self.keys = keys
        self.reads: list[str] = []

    def get(self, name: str) -> str | None:
        self.reads.append(name)
        return self.keys.get(name)


def test_keys_are_read_once_per_provider_and_attached_to_each_endpoint() -> None:
    keychain = CountingKeychain({"two": "sk-two-0123456789abcdef"})
    two = _provider("two", Credential.keychain(), Protocol.ANTHROPIC, Protocol.OPENAI_CHAT)
    probes = build_probes(every_endpoint([two]), Tier.AUTH, KeySource(keychain))  # type: ignore[arg-type]
    assert keychain.reads == ["two"]
    assert [(t.protocol, t.key) for t in probes.probes] == [
        (Protocol.ANTHROPIC, "sk-two-0123456789abcdef"), (Protocol.OPENAI_CHAT, "sk-two-0123456789abcdef")]
    assert probes.unresolved == []


def test_a_missing_key_is_the_providers_problem_and_says_how_to_add_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("UNSET_KEY_VAR", raising=False)
    env = _provider("envy", Credential.env("UNSET_KEY_VAR"))
    stored = _provider("stored", Credential.keychain())
    probes = build_probes(every_endpoint([env, stored]), Tier.AUTH, KeySource(CountingKeychain({})))  # type: ignore[arg-type]
    assert probes.probes == [] and probes.keychain_unusable == set()
    reasons = {r.provider: (r.status, r.reason) for r in probes.unresolved}
    assert reasons["envy"][0] is HealthStatus.AUTH_FAILED and "$UNSET_KEY_VAR" in reasons["envy"][1]
    assert "switchover provider key stored --key-stdin" in reasons["stored"][1]


def test_a_locked_keychain_is_reported_as_locked_and_marked_as_not_the_providers_fault() -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(LockedKeyring())
    try:
        locked = _provider("locked", Credential.keychain(), Protocol.ANTHROPIC, Protocol.OPENAI_CHAT)
        probes = build_probes(every_endpoint([locked]), Tier.AUTH, KeySource())
    finally:
        keyring.set_keyring(previous)
    assert probes.probes == []
    assert probes.keychain_unusable == {"locked/anthropic", "locked/openai-chat"}
    assert all(r.status is HealthStatus.AUTH_FAILED and "is locked" in r.reason for r in probes.unresolved)


def test_a_typed_key_wins_and_reach_reads_no_key() -> None:
    keychain = CountingKeychain({"p": "sk-stored-0123456789abcdef"})
    provider = _provider("p", Credential.keychain())
    typed = build_probes(every_endpoint([provider]), Tier.AUTH, KeySource(keychain),  # type: ignore[arg-type]
                         {"p": "sk-typed-0123456789abcdef"})
    assert [t.key for t in typed.probes] == ["sk-typed-0123456789abcdef"]
    reach = build_probes(every_endpoint([provider]), Tier.REACH, KeySource(keychain))  # type: ignore[arg-type]
    assert [t.key for t in reach.probes] == [None]
    assert keychain.reads == []


def test_specs_pick_endpoints_and_narrow_models() -> None:
    both = _provider("both", Credential.none(), Protocol.ANTHROPIC, Protocol.OPENAI_CHAT)
    chat = _provider("chat", Credential.none(), Protocol.OPENAI_CHAT)
    assert [s.endpoint_key for s in every_endpoint([both, chat], only={"both/openai-chat"})] == ["both/openai-chat"]
    specs, skipped = first_endpoints([both, chat], Protocol.ANTHROPIC)
    assert [s.endpoint_key for s in specs] == ["both/anthropic"] and skipped == ["chat"]
    assert [s.endpoint_key for s in first_endpoints([both, chat])[0]] == ["both/anthropic", "chat/openai-chat"]
    narrowed = build_probes([ProbeSpec(chat, Protocol.OPENAI_CHAT, ("m-2",))], Tier.AUTH)
    assert narrowed.probes[0].models == ("m-2",)
    assert build_probes([ProbeSpec(chat)], Tier.AUTH).probes[0].models == ("m-1", "m-2")


def test_a_sweep_streams_everything_keeps_the_order_and_records_once(tmp_path: Path) -> None:
    with ProviderServer() as server:
        server.play("openai-chat", "ok", models=("m-1", "m-2"))
        good = Provider("good", (Endpoint.make(Protocol.OPENAI_CHAT, server.base_url("openai-chat")),),
                        models=("m-1",), credential=Credential.none())
        nokey = _provider("nokey", Credential.keychain())
        probes = build_probes(every_endpoint([nokey, good]), Tier.AUTH, KeySource(CountingKeychain({})))  # type: ignore[arg-type]
        streamed: list[str] = []
        history = HealthHistory(tmp_path / "health")
        results = sweep(probes, Tier.AUTH, on_result=lambda r: streamed.append(r.endpoint_key), history=history)
    assert [r.endpoint_key for r in results] == ["nokey/openai-chat", "good/openai-chat"]
    assert sorted(streamed) == ["good/openai-chat", "nokey/openai-chat"]
    assert [r.status for r in results] == [HealthStatus.AUTH_FAILED, HealthStatus.OK]
    assert sorted(history.endpoints()) == ["good/openai-chat", "nokey/openai-chat"]
