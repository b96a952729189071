"""The Debian package: metadata, file layout, desktop integration validated with the distribution's tools,
dependencies that the system satisfies, and an install/purge cycle that leaves user data alone."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from switchover import APP_ID, __version__
from tests.packaging.conftest import LinuxArtifacts, can_dpkg_install, dpkg_root, install_deb

pytestmark = pytest.mark.packaging

MAX_DEB_BYTES = 80 * 1024 * 1024
ICON_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)


def control_fields(deb: Path) -> dict[str, str]:
    text = subprocess.run(["dpkg-deb", "-f", str(deb)], capture_output=True, text=True, check=True).stdout
    return {m.group(1): m.group(2) for m in re.finditer(r"^(\S+): (.*)$", text, re.MULTILINE)}


def depends_names(fields: dict[str, str]) -> set[str]:
    return {alt.strip().split()[0] for dep in fields["Depends"].split(",") for alt in dep.split("|")}


def test_control_metadata(linux_artifacts: LinuxArtifacts) -> None:
    fields = control_fields(linux_artifacts.deb)
    assert fields["Package"] == "switchover"
    assert fields["Version"] == f"{__version__}-1"
    assert fields["Architecture"] == subprocess.check_output(["dpkg", "--print-architecture"], text=True).strip()
    # What the bundled Qt's xcb/wayland plugins and QtDBus need from the system.
    assert {"libc6", "libegl1", "libfontconfig1", "libxkbcommon0", "libxkbcommon-x11-0", "libxcb-cursor0",
            "libxcb-icccm4", "libwayland-client0", "libdbus-1-3"} <= depends_names(fields)
    assert int(fields["Installed-Size"]) > 50_000  # KiB: the whole bundle is accounted for


def test_deb_is_small_enough(linux_artifacts: LinuxArtifacts) -> None:
    assert linux_artifacts.deb.stat().st_size <= MAX_DEB_BYTES


def installed_version(package: str) -> str | None:
    result = subprocess.run(["dpkg-query", "-W", "-f=${Status}\t${Version}", package], capture_output=True,
                            text=True, check=False)
    status, _, version = result.stdout.partition("\t")
    return version if "install ok installed" in status else None


def satisfied(alternative: str) -> bool:
    match = re.fullmatch(r"(\S+)(?: \((<<|<=|=|>=|>>) (\S+)\))?", alternative.strip())
    assert match, f"unparsable dependency {alternative!r}"
    name, relation, wanted = match.groups()
    version = installed_version(name)
    if version is None or relation is None:
        return version is not None
    operator = {"<<": "lt", "<=": "le", "=": "eq", ">=": "ge", ">>": "gt"}[relation]
    return subprocess.run(["dpkg", "--compare-versions", version, operator, wanted], check=False).returncode == 0


def test_dependencies_are_satisfied_on_this_system(linux_artifacts: LinuxArtifacts) -> None:
    """Every Depends, version constraints included, is met here, so the smoke tests run the .deb as a user
    of this Debian release would (the scratch-root install itself cannot check dependencies)."""
    depends = control_fields(linux_artifacts.deb)["Depends"].split(",")
    unmet = [dep.strip() for dep in depends if not any(satisfied(alt) for alt in dep.split("|"))]
    assert not unmet


def test_layout_and_no_maintainer_scripts(linux_artifacts: LinuxArtifacts, installed_root: Path) -> None:
    root = installed_root
    command = root / "usr/bin/switchover"
    assert command.is_symlink() and os.readlink(command) == "../../opt/switchover/switchover"
    assert (root / "opt/switchover/switchover").stat().st_mode & 0o111
    assert (root / f"usr/share/applications/{APP_ID}.desktop").is_file()
    for size in ICON_SIZES:
        assert (root / f"usr/share/icons/hicolor/{size}x{size}/apps/{APP_ID}.png").is_file()
    assert (root / f"usr/share/icons/hicolor/scalable/apps/{APP_ID}.svg").is_file()
    assert (root / f"usr/share/metainfo/{APP_ID}.metainfo.xml").is_file()
    assert (root / "usr/share/doc/switchover/copyright").is_file()
    control_tar = subprocess.run(
        ["dpkg-deb", "--ctrl-tarfile", str(linux_artifacts.deb)], capture_output=True, check=True
    ).stdout
    listing = subprocess.run(["tar", "-t"], input=control_tar, capture_output=True, check=True).stdout.decode()
    members = {Path(name).name for name in listing.split()}
    assert {"control", "md5sums"} <= members
    # Removal must never run code that could touch user data; Debian's triggers handle icon/desktop caches.
    assert not members & {"preinst", "postinst", "prerm", "postrm"}


def test_desktop_file_and_metainfo_validate(installed_root: Path) -> None:
    desktop = installed_root / f"usr/share/applications/{APP_ID}.desktop"
    result = subprocess.run(["desktop-file-validate", str(desktop)], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout
    text = desktop.read_text()
    assert re.search(r"^Exec=switchover\b", text, re.MULTILINE)
    assert re.search(rf"^Icon={re.escape(APP_ID)}$", text, re.MULTILINE)
    if shutil.which("appstreamcli") is None:
        pytest.skip("appstreamcli (Debian package appstream) is not installed")
    metainfo = installed_root / f"usr/share/metainfo/{APP_ID}.metainfo.xml"
    result = subprocess.run(["appstreamcli", "validate", "--no-net", str(metainfo)], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f'<release version="{__version__}"' in metainfo.read_text()


def test_purge_removes_the_program_but_not_user_data(linux_artifacts: LinuxArtifacts, tmp_path: Path) -> None:
    if not can_dpkg_install():
        pytest.skip("installing into a scratch root with dpkg --root needs root (CI runs as root)")
    root = tmp_path / "root"
    install_deb(linux_artifacts.deb, root)
    user_config = root / "home/user/.config/switchover/switchover.toml"
    user_config.parent.mkdir(parents=True)
    user_config.write_text("[providers]\n")
    user_data = root / "home/user/.local/share/switchover/backups/x.bak"
    user_data.parent.mkdir(parents=True)
    user_data.write_text("backup")

    subprocess.run([*dpkg_root(root), "--purge", "switchover"], check=True, capture_output=True)
    assert not (root / "opt/switchover").exists()
    assert not (root / "usr/bin/switchover").exists()
    assert not (root / f"usr/share/applications/{APP_ID}.desktop").exists()
    assert user_config.read_text() == "[providers]\n"
    assert user_data.read_text() == "backup"
