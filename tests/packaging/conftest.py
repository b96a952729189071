"""Build the Linux artifacts once per session (cached by packaging/build-linux) and install the .deb into a
scratch root, so every test exercises the real artifact a user would install. (tests/packaging/test_minimal_root.py
goes further: `apt-get install` into a minimal Debian system.)"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.cli import REPO_ROOT

BUILD_SCRIPT = Path(REPO_ROOT) / "packaging" / "build-linux"
MISSING_TOOL = 3  # build-linux's exit code when a packaging tool is missing
BUILD_TIMEOUT_S = 1800


@dataclass(frozen=True)
class LinuxArtifacts:
    bundle: Path
    deb: Path
    rpm: Path


def _skip_reason() -> str | None:
    if not sys.platform.startswith("linux"):
        return "the Linux packaging tests need Linux"
    if shutil.which("dpkg") is None:
        return "dpkg is missing: the .deb can only be built and installed on Debian/Ubuntu"
    return None


@pytest.fixture(scope="session")
def linux_artifacts() -> LinuxArtifacts:
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    result = subprocess.run(
        [str(BUILD_SCRIPT)], capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, check=False,
    )
    if result.returncode == MISSING_TOOL:
        pytest.skip(f"packaging tools missing: {result.stderr.strip().splitlines()[-1]}")
    assert result.returncode == 0, f"packaging/build-linux failed:\n{result.stderr[-4000:]}"
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    return LinuxArtifacts(bundle=Path(summary["bundle"]), deb=Path(summary["deb"]), rpm=Path(summary["rpm"]))


def frozen_modules(bundle: Path) -> set[str]:
    """The modules in the executable's archive (PyInstaller's own viewer, from the build venv)."""
    viewer = BUILD_SCRIPT.parent / ".build-venv" / "bin" / "pyi-archive_viewer"
    out = subprocess.run([str(viewer), "-r", "-b", str(bundle / "switchover")], capture_output=True, text=True,
                         check=True).stdout
    return {line.strip() for line in out.splitlines() if line.strip()}


def can_dpkg_install() -> bool:
    """`dpkg --root` must create root-owned files, so a real install into a scratch root needs root."""
    return os.geteuid() == 0


def dpkg_root(root: Path) -> list[str]:
    """dpkg acting on the empty package database of a scratch root (log kept inside it too)."""
    return ["dpkg", f"--root={root}", f"--log={root / 'var/log/dpkg.log'}", "--no-triggers"]


def install_deb(deb: Path, root: Path) -> None:
    """Install like `apt install ./x.deb` would, into `root`; without root rights just unpack it."""
    if not can_dpkg_install():
        subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
        return
    admin = root / "var/lib/dpkg"
    for sub in ("info", "updates", "triggers"):
        (admin / sub).mkdir(parents=True, exist_ok=True)
    (root / "var/log").mkdir(parents=True, exist_ok=True)
    for name in ("status", "available"):
        (admin / name).touch()
    # The scratch database knows none of the libraries, so dependencies are checked separately (test_deb).
    subprocess.run([*dpkg_root(root), "--force-depends", "-i", str(deb)], check=True, capture_output=True)


@pytest.fixture(scope="session")
def installed_root(linux_artifacts: LinuxArtifacts, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("deb-root")
    install_deb(linux_artifacts.deb, root)
    yield root


@pytest.fixture
def installed_command(installed_root: Path) -> Path:
    """The installed program inside the scratch root. (/usr/bin/switchover is an absolute symlink to
    /opt/switchover/switchover, which only resolves once the package is installed at /.)"""
    return installed_root / "opt" / "switchover" / "switchover"


# stderr lines the offscreen/Xvfb platforms print for a healthy app (compare qutebrowser's qt_log_ignore).
ALLOWED_STDERR = (
    re.compile(r"^This plugin does not support (propagateSizeHints|raise|grabbing the keyboard|setParent)\(\)"),
    re.compile(r"^QStandardPaths: XDG_RUNTIME_DIR not set, defaulting to '/tmp/runtime-\w+'$"),
)
SIGNS_OF_A_BROKEN_BUNDLE = ("Traceback", "ModuleNotFoundError", "No module named", "Could not load the Qt platform",
                            "Cannot load library", "qt.qpa.plugin", "No recommended backend")


def unexpected_stderr(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip() and not any(p.match(line) for p in ALLOWED_STDERR)]


def bundle_env(home: Path, **overrides: str | None) -> dict[str, str]:
    """The isolated environment the autouse fixture set up, minus what only makes sense for the source tree
    (the test keyring backend lives in tests/, which is not in the bundle)."""
    env = dict(os.environ)
    for var in ("PYTHONPATH", "PYTHON_KEYRING_BACKEND", "SWITCHOVER_TEST_KEYRING", "QT_QPA_PLATFORM"):
        env.pop(var, None)
    env["HOME"] = str(home)
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env
