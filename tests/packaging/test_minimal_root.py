"""Install the .deb with apt on a minimal Debian system (tests/packaging/minimal_root.py), so its Depends are
resolved from the archive and proven sufficient without the build machine's extra packages; run the CLI and
the GUI there as an ordinary user; then purge it and check nothing of the package is left but user data.

The tests share one installed root (module fixture) and run in file order; the purge test comes last and
checks the state the others leave. `pytest -s` prints how long each step took."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from switchover import APP_ID, __version__
from tests.packaging.conftest import LinuxArtifacts, unexpected_stderr
from tests.packaging.minimal_root import MinimalRoot, Timings, cache_lock, host_release, unavailable_reason

pytestmark = pytest.mark.packaging

USER = "tester"
HOME = f"/home/{USER}"
RUNTIME_DIR = f"/tmp/runtime-{USER}"
# Trees that change for reasons other than the package (logs, caches, package databases, user data).
VOLATILE = ("/proc", "/dev", "/sys", "/tmp", "/run", "/var/log", "/var/cache", "/var/lib/apt", "/var/lib/dpkg",
            "/home", "/root", "/etc/ld.so.cache")


@dataclass
class Installed:
    root: MinimalRoot
    timings: Timings
    install_log: str


@pytest.fixture(scope="module")
def minimal_root(linux_artifacts: LinuxArtifacts, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    reason = unavailable_reason()
    if reason:
        pytest.skip(f"minimal-root install test: {reason}")
    release = host_release()
    assert release
    timings = Timings()
    with cache_lock():
        with timings.step("minimal root: mmdebstrap (first run) or the cached tarball"):
            tarball, made = MinimalRoot.tarball(release)
        root = MinimalRoot(tmp_path_factory.mktemp("minimal-root") / "root")
        with timings.step("extract the root"):
            root.extract(tarball)
        with timings.step("apt-get update"):
            root.run(["apt-get", "update", "-q"])
        deb = root.path / "tmp" / linux_artifacts.deb.name
        shutil.copy2(linux_artifacts.deb, deb)
        with timings.step("apt-get install ./switchover_*.deb (Depends from the archive)"):
            installed = root.run(["apt-get", "install", "-y", "-q", "--no-install-recommends", f"/tmp/{deb.name}"],
                                 timeout=1800)
        deb.unlink()
        root.run(["useradd", "--create-home", "--shell", "/bin/sh", USER])
        root.run(["mkdir", "-m", "700", RUNTIME_DIR], user=USER)
        yield Installed(root, timings, installed.stdout)
        root.run(["apt-get", "autoclean", "-q"])  # the .deb cache keeps only versions the archive still has
    steps = "\n".join(f"  {seconds:7.1f} s  {name}" for name, seconds in timings.steps.items())
    print(f"\nminimal-root install test ({'root made now' if made else 'cached root'}):\n{steps}")


def as_user(installed: Installed, *command: str, timeout: float = 120, **env: str) -> tuple[int, str, str]:
    result = installed.root.run(command, user=USER, env={"HOME": HOME, "USER": USER, **env}, timeout=timeout,
                                check=False)
    return result.returncode, result.stdout, result.stderr


def test_apt_installs_the_deb_with_its_depends_from_the_archive(minimal_root: Installed) -> None:
    root = minimal_root.root
    status = root.run(["dpkg-query", "-W", "-f", "${Status} ${Version}", "switchover"]).stdout
    assert status == f"install ok installed {__version__}-1"
    # The libraries came from the archive (a minimal system has none of them), nothing was left unresolved,
    # and only Depends were used (no keyring daemon, a Recommends, was pulled in).
    for library in ("libegl1", "libxcb-cursor0", "libxkbcommon-x11-0", "libwayland-client0", "libdbus-1-3"):
        assert f"Setting up {library}" in minimal_root.install_log, library
    root.run(["apt-get", "check", "-q"])
    keyring = root.run(["dpkg-query", "-W", "-f", "${Status}", "gnome-keyring"], check=False).stdout
    assert "install ok installed" not in keyring
    verify = root.run(["dpkg", "--verify", "switchover"], check=False)
    assert verify.returncode == 0 and not verify.stdout, verify.stdout  # every file as shipped (md5sums)


def test_version(minimal_root: Installed) -> None:
    code, out, err = as_user(minimal_root, "switchover", "--version")
    assert (code, out.strip(), err) == (0, f"switchover {__version__}", "")


def test_status_json_without_a_keychain(minimal_root: Installed) -> None:
    """A minimal system has no Secret Service: status still works and says the keychain is unusable."""
    code, out, err = as_user(minimal_root, "switchover", "status", "--json")
    assert code == 0, err
    status = json.loads(out)
    assert status["version"] == __version__
    assert status["config_dir"] == f"{HOME}/.config/switchover"
    assert status["providers"] == []
    assert status["keychain"]["usable"] is False and status["keychain"]["problem"]
    assert not unexpected_stderr(err)


def test_gui_starts_offscreen_and_quits_cleanly(minimal_root: Installed) -> None:
    code, out, err = as_user(minimal_root, "switchover", "--quit-after", "3000", QT_QPA_PLATFORM="offscreen",
                             XDG_RUNTIME_DIR=RUNTIME_DIR, SWITCHOVER_REPORT_READY="1")
    assert code == 0, err
    ready = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert ready and ready[0]["window"] is True, out
    assert not unexpected_stderr(err), err


def test_purge_removes_everything_but_user_data(minimal_root: Installed) -> None:
    root = minimal_root.root
    code, _out, err = as_user(minimal_root, "switchover", "provider", "add", "local", "--ollama-url",
                              "http://127.0.0.1:9", "--model", "m1", "--no-key")
    assert code == 0, err
    user_files = {p: p.read_bytes() for p in (root.path / HOME.lstrip("/")).rglob("*") if p.is_file()}
    assert any(p.name.endswith(".toml") and b"local" in data for p, data in user_files.items()), list(user_files)
    listed = root.run(["dpkg", "-L", "switchover"]).stdout.split()
    before = root.paths(exclude=VOLATILE)

    with minimal_root.timings.step("apt-get purge switchover"):
        root.run(["apt-get", "purge", "-y", "-q", "switchover"])

    after = root.paths(exclude=VOLATILE)
    assert root.run(["dpkg", "-s", "switchover"], check=False).returncode != 0  # not even config-files state
    assert after - before == set()  # purging created nothing
    left = [p for p in listed if p in after and not (root.path / p.lstrip("/")).is_dir()]
    assert not left
    assert not [p for p in after if "switchover" in p.lower() or APP_ID.lower() in p.lower()]
    # Directories the package shared with others stay only while another package owns them.
    for path in (p for p in listed if p in after):
        owner = root.run(["dpkg-query", "-S", path], check=False)
        assert owner.returncode == 0 or any((root.path / path.lstrip("/")).iterdir()), path
    for path, data in user_files.items():
        assert path.read_bytes() == data, path
