"""`switchover run -- TOOL …` drives real CLIs Switchover has no file target for (marker `realtools`).

GitHub Copilot CLI can use a custom provider only through its environment (`COPILOT_PROVIDER_*`), so `run` is
how it switches; Claude Code stands for any tool reading the common ANTHROPIC_* variables. In both, two
providers on two stand-ins: each run reaches the chosen one with its model and its key, the other sees
nothing, and the key is written nowhere (it lives in the keychain and the child's environment only).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import assert_turn_served, run_command, tools_installed
from tests.e2e.standin import StandinProvider
from tests.e2e.test_real_switching import add_provider
from tests.support.cli import REPO_ROOT, run_switchover

pytestmark = [
    pytest.mark.realtools,
    pytest.mark.slow,
    pytest.mark.skipif(not tools_installed(),
                       reason="real CLIs not installed: run scripts/install-real-tools (npm, ~45 s, 1.4 GB)"),
]

SWITCHOVER = [sys.executable, "-m", "switchover"]


def _switchover_run(provider: str, model: str, tool: list[str]) -> list[str]:
    return [*SWITCHOVER, "run", "--provider", provider, "--model", model, "--", *tool]


def _files_holding(root: Path, secret: str) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and not p.is_symlink() and secret.encode() in p.read_bytes()]


@pytest.mark.parametrize(
    ("tool", "argv", "path_suffix", "shell_env"),
    [
        # A key, command and model of the user's own for Copilot's BYOK: `run` must replace them, since
        # Copilot prefers a key command and a wire model over the plain key and model.
        ("copilot", ["copilot", "-p", "hi", "-s", "--allow-all-tools"], "/v1/chat/completions",
         {"COPILOT_PROVIDER_API_KEY_COMMAND": "echo sk-users-own", "COPILOT_PROVIDER_WIRE_MODEL": "theirs"}),
        # A key exported in the user's shell must not be sent along with the provider's (Claude sends both).
        ("claude-code", ["claude", "-p", "hi"], "/v1/messages", {"ANTHROPIC_API_KEY": "sk-users-own"}),
    ],
    ids=["copilot", "claude-code"],
)
def test_run_points_a_real_tool_at_the_chosen_provider_without_writing_the_key(
    tool: str, argv: list[str], path_suffix: str, shell_env: dict[str, str], isolated_home: Path, workdir: Path,
    standin_a: StandinProvider, standin_b: StandinProvider,
) -> None:
    add_provider("alpha", standin_a, "model-a")
    add_provider("bravo", standin_b, "model-b")
    extra = {**shell_env, "PYTHONPATH": REPO_ROOT}
    for chosen, other, name, model in ((standin_a, standin_b, "alpha", "model-a"),
                                       (standin_b, standin_a, "bravo", "model-b")):
        chosen.clear()
        other.clear()
        key = chosen.state.key
        assert key is not None
        run = run_command(tool, _switchover_run(name, model, argv), workdir, extra)
        assert_turn_served(run, chosen, model, key, path_suffix)
        assert other.requests == [], f"{other.name} was contacted too: {other.requests}"
        assert _files_holding(isolated_home, key) == [], "the key was written to a file"


def test_run_without_a_command_or_with_an_unknown_one_says_so(
    isolated_home: Path, workdir: Path, standin_a: StandinProvider
) -> None:
    add_provider("alpha", standin_a, "model-a")
    missing = run_command("none", [*SWITCHOVER, "run", "--provider", "alpha"], workdir)
    assert missing.returncode == 2 and "Name the command to run" in missing.stderr, missing.explain()
    unknown = run_command("none", [*SWITCHOVER, "run", "--provider", "alpha", "--", "no-such-tool-xyz"], workdir)
    assert unknown.returncode == 127 and "no-such-tool-xyz: command not found" in unknown.stderr, unknown.explain()
    assert standin_a.requests == []


def test_run_goes_through_the_running_gateway_with_its_token_and_direct_bypasses_it(
    isolated_home: Path, workdir: Path, standin_a: StandinProvider, standin_b: StandinProvider
) -> None:
    """With the gateway enabled and running, the child gets the gateway's route and token, never a provider
    key; the route `run-copilot` follows `--provider`; `--direct` goes straight to the provider."""
    from switchover.core import paths
    from switchover.gateway.token import read_token
    from tests.gateway.test_cli import free_port, gateway_process

    port = free_port()
    store = paths.store_file()
    store.parent.mkdir(parents=True, exist_ok=True)
    store.write_text(f"schema_version = 1\n[gateway]\nenabled = true\nport = {port}\n")
    add_provider("alpha", standin_a, "model-a")
    add_provider("bravo", standin_b, "model-b")
    argv = ["copilot", "-p", "hi", "-s", "--allow-all-tools"]
    extra = {"PYTHONPATH": REPO_ROOT}
    with gateway_process():
        token = read_token()
        assert token is not None
        for chosen, other, name, model in ((standin_a, standin_b, "alpha", "model-a"),
                                           (standin_b, standin_a, "bravo", "model-b")):
            chosen.clear()
            other.clear()
            run = run_command("copilot", _switchover_run(name, model, argv), workdir, extra)
            key = chosen.state.key
            assert key is not None
            assert_turn_served(run, chosen, model, key, "/v1/chat/completions")  # the gateway used the key
            assert other.requests == []
            assert "through the Switchover gateway (route run-copilot" in run.stderr, run.explain()
        # The gateway writes its log from a background thread in batches (no disk I/O on the request path),
        # so the newest request reaches the file a moment after the tool has its answer.
        deadline = time.monotonic() + 15
        while True:
            log = run_switchover(["gateway", "log", "--tool", "run-copilot", "--json"])
            assert log.returncode == 0, log.stderr
            served_by = [entry.get("provider") for entry in json.loads(log.stdout)]
            if {"alpha", "bravo"} <= set(served_by) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert "alpha" in served_by and "bravo" in served_by, served_by  # both runs went through the route
        direct = run_command("copilot", [*SWITCHOVER, "run", "--direct", "--provider", "alpha", "--model",
                                         "model-a", "--", *argv], workdir, extra)
        assert standin_a.state.key is not None
        assert_turn_served(direct, standin_a, "model-a", standin_a.state.key, "/v1/chat/completions")
        assert "gateway" not in direct.stderr
    for standin in (standin_a, standin_b):
        assert standin.state.key is not None
        assert _files_holding(isolated_home, standin.state.key) == []
    assert token not in store.read_text()
