"""The Debian package: metadata, file layout, desktop integration validated with the distribution's tools,
lintian, the machine-readable copyright, man pages, dependencies that the system satisfies, and an
install/purge cycle that leaves user data alone."""

from __future__ import annotations

import gzip
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from switchover import APP_ID, __version__
from switchover.cli.main import build_parser
from tests.packaging.conftest import LinuxArtifacts, can_dpkg_install, dpkg_root, frozen_modules, install_deb
from tests.support.cli import REPO_ROOT

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
    # Absolute: it crosses top-level directories (Debian policy 10.5; lintian's relative-symlink otherwise).
    assert command.is_symlink() and os.readlink(command) == "/opt/switchover/switchover"
    assert (root / "opt/switchover/switchover").stat().st_mode & 0o111
    assert (root / f"usr/share/applications/{APP_ID}.desktop").is_file()
    for size in ICON_SIZES:
        assert (root / f"usr/share/icons/hicolor/{size}x{size}/apps/{APP_ID}.png").is_file()
    assert (root / f"usr/share/icons/hicolor/scalable/apps/{APP_ID}.svg").is_file()
    assert (root / f"usr/share/metainfo/{APP_ID}.metainfo.xml").is_file()
    assert (root / "usr/share/doc/switchover/copyright").is_file()
    assert (root / "usr/share/lintian/overrides/switchover").is_file()
    changelog = gzip.decompress((root / "usr/share/doc/switchover/changelog.Debian.gz").read_bytes()).decode()
    assert changelog.startswith(f"switchover ({__version__}-1) unstable; urgency=medium\n")
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
    assert not os.path.lexists(root / "usr/bin/switchover")
    assert not (root / f"usr/share/applications/{APP_ID}.desktop").exists()
    assert not list(root.glob("usr/share/man/man1/switchover*"))
    assert user_config.read_text() == "[providers]\n"
    assert user_data.read_text() == "backup"


def test_members_are_xz_compressed(linux_artifacts: LinuxArtifacts) -> None:
    """xz, which every dpkg and lintian read (zstd members are `malformed-deb-archive` to lintian)."""
    members = subprocess.run(["ar", "t", str(linux_artifacts.deb)], capture_output=True, text=True,
                             check=True).stdout.split()
    assert members == ["debian-binary", "control.tar.xz", "data.tar.xz"]


def lint_tags(output: str) -> list[str]:
    return [line for line in output.splitlines() if re.match(r"^[EWIXPO]: ", line)]


