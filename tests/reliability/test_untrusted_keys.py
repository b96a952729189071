"""Keys go only to their own host, and live only in 0600 files `exposure` lists (issue 12, findings 3 and 6).

Real CLI in subprocesses, real stand-in servers on 127.0.0.1, the test's file keyring.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.reliability.world import World
from tests.support.provider_server import ProviderServer, model_list_reply

Server = Callable[..., ProviderServer]
OLD_KEY = "sk-fake-OLD-HOST-KEY-8d1f3a6c2b9e"
NEW_KEY = "sk-fake-NEW-HOST-KEY-5e7b0c4d9a2f"


def _server(provider_server: Server) -> ProviderServer:
    server = provider_server()
    server.on("GET", "/v1/models", model_list_reply("openai-chat", ("m",)))
    server.on("GET", "/v1beta/models", model_list_reply("gemini", ("m",)))
    return server


def _tools(world: World) -> dict[str, dict[str, object]]:
    return {row["tool"]: row for row in json.loads(world.ok("tools", "--json").stdout)}


def test_replacing_a_providers_host_never_hands_the_new_key_to_the_old_host(
    provider_server: Server, tmp_path: Path
) -> None:
    old, new = _server(provider_server), _server(provider_server)
    world = World(tmp_path / "w").create()
    world.ok("provider", "add", "p", "--openai-url", old.url + "/v1", "--model", "m", "--key-stdin",
             input=OLD_KEY + "\n")
    world.ok("use", "p", "--tool", "opencode", "--tool", "aider")
    files = world.tool_files()
    store = (world.home / ".config" / "switchover" / "switchover.toml").read_bytes()

    refused = world.run("provider", "add", "p", "--openai-url", new.url + "/v1", "--model", "m", "--key-stdin",
                        "--replace", input=NEW_KEY + "\n")
    assert refused.returncode == 1
    assert "OpenCode" in refused.stderr and "Aider" in refused.stderr and old.url in refused.stderr
    assert "Nothing was changed" in refused.stderr and "--force" in refused.stderr
    assert world.ok("key", "p").stdout.strip() == OLD_KEY
    assert world.tool_files() == files
    assert (world.home / ".config" / "switchover" / "switchover.toml").read_bytes() == store

    forced = world.run("provider", "add", "p", "--openai-url", new.url + "/v1", "--model", "m", "--key-stdin",
                       "--replace", "--force", input=NEW_KEY + "\n")
    assert forced.returncode == 0, forced.stderr
    assert "re-pointed" in forced.stdout
    assert world.ok("key", "p").stdout.strip() == NEW_KEY
    tools = _tools(world)
    for tool in ("opencode", "aider"):
        assert tools[tool]["current"]["base_url"] == new.url + "/v1", tool  # type: ignore[index]
    aider = (world.home / ".aider.conf.yml").read_text()
    assert NEW_KEY in aider and OLD_KEY not in aider


def test_removing_a_provider_in_use_lists_tools_and_key_files_and_needs_force(
    provider_server: Server, tmp_path: Path
) -> None:
    server = _server(provider_server)
    world = World(tmp_path / "w").create()
    world.ok("provider", "add", "p", "--openai-url", server.url + "/v1", "--model", "m", "--key-stdin",
             input=OLD_KEY + "\n")
    world.ok("use", "p", "--tool", "aider", "--tool", "qwen-code")
    refused = world.run("provider", "remove", "p")
    assert refused.returncode == 1
    aider = str(world.home / ".aider.conf.yml")
    assert "Aider uses it" in refused.stderr and "Qwen Code uses it" in refused.stderr
    assert f"{aider} holds its key" in refused.stderr and "Nothing was changed" in refused.stderr
    assert world.ok("key", "p").stdout.strip() == OLD_KEY

    forced = world.run("provider", "remove", "p", "--force")
    assert forced.returncode == 0, forced.stderr
    assert f"removed anyway: {aider} holds its key" in forced.stderr
    assert world.run("key", "p").returncode == 1

    unused = World(tmp_path / "unused").create()
    unused.ok("provider", "add", "q", "--openai-url", server.url + "/v1", "--model", "m", "--no-key")
    assert unused.run("provider", "remove", "q").returncode == 0


@pytest.mark.parametrize("umask", [0o000, 0o022])
def test_files_holding_a_plaintext_key_are_0600_after_every_write(
    provider_server: Server, tmp_path: Path, umask: int
) -> None:
    """Finding 3: pre-existing 0644 files kept 0644 after a key was written into them."""
    server = _server(provider_server)
    world = World(tmp_path / "w").create()
    world.ok("provider", "add", "p", "--openai-url", server.url + "/v1", "--gemini-url", server.url,
             "--anthropic-url", server.url, "--model", "m", "--key-stdin", input=OLD_KEY + "\n")
    plaintext = {
        "gemini-cli": world.home / ".gemini" / ".env",
        "continue": world.home / ".continue" / ".env",
        "aider": world.home / ".aider.conf.yml",
    }
    for path in plaintext.values():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("# mine\nMY_SETTING=1\n" if path.name == ".env" else "# mine\ndark-mode: true\n")
        path.chmod(0o644)
    (world.home / ".continue" / "config.yaml").write_text("name: mine\nversion: 1.0.0\nschema: v1\nmodels: []\n")
    previous = os.umask(umask)
    try:
        world.ok("use", "p", "--tool", "gemini-cli", "--tool", "continue", "--tool", "aider")
        for path in plaintext.values():
            assert OLD_KEY in path.read_text(), path
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, (path, oct(path.stat().st_mode))
        exposure = json.loads(world.ok("exposure", "--json").stdout)
        rows = {row["path"]: row for row in exposure}
        for path in plaintext.values():
            assert rows[str(path)]["mode"] == "0600" and rows[str(path)]["private"] is True
        # A user (or a tool) loosens a file later: `exposure` flags it.
        plaintext["aider"].chmod(0o644)
        human = world.ok("exposure")
        assert "0644" in human.stdout and "readable by others" in human.stdout
        # Undo puts back the bytes as they were, but never leaves a key-holding file readable by others.
        world.ok("provider", "add", "p2", "--openai-url", server.url + "/v1", "--model", "m", "--key-stdin",
                 input=NEW_KEY + "\n")
        world.ok("use", "p2", "--tool", "aider")
        plaintext["aider"].chmod(0o644)
        world.ok("undo")
        assert OLD_KEY in plaintext["aider"].read_text()
        assert stat.S_IMODE(plaintext["aider"].stat().st_mode) == 0o600
        for directory in (world.data, world.home / ".config" / "switchover", world.data / "journal",
                          world.data / "backups"):
            assert stat.S_IMODE(directory.stat().st_mode) == 0o700, (directory, oct(directory.stat().st_mode))
    finally:
        os.umask(previous)
