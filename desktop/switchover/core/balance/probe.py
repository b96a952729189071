"""Ask providers for their balance: the health checks' bounded, redirect-safe HTTP, classified per API.

Every request has the health checks' timeouts and body cap, never follows a redirect to another host (or
from https to http) with the key, and turns every failure into a result rather than an exception.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import httpx

from switchover.core.balance import parse
from switchover.core.balance.parse import Reading, ShapeError
from switchover.core.balance.results import BalanceResult, BalanceStatus
from switchover.core.balance.spec import BalanceApi, BalanceTarget
from switchover.core.health.classify import classify_answer, classify_exception
from switchover.core.health.http import FetchedResponse, HttpLimits, fetch, make_client
from switchover.core.health.probes import Probe
from switchover.core.health.results import Tier
from switchover.core.health.runner import CheckOptions, public_url
from switchover.core.health.scrub import scrub
from switchover.core.health.signatures import default_signatures
from switchover.core.providers import AuthStyle, Protocol

log = logging.getLogger(__name__)

# Balance answers are a few hundred bytes; anything near this is not a balance API.
BALANCE_BODY_CAP = 256 * 1024
_LABEL = {
    BalanceApi.DEEPSEEK: "DeepSeek",
    BalanceApi.MOONSHOT: "Moonshot",
    BalanceApi.OPENROUTER: "OpenRouter",
    BalanceApi.SILICONFLOW: "SiliconFlow",
}


@dataclass(frozen=True)
class BalanceRequest:
    """One provider to ask. The key is kept out of repr and never copied into results."""

    target: BalanceTarget
    key: str | None = field(default=None, repr=False, compare=False)


def balance_options(options: CheckOptions | None = None) -> CheckOptions:
    """The health check options with the body cap a balance answer needs."""
    options = options or CheckOptions()
    limits = options.limits
    capped = HttpLimits(limits.connect_timeout_s, limits.read_timeout_s, limits.total_timeout_s,
                        min(limits.max_body_bytes, BALANCE_BODY_CAP), limits.max_redirects)
    return CheckOptions(limits=capped, slow_ms=options.slow_ms, max_parallel=options.max_parallel,
                        ssl_context=options.ssl_context, trust_env=options.trust_env, signatures=options.signatures)


def _check_target(target: BalanceTarget, key: str | None) -> Probe:
    """The health-check view of this request, so failures are classified by the same rules and words."""
    return Probe(provider=target.provider, protocol=Protocol.OPENAI_CHAT, base_url=target.url,
                       auth=AuthStyle.BEARER, key=key)


def _headers(key: str) -> dict[str, str]:
    return {"Accept": "application/json", "Authorization": f"Bearer {key}"}


async def check_balance(
    request: BalanceRequest, options: CheckOptions | None = None, client: httpx.AsyncClient | None = None
) -> BalanceResult:
    """Ask one provider; never raises for a failing provider (the failure is the result)."""
    options = balance_options(options)
    if client is None:
        async with make_client(options.ssl_context, 4, options.trust_env) as own:
            return await check_balance(request, options, own)
    target, key = request.target, request.key
    started = time.time()

    def result(status: BalanceStatus, reason: str, reading: Reading | None = None, http_status: int | None = None,
               latency_ms: float | None = None) -> BalanceResult:
        return BalanceResult(
            provider=target.provider, status=status, reason=scrub(reason, key, max_chars=None),
            amount=reading.amount if reading else None,
            currency=(reading.currency if reading and reading.currency else target.currency),
            parts=reading.parts if reading else (), api=target.api.value, url=public_url(target.url),
            http_status=http_status, latency_ms=latency_ms, checked_at=started,
        )

    if not key:
        return result(BalanceStatus.AUTH_FAILED,
                      f"No key is available for {target.provider}, so its balance cannot be asked; store one with "
                      f"`switchover provider key {target.provider} --key-stdin`.")
    check = _check_target(target, key)
    try:
        fetched = await fetch(client, "GET", target.url, limits=options.limits, headers=_headers(key))
        failed = _failure(check, fetched, options)
        if failed is not None:
            return result(failed[0], failed[1], http_status=fetched.status, latency_ms=fetched.elapsed_ms)
        latency = fetched.elapsed_ms
        if target.api is BalanceApi.OPENROUTER:
            reading, extra_ms = await _openrouter(client, target, key, fetched, options)
            latency += extra_ms
        else:
            reading = _read(target, fetched)
    except asyncio.CancelledError:
        raise
    except ShapeError as exc:
        return result(BalanceStatus.BAD_RESPONSE,
                      f"The {_LABEL[target.api]} balance answer is not in its documented shape ({exc}); the URL may "
                      "point at something else, or the API changed.")
    except Exception as exc:  # every network failure becomes a classified result
        log.debug("balance of %s failed: %s", target.provider, scrub(repr(exc), key))
        verdict = classify_exception(exc, check, options.limits.total_timeout_s)
        return result(BalanceStatus.from_health(verdict.status), verdict.reason)
    status = reading.status
    return result(status, reading.reason, reading, fetched.status, latency)


def _failure(check: Probe, fetched: FetchedResponse, options: CheckOptions) -> tuple[BalanceStatus, str] | None:
    """A non-2xx answer, a truncated or HTML body, classified; None when the body is worth parsing."""
    host = httpx.URL(check.base_url).host
    if 200 <= fetched.status < 300:
        if fetched.body_truncated:
            return BalanceStatus.BAD_RESPONSE, (
                f"The balance answer from {host} was larger than {len(fetched.body) // 1024} KiB, far more than a "
                "balance API sends; the URL probably points at something else.")
        content_type = fetched.headers.get("content-type", "").lower()
        if "html" in content_type or fetched.body[:256].lstrip().lower().startswith((b"<!doctype html", b"<html")):
            return BalanceStatus.BAD_RESPONSE, (
                "The balance answer is an HTML page, not the API's JSON: a captive portal, proxy or web page "
                "answered.")
        return None
    if fetched.status in (404, 405):
        return BalanceStatus.UNAVAILABLE, (
            f"{host} does not serve this balance API (HTTP {fetched.status}); check the provider's URL, or turn "
            f"the probe off under [balance.providers.{check.provider}].")
    verdict = classify_answer(check, Tier.AUTH, fetched, options.signatures or default_signatures())
    return BalanceStatus.from_health(verdict.status), verdict.reason


def _read(target: BalanceTarget, fetched: FetchedResponse) -> Reading:
    data = parse.load(fetched.body)
    if target.api is BalanceApi.DEEPSEEK:
        reading = parse.deepseek(data)
        return reading if reading.currency else Reading(reading.status, reading.reason, reading.amount,
                                                        target.currency, reading.parts)
    if target.api is BalanceApi.MOONSHOT:
        return parse.moonshot(data, target.currency)
    if target.api is BalanceApi.SILICONFLOW:
        return parse.siliconflow(data, target.currency)
    raise ShapeError(f"no reader for {target.api}")  # pragma: no cover - OpenRouter is read separately


async def _openrouter(
    client: httpx.AsyncClient, target: BalanceTarget, key: str, fetched: FetchedResponse, options: CheckOptions
) -> tuple[Reading, float]:
    """The key's limit (always readable), then the account's credits (a management key is needed for those:
    an ordinary key gets 401/403 there, which says nothing about the key's health)."""
    key_info = parse.openrouter_key(parse.load(fetched.body))
    credits: float | None = None
    note = ""
    extra_ms = 0.0
    if target.credits_url:
        try:
            answer = await fetch(client, "GET", target.credits_url, limits=options.limits, headers=_headers(key))
            extra_ms = answer.elapsed_ms
            if 200 <= answer.status < 300 and not answer.body_truncated:
                credits = parse.openrouter_credits(parse.load(answer.body))
            elif answer.status in (401, 403):
                note = "the account's credits need a management key"
            else:
                note = f"the account's credits could not be read (HTTP {answer.status})"
        except asyncio.CancelledError:
            raise
        except ShapeError as exc:
            note = f"the account's credits answer was not in its documented shape ({exc})"
        except Exception as exc:
            note = "the account's credits could not be read (" + scrub(type(exc).__name__, key) + ")"
    return parse.openrouter(key_info, credits, note, target.currency), extra_ms


async def check_balances(
    requests: Iterable[BalanceRequest], options: CheckOptions | None = None
) -> list[BalanceResult]:
    """Ask every provider concurrently; results in input order."""
    request_list = list(requests)
    if not request_list:
        return []
    options = balance_options(options)
    gate = asyncio.Semaphore(max(1, options.max_parallel))
    async with make_client(options.ssl_context, options.max_parallel, options.trust_env) as client:

        async def gated(request: BalanceRequest) -> BalanceResult:
            async with gate:
                return await check_balance(request, options, client)

        return list(await asyncio.gather(*(gated(r) for r in request_list)))


def check_balances_sync(requests: Sequence[BalanceRequest], options: CheckOptions | None = None) -> list[BalanceResult]:
    """For a worker thread with no running loop (the monitor, the Qt thread pool, the CLI)."""
    return asyncio.run(check_balances(list(requests), options))
