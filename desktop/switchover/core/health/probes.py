"""What to probe and how, per protocol and tier: the request to send and how to read a good answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from switchover.core import validation
from switchover.core.health.results import Tier
from switchover.core.health.signatures import default_signatures
from switchover.core.providers import AuthStyle, Protocol, Provider

ANTHROPIC_VERSION = "2023-06-01"
PING_TEXT = "ping"

# Where each protocol lists its models, relative to the endpoint's base URL.
MODEL_LIST_SUFFIX: dict[Protocol, str] = {
    Protocol.ANTHROPIC: "/v1/models",
    Protocol.OPENAI_CHAT: "/models",
    Protocol.OPENAI_RESPONSES: "/models",
    Protocol.GEMINI: "/v1beta/models",
    Protocol.OLLAMA: "/api/tags",
}

# A key in a successful 1-token answer that proves the body is the protocol it claims.
DEEP_SUCCESS_KEY: dict[Protocol, str] = {
    Protocol.ANTHROPIC: "content",
    Protocol.OPENAI_CHAT: "choices",
    Protocol.OPENAI_RESPONSES: "output",
    Protocol.GEMINI: "candidates",
    Protocol.OLLAMA: "message",
}


@dataclass(frozen=True)
class Probe:
    """One endpoint to probe. The key is kept out of repr and never copied into results."""

    provider: str
    protocol: Protocol
    base_url: str
    auth: AuthStyle
    models: tuple[str, ...] = ()
    models_url: str | None = None
    models_auth: AuthStyle | None = None
    key: str | None = field(default=None, repr=False, compare=False)
    key_check_url: str | None = None  # for public model lists: a URL that proves the key (data-driven)

    @classmethod
    def from_provider(cls, provider: Provider, key: str | None, protocol: Protocol | None = None) -> Probe:
        """The probe for `protocol` (default: the provider's first endpoint) with an explicit key."""
        endpoint = provider.endpoint(protocol) if protocol else (provider.endpoints[0] if provider.endpoints else None)
        if endpoint is None:
            wanted = protocol.value if protocol else "any protocol"
            raise ValueError(f"provider {provider.name!r} has no endpoint for {wanted}")
        models = tuple(dict.fromkeys(m for m in (*provider.models, provider.small_model) if m))
        keyless = provider.credential.kind == "none"  # nothing to send, so nothing to require
        return cls(
            provider=provider.name,
            protocol=endpoint.protocol,
            base_url=endpoint.base_url.rstrip("/"),
            auth=AuthStyle.NONE if keyless else endpoint.auth,
            models=models,
            models_url=provider.models_url,
            models_auth=AuthStyle.NONE if keyless else provider.models_auth,
            key=None if keyless else key,
            key_check_url=None if keyless else default_signatures().key_check_url(provider.models_url),
        )

    @property
    def needs_key(self) -> bool:
        return self.auth is not AuthStyle.NONE

    def model_list_request(self) -> tuple[str, AuthStyle]:
        """The provider's own model list when it names one, else this protocol's list under the base URL."""
        if self.models_url:
            return self.models_url, self.models_auth or self.auth
        return self.base_url + MODEL_LIST_SUFFIX[self.protocol], self.auth


@dataclass(frozen=True)
class ProbeRequest:
    method: str
    url: str
    headers: dict[str, str] = field(repr=False)
    json_body: Any = None
    sends_key: bool = False


def auth_headers(style: AuthStyle, key: str | None, protocol: Protocol) -> dict[str, str]:
    headers: dict[str, str] = {}
    if protocol is Protocol.ANTHROPIC or style is AuthStyle.X_API_KEY:
        headers["anthropic-version"] = ANTHROPIC_VERSION
    if key:
        if style is AuthStyle.BEARER:
            headers["Authorization"] = f"Bearer {key}"
        elif style is AuthStyle.X_API_KEY:
            headers["x-api-key"] = key
        elif style is AuthStyle.X_GOOG_API_KEY:
            headers["x-goog-api-key"] = key
    return headers


def key_check_request(probe: Probe) -> ProbeRequest | None:
    if not probe.key_check_url or not probe.key:
        return None
    _, style = probe.model_list_request()
    headers = {"Accept": "application/json", **auth_headers(style, probe.key, probe.protocol)}
    return ProbeRequest("GET", probe.key_check_url, headers, sends_key=True)


def build_request(probe: Probe, tier: Tier, *, chat_tokens_field: str = "max_tokens") -> ProbeRequest:
    """The request for `tier`; reach sends no key at all (it only proves the network path)."""
    if tier is Tier.REACH:
        return ProbeRequest("GET", probe.base_url + "/", {"Accept": "*/*"})
    if tier is Tier.AUTH:
        url, style = probe.model_list_request()
        headers = {"Accept": "application/json", **auth_headers(style, probe.key, probe.protocol)}
        return ProbeRequest("GET", url, headers, sends_key=style is not AuthStyle.NONE)
    model = probe.models[0] if probe.models else ""
    headers = {"Accept": "application/json", **auth_headers(probe.auth, probe.key, probe.protocol)}
    url, body = _deep_call(probe, model, chat_tokens_field)
    return ProbeRequest("POST", url, headers, body, sends_key=probe.auth is not AuthStyle.NONE)


def _deep_call(probe: Probe, model: str, chat_tokens_field: str) -> tuple[str, dict[str, Any]]:
    base = probe.base_url
    messages = [{"role": "user", "content": PING_TEXT}]
    match probe.protocol:
        case Protocol.ANTHROPIC:
            return base + "/v1/messages", {"model": model, "max_tokens": 1, "messages": messages}
        case Protocol.OPENAI_CHAT:
            return base + "/chat/completions", {"model": model, chat_tokens_field: 1, "messages": messages}
        case Protocol.OPENAI_RESPONSES:
            # 16 is the smallest max_output_tokens the Responses API accepts.
            return base + "/responses", {"model": model, "input": PING_TEXT, "max_output_tokens": 16}
        case Protocol.GEMINI:
            name = model.removeprefix("models/")
            body = {"contents": [{"parts": [{"text": PING_TEXT}]}], "generationConfig": {"maxOutputTokens": 1}}
            return f"{base}/v1beta/models/{name}:generateContent", body
        case Protocol.OLLAMA:
            return base + "/api/chat", {
                "model": model,
                "messages": messages,
                "stream": False,
                "options": {"num_predict": 1},
            }
    raise ValueError(f"unknown protocol {probe.protocol!r}")  # pragma: no cover - exhaustive above


def read_model_list(data: Any) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """(valid model ids, a note per id dropped) from any list shape we meet ({"data":[{"id"}]},
    {"models":[{"name"}]}), or None when `data` is no model list.

    The ids come from a server: each must pass `validation.model_id`; one that fails is dropped with a note
    (shown to the user, escaped) and never written anywhere.
    """
    if not isinstance(data, dict):
        return None
    for key in ("data", "models"):
        items = data.get(key)
        if isinstance(items, list):
            ids: list[object] = []
            for item in items:
                if isinstance(item, dict):
                    ident = item.get("id") or item.get("name") or item.get("model")
                    if ident is not None:
                        ids.append(ident.removeprefix("models/") if isinstance(ident, str) else ident)
                elif isinstance(item, str):
                    ids.append(item)
            kept, notes = validation.split_model_ids(ids)
            return tuple(dict.fromkeys(kept)), notes
    return None


def parse_model_list(data: Any) -> list[str] | None:
    """The valid model ids of a model list answer (see `read_model_list`), or None."""
    found = read_model_list(data)
    return None if found is None else list(found[0])


def missing_models(wanted: tuple[str, ...], available: list[str]) -> list[str]:
    """Configured models the list does not contain; Ollama's implicit ':latest' tag counts as a match."""
    have = set(available)
    have.update(name.removesuffix(":latest") for name in available)
    return [m for m in wanted if m not in have and m.removeprefix("models/") not in have]
