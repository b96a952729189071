"""The gateway's HTTP server (aiohttp): checks, route resolution, request-level failover and the relay.

One request, in order: refuse foreign Host / browser origins; find the route (`/<tool-id>/...`); require
the local gateway token; read the body (bounded in size and time); plan the upstreams (routing.py, ordered by
the breakers); try each until one answers. A failure before the first byte reaches the tool (connect error,
no answer in time, region block, bad key, quota, 429, 5xx, overloaded, an error event opening a stream)
moves on to the next upstream; once bytes were relayed there is no retry, and a broken stream ends with an
error event the tool understands. Every outcome feeds the breakers, the health evidence and the request log.

No hand-written HTTP: aiohttp parses requests (bounded line, header and connection counts) and talks to
upstreams. Bodies are relayed chunk by chunk as they arrive, never buffered whole.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

from switchover import __version__
from switchover.core import safejson
from switchover.core.health.probes import auth_headers
from switchover.core.health.results import HealthResult, HealthStatus, Tier
from switchover.core.health.scrub import scrub
from switchover.core.health.signatures import SignatureBook, default_signatures
from switchover.core.providers import Protocol
from switchover.gateway.breaker import Breakers, Permission
from switchover.gateway.errors import KIND_FOR_FAILURE, render, render_any, stream_error
from switchover.gateway.interfaces import (
    EvidenceSink,
    RouteSource,
    StreamTranslator,
    Translation,
    TranslationRefused,
    UsageReader,
)
from switchover.gateway.keys import KeyCache, KeyUnavailable
from switchover.gateway.outcome import REQUEST_EVIDENCE_MARK, Outcome, classify_http_error
from switchover.gateway.requestlog import Hop, RequestLog, RequestRecord
from switchover.gateway.routing import (
    CLIENT_PROTOCOL,
    MAIN_ALIAS,
    PROTOCOL_API,
    UPSTREAM_PATH,
    Attempt,
    ClientApi,
    Plan,
    RoutedPath,
    RouteTable,
    ToolRoute,
    parse_path,
    plan_attempts,
    requested_model_of,
    served_models,
    with_breakers,
)
from switchover.gateway.security import allowed_hosts, check_origin, check_token
from switchover.gateway.settings import HOST, GatewaySettings
from switchover.gateway.sse import EventBoundary, EventTooLarge, early_error
from switchover.gateway.translate.usage import Usage
from switchover.gateway.upstream import UpstreamClient, UpstreamFailure, UpstreamResponse

log = logging.getLogger(__name__)

ADMIN_PREFIX = "/_switchover/"

_FORWARD_HEADERS = ("accept", "content-type", "user-agent", "anthropic-version", "anthropic-beta", "openai-beta",
                    "x-app", "originator", "session_id")
_RELAY_HEADERS = ("content-type", "cache-control", "retry-after", "request-id", "x-request-id",
                  "openai-processing-ms")
_RELAY_PREFIXES = ("anthropic-ratelimit-", "x-ratelimit-")
_MAX_TRANSLATED_BODY = 64 * 1024 * 1024
_USAGE_TAP_CAP = 4 * 1024 * 1024
_PLAN_CACHE = 256
_WHOLE_BODY = 1024 * 1024  # a non-streamed answer up to this size is relayed in one write


class _ClientGone(Exception):
    """The tool closed its connection while we were relaying."""


@dataclass
class _Exchange:
    """What one request accumulated, for the log."""

    started: float
    wall: float
    tool: str
    api: ClientApi
    stream: bool = False
    requested_model: str | None = None
    hops: list[Hop] = field(default_factory=list)
    ttfb_ms: float | None = None
    attempt: Attempt | None = None


class Gateway:
    """The request handler and its state (breakers, keys, log). Runs on one event loop."""

    def __init__(
        self,
        *,
        settings: GatewaySettings,
        token: str,
        routes: RouteSource,
        keys: KeyCache,
        upstream: UpstreamClient,
        log_sink: RequestLog,
        evidence: EvidenceSink | None = None,
        translation: Translation | None = None,
        breakers: Breakers | None = None,
        signatures: SignatureBook | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ):
        self.settings = settings
        self._token = token
        self.routes = routes
        self.keys = keys
        self.upstream = upstream
        self.requests = log_sink
        self.evidence = evidence
        self.translation = translation
        self.breakers = breakers or Breakers()
        self.signatures = signatures or default_signatures()
        self.clock = clock
        self.wall = wall
        self.port = settings.port
        self._hosts = allowed_hosts(settings.port)
        self.started_at = wall()
        self.in_flight = 0
        self._plans: dict[tuple[str, Protocol, str | None], Plan] = {}
        self._plans_for: RouteTable | None = None

    def bind_port(self, port: int) -> None:
        """The port actually bound (port 0 picks a free one): Host headers are checked against it."""
        self.port = port
        self._hosts = allowed_hosts(port)

    # ------------------------------------------------------------ entry point

    async def handle(self, request: web.BaseRequest) -> web.StreamResponse:
        headers = request.headers
        refusal = check_origin(headers, self._hosts)
        path = request.path
        if refusal is not None:
            return self._plain_error(_guess_protocol(path), refusal.status, refusal.message)
        if path.startswith(ADMIN_PREFIX):
            return await self._admin(request)
        routed = parse_path(path)
        if routed is None:
            return self._plain_error(_guess_protocol(path), 404, "Switchover gateway: use "
                                     "http://127.0.0.1:PORT/<tool-id>/..., e.g. /claude-code/v1/messages.")
        if routed.api is ClientApi.PROBE and request.method in ("HEAD", "GET"):
            return web.json_response({"gateway": "switchover", "tool": routed.tool})
        protocol = CLIENT_PROTOCOL.get(routed.api) if routed.api else _guess_protocol(path)
        refusal = check_token(headers, self._token)
        if refusal is not None:
            return self._plain_error(protocol, refusal.status, refusal.message)
        table = self.routes.table()
        route = table.route(routed.tool)
        if route is None:
            known = ", ".join(sorted(table.routes)) or "none"
            return self._plain_error(protocol, 404, f"Switchover gateway has no route {routed.tool!r} (routes: "
                                     f"{known}).")
        if routed.api is ClientApi.MODELS and request.method == "GET":
            return self._models(request, route)
        if routed.api is None or routed.api in (ClientApi.MODELS, ClientApi.PROBE) or request.method != "POST":
            return self._plain_error(protocol, 404, f"Switchover gateway does not serve {request.method} "
                                     f"{routed.rest or '/'} (it serves /v1/messages, /v1/chat/completions, "
                                     "/v1/responses and /v1/models).")
        self.in_flight += 1
        try:
            return await self._serve(request, routed, route, table)
        finally:
            self.in_flight -= 1

    # ------------------------------------------------------------ small answers

    def _plain_error(self, protocol: Protocol | None, status: int, message: str,
                     kind: str | None = None) -> web.Response:
        code, body = render(protocol, status, message, kind)
        return web.json_response(body, status=code)

    def _models(self, request: web.BaseRequest, route: ToolRoute) -> web.Response:
        if "client_version" in request.query:  # Codex asks for its own catalogue; an empty one is valid
            return web.json_response({"models": []})
        listed = served_models(self.routes.table(), route, Protocol.OPENAI_CHAT)
        data = [
            {"id": model, "object": "model", "type": "model", "display_name": meaning, "created": 0,
             "created_at": "1970-01-01T00:00:00Z", "owned_by": "switchover"}
            for model, meaning in listed
        ]
        return web.json_response({"object": "list", "data": data, "has_more": False,
                                  "first_id": data[0]["id"] if data else None,
                                  "last_id": data[-1]["id"] if data else None})

    async def _admin(self, request: web.BaseRequest) -> web.StreamResponse:
        refusal = check_token(request.headers, self._token)
        if refusal is not None:
            return self._plain_error(None, refusal.status, refusal.message)
        if request.path == ADMIN_PREFIX + "status" and request.method == "GET":
            return web.json_response(self.status())
        return self._plain_error(None, 404, "unknown admin path")

    def status(self) -> dict[str, Any]:
        """Where it listens and what each route serves now (first upstream its breakers allow)."""
        now = self.clock()
        table = self.routes.table()
        routes = []
        for tool, route in sorted(table.routes.items()):
            client = Protocol.ANTHROPIC
            plan = plan_attempts(table, route, client, MAIN_ALIAS, lambda key: self.breakers.would_allow(key, now))
            serving = plan.attempts[0] if plan.attempts else None
            last = self.requests.last_by_tool.get(tool)
            routes.append({
                "tool": tool,
                "label": route.label,
                "choice": str(route.choice.entry) if route.choice else None,
                "serving": serving.label if serving and not serving.held_open else None,
                "upstreams": [a.label for a in plan.attempts],
                "notes": list(plan.notes),
                "last_request": None if last is None else {
                    "at": last.at, "upstream": last.upstream, "provider": last.provider, "model": last.model,
                    "status": last.status, "outcome": last.outcome,
                },
            })
        return {
            "gateway": "switchover",
            "version": __version__,
            "url": f"http://{HOST}:{self.port}",
            "started_at": self.started_at,
            "in_flight": self.in_flight,
            "routes": routes,
            "breakers": self.breakers.snapshot(now),
        }

    # ------------------------------------------------------------ one request

    async def _read_body(self, request: web.BaseRequest) -> bytes:
        limit = self.settings.max_body_bytes
        declared = request.content_length
        if declared is not None and declared > limit:
            raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=declared)
        content = request.content
        if content.is_eof():  # a small body usually came with the head: no timer, no read loop
            body = content.read_nowait()
            if len(body) > limit:  # chunked: no length was declared
                raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=len(body))
            return body
        chunks: list[bytes] = []
        size = 0
        async with asyncio.timeout(self.settings.body_timeout_s):
            async for chunk in content.iter_any():
                size += len(chunk)
                if size > limit:
                    raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=size)
                chunks.append(chunk)
        return b"".join(chunks)

    async def _serve(self, request: web.BaseRequest, routed: RoutedPath, route: ToolRoute,
                     table: RouteTable) -> web.StreamResponse:
        api = routed.api
        assert api is not None
        client = CLIENT_PROTOCOL[api]
        exchange = _Exchange(self.clock(), self.wall(), routed.tool, api)
        try:
            raw = await self._read_body(request)
        except web.HTTPRequestEntityTooLarge:
            return self._finish_error(exchange, client, 413, "The request is larger than the gateway accepts "
                                      f"({self.settings.max_body_bytes // (1024 * 1024)} MiB).", "client_error")
        except TimeoutError:
            return self._finish_error(exchange, client, 408, "The request body did not arrive in time.",
                                      "client_error")
        try:
            document = safejson.loads_object(raw)
        except ValueError as exc:
            return self._finish_error(exchange, client, 400, "The request body is not a JSON object "
                                      f"({str(exc)[:160]}).", "client_error")
        payload = document.value
        exchange.stream = payload.get("stream") is True and api is not ClientApi.COUNT_TOKENS
        exchange.requested_model = requested_model_of(payload)
        now = self.clock()
        plan = with_breakers(self._plan(table, route, client, exchange.requested_model),
                             lambda key: self.breakers.would_allow(key, now))
        if not plan.attempts:
            why = "; ".join(plan.notes) or f"no provider is chosen for {route.label} and its chain is empty"
            return self._finish_error(exchange, client, 503, f"Switchover gateway: nothing can serve this route "
                                      f"({why}). Choose one with `switchover use PROVIDER/MODEL --tool "
                                      f"{route.tool} --via-gateway`.", "refused")
        failures: list[tuple[Attempt, Outcome]] = []
        refusals: list[str] = []
        for attempt in plan.attempts:
            if attempt.translate and self.translation is None:
                refusals.append(f"{attempt.label}: needs translation from {client.value}, which this build lacks")
                continue
            result = await self._attempt(request, exchange, attempt, client, document, raw, refusals)
            if isinstance(result, web.StreamResponse):
                return result
            if result is not None:
                failures.append((attempt, result))
        return self._all_failed(exchange, client, failures, refusals)

    def _plan(self, table: RouteTable, route: ToolRoute, client: Protocol, requested: str | None) -> Plan:
        """The route's plan before breakers, cached until the route table changes (a new table object)."""
        if table is not self._plans_for:
            self._plans.clear()
            self._plans_for = table
        key = (route.tool, client, requested)
        plan = self._plans.get(key)
        if plan is None:
            if len(self._plans) >= _PLAN_CACHE:  # the model name is the client's: bound what it can fill
                self._plans.clear()
            plan = self._plans[key] = plan_attempts(table, route, client, requested)
        return plan

    async def _attempt(
        self,
        request: web.BaseRequest,
        exchange: _Exchange,
        attempt: Attempt,
        client: Protocol,
        document: safejson.JsonObject,
        raw: bytes,
        refusals: list[str],
    ) -> web.StreamResponse | Outcome | None:
        """Try one upstream: a committed response, a failure Outcome, or None (skipped, see refusals)."""
        api = exchange.api
        payload = document.value
        if api is ClientApi.COUNT_TOKENS and attempt.translate:
            return self._estimate_tokens(exchange, attempt, payload)
        try:
            url, body = self._upstream_request(attempt, client, api, document, raw, request.query_string)
        except TranslationRefused as exc:
            refusals.append(f"{attempt.label}: {exc}")
            return None
        permission = self.breakers.permit(attempt.key, self.clock())
        started = self.clock()
        try:
            key = await self.keys.key(attempt.provider)
        except KeyUnavailable as exc:
            outcome = Outcome(HealthStatus.AUTH_FAILED, str(exc), None, failover=True)
            if exc.missing:  # the provider cannot be used until a key is stored
                self._failed(exchange, attempt, outcome, started, permission)
            else:  # a locked keychain is not the provider's fault: no evidence, no breaker
                self._hop(exchange, attempt, outcome, started, evidence=False)
                if permission is Permission.PROBE:
                    self.breakers.release(attempt.key)
            return outcome
        headers = self._upstream_headers(request.headers, attempt, key, exchange.stream)
        ttfb_budget = self.settings.stream_ttfb_s if exchange.stream else self.settings.ttfb_s
        response: UpstreamResponse | None = None
        try:
            response = await self.upstream.send("POST", url, headers, body, ttfb_s=ttfb_budget)
            if response.status >= 300:
                error_body = await response.read_capped(self.settings.max_error_body_bytes, ttfb_budget)
                outcome = classify_http_error(attempt.provider.name, attempt.endpoint.protocol.value,
                                              response.status, response.headers, error_body, self.signatures, key)
                if api is ClientApi.COUNT_TOKENS and response.status in (404, 405) and self.translation:
                    return self._estimate_tokens(exchange, attempt, payload)
                self._failed(exchange, attempt, outcome, started, permission)
                if not outcome.failover:
                    return self._client_error(exchange, client, attempt, outcome, response, error_body, key)
                return outcome
            first = b""
            if exchange.stream:
                remaining = max(0.1, ttfb_budget - (self.clock() - started))
                first = await response.read_chunk(remaining)
                found = early_error(first)
                if found is not None:
                    status, body_bytes = found
                    outcome = classify_http_error(attempt.provider.name, attempt.endpoint.protocol.value, status,
                                                  response.headers, body_bytes, self.signatures, key)
                    outcome = Outcome(outcome.status, outcome.reason, outcome.http_status, outcome.error_code,
                                      outcome.retry_after_s, failover=True)
                    self._failed(exchange, attempt, outcome, started, permission)
                    return outcome
            committed = await self._commit(request, exchange, attempt, client, payload, response, first, started)
            response = None  # _commit owns and closes it
            return committed
        except UpstreamFailure as failure:
            outcome = Outcome(failure.status, failure.reason, None, failover=True)
            self._failed(exchange, attempt, outcome, started, permission)
            return outcome
        except asyncio.CancelledError:
            if permission is Permission.PROBE:
                self.breakers.release(attempt.key)
            self._log(exchange, 499, "client_closed", "The tool closed the connection.")
            raise
        finally:
            if response is not None:
                response.close()

    def _upstream_request(self, attempt: Attempt, client: Protocol, api: ClientApi, document: safejson.JsonObject,
                          raw: bytes, query: str) -> tuple[str, bytes]:
        """The upstream's URL and body. Passthrough sends the tool's bytes, with only the model replaced in
        place when the route serves another one (a long conversation is not serialised again)."""
        payload = document.value
        base = attempt.endpoint.base_url.rstrip("/")
        if attempt.translate:
            assert self.translation is not None
            translated = self.translation.request(client, payload, attempt.model)
            return base + UPSTREAM_PATH[PROTOCOL_API[attempt.endpoint.protocol]], _dumps(translated)
        url = base + UPSTREAM_PATH[api]
        if query and client is Protocol.ANTHROPIC:
            url += "?" + query  # Claude Code's ?beta=true means something to Anthropic-compatible servers
        if payload.get("model") == attempt.model:
            return url, raw
        replaced = document.replaced("model", attempt.model)
        if replaced is not None:
            with contextlib.suppress(UnicodeEncodeError):  # a lone surrogate the tool sent: escaped below
                return url, replaced.encode("utf-8")
        return url, _dumps({**payload, "model": attempt.model})

    def _upstream_headers(self, incoming: Mapping[str, str], attempt: Attempt, key: str | None,
                          stream: bool) -> dict[str, str]:
        headers = {name: incoming[name] for name in _FORWARD_HEADERS if name in incoming}
        if attempt.translate:
            headers = {k: v for k, v in headers.items() if not k.startswith(("anthropic-", "openai-"))}
        headers["content-type"] = "application/json"
        headers["accept"] = "text/event-stream" if stream else "application/json"
        headers.update(auth_headers(attempt.endpoint.auth, key, attempt.endpoint.protocol))
        if attempt.endpoint.protocol is Protocol.ANTHROPIC and "anthropic-version" in incoming:
            headers["anthropic-version"] = incoming["anthropic-version"]
        return headers

    # ------------------------------------------------------------ success: commit and relay

    async def _commit(
        self,
        request: web.BaseRequest,
        exchange: _Exchange,
        attempt: Attempt,
        client: Protocol,
        payload: dict[str, Any],
        upstream: UpstreamResponse,
        first: bytes,
        started: float,
    ) -> web.StreamResponse:
        exchange.attempt = attempt
        ttfb = (self.clock() - started) * 1000
        self.breakers.success(attempt.key, self.clock())
        self._hop_ok(exchange, attempt, ttfb)
        try:
            if attempt.translate and not exchange.stream:
                return await self._translated_json(request, exchange, attempt, client, payload, upstream)
            head: list[bytes] = []
            if not exchange.stream:
                whole = await self._read_whole(exchange, attempt, client, upstream, head)
                if whole is not None:
                    return whole
            response = web.StreamResponse(status=upstream.status, headers=self._relay_headers(upstream, attempt,
                                                                                            client))
            if attempt.translate:
                response.content_type = "text/event-stream"
            await response.prepare(request)
            try:
                if exchange.stream and attempt.translate:
                    await self._relay_translated_stream(response, exchange, attempt, client, payload, upstream,
                                                        first)
                elif exchange.stream:
                    await self._relay_stream(response, exchange, client, upstream, first)
                else:
                    await self._relay_body(response, exchange, client, upstream, head)
            except Exception as exc:  # a gateway bug must end the answer clearly, never leave the tool hanging
                log.exception("gateway: relaying %s from %s failed", exchange.api.value, attempt.label)
                reason = f"internal error ({type(exc).__name__}); see the log"
                if exchange.stream:
                    await self._broken_stream(response, exchange, client, reason, None)
                else:
                    self._success(exchange, None, outcome="broken_stream", error=reason)
                response.force_close()
            return response
        finally:
            upstream.close()

    def _relay_headers(self, upstream: UpstreamResponse, attempt: Attempt, client: Protocol) -> dict[str, str]:
        headers = {}
        for name, value in upstream.headers.items():
            lower = name.lower()
            if lower in _RELAY_HEADERS or lower.startswith(_RELAY_PREFIXES):
                headers[lower] = value
        if attempt.translate:
            headers["content-type"] = "text/event-stream" if "event-stream" in headers.get("content-type", "") \
                else "application/json"
        headers["x-switchover-upstream"] = attempt.label
        _ = client
        return headers

    async def _write(self, response: web.StreamResponse, data: bytes, exchange: _Exchange) -> None:
        if not data:
            return
        if exchange.ttfb_ms is None:
            exchange.ttfb_ms = (self.clock() - exchange.started) * 1000
        try:
            await response.write(data)
        except (ConnectionError, RuntimeError) as exc:
            raise _ClientGone from exc

    def _tap(self, protocol: Protocol, stream: bool) -> UsageReader | None:
        if self.translation is None:
            return None
        try:
            return _SafeReader(self.translation.usage_reader(protocol, stream))
        except Exception:
            log.exception("gateway: no usage reader for %s", protocol.value)
            return None

    async def _relay_stream(self, response: web.StreamResponse, exchange: _Exchange, client: Protocol,
                            upstream: UpstreamResponse, first: bytes) -> None:
        boundary = EventBoundary()
        tap = self._tap(client, True)
        idle = self.settings.stream_idle_s
        chunk = first
        try:
            while True:
                if chunk:
                    if tap is not None:
                        tap.feed_bytes(chunk)
                    await self._write(response, boundary.feed(chunk), exchange)
                else:
                    break
                chunk = await upstream.read_chunk(idle)
            await self._write(response, boundary.flush(), exchange)
            await response.write_eof()
            self._success(exchange, tap)
        except UpstreamFailure as failure:
            await self._broken_stream(response, exchange, client, failure.reason, tap)
        except EventTooLarge as exc:
            upstream.close()  # stop reading what it still sends
            await self._broken_stream(response, exchange, client, str(exc), tap)
        except _ClientGone:
            self._success(exchange, tap, outcome="client_closed")

    async def _broken_stream(self, response: web.StreamResponse, exchange: _Exchange, client: Protocol,
                             reason: str, tap: UsageReader | StreamTranslator | None,
                             ending: bytes | None = None) -> None:
        message = f"Switchover gateway: the upstream stream broke after it had begun ({reason}); not retried."
        with contextlib.suppress(_ClientGone, ConnectionError, RuntimeError):
            await self._write(response, ending if ending is not None else stream_error(client, message), exchange)
            await response.write_eof()
        self._success(exchange, tap, outcome="broken_stream", error=reason)

    async def _read_whole(self, exchange: _Exchange, attempt: Attempt, client: Protocol, upstream: UpstreamResponse,
                          head: list[bytes]) -> web.Response | None:
        """A non-streamed answer comes whole anyway: read it and answer with one write that carries its length
        (no chunked framing, no extra packets). Beyond `_WHOLE_BODY` it returns None with what it read in
        `head`, and the rest is relayed chunk by chunk."""
        size = 0
        try:
            while size <= _WHOLE_BODY:
                chunk = await upstream.read_chunk(self.settings.stream_idle_s)
                if not chunk:
                    break
                head.append(chunk)
                size += len(chunk)
            else:
                return None
        except UpstreamFailure as failure:  # nothing reached the tool yet: a clean error, not a cut connection
            return self._finish_error(exchange, client, 502, f"Switchover gateway: the answer of {attempt.label} "
                                      f"was cut off ({failure.reason}).", "broken_stream")
        body = b"".join(head)
        exchange.ttfb_ms = (self.clock() - exchange.started) * 1000
        tap = self._tap(client, False)
        if tap is not None and size < _USAGE_TAP_CAP:
            tap.feed_bytes(body)
        self._success(exchange, tap)
        return web.Response(status=upstream.status, body=body, headers=self._relay_headers(upstream, attempt, client))

    async def _relay_body(self, response: web.StreamResponse, exchange: _Exchange, client: Protocol,
                          upstream: UpstreamResponse, head: list[bytes]) -> None:
        tap = self._tap(client, False)
        tapped = 0
        pending = list(head)
        try:
            while True:
                chunk = pending.pop(0) if pending else await upstream.read_chunk(self.settings.stream_idle_s)
                if not chunk:
                    break
                if tap is not None and tapped < _USAGE_TAP_CAP:
                    tap.feed_bytes(chunk)
                    tapped += len(chunk)
                await self._write(response, chunk, exchange)
            await response.write_eof()
            self._success(exchange, tap if tapped < _USAGE_TAP_CAP else None)
        except UpstreamFailure as failure:
            # A JSON body cut short cannot be mended: end the connection so the tool sees the failure.
            self._success(exchange, None, outcome="broken_stream", error=failure.reason)
            response.force_close()
        except _ClientGone:
            self._success(exchange, None, outcome="client_closed")

    async def _translated_json(self, request: web.BaseRequest, exchange: _Exchange, attempt: Attempt,
                               client: Protocol, payload: dict[str, Any],
                               upstream: UpstreamResponse) -> web.StreamResponse:
        assert self.translation is not None
        try:
            raw = await upstream.read_capped(_MAX_TRANSLATED_BODY, self.settings.stream_idle_s)
            data = safejson.loads(raw)
            if not isinstance(data, dict):
                raise ValueError("not an object")
            answer = self.translation.response(client, data, attempt.model, payload)
        except (UpstreamFailure, ValueError, TranslationRefused) as exc:
            reason = exc.reason if isinstance(exc, UpstreamFailure) else str(exc).rstrip(".") \
                if isinstance(exc, TranslationRefused) else "its answer was not a chat completion"
            return self._finish_error(exchange, client, 502, f"Switchover gateway: {attempt.label} answered, but "
                                      f"{reason}.", "bad_response")
        tap = self.translation.usage_reader(Protocol.OPENAI_CHAT, False)
        tap.feed_bytes(raw)
        response = web.json_response(answer, headers={"x-switchover-upstream": attempt.label})
        exchange.ttfb_ms = (self.clock() - exchange.started) * 1000
        self._success(exchange, tap)
        _ = request
        return response

    async def _relay_translated_stream(self, response: web.StreamResponse, exchange: _Exchange, attempt: Attempt,
                                       client: Protocol, payload: dict[str, Any], upstream: UpstreamResponse,
                                       first: bytes) -> None:
        assert self.translation is not None
        translator = self.translation.stream(client, attempt.model, payload)
        idle = self.settings.stream_idle_s
        meter = EventBoundary()  # only to bound what the translator holds of one unfinished event
        chunk = first
        try:
            while chunk:
                meter.feed(chunk)
                await self._write(response, translator.feed(chunk), exchange)
                chunk = await upstream.read_chunk(idle)
            await self._write(response, translator.finish(), exchange)
            await response.write_eof()
            self._success(exchange, translator)
        except (UpstreamFailure, EventTooLarge) as failure:
            reason = failure.reason if isinstance(failure, UpstreamFailure) else str(failure)
            upstream.close()
            message = f"Switchover gateway: the upstream stream broke after it had begun ({reason})."
            await self._broken_stream(response, exchange, client, reason, translator,
                                      ending=translator.fail("api_error", message))
        except _ClientGone:
            self._success(exchange, translator, outcome="client_closed")

    def _estimate_tokens(self, exchange: _Exchange, attempt: Attempt, payload: dict[str, Any]) -> web.Response:
        assert self.translation is not None
        count = self.translation.count_tokens(payload)
        exchange.attempt = attempt
        exchange.ttfb_ms = (self.clock() - exchange.started) * 1000
        self._log(exchange, 200, "ok", "", Usage(input_tokens=count))
        return web.json_response({"input_tokens": count}, headers={"x-switchover-upstream": attempt.label})

    # ------------------------------------------------------------ failures

    def _failed(self, exchange: _Exchange, attempt: Attempt, outcome: Outcome, started: float,
                permission: Permission) -> None:
        now = self.clock()
        if outcome.failover:
            self.breakers.failure(attempt.key, outcome.status, now, outcome.retry_after_s)
        elif permission is Permission.PROBE:
            self.breakers.release(attempt.key)
        if outcome.status is HealthStatus.AUTH_FAILED:
            self.keys.forget(attempt.provider.name)  # the user may have stored a new key meanwhile
        self._hop(exchange, attempt, outcome, started, evidence=outcome.is_health_evidence)

    def _hop(self, exchange: _Exchange, attempt: Attempt, outcome: Outcome, started: float,
             evidence: bool) -> None:
        latency = (self.clock() - started) * 1000
        exchange.hops.append(Hop(attempt.key, attempt.model, outcome.status.value, outcome.http_status,
                                 round(latency, 2), scrub(outcome.reason, max_chars=200)))
        if evidence and self.evidence is not None:
            self.evidence.record(self._result(exchange, attempt, outcome.status, outcome.reason, latency,
                                              outcome.http_status, outcome.error_code, outcome.retry_after_s))

    def _hop_ok(self, exchange: _Exchange, attempt: Attempt, ttfb_ms: float) -> None:
        exchange.hops.append(Hop(attempt.key, attempt.model, HealthStatus.OK.value, 200, round(ttfb_ms, 2)))
        wanted = getattr(self.evidence, "wanted", None)
        if wanted is not None and not wanted(attempt.key, True, self.wall()):
            return  # a success it would drop (it keeps one per minute per upstream): do not build it
        if self.evidence is not None:
            self.evidence.record(self._result(exchange, attempt, HealthStatus.OK,
                                              f"{attempt.model} answered a request from {exchange.tool} through the "
                                              "gateway.", ttfb_ms, 200, None, None))

    def _result(self, exchange: _Exchange, attempt: Attempt, status: HealthStatus, reason: str, latency_ms: float,
                http_status: int | None, code: str | None, retry_after: float | None) -> HealthResult:
        api = PROTOCOL_API.get(attempt.endpoint.protocol, exchange.api)
        return HealthResult(
            provider=attempt.provider.name,
            protocol=attempt.endpoint.protocol.value,
            url=attempt.endpoint.base_url.rstrip("/") + UPSTREAM_PATH.get(api, ""),
            tier=Tier.DEEP,  # a real request proves key, quota and region like a deep check
            status=status,
            reason=f"Request from {exchange.tool} {REQUEST_EVIDENCE_MARK}: {reason}",
            latency_ms=round(latency_ms, 1),
            http_status=http_status,
            error_code=code,
            retry_after_s=retry_after,
            checked_at=self.wall(),
        )

    def _client_error(self, exchange: _Exchange, client: Protocol, attempt: Attempt, outcome: Outcome,
                      upstream: UpstreamResponse, body: bytes, key: str | None) -> web.Response:
        """The upstream refused the request itself (too long, malformed): no other upstream would take it, and
        the tool must see exactly why (Claude Code compacts on "prompt is too long")."""
        exchange.attempt = attempt
        status = outcome.http_status or 400
        if not attempt.translate:
            if key:
                body = body.replace(key.encode(), b"[key]")
            self._log(exchange, status, "client_error", outcome.reason)
            content_type = upstream.headers.get("content-type", "application/json").split(";")[0]
            return web.Response(status=status, body=body, content_type=content_type,
                                headers={"x-switchover-upstream": attempt.label})
        kind = {413: "request_too_large", 404: "not_found"}.get(status, "invalid_request")
        return self._finish_error(exchange, client, status, f"{attempt.provider.display_name}: {outcome.reason}",
                                  "client_error", kind)

    def _all_failed(self, exchange: _Exchange, client: Protocol, failures: list[tuple[Attempt, Outcome]],
                    refusals: list[str]) -> web.Response:
        if not failures:
            message = "Switchover gateway: no upstream of this route can take this request: " + "; ".join(refusals)
            return self._finish_error(exchange, client, 400, message, "refused")
        last = failures[-1][1]
        parts = [f"{a.label}: {o.status.value} ({o.reason})" for a, o in failures] + refusals
        message = scrub("Switchover gateway: every upstream failed. " + " | ".join(parts), max_chars=2000)
        response = self._finish_error(exchange, client, 502, message, last.status.value,
                                      KIND_FOR_FAILURE.get(last.status, "api_error"))
        if last.retry_after_s is not None:
            response.headers["retry-after"] = str(int(last.retry_after_s + 0.999))
        return response

    def _finish_error(self, exchange: _Exchange, client: Protocol, status: int, message: str,
                      outcome: str, kind: str | None = None) -> web.Response:
        response = self._plain_error(client, status, message, kind)
        self._log(exchange, response.status, outcome, message)
        return response

    # ------------------------------------------------------------ the log

    def _success(self, exchange: _Exchange, tap: UsageReader | StreamTranslator | None, outcome: str = "ok",
                 error: str = "") -> None:
        usage = None
        if tap is not None:
            try:
                usage = tap.usage
            except Exception:  # usage is a convenience: a reader's problem never fails a request
                log.exception("gateway: could not read the usage of a response")
        self._log(exchange, 200, outcome, error, usage)

    def _log(self, exchange: _Exchange, status: int, outcome: str, error: str, usage: Usage | None = None) -> None:
        attempt = exchange.attempt
        self.requests.add(RequestRecord(
            at=exchange.wall,
            tool=exchange.tool,
            api=exchange.api.value,
            stream=exchange.stream,
            requested_model=exchange.requested_model,
            status=status,
            outcome=outcome,
            latency_ms=(self.clock() - exchange.started) * 1000,
            ttfb_ms=exchange.ttfb_ms,
            upstream=attempt.key if attempt else None,
            provider=attempt.provider.name if attempt else None,
            model=attempt.model if attempt else None,
            translated=attempt.translate if attempt else False,
            hops=tuple(exchange.hops),
            usage=usage,
            error=scrub(error, max_chars=500) if error else "",
        ))


