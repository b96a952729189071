"""The translation package stays pure: standard library and switchover.core only, no I/O modules."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from switchover.gateway import translate

PACKAGE = Path(translate.__file__).parent
# Modules that would mean I/O, threads or an HTTP stack inside what must be pure functions.
IO_MODULES = {"socket", "ssl", "http", "urllib", "asyncio", "threading", "subprocess", "os", "io", "pathlib",
              "shutil", "select", "selectors", "aiohttp", "httpx", "requests"}


def test_imports_only_stdlib_core_and_itself() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
            for name in names:
                top = name.split(".")[0]
                allowed = name.startswith(("switchover.core", "switchover.gateway.translate")) or (
                    top in sys.stdlib_module_names and top not in IO_MODULES)
                if not allowed:
                    offenders.append(f"{path.name} imports {name}")
    assert offenders == []
