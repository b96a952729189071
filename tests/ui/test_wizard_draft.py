"""The wizard's Qt-free model: importing current setups, no duplicates on re-runs, key proof, chains, the plan."""

from __future__ import annotations

from pathlib import Path

import pytest

from switchover.core.catalog import default_catalog
from switchover.core.failover.settings import DEFAULT_TOOL, Mode, load_settings
from switchover.core.health.discovery import LocalServer
from switchover.core.health.results import HealthStatus
from switchover.core.providers import Credential, Endpoint, Protocol, Provider
from switchover.core.store import ChainEntry, Store, load_store, save_store
from switchover.core.switching.contract import CurrentChoice
from switchover.ui.wizard.draft import (
    DetectedTool,
    Origin,
    SetupDraft,
    Verdict,
    needs_setup,
    preset_at,
)

CLAUDE = (Protocol.ANTHROPIC,)
CHAT = (Protocol.OPENAI_CHAT,)


def tool(name: str, base_url: str | None, model: str | None = None, protocols: tuple[Protocol, ...] = CLAUDE,
         protocol: Protocol | None = None, present: bool = True) -> DetectedTool:
    current = CurrentChoice(base_url, model, protocol or protocols[0]) if base_url or model else None
    return DetectedTool(name, name.title(), protocols, installed=present, current=current, present=present)


def ok(models: tuple[str, ...] = ()) -> Verdict:
    return Verdict(HealthStatus.OK, "Key accepted.", models)


def ollama_server(port: int = 11434) -> LocalServer:
    return LocalServer("ollama", "Ollama (local)", "127.0.0.1", port, "0.12", ("qwen3-coder:latest",))


def test_needs_setup_only_without_store_or_providers(tmp_path: Path) -> None:
    path = tmp_path / "store.toml"
    assert needs_setup(load_store(path)), "no store file: first run"
    save_store(Store(), path)
    assert needs_setup(load_store(path)), "a store without providers is not a setup"
    store = load_store(path)
    store.add(default_catalog().get("deepseek").to_provider("deepseek"))
    save_store(store, path)
    assert not needs_setup(load_store(path))


def test_current_setup_is_imported_once_and_heads_the_chain() -> None:
    draft = SetupDraft(default_catalog())
    draft.set_detected([
        tool("claude-code", "http://127.0.0.1:4000", "my-model"),
        tool("qwen-code", "http://127.0.0.1:4000", "my-model"),  # same endpoint: the same provider
        tool("aider", None, present=False),
    ])
    imported = [c for c in draft.choices.values() if c.origin is Origin.IMPORTED]
    assert [c.name for c in imported] == ["claude-code-current"]
    provider = imported[0].provider
    assert provider.credential == Credential.none(), "a loopback server needs no key"
    assert provider.endpoints == (Endpoint.make(Protocol.ANTHROPIC, "http://127.0.0.1:4000"),)
    assert imported[0].imported_for == ("claude-code", "qwen-code")
    assert draft.managed == {"claude-code": True, "qwen-code": True, "aider": False}
    assert draft.chain("claude-code")[0] == ChainEntry("claude-code-current", "my-model")


def test_import_matches_a_preset_and_uses_its_exported_key_variable() -> None:
    draft = SetupDraft(default_catalog(), environ={"DEEPSEEK_API_KEY": "sk-from-env-0123456789"})
    draft.set_detected([tool("claude-code", "https://api.deepseek.com/anthropic", "deepseek-chat")])
    choice = draft.choices["deepseek"]
    assert choice.origin is Origin.IMPORTED and choice.provider.preset == "deepseek"
    assert choice.provider.credential == Credential.env("DEEPSEEK_API_KEY")
    assert choice.provider.models[0] == "deepseek-chat", "the model the tool uses comes first"


def test_unticking_a_tool_drops_its_import() -> None:
    draft = SetupDraft(default_catalog())
    draft.set_detected([tool("claude-code", "http://127.0.0.1:4000", "m")])
    assert "claude-code-current" in draft.choices
    draft.set_managed("claude-code", False)
    assert "claude-code-current" not in draft.choices
    assert draft.plan().unmanaged_tools == ("claude-code",)


