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


# What the light paths must never load: the HTTP stack, Qt, the engine and its config formats, keyring's
# backend discovery, the failover monitor, the targets (issue 16: `--version` imported every command module).
HEAVY = ("httpx", "httpcore", "aiohttp", "PySide6", "keyring", "tomlkit", "ruamel", "switchover.targets",
         "switchover.gateway", "switchover.core.failover", "switchover.core.switching.engine",
         "switchover.core.formats", "switchover.core.health.runner", "switchover.core.balance")


def _heavy_after(statement: str, env: dict[str, str] | None = None, heavy: tuple[str, ...] = HEAVY) -> str:
    probe = (
        "import sys\n"
        f"{statement}\n"
        f"heavy = sorted(m for m in sys.modules if m.startswith({heavy!r}))\n"
        "print('HEAVY:', heavy)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False, timeout=60,
                            env=env)
    assert "HEAVY:" in result.stdout, result.stdout + result.stderr
    return result.stdout


def test_key_helper_path_stays_light() -> None:
    assert "HEAVY: []" in _heavy_after("from switchover.cli.main import run_cli\nrun_cli(['key', 'nobody'])")


def test_key_from_an_environment_variable_never_asks_keyring(tmp_path: Path) -> None:
    import os

    env = {**os.environ, "SWITCHOVER_CONFIG_DIR": str(tmp_path), "LIGHT_KEY": "sk-light-0123456789abcdef"}
    (tmp_path / "switchover.toml").write_text(
        'schema_version = 1\n[providers.envy]\ncredential = "env:LIGHT_KEY"\nmodels = ["m"]\n'
        '[providers.envy.endpoints]\nopenai-chat = "http://127.0.0.1:9/v1"\n')
    out = _heavy_after("from switchover.main import main\nmain(['key', 'envy'])", env)
    assert "sk-light-0123456789abcdef" in out and "HEAVY: []" in out


def test_version_imports_nothing_but_the_entry_point() -> None:
    out = _heavy_after("from switchover.main import main\nmain(['--version'])\n"
                       "print('MODULES:', sorted(m for m in sys.modules if m.startswith('switchover')))")
    assert "MODULES: ['switchover', 'switchover.main']" in out, out


def test_help_loads_the_commands_but_not_what_they_run() -> None:
    # Registering needs each command's choices (failover modes, balance units): those small modules may load.
    allowed = ("switchover.core.failover", "switchover.core.balance")
    out = _heavy_after("from switchover.cli.main import run_cli\ntry:\n    run_cli(['--help'])\n"
                       "except SystemExit:\n    pass", heavy=tuple(h for h in HEAVY if h not in allowed))
    assert "HEAVY: []" in out, out
