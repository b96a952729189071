"""The balance APIs shipped as preset data: documented paths, on the preset's own hosts, with a check date."""

from __future__ import annotations

from urllib.parse import urlsplit

from switchover.core.balance.spec import BalanceApi, key_origins, origin
from switchover.core.catalog import default_catalog

DOCUMENTED_PATHS = {
    BalanceApi.DEEPSEEK: "/user/balance",
    BalanceApi.MOONSHOT: "/v1/users/me/balance",
    BalanceApi.OPENROUTER: "/api/v1/key",
    BalanceApi.SILICONFLOW: "/v1/user/info",
}


def test_presets_with_a_balance_api() -> None:
    with_balance = {p.id: p.balance for p in default_catalog() if p.balance is not None}
    assert set(with_balance) == {"deepseek", "moonshot", "moonshot-cn", "openrouter", "siliconflow"}
    for preset_id, spec in with_balance.items():
        assert spec is not None
        provider = default_catalog().get(preset_id).to_provider(preset_id)
        assert origin(spec.url) in key_origins(provider), preset_id  # the key stays on the provider's hosts
        assert urlsplit(spec.url).path == DOCUMENTED_PATHS[spec.api]
        assert spec.checked == "2026-11-29"
        if spec.credits_url:
            assert origin(spec.credits_url) in key_origins(provider)
