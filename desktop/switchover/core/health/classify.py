"""Turn what happened on the wire (an answer or an exception) into one HealthStatus and a sentence."""

from __future__ import annotations

import email.utils
import socket
import ssl
import time
from dataclasses import dataclass
from typing import Any

import httpx

from switchover.core import safejson
from switchover.core.health.http import FetchedResponse, IncompleteBodyError, RedirectRefusedError
from switchover.core.health.probes import DEEP_SUCCESS_KEY, Probe, missing_models, read_model_list
from switchover.core.health.results import HealthStatus, Tier
from switchover.core.health.scrub import scrub
from switchover.core.health.signatures import SignatureBook, parse_provider_error


@dataclass(frozen=True)
class Classification:
    """What one answer (or failure) means: a status from the vocabulary and a sentence saying why."""

    status: HealthStatus
    reason: str
    error_code: str | None = None
    retry_after_s: float | None = None
    models: tuple[str, ...] = ()


def classify_exception(exc: BaseException, probe: Probe, limits_total_s: float) -> Classification:
    """Network-level failures: DNS, refused, reset, TLS, timeouts, truncation, refused redirects."""
    host = httpx.URL(probe.base_url).host
    if isinstance(exc, RedirectRefusedError):
        if exc.why == "offsite":
            return Classification(
                HealthStatus.BAD_RESPONSE,
                f"The endpoint redirects to {exc.target}. Switchover never sends your key to another host; "
                "if that address is the right one, use it as the base URL.",
            )
        if exc.why == "downgrade":
            return Classification(
                HealthStatus.BAD_RESPONSE,
                f"The endpoint redirects to plain http ({exc.target}); the key would travel unencrypted, "
                "so the redirect was not followed. Check the base URL.",
            )
        return Classification(HealthStatus.BAD_RESPONSE, "The endpoint redirects in a loop; check the base URL.")
    if isinstance(exc, IncompleteBodyError):
        return Classification(
            HealthStatus.BAD_RESPONSE,
            "The answer was cut off part-way (connection closed mid-body). A proxy or an unstable server "
            "may be in the way; try again.",
        )
    if isinstance(exc, TimeoutError):
        return Classification(
            HealthStatus.TIMEOUT,
            f"No complete answer from {host} within {limits_total_s:g} s; the server is stalled or far too "
            "slow. Try again later or switch provider.",
        )
    if isinstance(exc, httpx.ConnectTimeout):
        return Classification(
            HealthStatus.TIMEOUT,
            f"Could not connect to {host} in time. The host may be down, or blocked by a firewall on this "
            "network.",
        )
    if isinstance(exc, httpx.TimeoutException):
        return Classification(
            HealthStatus.TIMEOUT,
            f"Connected to {host}, but it stopped answering. The server is stalled or overloaded; try again "
            "later or switch provider.",
        )
    tls = _find_cause(exc, ssl.SSLError)
    if tls is not None:
        detail = getattr(tls, "verify_message", None) or getattr(tls, "reason", None) or type(tls).__name__
        if isinstance(tls, ssl.SSLCertVerificationError):
            return Classification(
                HealthStatus.TLS_ERROR,
                f"The TLS certificate of {host} is not trusted ({detail}). Something on this network may be "
                "intercepting the connection, or the system's certificates are out of date.",
            )
        return Classification(
            HealthStatus.TLS_ERROR,
            f"The secure (TLS) connection to {host} failed ({detail}). A proxy or filter may be interfering, "
            "or the URL points at a non-TLS port.",
        )
    if _find_cause(exc, socket.gaierror) is not None or "name or service not known" in str(exc).lower():
        return Classification(
            HealthStatus.UNREACHABLE,
            f"The name {host} could not be resolved (DNS). Check the URL and your network or DNS settings.",
        )
    if _find_cause(exc, ConnectionRefusedError) is not None or "connect call failed" in str(exc).lower():
        return Classification(
            HealthStatus.UNREACHABLE,
            f"Connection to {host} was refused: nothing is listening there. Is the server running, and the "
            "port right?",
        )
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        return Classification(
            HealthStatus.UNREACHABLE,
            f"{host} closed or reset the connection before answering. A firewall or proxy may be cutting it; "
            "try again or switch provider.",
        )
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return Classification(HealthStatus.BAD_RESPONSE, f"The URL {probe.base_url} cannot be requested: {exc}.")
    if isinstance(exc, httpx.HTTPError | OSError):
        return Classification(
            HealthStatus.UNREACHABLE,
            f"Could not reach {host}: {scrub(str(exc), probe.key) or type(exc).__name__}.",
        )
    return Classification(
        HealthStatus.BAD_RESPONSE,
        f"Unexpected error while checking ({type(exc).__name__}); see the log.",
    )


def classify_answer(
    probe: Probe,
    tier: Tier,
    fetched: FetchedResponse,
    book: SignatureBook,
) -> Classification:
    """An HTTP answer arrived: decide whether it is the protocol working, and if not, why."""
    if tier is Tier.REACH:
        return Classification(HealthStatus.OK, f"{probe.base_url} answered (HTTP {fetched.status}).")
    if 200 <= fetched.status < 300:
        return _classify_success(probe, tier, fetched)
    return _classify_error(probe, fetched, book)


