"""Lay out the installed file tree shared by the .deb and the .rpm, so both install the same files in the same
places:

  /opt/switchover/                                 the PyInstaller bundle (executable `switchover` + `_internal/`)
  /usr/bin/switchover                              symlink to it: absolute in the .deb (Debian policy 10.5, it
                                                   crosses top-level directories), relative in the .rpm (rpmlint)
  /usr/share/applications/<APP_ID>.desktop         checked with desktop-file-validate
  /usr/share/icons/hicolor/*/apps/<APP_ID>.{png,svg}
  /usr/share/metainfo/<APP_ID>.metainfo.xml        AppStream, checked with appstreamcli
  /usr/share/man/man1/switchover*.1.gz             generated from the CLI's argparse definitions
  /usr/lib/systemd/user/*                          every unit in packaging/systemd/ (user services, not enabled)

Each package adds its own metadata files (doc/licence directories) on top. Shared libraries are 0644 in the
.deb (Debian policy 8.1) and 0755 in the .rpm (what rpm's brp-elfperms and rpmlint expect); the loader maps
them either way.

The bundle's ELF files keep only the run paths that point inside the bundle ($ORIGIN...): an interpreter built
with an rpath (pyenv's, for one) would otherwise make every user's loader search the build machine's paths.
"""

from __future__ import annotations

import datetime as dt
import gzip
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "desktop"))

from elfdeps import is_elf  # noqa: E402

from switchover import APP_ID, __version__  # noqa: E402

PACKAGE = "switchover"
INSTALL_DIR = Path("opt") / PACKAGE
SYSTEMD_DIR = ROOT / "packaging" / "systemd"
SYSTEMD_USER_DIR = Path("usr/lib/systemd/user")
UNIT_SUFFIXES = {".service", ".socket", ".timer", ".path", ".target"}
HOMEPAGE = "https://github.com/switchover/switchover"
MAINTAINER = "The Switchover contributors <switchover@users.noreply.github.com>"
SUMMARY = "Keep every coding tool pointed at a model provider that works"
DESCRIPTION = """\
Switchover keeps the model-provider credentials of your coding tools (Claude
Code, Codex CLI, Gemini CLI, OpenCode, Qwen Code, Aider, Continue, Zed, Goose)
in the system keychain, checks the providers' health, explains failures
(region block, bad key, quota, outage) and re-points every tool at a provider
that works, from the system tray or by itself.

This package ships a self-contained build (Python, Qt and all Python
dependencies) under /opt/switchover and the `switchover` command."""


def run(*cmd: str, cwd: Path | None = None) -> str:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=True).stdout


