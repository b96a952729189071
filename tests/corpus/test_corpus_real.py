"""Issue 15: every corpus config whose tool has a real CLI installed, switched for real (marker `realtools`).

Through the real `switchover` CLI (keys in the test keyring): `use alpha/model-a --tool T` must report the tool
verified (in effect), one real turn must reach the stand-in with alpha's model and key, and `undo` must then
succeed: byte for byte, or (when the tool rewrote its own file during the turn) with only Switchover's keys
taken back, which it says. Zed and Goose have no CLI on a package registry, so their cases run only through
the engine (test_corpus.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.corpus.cases import CASES, Case
from tests.e2e.conftest import TURN_COMMANDS, assert_turn_served, run_tool, tool_binary
from tests.e2e.standin import StandinProvider
from tests.e2e.test_real_switching import CASES as SWITCHING_CASES
from tests.e2e.test_real_switching import add_provider, key_env
from tests.support.cli import run_switchover

pytestmark = [pytest.mark.realtools, pytest.mark.slow]

# How each tool's turn reaches the stand-in (path, key variable), as the switching proof established it.
_SHAPE = {case.tool: case for case in reversed(list(SWITCHING_CASES.values()))}


def _runnable() -> list[Case]:
    return [case for case in CASES if case.tool in TURN_COMMANDS and case.tool in _SHAPE]


@pytest.mark.parametrize("case", _runnable(), ids=lambda c: c.id)
def test_real_cli_reaches_the_standin_after_switching_a_corpus_config(
        case: Case, isolated_home: Path, workdir: Path, standin_a: StandinProvider) -> None:
    if not tool_binary(case.tool).exists():
        pytest.skip(f"{case.tool} is not installed: run scripts/install-real-tools")
    shape = _SHAPE[case.tool]
    originals = {}
    for relative in case.files:
        path = isolated_home / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(case.text(relative))
        originals[relative] = path.read_bytes()
    add_provider("alpha", standin_a, "model-a")
    used = run_switchover(["use", "alpha/model-a", "--tool", case.tool], timeout=90)
    assert used.returncode == 0 and "verified" in used.stdout, used.stdout + used.stderr

    key = standin_a.state.key
    assert key is not None
    standin_a.clear()
    run = run_tool(case.tool, workdir, key_env("alpha") if shape.needs_key_env else None)
    assert_turn_served(run, standin_a, "model-a", key, shape.path_suffix.format(model="model-a"))

    undone = run_switchover(["undo"], timeout=60)
    assert undone.returncode == 0, undone.stdout + undone.stderr
    for relative, before in originals.items():
        kept = f"{(isolated_home / relative).resolve()} (only Switchover's settings" in undone.stdout
        if not kept:  # the tool left this file alone during the turn: it is back byte for byte
            assert (isolated_home / relative).read_bytes() == before, relative