def test_rerun_reuses_existing_providers_instead_of_duplicating() -> None:
    store = Store()
    store.add(Provider("gateway", (Endpoint.make(Protocol.ANTHROPIC, "http://127.0.0.1:4000/"),), ("m",),
                       credential=Credential.none()))
    store.add(default_catalog().get("deepseek").to_provider("deepseek"))
    store.add(ollama_server().to_provider("ollama"))
    draft = SetupDraft(default_catalog(), store)
    draft.set_detected([tool("claude-code", "http://127.0.0.1:4000", "m")])
    assert "claude-code-current" not in draft.choices, "the existing provider at that URL is reused"
    assert draft.current_entry("claude-code") == ChainEntry("gateway", "m")
    assert draft.pick_preset("deepseek") is draft.choices["deepseek"], "the preset edits the existing provider"
    assert draft.set_local(ollama_server(), True) == "ollama"
    assert sorted(draft.choices) == ["deepseek", "gateway", "ollama"]


def test_ticking_a_local_server_twice_adds_it_once() -> None:
    draft = SetupDraft(default_catalog())
    first = draft.set_local(ollama_server(11500), True)
    second = draft.set_local(ollama_server(11500), True)
    assert first == second == "ollama-11500"
    assert list(draft.choices) == ["ollama-11500"]
    assert draft.choices[first].verified, "a server that answered discovery counts as reachable"
    draft.set_local(ollama_server(11500), False)
    assert draft.plan().providers == ()


def test_a_picked_cloud_provider_blocks_until_its_key_is_proven() -> None:
    draft = SetupDraft(default_catalog())
    draft.set_keychain(True, None)
    choice = draft.pick_preset("deepseek")
    assert choice is not None
    assert "paste its key" in draft.cloud_blockers()[0]
    draft.set_key("deepseek", draft.default_key_source, "sk-first-0123456789abcdef")
    assert "not checked yet" in draft.cloud_blockers()[0]
    checked_with = choice.check_fingerprint()
    draft.record_check("deepseek", Verdict(HealthStatus.AUTH_FAILED, "rejected (HTTP 401)"), checked_with)
    assert draft.cloud_blockers() == ["DeepSeek: Wrong key. rejected (HTTP 401)"]
    with pytest.raises(ValueError, match="Wrong key"):
        draft.plan()
    draft.set_key("deepseek", draft.default_key_source, "sk-second-0123456789abcdef")
    draft.record_check("deepseek", ok(), checked_with)  # a late answer about the old key does not count
    assert draft.cloud_blockers() == ["DeepSeek: not checked yet."]
    draft.record_check("deepseek", ok())
    assert draft.cloud_blockers() == []
    plan = draft.plan()
    assert plan.keys == {"deepseek": "sk-second-0123456789abcdef"}
    assert [p.name for p in plan.providers] == ["deepseek"]


def test_stale_preset_models_are_replaced_by_the_listed_ones() -> None:
    draft = SetupDraft(default_catalog())
    draft.pick_preset("deepseek")
    draft.set_key("deepseek", draft.default_key_source, "sk-key-0123456789abcdef")
    draft.record_check("deepseek", Verdict(HealthStatus.MODEL_MISSING, "not listed", ("new-a", "new-b")))
    choice = draft.choices["deepseek"]
    assert choice.verified
    assert choice.provider.models == ("new-a", "new-b")
    assert choice.provider.small_model is None


def test_chains_keep_providers_that_are_down_for_later_but_never_a_wrong_key() -> None:
    """Issue 14, finding 2: a provider blocked in your region or unreachable is kept in the order (failover
    switches back to it once it works); a rejected key is not; "switch now" never goes where the check failed."""
    draft = SetupDraft(default_catalog())
    draft.set_detected([tool("claude-code", "http://127.0.0.1:4000", "m"),
                        tool("aider", "http://127.0.0.1:5000/v1", "a", protocols=CHAT)])
    draft.record_check("claude-code-current", ok())
    draft.record_check("aider-current", Verdict(HealthStatus.UNREACHABLE, "connection refused"))
    draft.set_local(ollama_server(), True)
    zai = draft.pick_preset("zai")
    assert zai is not None
    draft.set_key("zai", draft.default_key_source, "sk-region-0123456789abcdef")
    draft.record_check("zai", Verdict(HealthStatus.REGION_BLOCKED, "not in your region"))
    moonshot = draft.pick_preset("moonshot")
    assert moonshot is not None
    draft.set_key("moonshot", draft.default_key_source, "sk-wrong-0123456789abcdef")
    draft.record_check("moonshot", Verdict(HealthStatus.AUTH_FAILED, "the key was rejected"))
    assert [b.split(":")[1].strip() for b in draft.cloud_blockers()] == ["Wrong key. the key was rejected"]
    assert not any(b.startswith("Z.ai") for b in draft.cloud_blockers()), "blocked in your region is kept"
    draft.shared_chain = False
    claude = draft.chain("claude-code")
    assert claude[0] == ChainEntry("claude-code-current", "m")
    assert {e.provider for e in claude} == {"claude-code-current", "ollama", "zai"}, "moonshot's key is wrong"
    aider = draft.candidates("aider")
    assert {e.provider for e in aider} == {"aider-current", "ollama", "zai"}, "down for now: kept for later"
    draft.set_chain("claude-code", [ChainEntry("zai", zai.provider.default_model), ChainEntry("ollama",
                                                                                          "qwen3-coder:latest")])
    assert draft.switch_target("claude-code") == ChainEntry("ollama", "qwen3-coder:latest"), "never onto zai now"


