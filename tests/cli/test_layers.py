"""The layer rule, proven on the real processes: the CLI path never imports Qt."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.support.cli import REPO_ROOT

PACKAGE = Path(REPO_ROOT) / "desktop" / "switchover"


def test_cli_commands_never_import_qt() -> None:
    probe = (
        "import sys\n"
        "from switchover.cli.main import run_cli\n"
        "for argv in (['status', '--json'], ['provider', 'list'], ['presets'], ['--help']):\n"
        "    try:\n"
        "        run_cli(argv)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "qt = sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6', 'switchover.ui')))\n"
        "print('QT-MODULES:', qt)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False, timeout=60)
    assert "QT-MODULES: []" in result.stdout, result.stdout + result.stderr


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_core_targets_cli_have_no_qt_or_upward_imports() -> None:
    rules = {
        "core": ("PySide6", "shiboken6", "switchover.ui", "switchover.cli", "switchover.targets"),
        "targets": ("PySide6", "shiboken6", "switchover.ui", "switchover.cli"),
        "cli": ("PySide6", "shiboken6", "switchover.ui"),
    }
    offenders = []
    for layer, forbidden in rules.items():
        for path in (PACKAGE / layer).rglob("*.py"):
            for name in _imports(path):
                if name.startswith(forbidden):
                    offenders.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert offenders == []


def test_command_table_matches_what_modules_register() -> None:
    from switchover.cli.main import COMMAND_MODULES, build_parser

    full = build_parser()
    registered = set(full._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    assert registered == set(COMMAND_MODULES)
    for command, module in COMMAND_MODULES.items():
        alone = build_parser(only_for=command)
        assert command in alone._subparsers._group_actions[0].choices, module  # type: ignore[union-attr]


def test_key_helper_path_stays_light() -> None:
    probe = (
        "import sys\n"
        "from switchover.cli.main import run_cli\n"
        "run_cli(['key', 'nobody'])\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('httpx', 'PySide6')"
        " or m.startswith(('switchover.targets', 'switchover.core.failover', 'switchover.core.health')))\n"
        "print('HEAVY:', heavy)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False, timeout=60)
    assert "HEAVY: []" in result.stdout, result.stdout + result.stderr
