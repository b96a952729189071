"""Switching is a function of (user file, choice): the same choice twice changes nothing, and A -> B -> A gives
back exactly the bytes of A. Otherwise every failover round trip would slowly rewrite the user's layout.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from pathlib import Path

from tests.reliability.world import StandIn, World
from tests.support.provider_server import ProviderServer


def _diff(a: dict[Path, bytes], b: dict[Path, bytes]) -> str:
    out = []
    for path in sorted(set(a) | set(b)):
        left, right = a.get(path, b"").decode(), b.get(path, b"").decode()
        if left != right:
            out.append("".join(difflib.unified_diff(left.splitlines(True), right.splitlines(True), str(path),
                                                    str(path))))
    return "\n".join(out)


def test_same_choice_twice_and_back_and_forth_are_byte_stable(provider_server: Callable[..., ProviderServer],
                                                             tmp_path: Path) -> None:
    world = World(tmp_path / "world", StandIn(provider_server)).create()
    world.add_local_provider()
    world.add_other_provider()
    world.seed_user_configs()
    world.use_all("local")
    first = world.tool_files()
    world.use_all("local")
    assert world.tool_files() == first, "switching to the same choice again changed files:\n" + _diff(
        first, world.tool_files())
    world.use_all("other")
    world.use_all("local")
    assert world.tool_files() == first, "A -> B -> A did not give A back:\n" + _diff(first, world.tool_files())
