"""The environment `switchover run` gives a tool: the provider's variables, the key only there, the shell's
stale values of the same families gone."""

from __future__ import annotations

from switchover.core.providers import Credential, Protocol
from switchover.targets.run_env import child_environment, copilot_variables
from tests.targets.support import FAKE_KEY, custom, preset

SHELL = {
    "PATH": "/usr/bin",
    "HOME": "/home/me",
    "ANTHROPIC_API_KEY": "sk-users-own",
    "ANTHROPIC_DEFAULT_OPUS_MODEL": "claude-opus-old",
    "OPENAI_ORG_ID": "org-old",
    "COPILOT_PROVIDER_API_KEY_COMMAND": "pass show copilot",
    "COPILOT_MODEL": "gpt-old",
    "COPILOT_HOME": "/home/me/.copilot",  # not a provider setting: kept
}


def test_both_protocols_the_key_and_copilot_byok_from_one_provider() -> None:
    env = child_environment(SHELL, preset("deepseek"), "deepseek-chat", "deepseek-chat-small", FAKE_KEY)
    assert env["ANTHROPIC_BASE_URL"] == "https://api.deepseek.com/anthropic"
    assert env["ANTHROPIC_AUTH_TOKEN"] == env["ANTHROPIC_API_KEY"] == FAKE_KEY
    assert env["ANTHROPIC_MODEL"] == "deepseek-chat"
    assert env["ANTHROPIC_SMALL_FAST_MODEL"] == "deepseek-chat-small"
    assert (env["OPENAI_BASE_URL"], env["OPENAI_API_KEY"], env["OPENAI_MODEL"]) == (
        "https://api.deepseek.com/v1", FAKE_KEY, "deepseek-chat")
    assert env["SWITCHOVER_DEEPSEEK_API_KEY"] == FAKE_KEY
    assert {k: env[k] for k in env if k.startswith("COPILOT_")} == {
        "COPILOT_PROVIDER_BASE_URL": "https://api.deepseek.com/v1",
        "COPILOT_PROVIDER_TYPE": "openai",
        "COPILOT_PROVIDER_WIRE_API": "completions",
        "COPILOT_PROVIDER_API_KEY": FAKE_KEY,
        "COPILOT_MODEL": "deepseek-chat",
        "COPILOT_HOME": "/home/me/.copilot",
    }
    for stale in ("ANTHROPIC_DEFAULT_OPUS_MODEL", "OPENAI_ORG_ID", "COPILOT_PROVIDER_API_KEY_COMMAND"):
        assert stale not in env
    assert env["PATH"] == "/usr/bin" and env["HOME"] == "/home/me"
    assert SHELL["ANTHROPIC_API_KEY"] == "sk-users-own"  # the caller's mapping is not modified


def test_an_anthropic_only_provider_leaves_no_openai_variables() -> None:
    provider = custom("claude-gw", {Protocol.ANTHROPIC: "https://gw.example.com/anthropic"})
    env = child_environment(SHELL, provider, "claude-x", None, FAKE_KEY)
    assert not [k for k in env if k.startswith("OPENAI_")]
    assert "ANTHROPIC_SMALL_FAST_MODEL" not in env
    assert (env["COPILOT_PROVIDER_TYPE"], env["COPILOT_PROVIDER_BASE_URL"]) == (
        "anthropic", "https://gw.example.com/anthropic")
    assert "COPILOT_PROVIDER_WIRE_API" not in env


def test_a_responses_only_provider_uses_copilots_responses_wire() -> None:
    provider = custom("resp", {Protocol.OPENAI_RESPONSES: "http://127.0.0.1:4000/v1"})
    assert copilot_variables(provider, "m", "k")["COPILOT_PROVIDER_WIRE_API"] == "responses"
    gemini = custom("g", {Protocol.GEMINI: "http://127.0.0.1:8787"})
    assert copilot_variables(gemini, "m", "k") == {}


def test_a_keyless_local_server_gets_the_dummy_key() -> None:
    ollama = custom("ollama-box", {Protocol.OPENAI_CHAT: "http://127.0.0.1:11434/v1"}, Credential.none())
    env = child_environment({}, ollama, "qwen3-coder", None, None)
    assert env["OPENAI_API_KEY"] == env["COPILOT_PROVIDER_API_KEY"] == "switchover-local"
    assert not [k for k in env if k.startswith("SWITCHOVER_")]
