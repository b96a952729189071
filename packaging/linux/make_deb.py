"""Turn the PyInstaller one-folder bundle into a Debian package with `dpkg-deb`.

The file tree is the one stage.py lays out (shared with the .rpm), plus Debian's own files:
  /usr/share/doc/switchover/copyright            machine-readable (DEP-5), generated from the bundle's contents
  /usr/share/doc/switchover/changelog.Debian.gz
  /usr/share/lintian/overrides/switchover        the tags inherent to a self-contained bundle, each with a reason
There are no maintainer scripts: Debian's triggers refresh the icon cache, desktop database and man-db, and
removal must never touch user data (config, keychain entries, backups live in the user's home).

`Depends` is computed by `dpkg-shlibdeps` from every ELF file in the bundle (the spec leaves system libraries
out of the bundle on purpose), plus the libraries Qt loads with dlopen() that no ELF file names.

Usage: python3 make_deb.py BUNDLE_DIR OUT_DIR --manpages DIR --inventory JSON
"""

from __future__ import annotations

import argparse
import email.utils
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from components import render_copyright  # noqa: E402
from elfdeps import is_elf  # noqa: E402
from stage import (  # noqa: E402
    DESCRIPTION,
    HOMEPAGE,
    INSTALL_DIR,
    MAINTAINER,
    PACKAGE,
    SUMMARY,
    gzip_max,
    installed_size_kib,
    release_time,
    run,
    stage,
    validate,
)

from switchover import __version__  # noqa: E402

# xz (-6, dpkg-deb's default level): every dpkg reads it and lintian requires it; dpkg-deb runs xz on all
# cores. zstd would be faster to build but older dpkg (and lintian) reject it.
COMPRESSION = ("xz", 6)
# Loaded with dlopen() by Qt, so no DT_NEEDED entry names them.
DLOPENED_DEPENDS = ("libdbus-1-3",)  # QtDBus: tray (StatusNotifierItem), portals, Secret Service via Qt
RECOMMENDS = ("gnome-keyring | kwalletmanager | keepassxc", "fonts-dejavu-core | fonts-noto-core")
OVERRIDES = HERE / "switchover.lintian-overrides"
DEBIAN_REVISION = "1"


def debian_version() -> str:
    return f"{__version__}-{DEBIAN_REVISION}"


def changelog() -> str:
    when = email.utils.format_datetime(release_time())
    return (
        f"{PACKAGE} ({debian_version()}) unstable; urgency=medium\n\n"
        f"  * Self-contained build of Switchover {__version__} (Python, Qt and the Python\n"
        "    dependencies under /opt/switchover); upstream changes are listed at\n"
        f"    {HOMEPAGE}/releases.\n\n"
        f" -- {MAINTAINER}  {when}\n"
    )


def add_debian_files(root: Path, inventory: dict[str, object]) -> None:
    doc = root / "usr/share/doc" / PACKAGE
    doc.mkdir(parents=True)
    (doc / "copyright").write_text(
        render_copyright(inventory, install_dir=str(INSTALL_DIR), own_license="MIT", homepage=HOMEPAGE,
                         common_licenses=True),
        encoding="utf-8",
    )
    gzip_max(changelog().encode(), doc / "changelog.Debian.gz")
    overrides = root / "usr/share/lintian/overrides" / PACKAGE
    overrides.parent.mkdir(parents=True)
    overrides.write_text(OVERRIDES.read_text())
    for path in (doc, overrides.parent, overrides.parent.parent):
        path.chmod(0o755)
    for path in (doc / "copyright", doc / "changelog.Debian.gz", overrides):
        path.chmod(0o644)


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


def md5sums(root: Path) -> str:
    """`dpkg --verify` compares installed files against this list."""
    lines = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink() and path.relative_to(root).parts[0] != "DEBIAN":
            lines.append(f"{hashlib.md5(path.read_bytes()).hexdigest()}  {path.relative_to(root)}\n")
    return "".join(lines)


def control(root: Path, depends: list[str]) -> str:
    arch = run("dpkg", "--print-architecture").strip()
    description = SUMMARY + "\n" + "\n".join(f" {line}" if line else " ." for line in DESCRIPTION.splitlines())
    fields = {
        "Package": PACKAGE,
        "Version": debian_version(),
        "Architecture": arch,
        "Maintainer": MAINTAINER,
        "Installed-Size": str(installed_size_kib(root)),
        "Depends": ", ".join(depends),
        "Recommends": ", ".join(RECOMMENDS),
        "Section": "devel",
        "Priority": "optional",
        "Homepage": HOMEPAGE,
        "Description": description,
    }
    return "".join(f"{key}: {value}\n" for key, value in fields.items())


def build_deb(bundle: Path, out_dir: Path, manpages: Path, inventory: dict[str, object]) -> Path:
    if not (bundle / PACKAGE).is_file():
        raise SystemExit(f"make_deb: no bundle at {bundle} (run PyInstaller first)")
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".deb-root-") as scratch:
        root = Path(scratch) / "root"
        root.mkdir(mode=0o755)
        stage(bundle, root, manpages, flavor="deb")
        add_debian_files(root, inventory)
        validate(root)
        (root / "DEBIAN").mkdir(mode=0o755)  # before dpkg-shlibdeps: it marks the package tree's root
        depends = shlib_depends(root)
        (root / "DEBIAN/control").write_text(control(root, depends))
        (root / "DEBIAN/md5sums").write_text(md5sums(root))
        for member in (root / "DEBIAN").iterdir():
            member.chmod(0o644)
        arch = run("dpkg", "--print-architecture").strip()
        deb = out_dir / f"{PACKAGE}_{debian_version()}_{arch}.deb"
        kind, level = COMPRESSION
        env_date = str(int(release_time().timestamp()))
        subprocess.run(
            ["dpkg-deb", "--root-owner-group", f"-Z{kind}", f"-z{level}", "--build", str(root), str(deb)],
            check=True, capture_output=True, text=True, env={**os.environ, "SOURCE_DATE_EPOCH": env_date},
        )
    return deb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle", type=Path)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--manpages", type=Path, required=True)
    parser.add_argument("--inventory", type=Path, required=True)
    args = parser.parse_args(argv)
    inventory = json.loads(args.inventory.read_text(encoding="utf-8"))
    print(build_deb(args.bundle.resolve(), args.out_dir.resolve(), args.manpages.resolve(), inventory))
    return 0


if __name__ == "__main__":
    sys.exit(main())
