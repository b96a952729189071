"""The gateway with the REAL coding CLIs (marker `realtools`): tools pointed at their route with
`switchover use ... --via-gateway`, the real `switchover gateway` process in between, stand-in providers.

- Claude Code and Codex reach a provider that serves only Chat Completions (translated by the gateway): a
  streamed text turn, and a turn with a tool call whose result goes back in a second request.
- OpenCode and Qwen Code reach a provider whose key is only in the keychain, with no env.sh sourced: through
  the gateway they need just the gateway token, which they read by themselves.
- Mid-session failover: one `claude -p` run whose tool-use turn spans two requests; the primary turns
  region-blocked between them; both requests succeed, the second one served by the fallback.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import ToolRun, run_tool, tools_installed
from tests.e2e.standin import RecordedRequest, StandinProvider
from tests.support.cli import run_switchover
from tests.support.gateway import free_port, gateway_process, write_gateway_port

pytestmark = [
    pytest.mark.realtools,
    pytest.mark.slow,
    # Only the CLIs this file runs: another tool's missing package must not hide these proofs.
    pytest.mark.skipif(not tools_installed("claude-code", "codex", "opencode", "qwen-code"),
                       reason="real CLIs not installed: run scripts/install-real-tools (npm, ~45 s, 1.4 GB)"),
]

KEY_A = "sk-alpha-0000000000001111"
KEY_B = "sk-bravo-0000000000002222"
TOOL_OUTPUT = "STANDIN-TOOL-OK"
REGION_BLOCK = (403, {"type": "error", "error": {"type": "forbidden", "message": "Request not allowed"}})

# A tool call each CLI can run without a prompt, and the flags that allow it in one-shot mode.
CLAUDE_TOOL = ("Bash", {"command": f"echo {TOOL_OUTPUT}", "description": "print a marker"})
CLAUDE_TOOL_TURN = ["claude", "-p", "run the marker command", "--allowedTools", "Bash"]
CODEX_TOOL_TURN = ["codex", "exec", "--skip-git-repo-check", "--dangerously-bypass-approvals-and-sandbox",
                   "run the marker command"]


@dataclass
class World:
    home: Path
    workdir: Path
    port: int
    alpha: StandinProvider
    bravo: StandinProvider

    def add(self, standin: StandinProvider, key: str, *, chat_only: bool = False) -> None:
        urls = ["--openai-url", standin.url + "/v1"]
        if not chat_only:
            urls += ["--anthropic-url", standin.url]
        added = run_switchover(["provider", "add", standin.name, *urls, "--model", standin.state.models[0],
                                "--key-stdin"], input=key + "\n")
        assert added.returncode == 0, added.stderr

    def via_gateway(self, target: str, tool: str) -> None:
        used = run_switchover(["use", target, "--tool", tool, "--via-gateway"])
        assert used.returncode == 0, used.stdout + used.stderr


@pytest.fixture
def world(isolated_home: Path, workdir: Path) -> Iterator[World]:
    port = free_port()
    write_gateway_port(port)
    with StandinProvider("alpha", key=KEY_A, models=("model-a",)) as alpha, \
            StandinProvider("bravo", key=KEY_B, models=("model-b",)) as bravo:
        yield World(isolated_home, workdir, port, alpha, bravo)


def served(run: ToolRun, standin: StandinProvider, path_suffix: str, model: str, key: str) -> list[RecordedRequest]:
    """The tool exited 0 and every completion request the stand-in got came through the gateway with the
    provider's key (never the gateway token) and the route's model."""
    assert run.returncode == 0, run.explain()
    requests = standin.model_requests()
    assert requests, f"nothing reached {standin.name}\n{run.explain()}"
    for request in requests:
        assert request.path.endswith(path_suffix), request.path
        assert request.model == model, request
        assert request.presented_keys == {key}, request.presented_keys
    return requests


def gateway_log() -> list[dict[str, Any]]:
    result = run_switchover(["gateway", "log", "--json", "--limit", "0"])
    assert result.returncode == 0, result.stderr
    records: list[dict[str, Any]] = json.loads(result.stdout)
    return records


# ----------------------------------------------------------------------------- translation, real clients


def test_claude_code_through_the_gateway_to_a_chat_only_provider(world: World) -> None:
    world.alpha.state.only = frozenset({"chat"})
    world.add(world.alpha, KEY_A, chat_only=True)
    world.via_gateway("alpha/model-a", "claude-code")
    with gateway_process():
        text_turn = run_tool("claude-code", world.workdir)
        served(text_turn, world.alpha, "/chat/completions", "model-a", KEY_A)
        assert world.alpha.reply in text_turn.stdout, text_turn.explain()
        assert all(r.body.get("stream") for r in world.alpha.model_requests())  # a streamed turn, translated
        world.alpha.clear()
        world.alpha.state.tool_call = CLAUDE_TOOL
        tool_turn = run_tool("claude-code", world.workdir, command=CLAUDE_TOOL_TURN)
    requests = served(tool_turn, world.alpha, "/chat/completions", "model-a", KEY_A)
    assert f"STANDIN-TOOL-RESULT:{TOOL_OUTPUT}" in tool_turn.stdout, tool_turn.explain()
    results = [r for r in requests if any(m.get("role") == "tool" for m in r.body["messages"])]
    assert results and TOOL_OUTPUT in json.dumps(results[0].body["messages"][-1])
    log = gateway_log()
    assert {r["tool"] for r in log} == {"claude-code"} and all(r["translated"] for r in log if r["api"] == "messages")


def test_codex_through_the_gateway_to_a_chat_only_provider(world: World) -> None:
    world.alpha.state.only = frozenset({"chat"})
    world.add(world.alpha, KEY_A, chat_only=True)
    world.via_gateway("alpha/model-a", "codex")
    with gateway_process():
        text_turn = run_tool("codex", world.workdir)
        served(text_turn, world.alpha, "/chat/completions", "model-a", KEY_A)
        assert world.alpha.reply in text_turn.stdout, text_turn.explain()
        offered = {t.get("function", {}).get("name") or t.get("name")
                   for t in world.alpha.model_requests()[0].body.get("tools", [])}
        world.alpha.clear()
        name = "shell" if "shell" in offered else "exec_command"
        args: dict[str, Any] = ({"command": ["echo", TOOL_OUTPUT]} if name == "shell"
                                else {"cmd": f"echo {TOOL_OUTPUT}"})
        world.alpha.state.tool_call = (name, args)
        tool_turn = run_tool("codex", world.workdir, command=CODEX_TOOL_TURN)
    requests = served(tool_turn, world.alpha, "/chat/completions", "model-a", KEY_A)
    assert "STANDIN-TOOL-RESULT:" in tool_turn.stdout and TOOL_OUTPUT in tool_turn.stdout, tool_turn.explain()
    assert any(m.get("role") == "tool" and TOOL_OUTPUT in json.dumps(m) for m in requests[-1].body["messages"])


# ----------------------------------------------------------------------------- keys without env.sh


@pytest.mark.parametrize("tool", ["opencode", "qwen-code"])
def test_env_key_tools_work_with_a_keychain_key_and_no_env_sh(world: World, tool: str) -> None:
    world.add(world.alpha, KEY_A)
    world.via_gateway("alpha/model-a", tool)
    with gateway_process():
        run = run_tool(tool, world.workdir)  # no SWITCHOVER_*_API_KEY in the environment, no env.sh sourced
    served(run, world.alpha, "/chat/completions", "model-a", KEY_A)
    assert world.alpha.reply in run.stdout, run.explain()
    assert KEY_A not in "".join(p.read_text(errors="replace") for p in world.home.rglob("*")
                                if p.is_file() and "switchover" not in str(p) and p.stat().st_size < 1_000_000)


def test_a_shell_openai_key_defeats_qwen_codes_gateway_token_and_use_says_so(world: World) -> None:
    """What `use` warns about is real: Qwen Code sends an exported OPENAI_API_KEY instead of the gateway token
    Switchover wrote for it, so the gateway refuses the turn (and the user's key never goes further)."""
    own = "sk-users-own-openai-0000000000007777"
    world.add(world.alpha, KEY_A)
    used = run_switchover(["use", "alpha/model-a", "--tool", "qwen-code", "--via-gateway"],
                          env={**os.environ, "OPENAI_API_KEY": own})
    assert used.returncode == 0 and "$OPENAI_API_KEY is set in" in used.stderr, used.stderr
    with gateway_process():
        refused = run_tool("qwen-code", world.workdir, extra_env={"OPENAI_API_KEY": own})
        served_without = run_tool("qwen-code", world.workdir)
    assert world.alpha.reply not in refused.stdout, refused.explain()
    assert all(own not in json.dumps(r.headers) for r in world.alpha.requests)  # never forwarded
    assert world.alpha.reply in served_without.stdout, served_without.explain()


# ----------------------------------------------------------------------------- failover mid-session


def test_a_tool_turn_survives_a_region_block_between_its_two_requests(world: World) -> None:
    world.add(world.alpha, KEY_A)
    world.add(world.bravo, KEY_B)
    assert run_switchover(["chain", "set", "claude-code", "alpha/model-a", "bravo/model-b"]).returncode == 0
    world.via_gateway("alpha/model-a", "claude-code")
    world.alpha.state.tool_call = CLAUDE_TOOL

    def block_after_the_tool_call(request: RecordedRequest) -> None:
        world.alpha.state.fail = REGION_BLOCK  # the region block lands while the tool runs

    world.alpha.state.after_reply = block_after_the_tool_call
    with gateway_process():
        run = run_tool("claude-code", world.workdir, command=CLAUDE_TOOL_TURN)
    assert run.returncode == 0, run.explain()
    first = [r for r in world.alpha.model_requests() if r.status == 200]
    second = world.bravo.model_requests()
    assert len(first) == 1 and first[0].model == "model-a"
    assert second and second[-1].model == "model-b"
    assert any(isinstance(m.get("content"), list) and any(p.get("type") == "tool_result" for p in m["content"])
               for m in second[-1].body["messages"])  # the fallback got the turn's tool result
    assert f"{world.bravo.reply} STANDIN-TOOL-RESULT:{TOOL_OUTPUT}" in run.stdout, run.explain()
    hops = [r["hops"] for r in gateway_log() if r["api"] == "messages"]
    assert [h["status"] for h in hops[-1]] == ["region_blocked", "ok"]
