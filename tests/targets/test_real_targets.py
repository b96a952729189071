"""Each target's plan, applied, drives the real pinned CLI to the chosen stand-in provider (marker realtools).

Switch to stand-in A, run one turn, then switch the same files to stand-in B and run again: B must serve the
second turn with B's model and B's key, and A must see nothing more. Keys reach the tool the way the target
arranged (helper command, auth command, environment variable, or the `.env` file for Gemini CLI).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from switchover.core.providers import Protocol, Provider
from switchover.core.switching.contract import SwitchRequest, Target
from switchover.targets.registry import get_target
from tests.e2e.conftest import run_tool, tools_installed
from tests.e2e.standin import StandinProvider
from tests.targets.support import apply, custom, install, make_env

pytestmark = [
    pytest.mark.realtools,
    pytest.mark.slow,
    pytest.mark.skipif(not tools_installed(), reason="real CLIs not installed: run scripts/install-real-tools"),
]

_PROTOCOL = {
    "claude-code": (Protocol.ANTHROPIC, "", "/v1/messages"),
    "codex": (Protocol.OPENAI_RESPONSES, "/v1", "/v1/responses"),
    "gemini-cli": (Protocol.GEMINI, "", ":streamGenerateContent"),
    "opencode": (Protocol.OPENAI_CHAT, "/v1", "/v1/chat/completions"),
    "qwen-code": (Protocol.OPENAI_CHAT, "/v1", "/v1/chat/completions"),
}


def _provider(tool: str, standin: StandinProvider) -> Provider:
    protocol, suffix, _ = _PROTOCOL[tool]
    return custom(f"standin-{standin.name}", {protocol: standin.url + suffix})


def _request(provider: Provider, model: str, key: str) -> SwitchRequest:
    # The key command stands in for `switchover key NAME`: a real program the tool must run itself.
    return SwitchRequest(
        provider=provider, model=model, small_model=None,
        key_command=(sys.executable, "-c", f"print({key!r})"), resolve_key=lambda: key,
    )


def _turn(target: Target, tool: str, home: Path, workdir: Path, standin: StandinProvider, model: str,
          key: str) -> None:
    env = make_env(home, workdir)
    provider = _provider(tool, standin)
    plan = target.plan(env, _request(provider, model, key))
    apply(plan)
    # Tools that read the key from the environment get it the way env.sh would export it.
    extra = {f"SWITCHOVER_STANDIN_{standin.name.upper()}_API_KEY": key}
    run = run_tool(tool, workdir, extra)
    assert run.returncode == 0, run.explain()
    assert standin.reply in run.stdout, run.explain()
    served = standin.model_requests()
    assert served, f"no completion reached {standin.name}: {standin.requests}\n{run.explain()}"
    for request in served:
        assert request.path.split("?")[0].endswith(_PROTOCOL[tool][2]), request
        assert request.model == model, request
        assert request.presented_keys == {key}, (request.presented_keys, request.path)


@pytest.mark.parametrize("tool", sorted(_PROTOCOL))
def test_switching_twice_moves_the_real_tool(tool: str, isolated_home: Path, tmp_path: Path) -> None:
    workdir = isolated_home / "project"
    workdir.mkdir()
    target = get_target(tool)
    with StandinProvider("alpha", key="sk-alpha-0000000000001111") as alpha, \
            StandinProvider("bravo", key="sk-bravo-0000000000002222") as bravo:
        _turn(target, tool, isolated_home, workdir, alpha, "model-a", "sk-alpha-0000000000001111")
        alpha.clear()
        _turn(target, tool, isolated_home, workdir, bravo, "model-b", "sk-bravo-0000000000002222")
        assert alpha.model_requests() == [], "the first provider was still used after switching"


@pytest.mark.parametrize("tool", ["claude-code", "codex"])
def test_real_tool_works_after_switching_a_realistic_config(tool: str, isolated_home: Path) -> None:
    """The golden samples (hooks, permissions, the user's own providers, MCP servers...) plus our edit still
    form a config the real tool accepts. (Gemini CLI, OpenCode and Qwen Code were checked the same way by
    hand; their samples start MCP servers through npx, which makes a run take 20-70 s offline.)"""
    from tests.targets.test_golden import ALL

    golden = next(g for g in ALL if g.target.id == tool)
    workdir = isolated_home / "project"
    workdir.mkdir()
    env = make_env(isolated_home, workdir)
    for sample in golden.samples:
        install(sample.name, sample.path(env))
    with StandinProvider("alpha", key="sk-alpha-0000000000001111") as alpha:
        _turn(golden.target, tool, isolated_home, workdir, alpha, "model-a", "sk-alpha-0000000000001111")
