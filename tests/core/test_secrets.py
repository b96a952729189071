from __future__ import annotations

import keyring
import pytest
from keyring.backends import fail
from tests.support.file_keyring import LockedKeyring

from switchover.core.providers import Credential, Endpoint, Protocol, Provider
from switchover.core.secrets import (
    Keychain,
    KeychainLockedError,
    KeychainUnavailableError,
    MissingKeyError,
    redact,
    redact_value,
    resolve_key,
)

FAKE = "sk-test-0123456789abcdefSECRET"


def _provider(credential: Credential) -> Provider:
    return Provider("p", (Endpoint.make(Protocol.OPENAI_CHAT, "https://x.example.com/v1"),), credential=credential)


def test_store_read_delete_roundtrip() -> None:
    chain = Keychain()
    assert chain.status().usable
    chain.set("p", FAKE)
    assert chain.get("p") == FAKE
    assert resolve_key(_provider(Credential.keychain()), chain) == FAKE
    assert chain.delete("p") is True
    assert chain.get("p") is None
    assert chain.delete("p") is False


def test_no_backend_is_a_clear_error_never_plaintext() -> None:
    keyring.set_keyring(fail.Keyring())
    chain = Keychain()
    status = chain.status()
    assert not status.is_system and not status.usable
    assert status.problem and "--key-env" in status.problem
    with pytest.raises(KeychainUnavailableError, match="gnome-keyring"):
        chain.set("p", FAKE)


def test_locked_keychain_says_unlock() -> None:
    keyring.set_keyring(LockedKeyring())
    chain = Keychain()
    assert chain.status().is_system and not chain.status().is_unlocked
    with pytest.raises(KeychainLockedError, match="locked"):
        chain.get("p")


def test_env_credential(monkeypatch: pytest.MonkeyPatch) -> None:
    provider = _provider(Credential.env("MY_KEY"))
    with pytest.raises(MissingKeyError, match=r"\$MY_KEY"):
        resolve_key(provider)
    monkeypatch.setenv("MY_KEY", FAKE)
    assert resolve_key(provider) == FAKE


def test_missing_keychain_entry_says_how_to_add() -> None:
    with pytest.raises(MissingKeyError, match="provider key p --key-stdin"):
        resolve_key(_provider(Credential.keychain()), Keychain())


def test_none_credential_needs_nothing() -> None:
    assert resolve_key(_provider(Credential.none())) is None


def test_multiline_key_rejected() -> None:
    with pytest.raises(Exception, match="one line"):
        Keychain().set("p", "abc\ndef")


@pytest.mark.parametrize(
    "secret",
    [
        "sk-ant-api03-abcdefghijklmnopqrstuvwxyz012345",
        "sk-proj-ABCDEFGHIJKLMNOP1234567890",
        "AIzaSyA1234567890abcdefghijklmnopqrstu",
        "0123456789abcdef0123456789abcdef.AbCdEfGhIjKlMnOp",
    ],
)
def test_redact_catches_key_shapes(secret: str) -> None:
    text = f"request failed with key {secret} at host"
    out = redact(text)
    assert secret not in out
    assert secret[-4:] in out and "at host" in out


def test_redact_known_secret_of_any_shape() -> None:
    assert "hunter2hunter2" not in redact("pw=hunter2hunter2", ("hunter2hunter2",))


def test_redact_value_shape() -> None:
    assert redact_value("sk-abcdefghijklmnop1234") == "sk-…1234"
    assert redact_value("short") == "…"


def test_redact_leaves_normal_text() -> None:
    text = "Qwen/Qwen3-Coder-480B-A35B-Instruct at https://api.deepseek.com/v1 (/home/user/.claude/settings.json)"
    assert redact(text) == text
