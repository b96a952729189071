"""Adoption (issue 14, finding 1): a tool's current endpoint becomes a provider *with its key* in the keychain,
so switching the tool back later restores a working setup. Plain pytest: the real targets and engine in a
throwaway home, the test keyring (the real Secret Service is exercised by tests/cli/test_cli_import.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from switchover.core.catalog import default_catalog
from switchover.core.providers import AuthStyle, Credential, Endpoint, Protocol, Provider
from switchover.core.secrets import Keychain
from switchover.core.store import Store, edit_store, load_store
from switchover.core.switching.contract import SwitchRequest, ToolEnv
from switchover.core.switching.engine import SwitchEngine
from switchover.services.adoption import apply_adoption, plan_adoption
from switchover.targets.registry import all_targets

CLAUDE_KEY = "sk-gw-CLAUDE-ORIGINAL-0123456789"
CODEX_KEY = "sk-gw-CODEX-ORIGINAL-0123456789"


def tool_env(home: Path, **environ: str) -> ToolEnv:
    return ToolEnv(home, {"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"), "PATH": ""} | environ,
                   "linux", home)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def claude_on_gateway(home: Path, base: str = "https://gw.example.com/anthropic") -> Path:
    return write(home / ".claude/settings.json", json.dumps({
        "env": {"ANTHROPIC_BASE_URL": base, "ANTHROPIC_AUTH_TOKEN": CLAUDE_KEY, "ANTHROPIC_MODEL": "big-model"},
        "theme": "dark"}, indent=2))


def codex_on_gateway(home: Path) -> Path:
    return write(home / ".codex/config.toml", 'model = "gpt-5-codex"\nmodel_provider = "gw"\n\n[model_providers.gw]\n'
                 'base_url = "https://gw.example.com/v1"\nenv_key = "GW_KEY"\nwire_api = "responses"\n')


def plan(home: Path, store: Store | None = None, usable: bool = True, **environ: str):  # type: ignore[no-untyped-def]
    keychain = Keychain()
    return plan_adoption(store or load_store(), all_targets(), tool_env(home, **environ), default_catalog(),
                         keychain.get, usable)


def request_for(provider: Provider, model: str) -> SwitchRequest:
    return SwitchRequest(provider, model, None, ("/usr/bin/switchover", "key", provider.name),
                         lambda: Keychain().get(provider.name))


def test_a_gateway_in_claude_code_is_adopted_with_its_key_as_bearer(isolated_home: Path) -> None:
    claude_on_gateway(isolated_home)
    adoption_plan = plan(isolated_home)
    [adoption] = adoption_plan.adoptions
    assert adoption.new_provider and adoption.key == CLAUDE_KEY and adoption.key_state == "to-keychain"
    endpoint = adoption.provider.endpoint(Protocol.ANTHROPIC)
    assert endpoint is not None and endpoint.base_url == "https://gw.example.com/anthropic"
    assert endpoint.auth is AuthStyle.BEARER  # ANTHROPIC_AUTH_TOKEN is sent as Authorization: Bearer
    assert adoption.provider.models == ("big-model",) and adoption.provider.credential.kind == "keychain"
    assert adoption.replaceable
    assert CLAUDE_KEY not in repr(adoption_plan) and CLAUDE_KEY not in "\n".join(adoption.describe())
    assert load_store().providers == {}  # planning writes nothing

    outcome = apply_adoption(adoption_plan, Keychain())
    name = adoption.provider.name
    assert outcome.keys_stored == (name,) and Keychain().get(name) == CLAUDE_KEY
    assert load_store().providers[name].credential == Credential.keychain()
    again = plan(isolated_home)
    assert not again.changes_anything and again.adoptions[0].key_state == "stored"


def test_two_tools_on_one_gateway_with_one_key_become_one_provider(isolated_home: Path) -> None:
    claude_on_gateway(isolated_home)
    codex_on_gateway(isolated_home)
    same = plan(isolated_home, GW_KEY=CLAUDE_KEY)
    assert len(same.providers()) == 1
    [provider] = same.providers()
    assert set(provider.protocols) == {Protocol.ANTHROPIC, Protocol.OPENAI_RESPONSES}
    assert same.keys() == {provider.name: CLAUDE_KEY}
    different = plan(isolated_home, GW_KEY=CODEX_KEY)
    assert len(different.providers()) == 2 and set(different.keys().values()) == {CLAUDE_KEY, CODEX_KEY}


def test_an_existing_provider_without_its_key_gets_the_key_the_tool_uses(isolated_home: Path) -> None:
    """What the old wizard left behind: the endpoint imported, no key stored (finding 1)."""
    claude_on_gateway(isolated_home)
    with edit_store() as store:
        store.add(Provider("claude-code-current", (Endpoint.make(Protocol.ANTHROPIC, "https://gw.example.com/anthropic"),),
                           ("big-model",), credential=Credential.keychain()))
    adoption_plan = plan(isolated_home)
    [adoption] = adoption_plan.adoptions
    assert not adoption.new_provider and adoption.key == CLAUDE_KEY
    apply_adoption(adoption_plan, Keychain())
    assert Keychain().get("claude-code-current") == CLAUDE_KEY


def test_a_stored_different_key_is_kept_and_said(isolated_home: Path) -> None:
    claude_on_gateway(isolated_home)
    with edit_store() as store:
        store.add(Provider("gw", (Endpoint.make(Protocol.ANTHROPIC, "https://gw.example.com/anthropic"),),
                           ("big-model",)))
    Keychain().set("gw", "sk-other-0123456789abcdef")
    [adoption] = plan(isolated_home).adoptions
    assert adoption.key is None and adoption.key_state == "kept-other"
    assert any("another key" in note for note in adoption.notes)


def test_without_a_usable_keychain_no_key_is_stored_and_it_says_why(isolated_home: Path) -> None:
    claude_on_gateway(isolated_home)
    [adoption] = plan(isolated_home, usable=False).adoptions
    assert adoption.key is None and adoption.key_state == "no-keychain"
    assert any("No usable OS keychain" in note for note in adoption.notes)


def test_a_local_server_is_adopted_without_a_key(isolated_home: Path) -> None:
    write(isolated_home / ".aider.conf.yml", "model: openai/qwen3-coder\nopenai-api-base: http://127.0.0.1:8080/v1\n")
    [adoption] = plan(isolated_home).adoptions
    assert adoption.provider.credential.kind == "none" and adoption.provider.name == "local-8080"


def test_a_preset_endpoint_takes_the_preset(isolated_home: Path) -> None:
    write(isolated_home / ".gemini/settings.json", json.dumps({"model": {"name": "gemini-2.5-pro"}}))
    write(isolated_home / ".gemini/.env", "GEMINI_API_KEY=AIza-original-0123456789\n")
    [adoption] = plan(isolated_home).adoptions
    assert adoption.provider.preset == "gemini" and adoption.key == "AIza-original-0123456789"
    assert not adoption.replaceable and any("only in plaintext" in n for n in adoption.notes)


def test_replacing_the_plaintext_key_goes_through_the_engine_and_undo_restores_it(isolated_home: Path) -> None:
    settings = claude_on_gateway(isolated_home)
    before = settings.read_bytes()
    env = tool_env(isolated_home)
    engine = SwitchEngine(all_targets(), env)
    outcome = apply_adoption(plan(isolated_home), Keychain(), replace_plaintext=True, engine=lambda: engine,
                             request=request_for)
    assert outcome.replaced == ("claude-code",)
    data = json.loads(settings.read_text())
    assert CLAUDE_KEY not in settings.read_text()
    assert data["apiKeyHelper"].endswith(f"key {outcome.providers[0]}") and data["theme"] == "dark"
    assert data["env"]["ANTHROPIC_BASE_URL"] == "https://gw.example.com/anthropic"
    assert data["env"]["ANTHROPIC_MODEL"] == "big-model"
    engine.undo()
    assert settings.read_bytes() == before


def test_switch_away_and_back_to_the_adopted_provider_restores_a_working_setup(isolated_home: Path) -> None:
    """import → switch away → switch back: the tool reads the adopted endpoint and a key command that prints
    the original key (the real tool proves the request in tests/e2e/test_real_adoption.py)."""
    settings = claude_on_gateway(isolated_home)
    apply_adoption(plan(isolated_home), Keychain())
    adopted = next(iter(load_store().providers.values()))
    other = Provider("other", (Endpoint.make(Protocol.ANTHROPIC, "https://other.example.com"),), ("o1",))
    engine = SwitchEngine(all_targets(), tool_env(isolated_home))
    engine.use(request_for(other, "o1"), ["claude-code"])
    assert json.loads(settings.read_text())["env"]["ANTHROPIC_BASE_URL"] == "https://other.example.com"
    engine.use(request_for(adopted, "big-model"), ["claude-code"])
    data = json.loads(settings.read_text())
    assert data["env"]["ANTHROPIC_BASE_URL"] == "https://gw.example.com/anthropic"
    assert data["apiKeyHelper"].split()[-1] == adopted.name
    assert Keychain().get(adopted.name) == CLAUDE_KEY


@pytest.mark.parametrize("tool", ["claude-code", "codex"])
def test_switchovers_own_setup_is_not_adopted_again(isolated_home: Path, tool: str) -> None:
    gw = Provider("gw", (Endpoint.make(Protocol.ANTHROPIC, "https://gw.example.com"),
                         Endpoint.make(Protocol.OPENAI_RESPONSES, "https://gw.example.com/v1")), ("m1",))
    with edit_store() as store:
        store.add(gw)
    Keychain().set("gw", CLAUDE_KEY)
    SwitchEngine(all_targets(), tool_env(isolated_home)).use(request_for(gw, "m1"), [tool])
    [adoption] = plan(isolated_home).adoptions
    assert adoption.provider.name == "gw" and adoption.key_state in ("ours", "stored")
    assert not adoption.changes_anything
