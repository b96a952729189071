"""Build the Linux artifacts (PyInstaller bundle, then the .deb and the .rpm), skipping whatever is up to date.

Each step is keyed by a SHA-256 of everything that goes into it (sources, resources, spec, the build venv's
exact package versions, the packaging scripts), stored beside the output. A rerun with the same inputs is
instant; any source change rebuilds. Runs are serialised with a lock, so parallel test runs share one build.

Exit codes: 0 built (or up to date), 1 build failed, 3 a packaging tool is missing (the message says which).
Prints a JSON summary on stdout:
{"bundle": ..., "deb": ..., "rpm": ..., "bundle_rebuilt": ..., "deb_rebuilt": ..., "rpm_rebuilt": ...}.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
PACKAGING = ROOT / "packaging"
BUILD_VENV = PACKAGING / ".build-venv"
MISSING_TOOL = 3
# Debian packages providing the tools each step needs (scripts/setup --test installs them).
TOOLS = {
    "objdump": "binutils",  # PyInstaller's dependency analysis and elfdeps
    "dpkg-deb": "dpkg",
    "dpkg-shlibdeps": "dpkg-dev",
    "desktop-file-validate": "desktop-file-utils",
    "strip": "binutils",
    "patchelf": "patchelf",
    "rpmbuild": "rpm",
}


def log(message: str) -> None:
    print(f"build-linux: {message}", file=sys.stderr, flush=True)


def missing_tools() -> list[str]:
    return sorted({package for tool, package in TOOLS.items() if shutil.which(tool) is None})


def files_under(base: Path, patterns: Iterable[str]) -> list[Path]:
    found = {p for pattern in patterns for p in base.glob(pattern) if p.is_file()}
    return sorted(p for p in found if "__pycache__" not in p.parts)


def digest(files: Iterable[Path], extra: Iterable[str] = ()) -> str:
    sha = hashlib.sha256()
    for path in files:
        sha.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    for item in extra:
        sha.update(item.encode() + b"\0")
    return sha.hexdigest()


def ensure_build_venv() -> Path:
    """A separate venv with only the runtime dependencies + PyInstaller, so nothing from the test extras can
    end up in the bundle. Recreated when pyproject.toml changes."""
    python = BUILD_VENV / "bin" / "python"
    stamp = BUILD_VENV / ".switchover-build-stamp"
    want = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if python.exists() and stamp.exists() and stamp.read_text().strip() == want:
        return python
    log(f"preparing the build venv {BUILD_VENV.relative_to(ROOT)} (PyInstaller + runtime dependencies)")
    if BUILD_VENV.exists():
        shutil.rmtree(BUILD_VENV)
    subprocess.run([sys.executable, "-m", "venv", str(BUILD_VENV)], check=True)
    # pip's download cache also stays in the tree (packaging/build), like PyInstaller's.
    pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
           "--cache-dir", str(PACKAGING / "build" / "pip-cache")]
    try:
        subprocess.run([*pip, "--upgrade", "pip"], check=True, stdout=subprocess.DEVNULL)
        subprocess.run([*pip, "-e", f"{ROOT}[package]"], check=True)
    except subprocess.CalledProcessError:
        log("could not install PyInstaller and the runtime dependencies into the build venv (no PyPI access?)")
        shutil.rmtree(BUILD_VENV, ignore_errors=True)
        sys.exit(MISSING_TOOL)
    stamp.write_text(want + "\n")
    return python


def bundle_inputs(python: Path) -> str:
    freeze = subprocess.run(
        [str(python), "-m", "pip", "freeze", "--exclude-editable", "--disable-pip-version-check"],
        capture_output=True, text=True, check=True,
    ).stdout
    files = files_under(ROOT / "desktop" / "switchover", ["**/*.py", "**/py.typed"])
    files += files_under(ROOT / "resources", ["**/*"])
    files += [PACKAGING / "switchover.spec", PACKAGING / "switchover_entry.py", HERE / "elfdeps.py"]
    return digest(files, [freeze, sys.platform, os.uname().machine])


def package_inputs(bundle_hash: str) -> str:
    """What goes into the packages besides the bundle: packaging scripts, licence texts, lint overrides, man page
    generator (the CLI sources are in the bundle key), resources and the systemd units."""
    files = files_under(HERE, ["**/*"]) + files_under(ROOT / "resources", ["**/*"])
    files += files_under(PACKAGING / "systemd", ["*"])
    return digest(files, [bundle_hash])


def up_to_date(stamp: Path, want: str, output: Path) -> bool:
    return output.exists() and stamp.exists() and stamp.read_text().strip() == want


def build_bundle(python: Path, dist: Path, work: Path) -> Path:
    started = time.monotonic()
    log("running PyInstaller (a minute or two)")
    # PyInstaller's binary-analysis cache stays in the tree, not in ~/.cache (tests never touch the real home).
    env = {**os.environ, "PYINSTALLER_CONFIG_DIR": str(work / "pyinstaller-cache")}
    subprocess.run(
        [str(python), "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
         "--distpath", str(dist), "--workpath", str(work), str(PACKAGING / "switchover.spec")],
        check=True, cwd=ROOT, stdout=sys.stderr, env=env,
    )
    log(f"bundle built in {time.monotonic() - started:.0f} s")
    return dist / "switchover"


def package_metadata(python: Path, bundle: Path, work: Path) -> tuple[Path, Path]:
    """Man pages (from the CLI's argparse definitions) and the bundle's component inventory (for the licence
    files), both made in the build venv, where argparse-manpage, PyInstaller and the bundled packages are."""
    if work.exists():
        shutil.rmtree(work)
    manpages, inventory = work / "man", work / "inventory.json"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONDONTWRITEBYTECODE": "1"}
    subprocess.run([str(python), str(HERE / "manpages.py"), str(manpages), release_date()], check=True,
                   capture_output=True, text=True, env=env)
    subprocess.run([str(python), str(HERE / "components.py"), "inventory", str(bundle), str(inventory)],
                   check=True, capture_output=True, text=True, env=env)
    return manpages, inventory


def release_date() -> str:
    sys.path.insert(0, str(HERE))
    from stage import release_time

    return release_time().date().isoformat()


def make_package(kind: str, bundle: Path, dist: Path, manpages: Path, inventory: Path) -> Path:
    started = time.monotonic()
    log(f"making the .{kind}")
    pattern = "switchover_*.deb" if kind == "deb" else "switchover-*.rpm"
    for old in dist.glob(pattern):
        old.unlink()
    out = subprocess.run(
        [sys.executable, str(HERE / f"make_{kind}.py"), str(bundle), str(dist), "--manpages", str(manpages),
         "--inventory", str(inventory)],
        check=True, capture_output=True, text=True,
    ).stdout
    log(f".{kind} built in {time.monotonic() - started:.0f} s")
    return Path(out.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the Switchover Linux bundle, .deb and .rpm.")
    parser.add_argument("--force", action="store_true", help="rebuild even when the inputs did not change")
    parser.add_argument("--dist", type=Path, default=PACKAGING / "dist", help="output folder (default: %(default)s)")
    args = parser.parse_args(argv)

    missing = missing_tools()
    if missing:
        log(f"missing packaging tools; install them with: sudo apt-get install {' '.join(missing)}")
        return MISSING_TOOL
    dist = args.dist.resolve()
    dist.mkdir(parents=True, exist_ok=True)
    with (dist / ".build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        python = ensure_build_venv()
        bundle, bundle_stamp = dist / "switchover", dist / ".bundle-inputs"
        bundle_hash = bundle_inputs(python)
        bundle_rebuilt = args.force or not up_to_date(bundle_stamp, bundle_hash, bundle / "switchover")
        if bundle_rebuilt:
            bundle_stamp.unlink(missing_ok=True)
            build_bundle(python, dist, PACKAGING / "build")
            bundle_stamp.write_text(bundle_hash + "\n")
        else:
            log("bundle is up to date")

        packages_hash = package_inputs(bundle_hash)
        built: dict[str, Path] = {}
        rebuilt: dict[str, bool] = {}
        metadata: tuple[Path, Path] | None = None
        for kind, pattern in (("deb", "switchover_*.deb"), ("rpm", "switchover-*.rpm")):
            stamp = dist / f".{kind}-inputs"
            existing = sorted(dist.glob(pattern))
            rebuilt[kind] = bundle_rebuilt or not existing or not up_to_date(stamp, packages_hash, existing[-1])
            if rebuilt[kind]:
                stamp.unlink(missing_ok=True)
                metadata = metadata or package_metadata(python, bundle, PACKAGING / "build" / "package-metadata")
                built[kind] = make_package(kind, bundle, dist, *metadata)
                stamp.write_text(packages_hash + "\n")
            else:
                built[kind] = existing[-1]
                log(f"{existing[-1].name} is up to date")
    print(json.dumps({"bundle": str(bundle), "deb": str(built["deb"]), "rpm": str(built["rpm"]),
                      "bundle_rebuilt": bundle_rebuilt, "deb_rebuilt": rebuilt["deb"], "rpm_rebuilt": rebuilt["rpm"]}))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except subprocess.CalledProcessError as error:
        detail = (error.stderr or "").strip() if isinstance(error.stderr, str) else ""
        log(f"step failed: {' '.join(map(str, error.cmd))}" + (f"\n{detail}" if detail else ""))
        sys.exit(1)