def release_time() -> dt.datetime:
    """The last commit's time keeps the packages reproducible; now outside a git checkout."""
    try:
        stamp = run("git", "-C", str(ROOT), "log", "-1", "--format=%ct").strip()
        if stamp:
            return dt.datetime.fromtimestamp(int(stamp), dt.UTC)
    except (OSError, subprocess.CalledProcessError):
        pass
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def gzip_max(source: bytes, target: Path) -> None:
    """`gzip -9n`: maximum compression, no name or timestamp in the header (reproducible, what lintian wants)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", compresslevel=9, fileobj=raw, mtime=0) as gz:
        gz.write(source)


def systemd_units() -> list[Path]:
    units = sorted(p for p in SYSTEMD_DIR.iterdir() if p.is_file())
    strangers = [p.name for p in units if p.suffix not in UNIT_SUFFIXES]
    if strangers:
        raise SystemExit(f"stage: packaging/systemd/ must hold only systemd units; found {', '.join(strangers)}")
    return units


def is_shared_object(path: Path) -> bool:
    return ".so" in path.name and is_elf(path)


def stage(bundle: Path, root: Path, manpages: Path, *, flavor: str) -> None:
    """Lay out the common package tree under `root` (which becomes `/`); `flavor` is "deb" or "rpm"."""
    if flavor not in {"deb", "rpm"}:
        raise ValueError(flavor)
    resources = ROOT / "resources"
    shutil.copytree(bundle, root / INSTALL_DIR, symlinks=True)
    (root / "usr/bin").mkdir(parents=True)
    target = f"/{INSTALL_DIR}/{PACKAGE}" if flavor == "deb" else f"../../{INSTALL_DIR}/{PACKAGE}"
    os.symlink(target, root / "usr/bin" / PACKAGE)

    desktop = resources / f"{APP_ID}.desktop"
    if not re.search(rf"^Exec={PACKAGE}\b", desktop.read_text(), re.MULTILINE):
        raise SystemExit(f"stage: {desktop} must launch `{PACKAGE}` (found no Exec={PACKAGE} line)")
    (root / "usr/share/applications").mkdir(parents=True)
    shutil.copy2(desktop, root / "usr/share/applications" / desktop.name)

    for icon in sorted((resources / "icons" / "hicolor").glob(f"*/apps/{APP_ID}.*")):
        target = root / "usr/share/icons/hicolor" / icon.relative_to(resources / "icons" / "hicolor")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(icon, target)

    metainfo = (HERE / f"{APP_ID}.metainfo.xml").read_text()
    metainfo = metainfo.replace("@VERSION@", __version__).replace("@DATE@", release_time().date().isoformat())
    (root / "usr/share/metainfo").mkdir(parents=True)
    (root / "usr/share/metainfo" / f"{APP_ID}.metainfo.xml").write_text(metainfo)

    pages = sorted(manpages.glob("*.1"))
    if not any(p.name == f"{PACKAGE}.1" for p in pages):
        raise SystemExit(f"stage: no {PACKAGE}.1 among the generated man pages in {manpages}")
    for page in pages:
        gzip_max(page.read_bytes(), root / "usr/share/man/man1" / f"{page.name}.gz")

    (root / SYSTEMD_USER_DIR).mkdir(parents=True)
    for unit in systemd_units():
        shutil.copy2(unit, root / SYSTEMD_USER_DIR / unit.name)

    drop_foreign_run_paths(root / INSTALL_DIR)
    drop_comment_sections(root / INSTALL_DIR)
    normalize_modes(root, library_mode=0o644 if flavor == "deb" else 0o755)


def run_path(path: Path) -> list[str]:
    out = run("objdump", "-p", str(path))
    match = re.search(r"^\s+(?:RUNPATH|RPATH)\s+(\S+)", out, re.MULTILINE)
    return match.group(1).split(":") if match else []


def drop_foreign_run_paths(bundle: Path) -> None:
    """Remove RUNPATH/RPATH entries that leave the bundle (keep $ORIGIN-relative ones) with patchelf."""
    for path in sorted(bundle.rglob("*")):
        if not path.is_file() or path.is_symlink() or not is_shared_object(path):
            continue
        entries = run_path(path)
        kept = [entry for entry in entries if entry.startswith("$ORIGIN")]
        if kept == entries:
            continue
        if kept:
            run("patchelf", "--set-rpath", ":".join(kept), str(path))
        else:
            run("patchelf", "--remove-rpath", str(path))


def drop_comment_sections(bundle: Path) -> None:
    """Remove the compilers' `.comment` section from shared objects, as dh_strip does for Debian's own packages
    (same command). The executable is left alone: PyInstaller appends its archive after the ELF sections, which
    strip would drop."""
    libraries = [str(p) for p in sorted(bundle.rglob("*")) if p.is_file() and not p.is_symlink()
                 and is_shared_object(p)]
    for start in range(0, len(libraries), 64):
        run("strip", "--remove-section=.comment", "--strip-unneeded", *libraries[start:start + 64])


def normalize_modes(root: Path, *, library_mode: int) -> None:
    """Policy-clean modes whatever the umask was: directories and programs 0755, shared libraries
    `library_mode`, everything else 0644."""
    for path in root.rglob("*"):
        if path.is_symlink():
            continue
        if path.is_dir():
            path.chmod(0o755)
        elif is_shared_object(path):
            path.chmod(library_mode)
        else:
            path.chmod(0o755 if os.access(path, os.X_OK) else 0o644)


def validate(root: Path) -> None:
    """The same checks a distribution would run; appstreamcli is optional (not every build host has it)."""
    run("desktop-file-validate", str(root / "usr/share/applications" / f"{APP_ID}.desktop"))
    if shutil.which("appstreamcli"):
        run("appstreamcli", "validate", "--no-net", str(root / "usr/share/metainfo" / f"{APP_ID}.metainfo.xml"))


def installed_size_kib(root: Path) -> int:
    total = sum(p.lstat().st_size for p in root.rglob("*") if not p.is_dir())
    return (total + 1023) // 1024
