"""Classify a provider's HTTP error answer with the data-driven rules in resources/error_signatures.toml."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from switchover.core import safejson
from switchover.core.errors import ConfigFileError
from switchover.core.health.results import HealthStatus
from switchover.core.resources import load_data_file, resource

SIGNATURES_SCHEMA = 1
_MAX_MESSAGE_CHARS = 240


@dataclass(frozen=True)
class ProviderError:
    """What we could read out of an error body: codes (code/type/status/reasons) and the message."""

    codes: tuple[str, ...]
    message: str

    @property
    def primary_code(self) -> str | None:
        return self.codes[0] if self.codes else None


@dataclass(frozen=True)
class SignatureRule:
    status: HealthStatus
    reason: str
    http: frozenset[int] = frozenset()
    http_range: tuple[int, int] | None = None
    protocols: frozenset[str] = frozenset()
    codes: frozenset[str] = frozenset()  # lower-cased
    text: tuple[str, ...] = ()  # lower-cased
    retry_after: bool | None = None

    def matches(self, http_status: int, protocol: str, error: ProviderError, has_retry_after: bool) -> bool:
        if self.http and http_status not in self.http:
            return False
        if self.http_range and not self.http_range[0] <= http_status <= self.http_range[1]:
            return False
        if self.protocols and protocol not in self.protocols:
            return False
        if self.retry_after is not None and self.retry_after != has_retry_after:
            return False
        if self.codes or self.text:
            code_hit = any(code.lower() in self.codes for code in error.codes)
            message = error.message.lower()
            text_hit = any(phrase in message for phrase in self.text)
            return code_hit or text_hit
        return True


@dataclass(frozen=True)
class Classification:
    status: HealthStatus
    reason: str
    error_code: str | None


class SignatureBook:
    """The ordered rules; the first that matches an answer decides its status and sentence."""

    def __init__(self, rules: Iterable[SignatureRule], key_checks: Mapping[str, str] | None = None):
        self.rules = tuple(rules)
        self.key_checks = dict(key_checks or {})  # public model list URL -> URL that proves the key

    def key_check_url(self, models_url: str | None) -> str | None:
        return self.key_checks.get(models_url.rstrip("/")) if models_url else None

    def classify(
        self,
        *,
        provider: str,
        protocol: str,
        http_status: int,
        error: ProviderError,
        has_retry_after: bool,
    ) -> Classification | None:
        for rule in self.rules:
            if rule.matches(http_status, protocol, error, has_retry_after):
                reason = rule.reason.format_map(_Fill(provider=provider, http_status=str(http_status)))
                return Classification(rule.status, reason, error.primary_code)
        return None


class _Fill(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _parse_rule(raw: Mapping[str, Any], index: int, path: Path) -> SignatureRule:
    try:
        http_range = raw.get("http_range")
        return SignatureRule(
            status=HealthStatus(raw["status"]),
            reason=str(raw["reason"]),
            http=frozenset(int(s) for s in raw.get("http", ())),
            http_range=(int(http_range[0]), int(http_range[1])) if http_range else None,
            protocols=frozenset(str(p) for p in raw.get("protocols", ())),
            codes=frozenset(str(c).lower() for c in raw.get("codes", ())),
            text=tuple(str(t).lower() for t in raw.get("text", ())),
            retry_after=bool(raw["retry_after"]) if "retry_after" in raw else None,
        )
    except (KeyError, ValueError, TypeError, IndexError) as exc:
        raise ConfigFileError(path, f"error signature rule #{index + 1} is invalid: {exc}") from exc


def load_signatures(path: Path | None = None) -> SignatureBook:
    path = path or resource("error_signatures.toml")
    data = load_data_file(path, SIGNATURES_SCHEMA, "error signatures")
    try:
        key_checks = {str(k["models_url"]).rstrip("/"): str(k["key_url"]) for k in data.get("key_check", [])}
    except (KeyError, TypeError) as exc:
        raise ConfigFileError(path, f"a [[key_check]] entry is invalid: {exc}") from exc
    return SignatureBook((_parse_rule(raw, i, path) for i, raw in enumerate(data.get("rule", []))), key_checks)


@cache
def default_signatures() -> SignatureBook:
    return load_signatures()


def parse_provider_error(body: bytes) -> ProviderError:
    """Read the error shapes of Anthropic, OpenAI(-compatible), Gemini and Ollama; tolerate anything."""
    try:
        data = safejson.loads(body.decode("utf-8", errors="replace")) if body else None
    except ValueError:
        data = None
    if not isinstance(data, dict):
        text = body[:_MAX_MESSAGE_CHARS * 2].decode("utf-8", errors="replace").strip() if body else ""
        return ProviderError((), text if text and not text.lstrip().startswith("<") else "")
    codes: list[str] = []
    message = ""
    error = data.get("error")
    if isinstance(error, dict):
        for key in ("code", "type", "status"):
            value = error.get(key)
            if isinstance(value, str) and value:
                codes.append(value)
        details = error.get("details")
        if isinstance(details, list):
            codes.extend(str(d["reason"]) for d in details if isinstance(d, dict) and d.get("reason"))
        if isinstance(error.get("message"), str):
            message = error["message"]
    elif isinstance(error, str):
        message = error
    for key in ("code", "type"):
        value = data.get(key)
        if isinstance(value, str) and value and value != "error":
            codes.append(value)
    if not message and isinstance(data.get("message"), str):
        message = data["message"]
    if not message and isinstance(data.get("detail"), str):
        message = data["detail"]
    unique = tuple(dict.fromkeys(c for c in codes if c not in _GENERIC_CODES)) + tuple(
        dict.fromkeys(c for c in codes if c in _GENERIC_CODES)
    )
    return ProviderError(unique, message)


# Codes that say little on their own; kept for matching but listed after the telling ones.
_GENERIC_CODES = frozenset({"invalid_request_error", "error", "unknown_error", "INVALID_ARGUMENT"})