def test_plan_edits_the_store_in_place_and_keeps_everything_else() -> None:
    store = Store()
    keep = Provider("keep-me", (Endpoint.make(Protocol.OPENAI_CHAT, "https://example.com/v1"),), ("x",))
    store.add(keep)
    store.chains["codex"] = [ChainEntry("keep-me", "x")]
    store.section("other")["value"] = 1
    store.section("failover")["modes"] = {"aider": "off"}
    draft = SetupDraft(default_catalog(), store)
    draft.set_detected([tool("claude-code", "http://127.0.0.1:4000", "m"),
                        tool("aider", "http://127.0.0.1:5000/v1", "a", protocols=CHAT)])
    draft.failover_mode = Mode.AUTO
    draft.shared_chain = True
    draft.start_at_login = True
    plan = draft.plan()
    plan.apply_to(store)
    assert store.providers["keep-me"] == keep
    assert store.chains["codex"] == [ChainEntry("keep-me", "x")], "a tool not in this setup keeps its chain"
    assert store.chains[DEFAULT_TOOL][0] == ChainEntry("claude-code-current", "m")
    assert store.sections["other"] == {"value": 1}
    settings = load_settings(store)
    assert settings.default_mode is Mode.AUTO
    assert settings.modes.get("aider") is None, "aider is managed again, so it is no longer off"
    assert store.sections["app"]["start_at_login"] is True
    assert store.sections["setup"]["managed_tools"] == ["claude-code", "aider"]
    again = SetupDraft(default_catalog(), store)
    again.set_detected([tool("claude-code", "http://127.0.0.1:4000", "m"),
                        tool("aider", "http://127.0.0.1:5000/v1", "a", protocols=CHAT)])
    again.plan().apply_to(store)
    assert sorted(store.providers) == ["aider-current", "claude-code-current", "keep-me"], "no duplicates"


def test_presets_match_urls_as_the_core_matches_providers() -> None:
    """A tool's URL with a trailing slash or other case still names the preset; the protocol must agree."""
    catalog = default_catalog()
    found = preset_at(catalog, "HTTPS://api.deepseek.com/anthropic/ ", Protocol.ANTHROPIC)
    assert found is not None and found.id == "deepseek"
    assert preset_at(catalog, "https://api.deepseek.com/anthropic", Protocol.OPENAI_CHAT) is None
    assert preset_at(catalog, "https://api.deepseek.com/v1", None) is catalog.get("deepseek")


def test_wizard_mode_is_the_failover_table_only() -> None:
    """The wizard starts from `[failover]` (a `modes.default` entry wins there, as in the policy) and writes
    only `[failover]`: a stale `[app].failover_mode` is neither read nor written."""
    store = Store()
    store.section("app")["failover_mode"] = "off"
    store.section("failover").update({"mode": "suggest", "modes": {"default": "auto", "aider": "off"}})
    draft = SetupDraft(default_catalog(), store)
    assert draft.failover_mode is Mode.AUTO
    draft.set_detected([tool("claude-code", "http://127.0.0.1:4000", "m")])
    draft.failover_mode = Mode.OFF
    draft.plan().apply_to(store)
    assert store.sections["failover"]["mode"] == "off"
    assert store.sections["failover"]["modes"] == {"aider": "off"}, "the default is `mode`, per-tool modes kept"
    assert load_settings(store).mode_for("claude-code") is Mode.OFF
    assert store.sections["app"]["failover_mode"] == "off", "not read above, and never written"


def test_the_gateway_is_recommended_unless_the_user_turned_it_off() -> None:
    assert SetupDraft(default_catalog()).use_gateway  # first run: ticked
    off = Store()
    off.section("gateway")["enabled"] = False
    assert not SetupDraft(default_catalog(), off).use_gateway  # a choice made before is kept
    on = Store()
    on.section("gateway")["port"] = 7400
    assert SetupDraft(default_catalog(), on).use_gateway
