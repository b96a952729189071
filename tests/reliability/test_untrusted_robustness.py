"""Robustness (issue 12, finding 9): a full disk, a file size limit or a denied write is a plain-language error
with nothing changed; two concurrent `use` never report a false "CHECK FAILED".

EFBIG comes from a real `ulimit -f` (RLIMIT_FSIZE) on the CLI process; EACCES from a real read-only folder
(as root, with the capability that bypasses permissions dropped by `setpriv`); ENOSPC from a real 64 KiB
tmpfs where the machine lets us mount one, and always from the engine with the write failing in-process.
"""

from __future__ import annotations

import errno
import json
import os
import resource
import shutil
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from switchover.core import fileio
from switchover.core.providers import Credential, Protocol
from switchover.core.switching import SwitchEngine, SwitchFailedError
from switchover.core.switching.contract import SwitchRequest, ToolEnv
from switchover.targets.registry import all_targets
from tests.reliability.world import World
from tests.support.provider_server import ProviderServer, model_list_reply
from tests.targets.support import custom

Server = Callable[..., ProviderServer]
SETTINGS = b'{\n  "theme": "dark"\n}\n'


def _world(tmp_path: Path, provider_server: Server, name: str = "p") -> World:
    server = provider_server()
    server.on("GET", "/v1/models", model_list_reply("anthropic", ("m",)))
    world = World(tmp_path / "w").create()
    world.ok("provider", "add", name, "--anthropic-url", server.url, "--model", "m", "--no-key")
    settings = world.home / ".claude" / "settings.json"
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_bytes(SETTINGS)
    return world


def _run(world: World, *args: str, prefix: tuple[str, ...] = (),
         preexec: Callable[[], None] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*prefix, *world.command(args)], capture_output=True, text=True, env=world.env(),
                          cwd=world.root, timeout=120, check=False, preexec_fn=preexec)


def _assert_plain_failure(done: subprocess.CompletedProcess[str], *phrases: str) -> None:
    assert done.returncode == 1, (done.stdout, done.stderr)
    for bad in ("Traceback", "internal error", "Logging error", "Errno"):
        assert bad not in done.stderr, done.stderr
    for phrase in phrases:
        assert phrase in done.stderr, done.stderr


def test_a_file_size_limit_is_a_plain_error_and_nothing_changes(tmp_path: Path, provider_server: Server) -> None:
    world = _world(tmp_path, provider_server)
    files = world.tool_files()

    def no_file_growth() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (0, resource.RLIM_INFINITY))

    used = _run(world, "use", "p", "--tool", "claude-code", preexec=no_file_growth)
    _assert_plain_failure(used, "Nothing was changed", "the file size limit (ulimit -f) is too small")
    assert world.tool_files() == files and not world.temp_files()
    assert world.history() == []
    added = _run(world, "provider", "add", "q", "--anthropic-url", "http://127.0.0.1:9", "--no-key",
                 preexec=no_file_growth)
    _assert_plain_failure(added, "switchover.toml", "the file size limit (ulimit -f) is too small")
    assert "q" not in world.ok("provider", "list").stdout
    world.ok("use", "p", "--tool", "claude-code")  # without the limit, the same switch works


def test_a_folder_that_cannot_be_written_is_a_plain_error_and_nothing_changes(
    tmp_path: Path, provider_server: Server
) -> None:
    world = _world(tmp_path, provider_server)
    files = world.tool_files()
    folder = world.home / ".claude"
    folder.chmod(0o500)
    prefix: tuple[str, ...] = ()
    if os.geteuid() == 0:  # root writes anywhere; without CAP_DAC_OVERRIDE it meets the same EACCES as a user
        setpriv = shutil.which("setpriv")
        assert setpriv, "setpriv (util-linux) is needed to test permissions as root"
        prefix = (setpriv, "--bounding-set=-dac_override,-dac_read_search")
    try:
        used = _run(world, "use", "p", "--tool", "claude-code", prefix=prefix)
    finally:
        folder.chmod(0o700)
    _assert_plain_failure(used, "rolled back", f"could not write {folder / 'settings.json'}: permission denied")
    assert world.tool_files() == files and not world.temp_files()
    [entry] = world.history()
    assert entry["state"] == "rolled back"


