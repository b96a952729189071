"""Which documented balance API a provider has, and the URL to ask it at without sending the key elsewhere.

The APIs and their URLs are data (`[presets.X.balance]` in resources/providers.toml). A provider made from a
preset asks its preset's balance URL when that URL is on one of the hosts the provider already sends its key
to; when the provider serves the preset's API layout at another origin (a mirror, a stand-in), the balance
path is asked there instead. Anything else is refused: the key never travels to a host the user did not
configure. The store's `[balance.providers.NAME]` table may name the API and URL for any provider (checked
by the same rule), or turn the probe off.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from switchover.core.balance.results import NO_BALANCE_API
from switchover.core.errors import ValidationError
from switchover.core.providers import Provider, validate_url


class BalanceApi(StrEnum):
    DEEPSEEK = "deepseek"  # GET /user/balance
    MOONSHOT = "moonshot"  # GET /v1/users/me/balance
    OPENROUTER = "openrouter"  # GET /api/v1/key (+ /api/v1/credits, which needs a management key)
    SILICONFLOW = "siliconflow"  # GET /v1/user/info


@dataclass(frozen=True)
class BalanceSpec:
    """A preset's balance API as shipped (see providers.toml for the date each was checked)."""

    api: BalanceApi
    url: str
    credits_url: str | None = None  # OpenRouter's account credits
    currency: str | None = None  # the API's fixed currency (OpenRouter: USD)
    currency_by_host: Mapping[str, str] = field(default_factory=dict)  # host-dependent (Moonshot .ai / .cn)
    checked: str = ""  # the date the fields were verified against the provider's documentation

    @classmethod
    def from_table(cls, raw: Mapping[str, Any]) -> BalanceSpec:
        """Parse `[presets.X.balance]`; raises ValueError/KeyError for the catalog loader to report."""
        by_host = raw.get("currency_by_host", {})
        if not isinstance(by_host, Mapping):
            raise ValueError("balance.currency_by_host must be a table of host = currency")
        return cls(
            api=BalanceApi(raw["api"]),
            url=validate_url(str(raw["url"]), "balance url"),
            credits_url=validate_url(str(raw["credits_url"]), "balance credits_url") if raw.get("credits_url")
            else None,
            currency=str(raw["currency"]) if raw.get("currency") else None,
            currency_by_host={str(k).lower(): str(v) for k, v in by_host.items()},
            checked=str(raw.get("checked", "")),
        )

    def currency_at(self, url: str) -> str | None:
        return self.currency or self.currency_by_host.get((urlsplit(url).hostname or "").lower())


@dataclass(frozen=True)
class BalanceOverride:
    """`[balance.providers.NAME]`: the user's word on a provider's balance API."""

    api: BalanceApi | None = None  # None with `off` = no probe
    url: str | None = None
    credits_url: str | None = None
    currency: str | None = None
    off: bool = False

    @classmethod
    def from_table(cls, name: str, raw: Mapping[str, Any]) -> BalanceOverride:
        where = f"balance.providers.{name}"
        api_text = raw.get("api")
        if api_text == "none":
            return cls(off=True)
        try:
            api = BalanceApi(str(api_text)) if api_text is not None else None
        except ValueError:
            allowed = ", ".join(a.value for a in BalanceApi)
            raise ValidationError(f"{where}.api must be one of {allowed} or 'none' (not {api_text!r})") from None
        url = raw.get("url")
        credits_url = raw.get("credits_url")
        currency = raw.get("currency")
        if currency is not None and (not isinstance(currency, str) or not currency.isalpha() or len(currency) > 8):
            raise ValidationError(f"{where}.currency must be a currency code such as USD or CNY")
        if url is not None and api is None:
            raise ValidationError(f"{where} names a url but no api (one of deepseek, moonshot, openrouter, "
                                  "siliconflow)")
        return cls(
            api=api,
            url=validate_url(str(url), f"{where}.url") if url is not None else None,
            credits_url=validate_url(str(credits_url), f"{where}.credits_url") if credits_url is not None else None,
            currency=currency.upper() if isinstance(currency, str) else None,
        )


