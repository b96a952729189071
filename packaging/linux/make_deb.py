"""Turn the PyInstaller one-folder bundle into a Debian package with `dpkg-deb`.

Layout of the package:
  /opt/switchover/                      the bundle (executable `switchover` + `_internal/`)
  /usr/bin/switchover                   relative symlink to it, so the command is on PATH
  /usr/share/applications/<APP_ID>.desktop, /usr/share/icons/hicolor/*/apps/<APP_ID>.{png,svg}
  /usr/share/metainfo/<APP_ID>.metainfo.xml (AppStream), /usr/share/doc/switchover/copyright
There are no maintainer scripts: Debian's triggers refresh the icon cache and desktop database, and removal
must never touch user data (config, keychain entries, backups live in the user's home).

`Depends` is computed by `dpkg-shlibdeps` from every ELF file in the bundle (the spec leaves system libraries
out of the bundle on purpose), plus the libraries Qt loads with dlopen() that no ELF file names.

Usage: python3 make_deb.py BUNDLE_DIR OUT_DIR
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "desktop"))

from elfdeps import is_elf  # noqa: E402

from switchover import APP_ID, __version__  # noqa: E402

PACKAGE = "switchover"
# zstd -9: ~43 MB in seconds; xz -6 saves 8 MB for ~20x the CPU time (minutes on 2 cores). dpkg reads zstd
# since 1.21.18 (Debian 12, Ubuntu 21.10), older than anything the computed Depends allow anyway.
COMPRESSION = ("zstd", 9)
INSTALL_DIR = Path("opt") / PACKAGE
# Loaded with dlopen() by Qt, so no DT_NEEDED entry names them.
DLOPENED_DEPENDS = ("libdbus-1-3",)  # QtDBus: tray (StatusNotifierItem), portals, Secret Service via Qt
RECOMMENDS = ("gnome-keyring | kwalletmanager | keepassxc", "fonts-dejavu-core | fonts-noto-core")
DESCRIPTION = """\
Keep every coding tool pointed at a model provider that works
 Switchover keeps the model-provider credentials of your coding tools (Claude
 Code, Codex CLI, Gemini CLI, OpenCode, Qwen Code, Aider, Continue, Zed, Goose)
 in the system keychain, checks the providers' health, explains failures
 (region block, bad key, quota, outage) and re-points every tool at a provider
 that works, from the system tray or by itself.
 .
 This package ships a self-contained build (Python, Qt and all Python
 dependencies) under /opt/switchover and the `switchover` command."""
COPYRIGHT = """\
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: Switchover
Source: https://github.com/switchover/switchover

Files: *
Copyright: The Switchover contributors
License: MIT

Files: opt/switchover/_internal/*
Copyright: The Python Software Foundation; The Qt Company Ltd.; and the authors of the bundled packages
License: various
 The bundle contains CPython (PSF License), Qt 6 and PySide6 (LGPL-3), httpx, keyring, platformdirs,
 tomlkit, ruamel.yaml, truststore, SecretStorage, jeepney and cryptography, each under its own license;
 their license files are in the bundle's *.dist-info folders where the project ships one.

License: MIT
 Permission is hereby granted, free of charge, to any person obtaining a copy of this software and
 associated documentation files (the "Software"), to deal in the Software without restriction, including
 without limitation the rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
 copies of the Software, and to permit persons to whom the Software is furnished to do so, subject to the
 following conditions:
 .
 The above copyright notice and this permission notice shall be included in all copies or substantial
 portions of the Software.
 .
 THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT
 LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO
 EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER
 IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE
 USE OR OTHER DEALINGS IN THE SOFTWARE.
"""


def run(*cmd: str, cwd: Path | None = None) -> str:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=True).stdout


def release_date() -> str:
    """The last commit's date keeps the metainfo reproducible; today's date outside a git checkout."""
    try:
        return run("git", "-C", str(ROOT), "log", "-1", "--format=%cs").strip() or dt.date.today().isoformat()
    except (OSError, subprocess.CalledProcessError):
        return dt.date.today().isoformat()


def stage(bundle: Path, root: Path) -> None:
    """Lay out the package tree under `root` (which becomes `/`)."""
    resources = ROOT / "resources"
    shutil.copytree(bundle, root / INSTALL_DIR, symlinks=True)
    (root / "usr/bin").mkdir(parents=True)
    os.symlink(os.path.relpath(root / INSTALL_DIR / PACKAGE, root / "usr/bin"), root / "usr/bin" / PACKAGE)

    desktop = resources / f"{APP_ID}.desktop"
    if not re.search(rf"^Exec={PACKAGE}\b", desktop.read_text(), re.MULTILINE):
        raise SystemExit(f"make_deb: {desktop} must launch `{PACKAGE}` (found no Exec={PACKAGE} line)")
    (root / "usr/share/applications").mkdir(parents=True)
    shutil.copy2(desktop, root / "usr/share/applications" / desktop.name)

    for icon in sorted((resources / "icons" / "hicolor").glob(f"*/apps/{APP_ID}.*")):
        target = root / "usr/share/icons/hicolor" / icon.relative_to(resources / "icons" / "hicolor")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(icon, target)

    metainfo = (HERE / f"{APP_ID}.metainfo.xml").read_text()
    metainfo = metainfo.replace("@VERSION@", __version__).replace("@DATE@", release_date())
    (root / "usr/share/metainfo").mkdir(parents=True)
    (root / "usr/share/metainfo" / f"{APP_ID}.metainfo.xml").write_text(metainfo)

    (root / "usr/share/doc" / PACKAGE).mkdir(parents=True)
    (root / "usr/share/doc" / PACKAGE / "copyright").write_text(COPYRIGHT)

    for path in root.rglob("*"):  # dpkg-deb keeps modes: make them policy-clean whatever the umask was
        if path.is_symlink():
            continue
        executable = path.is_dir() or os.access(path, os.X_OK)
        path.chmod(0o755 if executable else 0o644)


