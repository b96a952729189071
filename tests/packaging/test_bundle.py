"""The PyInstaller bundle itself: complete (every library resolves), lean (no system libraries, no unused Qt),
and carrying what only shows up as missing after freezing (Qt platform plugins, keyring backends, resources)."""

from __future__ import annotations

import pkgutil
import re
import subprocess
from pathlib import Path

import pytest

from tests.packaging.conftest import LinuxArtifacts, frozen_modules
from tests.support.cli import REPO_ROOT

pytestmark = pytest.mark.packaging


def elf_files(bundle: Path) -> list[Path]:
    files = (p for p in bundle.rglob("*") if p.is_file() and not p.is_symlink())
    return sorted(p for p in files if p.read_bytes()[:4] == b"\x7fELF")


def needed(path: Path) -> list[str]:
    out = subprocess.run(["objdump", "-p", str(path)], capture_output=True, text=True, check=True).stdout
    return [line.split()[1] for line in out.splitlines() if line.strip().startswith("NEEDED")]


def system_sonames() -> set[str]:
    out = subprocess.run(["/sbin/ldconfig", "-p"], capture_output=True, text=True, check=True).stdout
    return {m.group(1) for m in re.finditer(r"^\s+(\S+) \(", out, re.MULTILINE)}


def test_every_linked_library_resolves_inside_the_bundle_or_on_the_system(linux_artifacts: LinuxArtifacts) -> None:
    bundle = linux_artifacts.bundle
    bundled = {p.name for p in bundle.rglob("*.so*")}
    system = system_sonames()
    unresolved = {
        f"{elf.relative_to(bundle)} -> {soname}"
        for elf in elf_files(bundle)
        for soname in needed(elf)
        if soname not in bundled and soname not in system
    }
    assert not unresolved, "libraries nothing provides:\n" + "\n".join(sorted(unresolved))


def test_system_libraries_are_left_to_debian(linux_artifacts: LinuxArtifacts) -> None:
    """Old copies of these break against the user's own (GL drivers vs libstdc++, fontconfig configs)."""
    names = {p.name for p in linux_artifacts.bundle.rglob("*.so*")}
    system_copies = names & {"libstdc++.so.6", "libgcc_s.so.1", "libX11.so.6", "libxcb.so.1", "libfontconfig.so.1",
                             "libfreetype.so.6", "libglib-2.0.so.0", "libdbus-1.so.3", "libgtk-3.so.0", "libz.so.1",
                             "libssl.so.3", "libEGL.so.1", "libGL.so.1"}
    assert not system_copies


def test_only_the_qt_modules_the_app_uses_are_bundled(linux_artifacts: LinuxArtifacts) -> None:
    qt_libs = {p.name.split(".so")[0] for p in (linux_artifacts.bundle / "_internal/PySide6/Qt/lib").glob("libQt6*")}
    assert {"libQt6Core", "libQt6Gui", "libQt6Widgets", "libQt6Network", "libQt6DBus", "libQt6XcbQpa",
            "libQt6WaylandClient"} <= qt_libs
    assert not qt_libs & {"libQt6Qml", "libQt6Quick", "libQt6Pdf", "libQt6Sql", "libQt6EglFSDeviceIntegration"}


def test_platform_plugins_for_x11_wayland_and_offscreen_are_present(linux_artifacts: LinuxArtifacts) -> None:
    plugins = linux_artifacts.bundle / "_internal/PySide6/Qt/plugins"
    platforms = {p.name for p in (plugins / "platforms").iterdir()}
    assert platforms == {"libqxcb.so", "libqwayland.so", "libqoffscreen.so"}
    assert (plugins / "wayland-shell-integration" / "libxdg-shell.so").is_file()
    assert (plugins / "xcbglintegrations" / "libqxcb-glx-integration.so").is_file()
    assert (plugins / "tls" / "libqopensslbackend.so").is_file()


def test_keyring_metadata_and_resources_are_bundled(linux_artifacts: LinuxArtifacts) -> None:
    internal = linux_artifacts.bundle / "_internal"
    entry_points = next(internal.glob("keyring-*.dist-info")) / "entry_points.txt"
    assert "SecretService = keyring.backends.SecretService" in entry_points.read_text()
    resources = internal / "switchover" / "resources"
    assert (resources / "providers.toml").is_file()
    assert (resources / "icons/hicolor/48x48/apps/io.github.switchover.Switchover.png").is_file()
    assert len(list((resources / "icons/tray").glob("*.png"))) >= 4 * 2  # states x themes at least


def test_frozen_archive_holds_keyring_backends_and_every_cli_command(linux_artifacts: LinuxArtifacts) -> None:
    """Lazily imported modules are what freezing loses: keyring backends and the pkgutil-discovered commands."""
    modules = frozen_modules(linux_artifacts.bundle)
    assert {"keyring.backends.SecretService", "keyring.backends.kwallet", "keyring.backends.libsecret",
            "keyring.backends.chainer", "keyring.backends.fail", "secretstorage", "jeepney"} <= modules
    commands_dir = Path(REPO_ROOT) / "desktop" / "switchover" / "cli" / "commands"
    commands = {f"switchover.cli.commands.{m.name}" for m in pkgutil.iter_modules([str(commands_dir)])}
    assert commands and commands <= modules