def _classify_success(probe: Probe, tier: Tier, fetched: FetchedResponse) -> Classification:
    if fetched.body_truncated:
        return Classification(
            HealthStatus.BAD_RESPONSE,
            f"The answer was larger than {len(fetched.body) // (1024 * 1024)} MiB, far more than this API "
            "sends; the URL probably points at something else.",
        )
    data, problem = _json_or_problem(fetched)
    if problem:
        return Classification(HealthStatus.BAD_RESPONSE, problem)
    if tier is Tier.AUTH:
        listed = read_model_list(data)
        models = list(listed[0]) if listed is not None else None
        if models is None:
            return Classification(
                HealthStatus.BAD_RESPONSE,
                "The answer is JSON but not a model list; the base URL or protocol is probably wrong.",
            )
        missing = missing_models(probe.models, models)
        if missing:
            return Classification(
                HealthStatus.MODEL_MISSING,
                f"The key works, but the provider does not list {', '.join(missing)}. Pick models from its "
                f"list ({_sample(models)}).",
                models=tuple(models),
            )
        dropped = listed[1] if listed is not None else ()
        ignored = ""
        if dropped:  # a server listed ids no tool config may hold: say so, keep only the valid ones
            ignored = f" {dropped[0]}" + (f" ({len(dropped) - 1} more ignored.)" if len(dropped) > 1 else "")
        return Classification(HealthStatus.OK, f"Key accepted; {len(models)} models listed.{ignored}",
                              models=tuple(models))
    expected = DEEP_SUCCESS_KEY[probe.protocol]
    if not isinstance(data, dict) or expected not in data:
        return Classification(
            HealthStatus.BAD_RESPONSE,
            f"The answer is JSON but not a {probe.protocol.value} reply (no {expected!r}); the base URL or "
            "protocol is probably wrong.",
        )
    model = probe.models[0] if probe.models else "the model"
    return Classification(HealthStatus.OK, f"{model} answered a 1-token request: key, quota and region all work.")


def _classify_error(probe: Probe, fetched: FetchedResponse, book: SignatureBook) -> Classification:
    error = parse_provider_error(fetched.body)
    retry_after = parse_retry_after(fetched.headers.get("retry-after"))
    found = book.classify(
        provider=probe.provider,
        protocol=probe.protocol.value,
        http_status=fetched.status,
        error=error,
        has_retry_after=retry_after is not None,
    )
    if found is None:
        status = HealthStatus.SERVER_ERROR if fetched.status >= 500 else HealthStatus.BAD_RESPONSE
        found_reason = f"{probe.provider} answered HTTP {fetched.status}, which a health check does not expect."
        found_code = error.primary_code
    else:
        status, found_reason, found_code = found.status, found.reason, found.error_code
    reason = found_reason
    if status is HealthStatus.RATE_LIMITED and retry_after is not None:
        reason += f" Retry after {retry_after:g} s."
    if error.message:
        reason += f" The provider said: “{scrub(error.message, probe.key)}”."
    elif _looks_html(fetched):
        reason += " (The answer was an HTML page, not the API's JSON: a proxy or firewall may have answered.)"
    return Classification(status, reason, found_code and scrub(found_code, probe.key), retry_after)


def _json_or_problem(fetched: FetchedResponse) -> tuple[Any, str | None]:
    if _looks_html(fetched):
        return None, (
            "The answer is an HTML page, not the API's JSON: a captive portal, proxy or web page answered. "
            "Check the base URL, or sign in to the network."
        )
    try:
        return safejson.loads(fetched.body), None
    except ValueError:
        if not fetched.body:
            return None, "The answer was empty where JSON was expected; the base URL is probably wrong."
        return None, "The answer is not valid JSON (garbled or truncated); the base URL or a proxy is wrong."


def _looks_html(fetched: FetchedResponse) -> bool:
    content_type = fetched.headers.get("content-type", "").lower()
    head = fetched.body[:512].lstrip().lower()
    return "html" in content_type or head.startswith((b"<!doctype html", b"<html"))


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After is either delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, round(when.timestamp() - time.time(), 1))


def _find_cause(exc: BaseException, kind: type[BaseException]) -> BaseException | None:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, kind):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _sample(models: list[str], limit: int = 5) -> str:
    if not models:
        return "the list is empty"
    shown = ", ".join(models[:limit])
    return shown + (f", … {len(models) - limit} more" if len(models) > limit else "")


def classify_key_check(probe: Probe, fetched: FetchedResponse, book: SignatureBook) -> Classification | None:
    """A verdict that overrides the model list's, or None when the key check found nothing wrong."""
    if not 200 <= fetched.status < 300:
        return _classify_error(probe, fetched, book)
    try:
        data = safejson.loads(fetched.body)
    except ValueError:
        return None
    info = data.get("data") if isinstance(data, dict) else None
    remaining = info.get("limit_remaining") if isinstance(info, dict) else None
    if isinstance(remaining, int | float) and not isinstance(remaining, bool) and remaining <= 0:
        return Classification(
            HealthStatus.QUOTA_EXHAUSTED,
            f"The key works, but its credit limit on {probe.provider} is used up. Raise the key's limit or "
            "add credit.",
        )
    return None