def validate(root: Path) -> None:
    """The same checks a distribution would run; appstreamcli is optional (not every build host has it)."""
    run("desktop-file-validate", str(root / "usr/share/applications" / f"{APP_ID}.desktop"))
    if shutil.which("appstreamcli"):
        run("appstreamcli", "validate", "--no-net", str(root / "usr/share/metainfo" / f"{APP_ID}.metainfo.xml"))


def shlib_depends(root: Path) -> list[str]:
    """Run dpkg-shlibdeps over every ELF file in the bundle; the bundle's own libraries are private (-l)."""
    bundle = root / INSTALL_DIR
    elves = sorted(str(p) for p in bundle.rglob("*") if p.is_file() and not p.is_symlink() and is_elf(p))
    private = sorted({str(Path(p).parent) for p in elves if ".so" in Path(p).name})
    with tempfile.TemporaryDirectory() as scratch:
        (Path(scratch) / "debian").mkdir()
        (Path(scratch) / "debian/control").write_text(
            f"Source: {PACKAGE}\n\nPackage: {PACKAGE}\nArchitecture: any\n"
        )
        result = subprocess.run(
            ["dpkg-shlibdeps", "-O", "--ignore-missing-info", *(f"-l{d}" for d in private), *elves],
            cwd=scratch, capture_output=True, text=True, check=False,
        )
    if result.returncode != 0:
        errors = [line for line in result.stderr.splitlines() if "error" in line]
        raise SystemExit("make_deb: dpkg-shlibdeps failed:\n" + "\n".join(errors or result.stderr.splitlines()[-20:]))
    match = re.search(r"^shlibs:Depends=(.*)$", result.stdout, re.MULTILINE)
    found = [dep.strip() for dep in match.group(1).split(",")] if match else []
    names = {dep.split()[0] for dep in found}
    return found + [dep for dep in DLOPENED_DEPENDS if dep not in names]


def installed_size_kib(root: Path) -> int:
    total = sum(p.lstat().st_size for p in root.rglob("*") if not p.is_dir())
    return (total + 1023) // 1024


def md5sums(root: Path) -> str:
    """`dpkg --verify` compares installed files against this list."""
    lines = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink() and path.relative_to(root).parts[0] != "DEBIAN":
            lines.append(f"{hashlib.md5(path.read_bytes()).hexdigest()}  {path.relative_to(root)}\n")
    return "".join(lines)


def control(root: Path, depends: list[str]) -> str:
    arch = run("dpkg", "--print-architecture").strip()
    fields = {
        "Package": PACKAGE,
        "Version": f"{__version__}-1",
        "Architecture": arch,
        "Maintainer": "The Switchover contributors <switchover@users.noreply.github.com>",
        "Installed-Size": str(installed_size_kib(root)),
        "Depends": ", ".join(depends),
        "Recommends": ", ".join(RECOMMENDS),
        "Section": "devel",
        "Priority": "optional",
        "Homepage": "https://github.com/switchover/switchover",
        "Description": DESCRIPTION,
    }
    return "".join(f"{key}: {value}\n" for key, value in fields.items())


def build_deb(bundle: Path, out_dir: Path) -> Path:
    if not (bundle / PACKAGE).is_file():
        raise SystemExit(f"make_deb: no bundle at {bundle} (run PyInstaller first)")
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".deb-root-") as scratch:
        root = Path(scratch) / "root"
        root.mkdir(mode=0o755)
        stage(bundle, root)
        validate(root)
        (root / "DEBIAN").mkdir(mode=0o755)  # before dpkg-shlibdeps: it marks the package tree's root
        depends = shlib_depends(root)
        (root / "DEBIAN/control").write_text(control(root, depends))
        (root / "DEBIAN/md5sums").write_text(md5sums(root))
        for member in (root / "DEBIAN").iterdir():
            member.chmod(0o644)
        arch = run("dpkg", "--print-architecture").strip()
        deb = out_dir / f"{PACKAGE}_{__version__}-1_{arch}.deb"
        kind, level = COMPRESSION
        run("dpkg-deb", "--root-owner-group", f"-Z{kind}", f"-z{level}", "--build", str(root), str(deb))
    return deb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle", type=Path)
    parser.add_argument("out_dir", type=Path)
    args = parser.parse_args(argv)
    print(build_deb(args.bundle.resolve(), args.out_dir.resolve()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
