"""The layer rule: core ← targets, gateway ← services ← cli, ui; and the CLI path never imports Qt.

Proven twice: statically (every import statement of every module, lazy ones included) and on a real process.
"""

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


QT = ("PySide6", "shiboken6")
# Each layer, and what it may never import: only layers below it (and never Qt outside the UI).
LAYER_RULES = {
    "core": (*QT, "switchover.ui", "switchover.cli", "switchover.services", "switchover.targets",
             "switchover.gateway"),
    "targets": (*QT, "switchover.ui", "switchover.cli", "switchover.services", "switchover.gateway"),
    "gateway": (*QT, "switchover.ui", "switchover.cli", "switchover.services", "switchover.targets"),
    "services": (*QT, "switchover.ui", "switchover.cli"),
    "cli": (*QT, "switchover.ui"),
    "ui": ("switchover.cli",),
}


def _offenders(rules: dict[str, tuple[str, ...]]) -> list[str]:
    found = []
    for layer, forbidden in rules.items():
        for path in (PACKAGE / layer).rglob("*.py"):
            for name in _imports(path):
                if name in forbidden or name.startswith(tuple(f"{f}." for f in forbidden)):
                    found.append(f"{path.relative_to(PACKAGE)} imports {name}")
    return found


def test_every_layer_imports_only_layers_below_it() -> None:
    assert set(LAYER_RULES) == {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert _offenders(LAYER_RULES) == []


def test_the_surfaces_reach_targets_only_through_services() -> None:
    """The CLI and the app never build engines or read the registry themselves: one wiring for both."""
    assert _offenders({"cli": ("switchover.targets",), "ui": ("switchover.targets",)}) == []


def test_the_layer_check_sees_lazy_imports(tmp_path: Path) -> None:
    module = tmp_path / "lazy.py"
    module.write_text("def f():\n    from switchover.cli.main import run_cli\n    import PySide6.QtCore\n")
    assert _imports(module) == {"switchover.cli.main", "PySide6.QtCore"}


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
