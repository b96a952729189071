"""The CLI against the real Secret Service (gnome-keyring in a private D-Bus session).

`scripts/test` runs pytest under `scripts/with-test-keyring`, which sets SWITCHOVER_REAL_KEYCHAIN=1; there a
missing keychain is a failure, not a skip.
"""

from __future__ import annotations

import os
import subprocess
from typing import Any

import pytest

pytestmark = pytest.mark.keychain
SECRET = "sk-real-keychain-0123456789abcdef"


@pytest.fixture
def real_keychain(monkeypatch: pytest.MonkeyPatch) -> None:
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS") or not os.environ.get("SWITCHOVER_REAL_KEYCHAIN"):
        if os.environ.get("CI"):
            pytest.fail("CI must run these under scripts/with-test-keyring (real gnome-keyring)")
        pytest.skip("needs scripts/with-test-keyring (a D-Bus session with an unlocked gnome-keyring)")
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.SecretService.Keyring")


def _secret_tool_lookup(name: str) -> str:
    result = subprocess.run(
        ["secret-tool", "lookup", "service", "switchover", "username", name],
        capture_output=True, text=True, check=False, timeout=30,
    )
    return result.stdout


def test_store_read_delete_through_cli(real_keychain: None, cli: Any) -> None:
    name = f"real-{os.getpid()}"
    added = cli(["provider", "add", name, "--preset", "deepseek", "--key-stdin"], input=SECRET + "\n")
    assert added.returncode == 0, added.stderr
    status = cli(["status", "--json"])
    assert '"backend": "keyring.backends.SecretService.Keyring"' in status.stdout
    assert '"usable": true' in status.stdout
    assert _secret_tool_lookup(name) == SECRET, "the key is in the real Secret Service"
    assert cli(["key", name]).stdout == SECRET + "\n"
    shown = cli(["provider", "show", name, "--json"])
    assert '"key": "stored"' in shown.stdout and SECRET not in shown.stdout
    assert cli(["provider", "remove", name]).returncode == 0
    assert _secret_tool_lookup(name) == ""
    gone = cli(["key", name])
    assert gone.returncode == 1 and "No provider named" in gone.stderr


def test_missing_entry_in_real_keychain(real_keychain: None, cli: Any) -> None:
    name = f"nokey-{os.getpid()}"
    cli(["provider", "add", name, "--preset", "deepseek", "--key-stdin"], input=SECRET + "\n")
    subprocess.run(["secret-tool", "clear", "service", "switchover", "username", name], check=True, timeout=30)
    result = cli(["key", name])
    assert result.returncode == 1 and f"provider key {name} --key-stdin" in result.stderr
