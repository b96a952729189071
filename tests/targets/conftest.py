"""Fixtures the target tests share: an isolated home and a project folder as the tool's working directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from switchover.core.switching.contract import ToolEnv
from tests.targets.support import make_env


@pytest.fixture
def project(tmp_path: Path) -> Path:
    path = tmp_path / "project"
    path.mkdir()
    return path


@pytest.fixture
def env(isolated_home: Path, project: Path) -> ToolEnv:
    return make_env(isolated_home, project)
