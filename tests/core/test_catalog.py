from __future__ import annotations

from pathlib import Path

import pytest

from switchover.core.catalog import default_catalog, load_catalog
from switchover.core.errors import ConfigFileError, UnknownProviderError
from switchover.core.providers import AuthStyle, Protocol

REQUIRED = [
    "deepseek", "zhipu", "zai", "moonshot", "moonshot-cn", "minimax", "minimax-cn", "modelstudio",
    "modelstudio-cn", "openrouter", "anthropic", "openai", "gemini", "groq", "mistral", "siliconflow",
    "ollama", "lmstudio", "llamacpp", "vllm", "litellm",
]


def test_catalog_has_every_required_preset() -> None:
    catalog = default_catalog()
    assert set(REQUIRED) <= set(catalog.ids())


@pytest.mark.parametrize("preset_id", REQUIRED)
def test_each_preset_is_complete(preset_id: str) -> None:
    preset = default_catalog().get(preset_id)
    assert preset.label
    assert preset.endpoints, "a preset offers at least one protocol"
    for endpoint in preset.endpoints:
        assert endpoint.base_url.startswith("https://") or preset.local
    assert preset.needs_key is not preset.local or preset_id in ("vllm", "litellm")
    provider = preset.to_provider("x")
    assert provider.model_list_url() is not None


def test_values_from_reference() -> None:
    catalog = default_catalog()
    deepseek = catalog.get("deepseek")
    # Responses since July 2026 (deepseek-v4-flash only: see protocol_models; checked 2026-11-29).
    assert deepseek.protocols == (Protocol.ANTHROPIC, Protocol.OPENAI_CHAT, Protocol.OPENAI_RESPONSES)
    assert deepseek.to_provider("d").endpoint(Protocol.ANTHROPIC).base_url == "https://api.deepseek.com/anthropic"  # type: ignore[union-attr]
    assert catalog.get("openai").to_provider("o").endpoint(Protocol.OPENAI_RESPONSES) is not None
    openrouter = catalog.get("openrouter").to_provider("r")
    assert openrouter.endpoint(Protocol.ANTHROPIC).auth is AuthStyle.BEARER  # type: ignore[union-attr]
    assert catalog.get("anthropic").to_provider("a").endpoint(Protocol.ANTHROPIC).auth is AuthStyle.X_API_KEY  # type: ignore[union-attr]
    ollama = catalog.get("ollama").to_provider("l")
    assert ollama.is_local and ollama.credential.kind == "none"
    assert ollama.model_list_url() == ("http://localhost:11434/api/tags", AuthStyle.NONE)


def test_unknown_preset_lists_known_ones() -> None:
    with pytest.raises(UnknownProviderError, match="deepseek"):
        default_catalog().get("nope")


def test_broken_catalog_names_file(tmp_path: Path) -> None:
    bad = tmp_path / "providers.toml"
    bad.write_text('schema_version = 1\n[presets.x]\nlabel = "X"\nneeds_key = true\n[presets.x.endpoints]\nwat = "https://a"\n')
    with pytest.raises(ConfigFileError, match="preset 'x' is invalid") as info:
        load_catalog(bad)
    assert info.value.path == bad
