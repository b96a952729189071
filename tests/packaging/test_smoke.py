"""Run the installed artifact the way a user would: the CLI, the keychain through the bundled keyring backends,
and the GUI (offscreen, and on X11 with a real tray), watching stderr for anything frozen builds lose."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from switchover import __version__
from tests.packaging.conftest import SIGNS_OF_A_BROKEN_BUNDLE, bundle_env, unexpected_stderr
from tests.support.provider_server import ProviderServer, Reply

pytestmark = pytest.mark.packaging

def run(command: Path, *args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(command), *args], env=env, capture_output=True, text=True, timeout=timeout,
                          check=False, stdin=subprocess.DEVNULL)


def test_version(installed_command: Path, isolated_home: Path) -> None:
    result = run(installed_command, "--version", env=bundle_env(isolated_home))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"switchover {__version__}"
    assert not result.stderr


def test_status_json_with_no_keychain(installed_command: Path, isolated_home: Path) -> None:
    env = bundle_env(isolated_home, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    result = run(installed_command, "status", "--json", env=env)
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    assert status["version"] == __version__
    assert status["config_dir"] == str(isolated_home / ".config" / "switchover")
    assert status["providers"] == []
    assert status["keychain"]["backend"] == "keyring.backends.fail.Keyring"
    assert status["keychain"]["usable"] is False and status["keychain"]["problem"]
    assert not unexpected_stderr(result.stderr)


def test_secret_service_backend_loads_in_the_bundle(installed_command: Path, isolated_home: Path) -> None:
    """Forcing the backend by name imports it (and jeepney) inside the bundle; with no D-Bus session its own
    code then explains that it cannot connect, which only a loaded backend can say."""
    env = bundle_env(isolated_home, PYTHON_KEYRING_BACKEND="keyring.backends.SecretService.Keyring",
                     DBUS_SESSION_BUS_ADDRESS=None)
    result = run(installed_command, "status", "--json", env=env)
    output = result.stdout + result.stderr
    assert not any(sign in output for sign in SIGNS_OF_A_BROKEN_BUNDLE), output
    assert "Unable to initialize SecretService" in output or '"backend": "keyring.backends.SecretService' in output


def test_real_keychain_is_discovered_through_entry_points(installed_command: Path, isolated_home: Path) -> None:
    """With no backend forced, keyring must find Secret Service itself (entry-point metadata in the bundle)."""
    if not (os.environ.get("SWITCHOVER_REAL_KEYCHAIN") and os.environ.get("DBUS_SESSION_BUS_ADDRESS")):
        pytest.skip("needs the throwaway gnome-keyring of scripts/with-test-keyring (scripts/test uses it)")
    result = run(installed_command, "status", "--json", env=bundle_env(isolated_home))
    assert result.returncode == 0, result.stderr
    keychain = json.loads(result.stdout)["keychain"]
    assert keychain["backend"] == "keyring.backends.SecretService.Keyring"
    assert keychain["usable"] is True


def test_health_check_over_http_from_the_bundle(installed_command: Path, isolated_home: Path) -> None:
    """httpx (with its lazily imported transports) and the health engine work frozen: add a local provider
    and check it against a real server on 127.0.0.1."""
    env = bundle_env(isolated_home, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    with ProviderServer() as server:
        server.on("GET", "/api/tags", Reply.json({"models": [{"name": "m1", "model": "m1"}]}))
        added = run(installed_command, "provider", "add", "local", "--ollama-url", server.url, "--model", "m1",
                    "--no-key", env=env)
        assert added.returncode == 0, added.stderr
        checked = run(installed_command, "check", "local", "--json", "--timeout", "10", env=env)
        requests = [(r.method, r.path) for r in server.requests]
    assert checked.returncode == 0, checked.stderr
    [result] = json.loads(checked.stdout)
    assert (result["provider"], result["status"], result["models"]) == ("local", "ok", ["m1"])
    assert requests == [("GET", "/api/tags")]
    assert not unexpected_stderr(checked.stderr)


def launch_gui(
    command: Path, env: dict[str, str], quit_after_ms: int
) -> tuple[subprocess.CompletedProcess[str], float]:
    env = {**env, "SWITCHOVER_REPORT_READY": "1"}
    started = time.time()
    result = run(command, "--quit-after", str(quit_after_ms), env=env, timeout=90)
    return result, started


def ready_line(stdout: str) -> dict[str, object]:
    lines = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    assert lines, f"the app never reported ready; stdout: {stdout!r}"
    return dict(lines[0])


def test_gui_starts_offscreen_and_quits_cleanly(installed_command: Path, isolated_home: Path) -> None:
    env = bundle_env(isolated_home, QT_QPA_PLATFORM="offscreen")
    result, started = launch_gui(installed_command, env, quit_after_ms=3000)
    assert result.returncode == 0, result.stderr
    ready = ready_line(result.stdout)
    assert ready["window"] is True  # no tray offscreen, so the window opens
    assert time.time() - started >= 3.0  # it ran its own event loop (not forwarded to another instance)
    assert not unexpected_stderr(result.stderr)


@pytest.mark.xvfb
def test_gui_reaches_the_tray_on_x11(installed_command: Path, isolated_home: Path) -> None:
    """The xcb plugin and its system libraries load, and the tray icon appears in a real XEmbed tray."""
    from tests.ui.xserver import XServerWithTray, missing_binaries

    if missing_binaries():
        pytest.skip(f"needs {', '.join(missing_binaries())} (scripts/setup --test installs them)")
    with XServerWithTray() as xserver:
        env = bundle_env(isolated_home, DISPLAY=xserver.display, QT_QPA_PLATFORM="xcb")
        env.pop("WAYLAND_DISPLAY", None)
        result, started = launch_gui(installed_command, env, quit_after_ms=3000)
    assert result.returncode == 0, result.stderr
    ready = ready_line(result.stdout)
    assert ready["tray"] is True and ready["window"] is False
    assert float(str(ready["time"])) - started < 30
    assert not unexpected_stderr(result.stderr)



def test_gui_runs_on_wayland(installed_command: Path, isolated_home: Path, tmp_path: Path) -> None:
    """The wayland platform plugin, its shell integration and libwayland load: a real (headless) Weston."""
    if shutil.which("weston") is None:
        pytest.skip("needs weston (Debian package weston) as a headless Wayland compositor")
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    socket = "wayland-switchover-test"
    weston = subprocess.Popen(
        ["weston", "--backend=headless-backend.so", f"--socket={socket}", "--idle-time=0"],
        env={**os.environ, "XDG_RUNTIME_DIR": str(runtime)}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while not (runtime / socket).exists():
            assert weston.poll() is None and time.monotonic() < deadline, "weston did not start"
            time.sleep(0.05)
        env = bundle_env(isolated_home, QT_QPA_PLATFORM="wayland", WAYLAND_DISPLAY=socket,
                         XDG_RUNTIME_DIR=str(runtime), DISPLAY=None)
        result, _started = launch_gui(installed_command, env, quit_after_ms=2000)
    finally:
        weston.terminate()
        weston.wait(10)
    assert result.returncode == 0, result.stderr
    assert ready_line(result.stdout)["window"] is True  # no StatusNotifier tray here, so the window opens
    assert not unexpected_stderr(result.stderr)
