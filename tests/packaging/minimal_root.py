"""A minimal Debian system to install the .deb into with apt, so its Depends are resolved from the archive
rather than proven only against the build machine's extra packages.

The root is made once with mmdebstrap (variant minbase: essential + required packages + apt, what
`debian:<release>-slim` images hold) from the Debian archive, for the build host's own release (the Depends
are computed against its library versions), and cached as a tarball in packaging/cache/ (gitignored), keyed
by everything that shapes it. Each use extracts a fresh copy; apt's package lists and downloaded .debs are
cached beside it and bind-mounted in, so a cached run downloads nothing but the archive's changes.

Commands run inside through `unshare --mount` + `chroot`: the /proc, /dev and cache mounts live in a private
mount namespace and vanish with the command, whatever happens to the test.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.cli import REPO_ROOT

CACHE = Path(REPO_ROOT) / "packaging" / "cache" / "minimal-root"
MIRROR = os.environ.get("SWITCHOVER_DEBIAN_MIRROR", "http://deb.debian.org/debian")
SECURITY_MIRROR = os.environ.get("SWITCHOVER_DEBIAN_SECURITY_MIRROR", "http://deb.debian.org/debian-security")
VARIANT = "minbase"
CREATE_TIMEOUT_S = 1800


def host_release() -> str | None:
    """The build host's Debian codename (VERSION_CODENAME in /etc/os-release), if it is Debian."""
    try:
        fields = dict(
            line.split("=", 1) for line in Path("/etc/os-release").read_text().splitlines() if "=" in line
        )
    except OSError:
        return None
    if fields.get("ID", "").strip('"') != "debian":
        return None
    return fields.get("VERSION_CODENAME", "").strip('"') or None


def unavailable_reason() -> str | None:
    """Why a minimal root cannot be made and entered here, or None."""
    if os.geteuid() != 0:
        return "needs root to chroot and mount (CI runs as root)"
    if host_release() is None:
        return "the build host is not Debian, so there is no release to match the .deb's Depends"
    for tool, package in (("mmdebstrap", "mmdebstrap"), ("unshare", "util-linux"), ("chroot", "coreutils")):
        if shutil.which(tool) is None:
            return f"needs {tool} (Debian package {package}; scripts/setup --test installs it)"
    probe = subprocess.run(["unshare", "--mount", "--", "mount", "-t", "tmpfs", "none", "/mnt"],
                           capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        return f"cannot create a private mount namespace here: {probe.stderr.strip()}"
    return None


@dataclass
class Timings:
    """Seconds spent on each step, printed by the tests (pytest -s shows them)."""

    steps: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        started = time.monotonic()
        try:
            yield
        finally:
            self.steps[name] = round(time.monotonic() - started, 1)


class MinimalRoot:
    def __init__(self, path: Path, cache: Path = CACHE) -> None:
        self.path = path
        self.cache = cache
        self.lists = cache / "apt-lists"
        self.archives = cache / "apt-archives"

    # -- the cached tarball ---------------------------------------------------------------------------------

    @staticmethod
    def sources(release: str) -> list[str]:
        return [
            f"deb {MIRROR} {release} main",
            f"deb {MIRROR} {release}-updates main",
            f"deb {SECURITY_MIRROR} {release}-security main",
        ]

    @classmethod
    def tarball(cls, release: str, cache: Path = CACHE) -> tuple[Path, bool]:
        """The cached minimal root for `release`, made first if missing or made differently; returns whether
        it was made now. The caller holds the cache lock."""
        key = hashlib.sha256("\n".join([release, VARIANT, *cls.sources(release)]).encode()).hexdigest()[:16]
        tar = cache / f"{release}-{VARIANT}-{key}.tar"
        if tar.is_file():
            return tar, False
        cache.mkdir(parents=True, exist_ok=True)
        for stale in cache.glob(f"*-{VARIANT}-*.tar*"):
            stale.unlink()
        partial = tar.with_suffix(".tar.partial")
        result = subprocess.run(
            ["mmdebstrap", "--mode=root", f"--variant={VARIANT}", "--format=tar", "--quiet", release, str(partial),
             *cls.sources(release)],
            capture_output=True, text=True, timeout=CREATE_TIMEOUT_S, check=False,
        )
        if result.returncode != 0:
            partial.unlink(missing_ok=True)
            raise RuntimeError(f"mmdebstrap failed (is the Debian archive reachable?):\n{result.stderr[-3000:]}")
        partial.rename(tar)
        return tar, True

    def extract(self, tar: Path) -> None:
        self.path.mkdir(parents=True)
        subprocess.run(["tar", "--extract", "--file", str(tar), "--directory", str(self.path), "--numeric-owner",
                        "--preserve-permissions"], check=True, capture_output=True)
        shutil.copy2("/etc/resolv.conf", self.path / "etc/resolv.conf")
        for directory in (self.lists / "partial", self.archives / "partial"):
            directory.mkdir(parents=True, exist_ok=True)

    # -- running commands inside ----------------------------------------------------------------------------

    def run(self, command: Sequence[str], *, user: str | None = None, env: dict[str, str] | None = None,
            timeout: float = 600, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run `command` inside the root (as root, or as `user` with setpriv), with a clean environment."""
        root = self.path
        mounts = (
            f'mount -t proc proc "{root}/proc" && mount --rbind /dev "{root}/dev" && '
            f'mount --bind "{self.lists}" "{root}/var/lib/apt/lists" && '
            f'mount --bind "{self.archives}" "{root}/var/cache/apt/archives"'
        )
        base_env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8",
                    "DEBIAN_FRONTEND": "noninteractive", "HOME": "/root"}
        full_env = {**base_env, **(env or {})}
        inner = ["/usr/bin/env", "-i", *(f"{k}={v}" for k, v in full_env.items()), *command]
        if user is not None:
            inner = ["/usr/bin/setpriv", f"--reuid={user}", f"--regid={user}", "--init-groups", *inner]
        script = f'{mounts} && exec chroot "{root}" "$@"'
        result = subprocess.run(["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", script, "sh",
                                 *inner], capture_output=True, text=True, timeout=timeout, check=False,
                                stdin=subprocess.DEVNULL)
        if check and result.returncode != 0:
            raise AssertionError(f"{' '.join(command)} failed in the minimal root ({result.returncode}):\n"
                                 f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
        return result

    def paths(self, *, exclude: Sequence[str]) -> set[str]:
        """Every path in the root ('/'-prefixed), minus the excluded trees (symlinks are not followed)."""
        found = set()
        for path in self.path.rglob("*"):
            rel = "/" + path.relative_to(self.path).as_posix()
            if not any(rel == e or rel.startswith(e.rstrip("/") + "/") for e in exclude):
                found.add(rel)
        return found


@contextmanager
def cache_lock(cache: Path = CACHE) -> Iterator[None]:
    """One user of the cache (tarball, apt lists and archives) at a time, across parallel test runs."""
    cache.mkdir(parents=True, exist_ok=True)
    with (cache / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield
