"""After a full run of real CLI scenarios, the fake keys are only in the keychain and in files `switchover
exposure` lists; a keychain locked mid-run gives a clear message, never a crash or a leak.
"""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Callable
from pathlib import Path

import keyring
import pytest

from switchover.core.errors import SwitchoverError
from switchover.core.secrets import KeychainLockedError
from switchover.core.switching import SwitchEngine
from switchover.core.switching.contract import SwitchRequest, ToolEnv
from switchover.targets.registry import all_targets
from tests.reliability.world import FAKE_KEYS, LOCAL_KEY, StandIn, World, walk_files
from tests.support.file_keyring import LockedKeyring
from tests.support.provider_server import ProviderServer, Reply

pytestmark = pytest.mark.slow

Server = Callable[..., ProviderServer]
LEAKY_KEY = "sk-fake-RELIABILITY-LEAKY-3f9a27c4d1e8"
ALL_KEYS = (*FAKE_KEYS, LEAKY_KEY)
LOCKED = "tests.support.file_keyring.LockedKeyring"


def _kill_mid_switch(world: World, tmp_path: Path) -> None:
    marker = tmp_path / "paused"
    child = world.popen("use", "other", "--all", SWITCHOVER_TEST_PAUSE_AT="journal and backups written",
                        SWITCHOVER_TEST_PAUSE_FILE=str(marker))
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert child.poll() is None and time.monotonic() < deadline, child.communicate()
        time.sleep(0.01)
    child.send_signal(signal.SIGKILL)
    child.communicate(timeout=30)


def _run_the_scenarios(world: World, leaky: ProviderServer, tmp_path: Path) -> list[str]:
    """Every command a user runs, including ones that fail, print diffs, or get killed. Returns outputs."""
    outputs = []

    def run(*args: str, code: int | None = 0, **extra: str) -> None:
        done = world.run(*args, **extra)
        outputs.append(done.stdout + done.stderr)
        if code is not None:
            assert done.returncode == code, (args, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr, (args, done.stderr)

    world.add_local_provider()
    world.add_other_provider()
    world.ok("provider", "add", "leaky", "--openai-url", leaky.url + "/v1", "--model", "leaky-model", "--key-stdin",
             input=LEAKY_KEY + "\n")
    world.seed_user_configs()
    run("status")
    run("provider", "list", "--json")
    run("provider", "show", "local")
    run("check", "--json", code=1)  # "leaky" echoes the key back in its 401 error
    run("check", "leaky", "--tier", "deep", "--json", code=1)
    run("tools", "--json")
    run("use", "local", "--all", "--dry-run", "--json")
    run("use", "local", "--all", "--json")
    run("use", "other", "--all", "--dry-run")
    run("use", "other", "--all")
    run("undo")
    run("use", "leaky", "--tool", "aider", code=1)  # verified against the leaky server: check fails
    run("undo")
    _kill_mid_switch(world, tmp_path)
    run("history", "--json")
    run("exposure", "--json")
    run("env")
    run("env", "--provider", "other", "--shell", "fish")
    run("chain", "set", "claude-code", "local", "other", code=None)
    run("failover", "--json", code=None)
    # A locked keychain mid-run: every command says so clearly, nothing crashes.
    run("use", "other", "--all", code=1, PYTHON_KEYRING_BACKEND=LOCKED)
    run("check", "--json", code=1, PYTHON_KEYRING_BACKEND=LOCKED)
    run("key", "local", code=1, PYTHON_KEYRING_BACKEND=LOCKED)
    run("provider", "add", "late", "--openai-url", "http://127.0.0.1:9/v1", "--key-stdin", code=1,
        PYTHON_KEYRING_BACKEND=LOCKED)
    run("status", PYTHON_KEYRING_BACKEND=LOCKED, code=None)
    return outputs


def test_keys_live_only_in_the_keychain_and_in_exposed_files(provider_server: Server, tmp_path: Path) -> None:
    leaky = provider_server()
    leaky.on_any(Reply.json({"error": {"message": f"Incorrect API key provided: {LEAKY_KEY}. Sorry.",
                                       "type": "invalid_request_error", "code": "invalid_api_key"}}, 401))
    world = World(tmp_path / "world", StandIn(provider_server)).create()
    outputs = _run_the_scenarios(world, leaky, tmp_path)

    # The leaky server did get the key (it is the configured host); nothing we printed carries it.
    assert any(r.headers.get("authorization") == f"Bearer {LEAKY_KEY}" for r in leaky.requests)
    for text in outputs:
        for key in ALL_KEYS:
            assert key not in text and key[:16] + key[-8:] not in text.replace("…", "")

    exposed = {row["path"] for row in json.loads(world.ok("exposure", "--json").stdout)}
    assert exposed, "the scenarios wrote tools that need a plaintext key; exposure must list them"
    scanned, holding = 0, {}
    for path in walk_files(world.root):
        if path == world.keyring_file:
            continue
        scanned += 1
        data = path.read_bytes()
        found = [key for key in ALL_KEYS if key.encode() in data]
        if found:
            holding[str(path)] = found
    print(f"\nsecrets sweep: {scanned} files scanned; key found in {len(holding)}: "
          + ", ".join(sorted(p.removeprefix(str(world.root)) for p in holding)))
    unlisted = {p: keys for p, keys in holding.items() if p not in exposed}
    assert not unlisted, f"keys in files `switchover exposure` does not list: {unlisted}"
    assert logs_were_written(world), "the scan covered no log: the CLI logs nothing?"


def logs_were_written(world: World) -> bool:
    return any("log" in p.parts for p in walk_files(world.home / ".local" / "state"))


class LocksAfter(LockedKeyring):
    """Unlocked for the first `n` reads, then locked (the screen locked while a switch was planning)."""

    def __init__(self, secrets: dict[str, str], n: int):
        super().__init__()
        self.secrets = secrets
        self.n = n

    def get_password(self, service: str, username: str) -> str | None:
        if self.n > 0:
            self.n -= 1
            return self.secrets.get(username)
        return super().get_password(service, username)


def test_keychain_locking_during_a_switch_is_a_clear_error_and_changes_nothing(
        provider_server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    world = World(tmp_path / "world", StandIn(provider_server)).create()
    world.add_local_provider()
    world.seed_user_configs()
    for name, value in world.env().items():
        monkeypatch.setenv(name, value)
    before = world.tool_files()
    from switchover.core.secrets import Keychain, resolve_key
    from switchover.core.store import load_store

    provider = load_store().get("local")
    previous = keyring.get_keyring()
    keyring.set_keyring(LocksAfter({"local": LOCAL_KEY}, n=1))
    try:
        request = SwitchRequest(provider, "local-model", None, ("switchover", "key", "local"),
                                lambda: resolve_key(provider, Keychain()))
        engine = SwitchEngine(all_targets(), ToolEnv.current(), world.data)
        tools = ["gemini-cli", "aider", "continue"]  # each needs the key written (one read each)
        with pytest.raises(SwitchoverError) as failure:
            engine.use(request, tools)
    finally:
        keyring.set_keyring(previous)
    message = str(failure.value)
    assert "Nothing was changed" in message and "locked" in message and "Unlock it" in message, message
    assert LOCAL_KEY not in message
    assert world.tool_files() == before
    assert engine.history() == []
    with pytest.raises(KeychainLockedError):
        keyring.set_keyring(LockedKeyring())
        try:
            Keychain().get("local")
        finally:
            keyring.set_keyring(previous)
