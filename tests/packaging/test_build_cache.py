"""packaging/build-linux skips work whose inputs did not change, and any source change rebuilds."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest

from tests.packaging.conftest import BUILD_SCRIPT, LinuxArtifacts

pytestmark = pytest.mark.packaging


def load_build_module() -> ModuleType:
    path = BUILD_SCRIPT.parent / "linux" / "build.py"
    spec = importlib.util.spec_from_file_location("switchover_packaging_build", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_build() -> dict[str, object]:
    result = subprocess.run([str(BUILD_SCRIPT)], capture_output=True, text=True, timeout=1800, check=False)
    assert result.returncode == 0, result.stderr[-4000:]
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def test_unchanged_inputs_rebuild_nothing(linux_artifacts: LinuxArtifacts) -> None:
    run_build()  # catches up if someone edited a source since the session's build (shared working trees)
    started = time.monotonic()
    summary = run_build()
    assert summary == {"bundle": str(linux_artifacts.bundle), "deb": str(linux_artifacts.deb),
                       "rpm": str(linux_artifacts.rpm), "bundle_rebuilt": False, "deb_rebuilt": False,
                       "rpm_rebuilt": False}
    assert time.monotonic() - started < 60


@pytest.fixture
def fake_checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[ModuleType, Path]:
    build = load_build_module()
    root = tmp_path / "checkout"
    for name, text in {
        "desktop/switchover/__init__.py": "__version__ = '1'\n",
        "desktop/switchover/cli/commands/status.py": "x = 1\n",
        "resources/providers.toml": "[a]\n",
        "packaging/switchover.spec": "# spec\n",
        "packaging/switchover_entry.py": "# entry\n",
        "packaging/linux/elfdeps.py": "# elfdeps\n",
        "packaging/linux/make_deb.py": "# make_deb\n",
        "packaging/linux/io.github.switchover.Switchover.metainfo.xml": "<component/>\n",
        "packaging/linux/switchover.lintian-overrides": "# o\n",
        "packaging/linux/licenses/ICU.txt": "ICU\n",
        "packaging/systemd/switchover-watch.service": "[Unit]\n",
    }.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    monkeypatch.setattr(build, "ROOT", root)
    monkeypatch.setattr(build, "PACKAGING", root / "packaging")
    monkeypatch.setattr(build, "HERE", root / "packaging" / "linux")
    return build, root


def test_bundle_key_follows_sources_resources_and_spec(fake_checkout: tuple[ModuleType, Path]) -> None:
    build, root = fake_checkout
    python = Path(sys.executable)
    original = build.bundle_inputs(python)
    assert build.bundle_inputs(python) == original  # deterministic

    status = root / "desktop/switchover/cli/commands/status.py"
    status.write_text("x = 2\n")
    assert build.bundle_inputs(python) != original
    status.write_text("x = 1\n")
    assert build.bundle_inputs(python) == original

    (root / "desktop/switchover/cli/commands/__pycache__").mkdir()
    (root / "desktop/switchover/cli/commands/__pycache__/status.cpython-311.pyc").write_bytes(b"junk")
    assert build.bundle_inputs(python) == original  # bytecode caches are not inputs

    for changed in ("resources/providers.toml", "packaging/switchover.spec", "packaging/linux/elfdeps.py"):
        path = root / changed
        before = path.read_text()
        path.write_text(before + "# changed\n")
        assert build.bundle_inputs(python) != original, changed
        path.write_text(before)


def test_package_key_follows_the_bundle_and_packaging_files(fake_checkout: tuple[ModuleType, Path]) -> None:
    build, root = fake_checkout
    original = build.package_inputs("bundle-a")
    assert build.package_inputs("bundle-a") == original
    assert build.package_inputs("bundle-b") != original
    for changed in ("packaging/linux/io.github.switchover.Switchover.metainfo.xml",
                    "packaging/linux/switchover.lintian-overrides", "packaging/linux/licenses/ICU.txt",
                    "packaging/systemd/switchover-watch.service", "resources/providers.toml"):
        path = root / changed
        before = path.read_text()
        path.write_text(before + "# changed\n")
        assert build.package_inputs("bundle-a") != original, changed
        path.write_text(before)
    (root / "packaging/systemd/switchover-gateway.service").write_text("[Unit]\n")  # a new unit is an input too
    assert build.package_inputs("bundle-a") != original