def _engine(home: Path, data: Path) -> tuple[SwitchEngine, SwitchRequest]:
    env = ToolEnv(home=home, environ={"HOME": str(home), "PATH": ""}, platform="linux", cwd=home)
    provider = custom("p", {Protocol.ANTHROPIC: "http://127.0.0.1:9"}, Credential.none(), models=("m",))
    request = SwitchRequest(provider, "m", None, ("switchover", "key", "p"), lambda: None)
    return SwitchEngine(all_targets(), env, data), request


def test_a_full_disk_while_writing_is_rolled_back_with_a_plain_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    settings = home / ".claude" / "settings.json"
    settings.parent.mkdir(parents=True)
    settings.write_bytes(SETTINGS)
    engine, request = _engine(home, tmp_path / "data")
    real_fsync = os.fsync

    def full(fd: int) -> None:
        if os.path.realpath(f"/proc/self/fd/{fd}").startswith(str(settings.parent)):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    monkeypatch.setattr(fileio.os, "fsync", full)
    with pytest.raises(SwitchFailedError) as info:
        engine.use(request, ["claude-code"])
    assert f"could not write {settings}: the disk is full" in str(info.value)
    assert settings.read_bytes() == SETTINGS
    assert not [p for p in settings.parent.iterdir() if p.name.startswith(fileio.TEMP_PREFIX)]


def _can_mount() -> bool:
    return os.geteuid() == 0 and shutil.which("mount") is not None


@pytest.mark.skipif(not _can_mount(), reason="mounting a tmpfs needs root; the in-process full-disk test runs")
def test_a_real_full_disk_is_a_plain_error_and_nothing_changes(tmp_path: Path, provider_server: Server) -> None:
    world = _world(tmp_path, provider_server)
    folder = world.home / ".claude"
    shutil.rmtree(folder)
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", str(folder)],
                             capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"this machine does not let root mount a tmpfs: {mounted.stderr.strip()}")
    try:
        (folder / "settings.json").write_bytes(SETTINGS)
        fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT)  # fill every block the tmpfs has left
        try:
            while True:
                os.write(fd, b"\0" * 1024)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
        finally:
            os.close(fd)
        files = world.tool_files()
        used = world.run("use", "p", "--tool", "claude-code")
        _assert_plain_failure(used, "rolled back", f"could not write {folder / 'settings.json'}: the disk is full")
        assert world.tool_files() == files
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def test_verification_reads_what_its_own_switch_wrote(tmp_path: Path) -> None:
    """A switch that completes between another's write and its verification must not fail that one."""
    home = tmp_path / "home"
    (home / ".claude").mkdir(parents=True)
    engine, request = _engine(home, tmp_path / "data")
    first = engine.use(request, ["claude-code"])
    other = custom("q", {Protocol.ANTHROPIC: "http://127.0.0.1:8"}, Credential.none(), models=("n",))
    engine.use(SwitchRequest(other, "n", None, ("switchover", "key", "q"), lambda: None), ["claude-code"])
    [report] = engine.verify(first)
    assert report.ok, report.problems
    assert report.actual is not None and report.actual.base_url == "http://127.0.0.1:9"


def test_concurrent_use_never_reports_a_false_check_failure(tmp_path: Path, provider_server: Server) -> None:
    world = _world(tmp_path, provider_server)
    server = provider_server()
    server.on("GET", "/v1/models", model_list_reply("anthropic", ("n",)))
    world.ok("provider", "add", "q", "--anthropic-url", server.url, "--model", "n", "--no-key")
    outcomes: dict[str, int] = {"switched": 0, "busy": 0}
    with ThreadPoolExecutor(max_workers=2) as pool:
        for _ in range(12):
            runs = list(pool.map(lambda name: world.run("use", name, "--tool", "claude-code", "--json"), ["p", "q"]))
            for done in runs:
                if "switch is in progress" in done.stderr:
                    outcomes["busy"] += 1
                    continue
                assert done.returncode == 0, (done.stdout, done.stderr)
                data = json.loads(done.stdout)
                assert all(v["ok"] for v in data["verify"]), data["verify"]
                outcomes["switched"] += 1
    print(f"\nconcurrent use: {outcomes}")
    assert outcomes["switched"] >= 12
