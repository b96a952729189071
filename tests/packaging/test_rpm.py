"""The RPM: metadata, rpmlint, Requires that name real system libraries and none of the bundle's own, the same
files in the same places as the .deb, and an install/erase cycle in a scratch rpm database.

No rpm-based distribution's archive is reachable from here (only Debian's, PyPI's and npm's registries are), so
the .rpm cannot be installed with dnf/zypper resolving its Requires. Instead: every Requires is checked to be
a soname with symbol versions that this Debian system's libraries provide (the same upstream libraries Fedora
and openSUSE ship), and rpm itself installs and erases the package in a scratch root with --nodeps.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from switchover import __version__
from tests.packaging.conftest import LinuxArtifacts, bundle_env
from tests.support.cli import REPO_ROOT

pytestmark = pytest.mark.packaging

LINUX = Path(REPO_ROOT) / "packaging" / "linux"


def query(rpm: Path, *args: str) -> str:
    return subprocess.run(["rpm", "-qp", *args, str(rpm)], capture_output=True, text=True, check=True).stdout


def test_metadata(linux_artifacts: LinuxArtifacts) -> None:
    fields = dict(
        line.split(": ", 1) for line in query(linux_artifacts.rpm, "--qf",
                                              "name: %{NAME}\nversion: %{VERSION}\nrelease: %{RELEASE}\n"
                                              "arch: %{ARCH}\nlicense: %{LICENSE}\npayload: %{PAYLOADCOMPRESSOR}\n"
                                              ).splitlines()
    )
    assert (fields["name"], fields["version"], fields["release"]) == ("switchover", __version__, "1")
    assert fields["arch"] == os.uname().machine
    assert fields["payload"] == "xz"
    # One SPDX expression over Switchover and every bundled component (generated from the bundle).
    for term in ("MIT", "Python-2.0", "(LGPL-3.0-only OR GPL-2.0-only OR GPL-3.0-only)", "BSD-3-Clause"):
        assert f" AND {term}" in f" AND {fields['license']}", term


def test_rpmlint_reports_nothing_beyond_the_explained_filters(linux_artifacts: LinuxArtifacts) -> None:
    """Every message is fixed or filtered in packaging/linux/switchover.rpmlintrc with its reason; a filter that
    matches nothing is an error too (rpmlint's unused-rpmlintrc-filter)."""
    if shutil.which("rpmlint") is None:
        pytest.skip("needs rpmlint (Debian package rpmlint; scripts/setup --test installs it)")
    result = subprocess.run(
        ["rpmlint", "-c", str(LINUX / "rpmlint.toml"), "-r", str(LINUX / "switchover.rpmlintrc"),
         str(linux_artifacts.rpm)],
        capture_output=True, text=True, timeout=600, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 errors, 0 warnings" in result.stdout, result.stdout
    assert not re.search(r"^\S+: [EW]: ", result.stdout, re.MULTILINE), result.stdout


def test_every_filter_has_a_reason() -> None:
    lines = (LINUX / "switchover.rpmlintrc").read_text().splitlines()
    filters = [i for i, line in enumerate(lines) if line.startswith("addFilter(")]
    assert len(filters) >= 5
    for index in filters:
        assert lines[index - 1].startswith("# ") and len(lines[index - 1]) > 20, lines[index]


def system_sonames() -> set[str]:
    out = subprocess.run(["/sbin/ldconfig", "-p"], capture_output=True, text=True, check=True).stdout
    return {m.group(1) for m in re.finditer(r"^\s+(\S+) \(", out, re.MULTILINE)}


def symbol_versions(soname: str) -> set[str]:
    """The symbol versions a system library defines (objdump's version definitions)."""
    out = subprocess.run(["/sbin/ldconfig", "-p"], capture_output=True, text=True, check=True).stdout
    path = next(m.group(1) for m in re.finditer(rf"^\s+{re.escape(soname)} \(.*\) => (\S+)$", out, re.MULTILINE))
    dump = subprocess.run(["objdump", "-p", path], capture_output=True, text=True, check=True).stdout
    definitions = dump.split("Version definitions:")[-1].split("Version References:")[0]
    return set(re.findall(r"^\s*\d+\s+0x\S+\s+0x\S+\s+(\S+)$", definitions, re.MULTILINE))


def test_requires_name_system_libraries_and_none_of_the_bundles_own(linux_artifacts: LinuxArtifacts) -> None:
    requires = [line.strip() for line in query(linux_artifacts.rpm, "-R").splitlines() if line.strip()]
    bundled = {p.name for p in linux_artifacts.bundle.rglob("*.so*")}
    system = system_sonames()
    sonames = set()
    for requirement in requires:
        if requirement.startswith(("rpmlib(", "rtld(")):
            continue
        match = re.fullmatch(r"(\S+\.so[.\d]*)\(([^)]*)\)\(64bit\)", requirement)
        assert match, f"not a soname requirement: {requirement}"
        soname, version = match.groups()
        assert soname not in bundled, f"requires its own bundled library {requirement}"
        assert soname in system, f"{requirement}: no such library on this system"
        if version:
            assert version in symbol_versions(soname), f"{requirement}: {soname} defines no {version}"
        sonames.add(soname)
    # What the bundled Qt's xcb/wayland plugins need, and QtDBus's dlopen()ed libdbus.
    assert {"libc.so.6", "libEGL.so.1", "libfontconfig.so.1", "libxkbcommon.so.0", "libxcb-cursor.so.0",
            "libwayland-client.so.0", "libdbus-1.so.3"} <= sonames


def test_provides_none_of_the_bundled_libraries(linux_artifacts: LinuxArtifacts) -> None:
    provides = query(linux_artifacts.rpm, "--provides").splitlines()
    assert not [p for p in provides if ".so" in p]
    assert f"switchover = {__version__}-1" in provides
    assert any(p.startswith("bundled(qt6-qtbase) = ") for p in provides)
    assert any(p.startswith("bundled(python3) = 3.") for p in provides)


def deb_files(deb: Path) -> dict[str, str]:
    """path -> type ('-' file, 'l' symlink) of every non-directory entry in the .deb."""
    listing = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True, text=True, check=True).stdout
    entries = {}
    for line in listing.splitlines():
        mode, *_rest = line.split()
        path = line.split(" ./", 1)[1].split(" -> ")[0]
        if mode[0] != "d":
            entries["/" + path] = mode[0]
    return entries


def rpm_files(rpm: Path) -> dict[str, str]:
    out = query(rpm, "--qf", "[%{FILEMODES:perms} %{FILENAMES}\n]")
    return {line.split(" ", 1)[1]: line[0] for line in out.splitlines() if not line.startswith("d")}


def test_same_files_in_the_same_places_as_the_deb(linux_artifacts: LinuxArtifacts) -> None:
    deb = {p: t for p, t in deb_files(linux_artifacts.deb).items()
           if not p.startswith(("/usr/share/doc/", "/usr/share/lintian/"))}
    rpm = {p: t for p, t in rpm_files(linux_artifacts.rpm).items() if not p.startswith("/usr/share/licenses/")}
    assert deb == rpm
    listing = set(rpm)
    assert {"/usr/bin/switchover", "/usr/share/man/man1/switchover.1.gz",
            "/usr/share/metainfo/io.github.switchover.Switchover.metainfo.xml",
            "/usr/share/applications/io.github.switchover.Switchover.desktop"} <= listing
    units = {f"/usr/lib/systemd/user/{unit.name}" for unit in (Path(REPO_ROOT) / "packaging/systemd").iterdir()}
    assert units <= listing
    assert "/usr/share/licenses/switchover/copyright" in rpm_files(linux_artifacts.rpm)


DATABASE = "/var/lib/rpm"


def rpm_root(root: Path, *, installing: bool = False) -> list[str]:
    """rpm acting on a scratch root with its database where rpm-based systems keep it (Debian's rpm defaults to
    ~/.rpmdb). Debian's rpm also refuses plain installs (it suggests alien) unless told this is deliberate."""
    force = ["--force-debian"] if installing and "--force-debian" in subprocess.run(
        ["rpm", "--help"], capture_output=True, text=True, check=False).stdout else []
    return ["rpm", f"--root={root}", f"--dbpath={DATABASE}", *force]


def test_installs_runs_and_erases_without_leftovers(linux_artifacts: LinuxArtifacts, isolated_home: Path,
                                                    tmp_path: Path) -> None:
    """rpm itself unpacks the payload (modes, symlink), the program runs from it, and erasing leaves nothing."""
    if os.geteuid() != 0:
        pytest.skip("installing into a scratch rpm root needs root (CI runs as root)")
    root = tmp_path / "rpm-root"
    root.mkdir()
    subprocess.run([*rpm_root(root), "--initdb"], check=True, capture_output=True)
    before = set(root.rglob("*"))
    # --nodeps: the scratch database knows no system library (the Requires are checked above).
    subprocess.run([*rpm_root(root, installing=True), "--nodeps", "-i", str(linux_artifacts.rpm)], check=True,
                   capture_output=True)
    assert os.readlink(root / "usr/bin/switchover") == "../../opt/switchover/switchover"
    program = root / "usr/bin/switchover"
    result = subprocess.run([str(program), "--version"], env=bundle_env(isolated_home), capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0 and result.stdout.strip() == f"switchover {__version__}", result.stderr
    verify = subprocess.run([*rpm_root(root), "-V", "--nodeps", "switchover"], capture_output=True, text=True,
                            check=False)
    assert verify.returncode == 0, verify.stdout
    subprocess.run([*rpm_root(root), "-e", "--nodeps", "switchover"], check=True, capture_output=True)
    database = root / DATABASE.lstrip("/")
    after = {p for p in root.rglob("*") if database not in p.parents and p != database}
    # rpm leaves the parent directories it created for files (/usr/share/man/man1...) but nothing of the package.
    assert not [p for p in after - before if not p.is_dir()]
    assert not [p for p in after if "switchover" in p.name.lower()]
