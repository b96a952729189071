"""The provider model shared by every layer: endpoints per protocol, models, and where the key comes from."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import urlsplit

from switchover.core import validation
from switchover.core.errors import ValidationError


class Protocol(StrEnum):
    """Wire protocols a provider can speak; the base URL meaning follows each client's convention."""

    ANTHROPIC = "anthropic"  # root; clients append /v1/messages (ANTHROPIC_BASE_URL)
    OPENAI_CHAT = "openai-chat"  # includes /v1; clients append /chat/completions
    OPENAI_RESPONSES = "openai-responses"  # includes /v1; clients append /responses
    GEMINI = "gemini"  # root; clients append /v1beta/models/M:generateContent (GOOGLE_GEMINI_BASE_URL)
    OLLAMA = "ollama"  # root; native /api/chat, /api/tags


class AuthStyle(StrEnum):
    BEARER = "bearer"  # Authorization: Bearer KEY
    X_API_KEY = "x-api-key"  # Anthropic style, plus anthropic-version
    X_GOOG_API_KEY = "x-goog-api-key"  # Gemini native
    NONE = "none"


DEFAULT_AUTH: dict[Protocol, AuthStyle] = {
    Protocol.ANTHROPIC: AuthStyle.X_API_KEY,
    Protocol.OPENAI_CHAT: AuthStyle.BEARER,
    Protocol.OPENAI_RESPONSES: AuthStyle.BEARER,
    Protocol.GEMINI: AuthStyle.X_GOOG_API_KEY,
    Protocol.OLLAMA: AuthStyle.NONE,
}

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


def validate_name(name: str) -> str:
    return validation.provider_name(name)


def validate_url(url: str, what: str = "URL") -> str:
    """A well-formed http(s) URL (`switchover.core.validation`) that may carry a key: https unless loopback."""
    validation.url(url, what)
    if urlsplit(url).scheme == "http" and not is_loopback_url(url):
        raise ValidationError(
            f"The {what} {url!r} uses plain http to a remote host; the key would travel unencrypted. Use https."
        )
    return url.rstrip("/")


def is_loopback_url(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host in LOOPBACK_HOSTS or host.startswith("127.")


@dataclass(frozen=True)
class Endpoint:
    protocol: Protocol
    base_url: str
    auth: AuthStyle

    def __post_init__(self) -> None:
        validation.url(self.base_url, f"{self.protocol.value} URL")

    @classmethod
    def make(cls, protocol: Protocol, base_url: str, auth: AuthStyle | None = None) -> Endpoint:
        return cls(protocol, validate_url(base_url, f"{protocol.value} URL"), auth or DEFAULT_AUTH[protocol])


@dataclass(frozen=True)
class Credential:
    """Where a provider's key comes from: the OS keychain, an environment variable, or nowhere."""

    kind: str  # "keychain" | "env" | "none"
    env_var: str | None = None

    @classmethod
    def keychain(cls) -> Credential:
        return cls("keychain")

    @classmethod
    def env(cls, var: str) -> Credential:
        return cls("env", validation.env_var_name(var, "key variable name"))

    @classmethod
    def none(cls) -> Credential:
        return cls("none")

    @classmethod
    def parse(cls, text: str) -> Credential:
        if text == "keychain":
            return cls.keychain()
        if text == "none":
            return cls.none()
        if text.startswith("env:"):
            return cls.env(text[4:])
        raise ValidationError(f"credential must be 'keychain', 'none' or 'env:VAR', not {text!r}")

    def to_store(self) -> str:
        return f"env:{self.env_var}" if self.kind == "env" else self.kind

    def describe(self) -> str:
        return {
            "keychain": "key in the OS keychain",
            "env": f"key from ${self.env_var}",
            "none": "no key",
        }[self.kind]


@dataclass(frozen=True)
class Provider:
    """A provider the user configured: from a preset, or fully custom."""

    name: str
    endpoints: tuple[Endpoint, ...]
    models: tuple[str, ...] = ()
    small_model: str | None = None
    credential: Credential = field(default_factory=Credential.keychain)
    label: str = ""
    preset: str | None = None
    models_url: str | None = None
    models_auth: AuthStyle | None = None

    def __post_init__(self) -> None:
        """Every provider, wherever it comes from (store, CLI, wizard, dialog, discovery, preset), obeys the
        grammar in `switchover.core.validation`; nothing else is ever written into a tool's config."""
        validation.provider_name(self.name)
        for model in self.models:
            validation.model_id(model, f"model id of provider {self.name!r}")
        validation.optional_model_id(self.small_model, f"small model of provider {self.name!r}")
        if self.label:
            validation.label(self.label, f"label of provider {self.name!r}")
        if self.models_url is not None:
            validation.url(self.models_url, f"models URL of provider {self.name!r}")
        if self.credential.kind == "env":
            validation.env_var_name(self.credential.env_var, "key variable name")

    @property
    def display_name(self) -> str:
        return self.label or self.name

    @property
    def default_model(self) -> str | None:
        return self.models[0] if self.models else None

    @property
    def is_local(self) -> bool:
        return bool(self.endpoints) and all(is_loopback_url(e.base_url) for e in self.endpoints)

    @property
    def protocols(self) -> tuple[Protocol, ...]:
        return tuple(e.protocol for e in self.endpoints)

    def endpoint(self, protocol: Protocol) -> Endpoint | None:
        return next((e for e in self.endpoints if e.protocol == protocol), None)

    def model_list_url(self) -> tuple[str, AuthStyle] | None:
        """The URL that lists models (the cheapest authenticated probe) and how to authenticate to it."""
        if self.models_url:
            auth = self.models_auth or self._first_auth()
            return self.models_url, auth
        for protocol, suffix in (
            (Protocol.OPENAI_CHAT, "/models"),
            (Protocol.OPENAI_RESPONSES, "/models"),
            (Protocol.ANTHROPIC, "/v1/models"),
            (Protocol.GEMINI, "/v1beta/models"),
            (Protocol.OLLAMA, "/api/tags"),
        ):
            ep = self.endpoint(protocol)
            if ep:
                return ep.base_url.rstrip("/") + suffix, ep.auth
        return None

    def _first_auth(self) -> AuthStyle:
        return self.endpoints[0].auth if self.endpoints else AuthStyle.BEARER


def endpoint_key(provider: str, protocol: Protocol | str) -> str:
    """`deepseek/openai-chat`: how one endpoint is named everywhere (health history, failover, the UI)."""
    return f"{provider}/{protocol.value if isinstance(protocol, Protocol) else protocol}"


def split_endpoint_key(key: str) -> tuple[str, str]:
    """`deepseek/openai-chat` -> ("deepseek", "openai-chat"); provider names never contain '/'."""
    provider, _, protocol = key.partition("/")
    return provider, protocol


def normalise_url(url: str) -> str:
    """The form in which two base URLs are compared: no surrounding space or trailing slash, lowercase."""
    return url.strip().rstrip("/").lower()


def provider_at(
    providers: Iterable[Provider], base_url: str, protocol: Protocol | None = None
) -> tuple[Provider, Endpoint] | None:
    """The configured provider (and its endpoint) serving `base_url`, with `protocol` when it is known.

    This is how a tool's current config is matched back to a Switchover provider, everywhere.
    """
    wanted = normalise_url(base_url)
    for provider in providers:
        for endpoint in provider.endpoints:
            if normalise_url(endpoint.base_url) == wanted and protocol in (None, endpoint.protocol):
                return provider, endpoint
    return None