class _SafeReader:
    """Token counting is a convenience: a reader that fails is switched off, the request carries on."""

    __slots__ = ("_inner",)

    def __init__(self, inner: UsageReader):
        self._inner: UsageReader | None = inner

    def feed_bytes(self, chunk: bytes) -> None:
        if self._inner is None:
            return
        try:
            self._inner.feed_bytes(chunk)
        except Exception:
            log.exception("gateway: usage reader failed; this request's tokens go uncounted")
            self._inner = None

    @property
    def usage(self) -> Usage | None:
        return self._inner.usage if self._inner is not None else None


def _dumps(data: Any) -> bytes:
    try:
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate (e.g. half an emoji, cut off in a tool's output): escape it
        return json.dumps(data, separators=(",", ":")).encode("ascii")


def _guess_protocol(path: str) -> Protocol | None:
    return Protocol.ANTHROPIC if "/messages" in path else None


# ---------------------------------------------------------------- running it


_HTTP_ERRORS = {
    400: "The gateway could not read this HTTP request",
    413: "The request is larger than the gateway accepts",
    431: "The request's headers are larger than the gateway accepts",
    500: "The gateway failed on this request (a bug: see its log)",
    504: "The gateway ran out of time for this request",
}


class _JsonErrors(RequestHandler):
    """aiohttp answers what never reaches the gateway's handler (unreadable HTTP, headers too large, a crash
    in the handler) itself, as text; these answer in JSON any API client reads, keeping the status (a
    client's fault stays 4xx)."""

    def handle_error(self, request: web.BaseRequest, status: int = 500, exc: BaseException | None = None,
                     message: str | None = None) -> web.StreamResponse:
        plain = super().handle_error(request, status, exc, message)  # logs it, closes the connection
        text = _HTTP_ERRORS.get(status, f"The gateway refused this HTTP request ({status})")
        if 400 <= status < 500 and message:
            text += f": {scrub(str(message), max_chars=200)}"
        protocol = _guess_protocol(request.path) if request.path != "/" else None
        body = render_any(status, text + ".") if protocol is None else render(protocol, status, text + ".")[1]
        response = web.Response(status=plain.status, body=_dumps(body), content_type="application/json")
        response.force_close()
        return response


class _LimitedServer(web.Server):
    """aiohttp's low-level server, closing connections beyond `max_connections` at once; errors it answers
    itself come in JSON (`_JsonErrors`)."""

    def __init__(self, handler: Any, max_connections: int, **kwargs: Any):
        super().__init__(handler, **kwargs)
        self.max_connections = max_connections

    def __call__(self) -> RequestHandler:
        return _JsonErrors(self, loop=self._loop, **self._kwargs)

    def connection_made(self, handler: Any, transport: Any) -> None:
        super().connection_made(handler, transport)
        if len(self.connections) > self.max_connections:
            log.warning("gateway: more than %d connections; closing the newest", self.max_connections)
            handler.force_close()
            transport.close()


async def start_server(gateway: Gateway, host: str = HOST, port: int | None = None) -> web.BaseRunner:
    """Bind and start serving; returns the runner (`await runner.cleanup()` stops it)."""
    settings = gateway.settings
    server = _LimitedServer(
        gateway.handle,
        settings.max_connections,
        handler_cancellation=True,
        keepalive_timeout=settings.idle_timeout_s,
        max_line_size=settings.max_line_bytes,
        max_field_size=settings.max_line_bytes,
        max_headers=settings.max_headers,
        access_log=None,
    )
    runner = web.ServerRunner(server, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, settings.port if port is None else port, reuse_address=False)
    await site.start()
    bound = runner.addresses[0][1] if runner.addresses else settings.port
    gateway.bind_port(int(bound))
    return runner
