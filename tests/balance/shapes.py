"""The providers' documented balance answers (examples from their API docs, checked 2026-11-29), and a
builder for providers that serve a preset's API layout on a local stand-in."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from switchover.core.catalog import default_catalog
from switchover.core.providers import Credential, Endpoint, Provider
from switchover.core.store import edit_store
from tests.support.provider_server import ProviderServer, Reply

KEY = "sk-balance-SECRET-0123456789abcdefXYZ"

# api-docs.deepseek.com/api/get-user-balance
DEEPSEEK_OK = {
    "is_available": True,
    "balance_infos": [
        {"currency": "CNY", "total_balance": "110.00", "granted_balance": "10.00", "topped_up_balance": "100.00"}
    ],
}
# platform.moonshot.cn/docs/api/balance
MOONSHOT_OK = {
    "code": 0,
    "data": {"available_balance": 49.58894, "voucher_balance": 46.58893, "cash_balance": 3.00001},
    "scode": "0x0",
    "status": True,
}
# openrouter.ai/docs/limits and the SDK's GetCurrentKeyResponse example
OPENROUTER_KEY = {
    "data": {
        "label": "sk-or-v1-au7...890", "limit": 100, "limit_remaining": 74.5, "limit_reset": "monthly",
        "include_byok_in_limit": False, "usage": 25.5, "usage_daily": 25.5, "usage_weekly": 25.5,
        "usage_monthly": 25.5, "byok_usage": 17.38, "is_free_tier": False, "is_provisioning_key": False,
        "rate_limit": {"requests": 1000, "interval": "1h", "note": "This field is deprecated and safe to ignore."},
    }
}
OPENROUTER_KEY_UNLIMITED = {
    "data": {"label": "sk-or-v1-abc...def", "limit": None, "limit_remaining": None, "limit_reset": None,
             "usage": 3.2, "usage_daily": 0.4, "usage_weekly": 2.1, "usage_monthly": 3.2, "is_free_tier": False}
}
OPENROUTER_CREDITS = {"data": {"total_credits": 100.5, "total_usage": 25.75}}
# docs.siliconflow.cn/cn/api-reference/userinfo/get-user-info
SILICONFLOW_OK = {
    "code": 20000, "message": "OK", "status": True,
    "data": {"id": "userid", "name": "username", "image": "user_avatar_image_url", "email": "user_email_address",
             "isAdmin": False, "balance": "0.88", "status": "normal", "introduction": "", "role": "",
             "chargeBalance": "88.00", "totalBalance": "88.88"},
}

PATHS = {
    "deepseek": "/user/balance",
    "moonshot": "/v1/users/me/balance",
    "moonshot-cn": "/v1/users/me/balance",
    "openrouter": "/api/v1/key",
    "siliconflow": "/v1/user/info",
}
ANSWERS: dict[str, Any] = {
    "deepseek": DEEPSEEK_OK,
    "moonshot": MOONSHOT_OK,
    "moonshot-cn": MOONSHOT_OK,
    "openrouter": OPENROUTER_KEY,
    "siliconflow": SILICONFLOW_OK,
}


def _at(url: str, server: ProviderServer) -> str:
    parts, where = urlsplit(url), urlsplit(server.url)
    return urlunsplit((where.scheme, where.netloc, parts.path, parts.query, ""))


def standin_provider(preset_id: str, server: ProviderServer, name: str | None = None,
                     credential: Credential | None = None) -> Provider:
    """The preset's provider, with every URL moved to the stand-in (same paths), as a mirror would serve it."""
    preset = default_catalog().get(preset_id)
    provider = preset.to_provider(name or preset_id, credential=credential or Credential.env("BALANCE_TEST_KEY"))
    endpoints = tuple(Endpoint.make(e.protocol, _at(e.base_url, server), e.auth) for e in provider.endpoints)
    models_url = _at(provider.models_url, server) if provider.models_url else None
    return replace(provider, endpoints=endpoints, models_url=models_url)


def serve(server: ProviderServer, preset_id: str, answer: Any = None) -> ProviderServer:
    server.on("GET", PATHS[preset_id], Reply.json(ANSWERS[preset_id] if answer is None else answer))
    return server


def add_to_store(*providers: Provider) -> None:
    with edit_store() as store:
        for provider in providers:
            store.add(provider, replace=True)
