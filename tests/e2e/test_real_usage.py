"""Tokens counted through the real gateway, from the real Claude Code and Codex CLIs (marker `realtools`).

A stand-in provider reports distinctive usage on every answer (3 000 input tokens of which 1 000 cache
reads, 40 output). Claude Code streams Anthropic Messages through the gateway untouched (usage read from
message_start/message_delta); Codex streams the Responses API, which the gateway translates to Chat
Completions for a provider that has only that (usage from the last chunk, which the gateway asks for).
`switchover usage` then shows per tool exactly the stand-in's figures times the requests each CLI sent,
priced with the price the user set for that model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import TOOLS_BIN, run_tool
from tests.e2e.standin import StandinProvider
from tests.gateway.test_cli import free_port, gateway_process
from tests.support.cli import run_switchover

pytestmark = [
    pytest.mark.realtools,
    pytest.mark.slow,
    pytest.mark.skipif(not all((TOOLS_BIN / cli).exists() for cli in ("claude", "codex")),
                       reason="the real claude and codex are not installed (tests/e2e/node_modules)"),
]

KEY = "sk-meter-0000000000003333"
MODEL = "meter-model"
USAGE = (3000, 40, 1000)  # input incl. cache reads, output, cache reads
PRICES = {"input": 2.0, "cached_input": 0.2, "output": 8.0}  # per 1M tokens, set by the user


def _ok(args: list[str], stdin: str | None = None) -> Any:
    run = run_switchover(args, input=stdin)
    assert run.returncode == 0, f"{args}: {run.stderr}{run.stdout}"
    return run


def test_usage_counted_from_real_claude_code_and_codex_through_the_gateway(isolated_home: Path,
                                                                          tmp_path: Path) -> None:
    port = free_port()
    from switchover.core import paths

    paths.store_file().parent.mkdir(parents=True, exist_ok=True)
    paths.store_file().write_text(f"schema_version = 1\n[gateway]\nport = {port}\n")
    with StandinProvider("meter", key=KEY, models=(MODEL,)) as full, \
            StandinProvider("chatonly", key=KEY, models=(MODEL,)) as chat_only:
        full.state.usage = chat_only.state.usage = USAGE
        chat_only.state.only = frozenset({"chat"})
        _ok(["provider", "add", "meter", "--anthropic-url", full.url, "--openai-url", full.url + "/v1",
             "--model", MODEL, "--key-stdin"], KEY + "\n")
        _ok(["provider", "add", "chatonly", "--openai-url", chat_only.url + "/v1", "--model", MODEL, "--key-stdin"],
            KEY + "\n")
        for name in ("meter", "chatonly"):
            _ok(["prices", "set", name, MODEL, "--input", "2", "--cached-input", "0.2", "--output", "8"])
        _ok(["use", f"meter/{MODEL}", "--tool", "claude-code", "--via-gateway"])
        _ok(["use", f"chatonly/{MODEL}", "--tool", "codex", "--via-gateway"])
        work = tmp_path / "work"
        work.mkdir()
        with gateway_process():
            claude = run_tool("claude-code", work)
            assert claude.returncode == 0 and full.reply in claude.stdout, claude.explain()
            codex = run_tool("codex", work)
            assert codex.returncode == 0 and chat_only.reply in codex.stdout, codex.explain()
        claude_requests = [r for r in full.model_requests() if r.path.endswith("/v1/messages")]
        codex_requests = [r for r in chat_only.model_requests() if r.path.endswith("/chat/completions")]
        assert claude_requests and codex_requests
        assert all(r.body.get("stream") for r in claude_requests + codex_requests)  # streamed usage counted

    usage = json.loads(_ok(["usage", "--json", "--by", "tool"]).stdout)
    groups = {g["key"]: g for g in usage["groups"]}
    for tool, count in (("claude-code", len(claude_requests)), ("codex", len(codex_requests))):
        group = groups[tool]
        assert group["requests"] == count and group["errors"] == 0, group
        assert (group["input_tokens"], group["cached_input_tokens"], group["output_tokens"]) == (
            USAGE[0] * count, USAGE[2] * count, USAGE[1] * count), group
        per_request = ((USAGE[0] - USAGE[2]) * PRICES["input"] + USAGE[2] * PRICES["cached_input"]
                       + USAGE[1] * PRICES["output"]) / 1e6
        assert group["cost"] == {"USD": pytest.approx(per_request * count)}, group
        assert not group["estimated"]  # every request is still in the log: priced one by one
    table = _ok(["usage", "--by", "provider"]).stdout
    assert "meter" in table and "chatonly" in table and "$" in table