def test_lintian_reports_nothing_beyond_the_explained_overrides(linux_artifacts: LinuxArtifacts) -> None:
    """Every tag at every level (errors down to pedantic and experimental) is fixed or overridden in
    packaging/linux/switchover.lintian-overrides with its reason; an override nothing triggers is reported too."""
    if shutil.which("lintian") is None:
        pytest.skip("needs lintian (Debian package lintian; scripts/setup --test installs it)")
    result = subprocess.run(
        ["lintian", "--tag-display-limit", "0", "--display-info", "--display-experimental", "--pedantic",
         "--fail-on", "none", str(linux_artifacts.deb)],
        capture_output=True, text=True, timeout=900, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert lint_tags(result.stdout) == [], result.stdout


def test_every_override_has_a_reason() -> None:
    lines = (Path(REPO_ROOT) / "packaging/linux/switchover.lintian-overrides").read_text().splitlines()
    overrides = [i for i, line in enumerate(lines) if line.startswith("switchover: ")]
    assert len(overrides) >= 5
    for index in overrides:
        assert lines[index - 1].startswith("# ") and len(lines[index - 1]) > 20, lines[index]


def paragraphs(text: str) -> list[dict[str, str]]:
    """deb822 paragraphs (continuation lines joined with newlines)."""
    result = []
    for block in text.strip().split("\n\n"):
        fields: dict[str, str] = {}
        key = ""
        for line in block.splitlines():
            if line.startswith((" ", "\t")):
                fields[key] += "\n" + line[1:]
            else:
                key, _, value = line.partition(":")
                assert key not in fields, f"field {key} twice in a paragraph"
                fields[key] = value.strip()
        result.append(fields)
    return result


def license_names(expression: str) -> set[str]:
    """The licence short names in a DEP-5 expression ("A or B, and C with X exception")."""
    names = set()
    for part in re.split(r",?\s+(?:and|or)\s+", expression.strip()):
        names.add(part.strip().rstrip(","))
    return names


RUNTIME_CLOSURE = r"""
import importlib.metadata as metadata, re
from packaging.requirements import Requirement
def norm(name): return re.sub(r"[-_.]+", "-", name).lower()
tops = {}
for top, dists in metadata.packages_distributions().items():
    for dist in dists:
        tops.setdefault(norm(dist), set()).add(top)
seen, todo = set(), ["switchover"]
while todo:
    name = norm(todo.pop())
    if name in seen:
        continue
    seen.add(name)
    for requirement in map(Requirement, metadata.requires(name) or []):
        if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
            todo.append(requirement.name)
for name in sorted(seen - {"switchover"}):
    print(name, *sorted(tops.get(name, ())))
"""


def runtime_distributions() -> dict[str, set[str]]:
    """Switchover's runtime dependency closure and each distribution's top-level import names, read from the
    build venv's metadata (independently of how the packaging scripts attribute the bundle's files)."""
    python = Path(REPO_ROOT) / "packaging/.build-venv/bin/python"
    out = subprocess.run([str(python), "-c", RUNTIME_CLOSURE], capture_output=True, text=True, check=True).stdout
    return {line.split()[0]: set(line.split()[1:]) for line in out.splitlines() if line.strip()}


def test_copyright_is_machine_readable_and_names_every_bundled_component(
    linux_artifacts: LinuxArtifacts, installed_root: Path
) -> None:
    text = (installed_root / "usr/share/doc/switchover/copyright").read_text(encoding="utf-8")
    header, *rest = paragraphs(text)
    assert header["Format"] == "https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"
    files = [p for p in rest if "Files" in p]
    standalone = {p["License"].splitlines()[0] for p in rest if "Files" not in p}
    assert files[0]["Files"] == "*" and files[0]["License"] == "MIT"
    for paragraph in files:
        assert paragraph["Copyright"].strip(), paragraph["Files"]
        used = license_names(paragraph["License"].splitlines()[0])
        assert used <= standalone, f"no License paragraph for {used - standalone}"
    for paragraph in rest:
        if "Files" not in paragraph:  # each licence has its text, or points at Debian's copy
            assert len(paragraph["License"].splitlines()) > 1, paragraph["License"]
    named = "\n".join(p.get("Comment", "") for p in files)
    normalized = re.sub(r"[._]", "-", named.lower())
    distributions = runtime_distributions()
    shipped = {module.split(".")[0] for module in frozen_modules(linux_artifacts.bundle)}
    shipped |= {p.name.split(".")[0] for p in (linux_artifacts.bundle / "_internal").iterdir()}
    bundled = {name for name, tops in distributions.items() if tops & shipped}
    assert {"pyside6-essentials", "shiboken6", "httpx", "keyring", "platformdirs"} <= bundled
    for distribution in bundled:
        assert re.search(rf"^{re.escape(distribution)} \S+", normalized, re.MULTILINE), distribution
    assert re.search(r"^CPython 3\.\d+\.\d+ \(Python-2\.0\)$", named, re.MULTILINE)
    qt = next(p for p in files if "PySide6_Essentials" in p.get("Comment", "") and "/PySide6/" in p["Files"])
    assert qt["License"].startswith("LGPL-3.0-only")
    assert "opt/switchover/_internal/PySide6/Qt/plugins/*" in qt["Files"].split()
    # Every bundled file is covered by a paragraph more specific than the catch-all, except Switchover's own.
    patterns = [pattern for p in files[1:] for pattern in p["Files"].split()]
    bundle = installed_root / "opt/switchover"
    for path in bundle.rglob("*"):
        rel = path.relative_to(installed_root).as_posix()
        if path.is_file() and not path.is_symlink() and "/_internal/switchover/" not in rel:
            assert any(re.fullmatch(re.escape(p).replace(r"\*", ".*"), rel) for p in patterns), rel


def command_names() -> set[str]:
    parser = build_parser()
    action = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    return set(action.choices)


def test_man_pages_for_every_command_render_without_warnings(installed_root: Path) -> None:
    man1 = installed_root / "usr/share/man/man1"
    pages = {p.name.removesuffix(".1.gz"): p for p in man1.glob("*.1.gz")}
    assert set(pages) == {"switchover", "switchover-app", *(f"switchover-{c}" for c in command_names())}
    if shutil.which("man") is None:
        pytest.skip("needs man (Debian package man-db) to render the pages")
    for name, page in pages.items():
        raw = page.read_bytes()
        assert raw[:2] == b"\x1f\x8b" and raw[8] == 2, f"{name}: not gzip -9"  # XFL=2: maximum compression
        result = subprocess.run(["man", "--warnings", "-E", "UTF-8", "-l", "-Tutf8", "-Z", str(page)],
                                capture_output=True, text=True, env={**os.environ, "MANWIDTH": "80"}, check=False)
        assert result.returncode == 0 and not result.stderr, f"{name}: {result.stderr}"
        rendered = subprocess.run(["man", "-l", str(page)], capture_output=True, text=True, check=True,
                                  env={**os.environ, "MANWIDTH": "100", "MAN_KEEP_FORMATTING": ""}).stdout
        assert re.search(rf"^NAME\n\s+{re.escape(name)}\s+-\s+\S", rendered, re.MULTILINE), rendered[:400]
    use = subprocess.run(["man", "-l", str(pages["switchover-use"])], capture_output=True, text=True, check=True,
                         env={**os.environ, "MANWIDTH": "200"}).stdout
    assert "--dry-run" in use and "PROVIDER[/MODEL]" in use  # the command's own options, from argparse
    main = subprocess.run(["man", "-l", str(pages["switchover"])], capture_output=True, text=True, check=True,
                          env={**os.environ, "MANWIDTH": "200"}).stdout
    assert all(f"switchover {command}" in main for command in command_names())


def run_paths(path: Path) -> list[str]:
    out = subprocess.run(["objdump", "-p", str(path)], capture_output=True, text=True, check=True).stdout
    match = re.search(r"^\s+(?:RUNPATH|RPATH)\s+(\S+)", out, re.MULTILINE)
    return match.group(1).split(":") if match else []


def test_no_library_search_path_leaves_the_bundle(installed_root: Path) -> None:
    """A run path of the build machine (pyenv's lib dir, say) would make every user's loader search it."""
    bundle = installed_root / "opt/switchover"
    elves = [p for p in bundle.rglob("*") if p.is_file() and not p.is_symlink() and p.read_bytes()[:4] == b"\x7fELF"]
    foreign = {f"{p.relative_to(bundle)}: {entry}" for p in elves for entry in run_paths(p)
               if not entry.startswith("$ORIGIN")}
    assert not foreign


def test_every_systemd_unit_is_installed(installed_root: Path) -> None:
    units = sorted((Path(REPO_ROOT) / "packaging/systemd").iterdir())
    assert units
    for unit in units:
        installed = installed_root / "usr/lib/systemd/user" / unit.name
        assert installed.read_bytes() == unit.read_bytes(), unit.name
