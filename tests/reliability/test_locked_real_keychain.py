"""The real Secret Service (gnome-keyring) locked mid-run: every command says so clearly, none hangs or crashes,
and the key is neither printed nor written anywhere.

Runs the scenario in its own private D-Bus session (`scripts/with-test-keyring`), so locking the collection
cannot disturb other keychain tests.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.reliability.world import walk_files
from tests.support.cli import REPO_ROOT

pytestmark = [pytest.mark.keychain, pytest.mark.slow]
LOCKED_PHRASE = "is locked. Unlock it"


def test_locking_the_real_keychain_mid_run(tmp_path: Path) -> None:
    if not (shutil.which("dbus-run-session") and shutil.which("gnome-keyring-daemon")):
        if os.environ.get("CI") or os.environ.get("SWITCHOVER_REAL_KEYCHAIN"):
            pytest.fail("dbus-run-session and gnome-keyring must be installed (the setup script installs them)")
        pytest.skip("needs dbus-run-session and gnome-keyring-daemon")
    home = tmp_path / "locked-home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("DBUS_SESSION_BUS_ADDRESS", "SWITCHOVER_IN_TEST_DBUS")}
    env["PYTHONPATH"] = REPO_ROOT
    done = subprocess.run([str(Path(REPO_ROOT) / "scripts" / "with-test-keyring"), sys.executable, "-m",
                           "tests.reliability.locked_keychain_driver", str(home)],
                          capture_output=True, text=True, env=env, cwd=REPO_ROOT, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    key = report["key"]
    assert report["lock"] == "locked", report["lock"]
    added, status, key_run, check, use, add_late = report["runs"]
    assert added["code"] == 0, added["stderr"]
    assert json.loads(status["stdout"])["keychain"]["usable"] is False
    assert LOCKED_PHRASE in json.loads(status["stdout"])["keychain"]["problem"]
    for run in (key_run, use, add_late):
        assert run["code"] == 1, run
        assert LOCKED_PHRASE in run["stderr"], run
    check_rows = json.loads(check["stdout"])
    assert check["code"] == 1 and check_rows[0]["status"] == "auth_failed" and "locked" in check_rows[0]["reason"]
    for run in report["runs"]:
        assert "Traceback" not in run["stderr"] and key not in run["stdout"] + run["stderr"], run
    assert not (home / ".aider.conf.yml").exists()  # nothing was switched without the key
    for path in walk_files(home):
        assert key.encode() not in path.read_bytes(), path