@dataclass(frozen=True)
class BalanceTarget:
    """Where and how to ask one provider for its balance (the key is supplied separately)."""

    provider: str
    api: BalanceApi
    url: str
    credits_url: str | None = None
    currency: str | None = None


@dataclass(frozen=True)
class Resolution:
    """A target, or why there is none (`supported` False: the provider has no balance API at all)."""

    target: BalanceTarget | None
    reason: str = ""
    supported: bool = True
    local: bool = False  # a local model server: nothing to pay for


def origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    port = parts.port or {"https": 443, "http": 80}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port


def key_origins(provider: Provider) -> set[tuple[str, str, int | None]]:
    """Every origin the provider already sends its key to: its endpoints and its model list."""
    found = {origin(endpoint.base_url) for endpoint in provider.endpoints}
    if provider.models_url:
        found.add(origin(provider.models_url))
    return found


def _rebase(url: str, base: str) -> str:
    """`url`'s path and query at `base`'s origin."""
    target, where = urlsplit(url), urlsplit(base)
    return urlunsplit((where.scheme, where.netloc, target.path, target.query, ""))


def resolve(
    provider: Provider,
    preset_spec: BalanceSpec | None,
    preset_endpoints: Mapping[str, str] | None = None,
    override: BalanceOverride | None = None,
    preset_label: str | None = None,
    local: bool | None = None,
) -> Resolution:
    """Decide where to ask `provider` for its balance. `preset_endpoints` maps protocol -> the preset's base URL
    (to recognise the preset's API layout at another origin); `local` says whether it is a local server (default:
    all its endpoints are on loopback)."""
    origins = key_origins(provider)
    if override is not None and override.off:
        return Resolution(None, "balance probe turned off in the store ([balance.providers])", supported=False)
    if override is not None and override.api is not None and override.url is not None:
        refused = _refuse(provider, override.url, origins) or (
            _refuse(provider, override.credits_url, origins) if override.credits_url else None)
        if refused:
            return Resolution(None, refused)
        spec_currency = preset_spec.currency_at(override.url) if preset_spec else None
        return Resolution(BalanceTarget(provider.name, override.api, override.url, override.credits_url,
                                        override.currency or spec_currency))
    if preset_spec is None:
        if provider.is_local if local is None else local:
            return Resolution(None, "local server: nothing to pay for", supported=False, local=True)
        return Resolution(None, NO_BALANCE_API, supported=False)
    url, credits_url = _place(preset_spec, preset_endpoints or {}, provider, origins)
    if url is None:
        host = urlsplit(preset_spec.url).hostname
        label = preset_label or provider.preset or "the preset"
        return Resolution(
            None,
            f"{provider.display_name}'s endpoints are not at {host}, where {label}'s balance API lives; Switchover "
            f"does not send the key to another host. If this endpoint serves that API, set its URL under "
            f"[balance.providers.{provider.name}] in the store.",
        )
    currency = override.currency if override and override.currency else preset_spec.currency_at(url)
    return Resolution(BalanceTarget(provider.name, preset_spec.api, url, credits_url, currency))



def _refuse(provider: Provider, url: str | None, origins: set[tuple[str, str, int | None]]) -> str | None:
    if url is None or origin(url) in origins:
        return None
    return (
        f"the balance URL {urlsplit(url).hostname} is not a host {provider.display_name} is configured with; "
        "Switchover does not send the key to another host."
    )


def _place(
    spec: BalanceSpec, preset_endpoints: Mapping[str, str], provider: Provider,
    origins: set[tuple[str, str, int | None]],
) -> tuple[str | None, str | None]:
    if origin(spec.url) in origins:
        return spec.url, spec.credits_url
    # The provider serves the preset's layout (same protocol, same path) at another origin: ask there.
    for endpoint in provider.endpoints:
        preset_base = preset_endpoints.get(endpoint.protocol.value)
        if preset_base is None or origin(preset_base) != origin(spec.url):
            continue
        if urlsplit(preset_base).path.rstrip("/") == urlsplit(endpoint.base_url).path.rstrip("/"):
            credits = _rebase(spec.credits_url, endpoint.base_url) if spec.credits_url else None
            return _rebase(spec.url, endpoint.base_url), credits
    return None, None
