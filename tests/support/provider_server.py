"""A scriptable model-provider server on 127.0.0.1 for tests and benchmarks: real sockets, real HTTP(S).

    with ProviderServer() as server:
        server.on("GET", "/v1/models", Reply.json({"data": [{"id": "m"}]}))
        server.play("anthropic", "rate_limited")          # canned real error bodies per protocol
        base = server.base_url("openai-chat")             # http://127.0.0.1:PORT/v1
        ...
        assert server.requests[0].headers["authorization"] == "Bearer k"

Replies can be slow (delay_s), stall before headers, drip the body, send a huge body, reset the connection,
truncate the body, redirect, or answer HTML. Pass an `ssl.SSLContext` (server side) to serve HTTPS.
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import struct
import subprocess
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

PROTOCOLS = ("anthropic", "openai-chat", "openai-responses", "gemini", "ollama")


@dataclass(frozen=True)
class Reply:
    """What the server does for one route."""

    status: int = 200
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    delay_s: float = 0.0  # wait before sending headers
    stall: bool = False  # never answer (until the server closes)
    reset: bool = False  # drop the connection with a TCP RST right after reading the request
    drip_per_s: float | None = None  # send the body one byte at a time at this rate
    filler_bytes: int = 0  # stream this many filler bytes as the body (huge bodies), no Content-Length
    truncate_at: int | None = None  # announce the full length, send only this many bytes, then close

    @classmethod
    def json(
        cls, data: Any, status: int = 200, headers: dict[str, str] | None = None, delay_s: float = 0.0
    ) -> Reply:
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        return cls(status, json.dumps(data).encode(), tuple(hdrs.items()), delay_s=delay_s)

    @classmethod
    def html(cls, status: int = 200, text: str = "Sign in to the Wi-Fi network") -> Reply:
        page = f"<!DOCTYPE html><html><head><title>Portal</title></head><body>{text}</body></html>"
        return cls(status, page.encode(), (("Content-Type", "text/html; charset=utf-8"),))

    @classmethod
    def text(cls, body: str, status: int = 200, content_type: str = "application/json") -> Reply:
        return cls(status, body.encode(), (("Content-Type", content_type),))

    @classmethod
    def redirect(cls, location: str, status: int = 307) -> Reply:
        return cls(status, b"", (("Location", location),))

    @classmethod
    def stalled(cls) -> Reply:
        return cls(stall=True)

    @classmethod
    def connection_reset(cls) -> Reply:
        return cls(reset=True)

    @classmethod
    def drip(cls, per_s: float = 1.0, total: int = 10_000) -> Reply:
        return cls(200, b"{" + b" " * total, (("Content-Type", "application/json"),), drip_per_s=per_s)

    @classmethod
    def huge(cls, size: int = 100 * 1024 * 1024) -> Reply:
        return cls(200, b"", (("Content-Type", "application/json"),), filler_bytes=size)

    @classmethod
    def truncated(cls, data: Any, keep: int = 10) -> Reply:
        body = json.dumps(data).encode()
        return cls(200, body, (("Content-Type", "application/json"),), truncate_at=keep)


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str  # without the query string
    query: str
    headers: dict[str, str]  # lower-cased names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


NOT_FOUND = Reply.json({"error": {"message": "no such route", "type": "not_found"}}, status=404)


class ProviderServer:
    """A threaded HTTP(S) server whose routes are set per test; it records every request it receives."""

    def __init__(self, tls: ssl.SSLContext | None = None, host: str = "127.0.0.1"):
        self.tls = tls
        self.routes: dict[tuple[str, str], Reply] = {}
        self.default = NOT_FOUND
        self.requests: list[RecordedRequest] = []
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._httpd = _Server((host, 0), _Handler, self)
        self._thread: threading.Thread | None = None

    # ----------------------------------------------------------------- lifecycle
    def start(self) -> ProviderServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"provider-server-{self.port}", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()  # joins the request threads (stalls and drips watch `stopping`)
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> ProviderServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------- addresses
    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    def base_url(self, protocol: str) -> str:
        """The base URL a provider of `protocol` would be configured with."""
        return self.url + ("/v1" if protocol.startswith("openai") else "")

    # ----------------------------------------------------------------- scripting
    def on(self, method: str, path: str, reply: Reply) -> ProviderServer:
        with self._lock:
            self.routes[(method.upper(), path)] = reply
        return self

    def on_any(self, reply: Reply) -> ProviderServer:
        """The reply for every route not set with `on`."""
        self.default = reply
        return self

    def play(self, protocol: str, behaviour: str, models: tuple[str, ...] = ("test-model",)) -> ProviderServer:
        """Serve `behaviour` (an ok list, or a provider's real error) on the protocol's list and call paths."""
        list_path, call_path = protocol_paths(protocol, models[0])
        if behaviour == "ok":
            self.on("GET", list_path, model_list_reply(protocol, models))
            self.on("POST", call_path, call_ok_reply(protocol, models[0]))
            return self
        reply = ERROR_REPLIES[(protocol, behaviour)]
        self.on("GET", list_path, reply)
        self.on("POST", call_path, reply)
        return self

    def requests_to(self, path: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == path]

    def _lookup(self, method: str, path: str) -> Reply:
        with self._lock:
            return self.routes.get((method, path), self.default)

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close() joins them: no thread outlives a test
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], owner: ProviderServer):
        self.owner = owner
        super().__init__(address, handler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        if self.owner.tls is None:
            super().finish_request(request, client_address)
            return
        try:  # the handshake runs here, in the request thread, so a bad client never blocks accept()
            wrapped = self.owner.tls.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            super().finish_request(wrapped, client_address)
        finally:
            wrapped.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients hanging up on stalls, drips and huge bodies is the point of those replies


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_HEAD(self) -> None:
        self._serve()

    def _serve(self) -> None:
        owner = self.server.owner
        self.close_connection = True
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        owner._record(RecordedRequest(self.command, parts.path, parts.query,
                                      {k.lower(): v for k, v in self.headers.items()}, body))
        reply = owner._lookup(self.command, parts.path)
        with contextlib.suppress(OSError):
            self._play(reply, owner.stopping)

    def _play(self, reply: Reply, stopping: threading.Event) -> None:
        if reply.reset:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            return
        if reply.stall:
            stopping.wait()
            return
        if reply.delay_s and stopping.wait(reply.delay_s):
            return
        self.send_response(reply.status)
        for name, value in reply.headers:
            self.send_header(name, value)
        self.send_header("Connection", "close")
        if reply.filler_bytes or reply.drip_per_s:
            self.end_headers()
            self._stream(reply, stopping)
            return
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if self.command == "HEAD":
            return
        if reply.truncate_at is not None:
            self.wfile.write(reply.body[: reply.truncate_at])
            self.wfile.flush()
            return
        self.wfile.write(reply.body)

    def _stream(self, reply: Reply, stopping: threading.Event) -> None:
        if reply.drip_per_s:
            for byte in reply.body:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                if stopping.wait(1 / reply.drip_per_s):
                    return
            return
        chunk = b" " * 65536
        left = reply.filler_bytes
        while left > 0 and not stopping.is_set():
            self.wfile.write(chunk[: min(left, len(chunk))])
            left -= len(chunk)

    def finish(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            super().finish()


# --------------------------------------------------------------------------- protocol shapes


def protocol_paths(protocol: str, model: str) -> tuple[str, str]:
    """(model list path, 1-token call path) on the server for `protocol`."""
    return {
        "anthropic": ("/v1/models", "/v1/messages"),
        "openai-chat": ("/v1/models", "/v1/chat/completions"),
        "openai-responses": ("/v1/models", "/v1/responses"),
        "gemini": ("/v1beta/models", f"/v1beta/models/{model}:generateContent"),
        "ollama": ("/api/tags", "/api/chat"),
    }[protocol]


def model_list_reply(protocol: str, models: tuple[str, ...]) -> Reply:
    if protocol == "anthropic":
        data = [{"type": "model", "id": m, "display_name": m, "created_at": "2026-01-01T00:00:00Z"} for m in models]
        return Reply.json({"data": data, "has_more": False, "first_id": models[0], "last_id": models[-1]})
    if protocol == "gemini":
        return Reply.json({"models": [{"name": f"models/{m}", "displayName": m,
                                       "supportedGenerationMethods": ["generateContent"]} for m in models]})
    if protocol == "ollama":
        return Reply.json({"models": [{"name": f"{m}:latest", "model": f"{m}:latest", "size": 1,
                                       "details": {"format": "gguf"}} for m in models]})
    return Reply.json({"object": "list", "data": [{"id": m, "object": "model", "owned_by": "test"} for m in models]})


def call_ok_reply(protocol: str, model: str) -> Reply:
    return Reply.json({
        "anthropic": {"id": "msg_01", "type": "message", "role": "assistant", "model": model,
                      "content": [{"type": "text", "text": "P"}], "stop_reason": "max_tokens",
                      "usage": {"input_tokens": 8, "output_tokens": 1}},
        "openai-chat": {"id": "chatcmpl-1", "object": "chat.completion", "model": model,
                        "choices": [{"index": 0, "message": {"role": "assistant", "content": "P"},
                                     "finish_reason": "length"}]},
        "openai-responses": {"id": "resp_1", "object": "response", "status": "incomplete", "model": model,
                             "output": [{"type": "message", "role": "assistant",
                                         "content": [{"type": "output_text", "text": "Pong"}]}]},
        "gemini": {"candidates": [{"content": {"parts": [{"text": "P"}], "role": "model"},
                                   "finishReason": "MAX_TOKENS"}], "modelVersion": model},
        "ollama": {"model": model, "message": {"role": "assistant", "content": "P"}, "done": True},
    }[protocol])


def _anthropic(status: int, kind: str, message: str, headers: dict[str, str] | None = None) -> Reply:
    return Reply.json({"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_011"},
                      status, headers)


def _openai(status: int, code: str | None, kind: str, message: str, headers: dict[str, str] | None = None) -> Reply:
    return Reply.json({"error": {"message": message, "type": kind, "param": None, "code": code}}, status, headers)


def _gemini(status: int, grpc_status: str, message: str, reason: str | None = None) -> Reply:
    error: dict[str, Any] = {"code": status, "message": message, "status": grpc_status}
    if reason:
        error["details"] = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason,
                             "domain": "googleapis.com"}]
    return Reply.json({"error": error}, status)


def _ollama(status: int, message: str, headers: dict[str, str] | None = None) -> Reply:
    return Reply.json({"error": message}, status, headers)


_OPENAI_ERRORS: dict[str, Reply] = {
    "auth_failed": _openai(401, "invalid_api_key", "invalid_request_error",
                           "Incorrect API key provided: sk-abc***wxyz. You can find your API key at "
                           "https://platform.openai.com/account/api-keys."),
    "quota_exhausted": _openai(429, "insufficient_quota", "insufficient_quota",
                               "You exceeded your current quota, please check your plan and billing details."),
    "rate_limited": _openai(429, "rate_limit_exceeded", "requests",
                            "Rate limit reached for requests per min (RPM): Limit 3, Used 3, Requested 1. "
                            "Please try again in 20s.", {"Retry-After": "20"}),
    "overloaded": _openai(503, None, "server_error", "The engine is currently overloaded, please try again later"),
    "region_blocked": _openai(403, "unsupported_country_region_territory", "request_forbidden",
                              "Country, region, or territory not supported"),
    "forbidden": _openai(403, None, "invalid_request_error",
                         "You have insufficient permissions for this operation. Missing scopes: model.request."),
    "model_missing": _openai(404, "model_not_found", "invalid_request_error",
                             "The model `test-model` does not exist or you do not have access to it."),
    "server_error": _openai(500, None, "server_error",
                            "The server had an error while processing your request. Sorry about that!"),
}

# Real error bodies per (protocol, status) as the providers send them (see shared/reference/providers.md).
ERROR_REPLIES: dict[tuple[str, str], Reply] = {
    ("anthropic", "auth_failed"): _anthropic(401, "authentication_error", "invalid x-api-key"),
    ("anthropic", "quota_exhausted"): _anthropic(402, "billing_error",
                                                 "Your credit balance is too low to access the Anthropic API."),
    ("anthropic", "rate_limited"): _anthropic(429, "rate_limit_error",
                                              "This request would exceed your organization's rate limit of 50 "
                                              "requests per minute.", {"retry-after": "30"}),
    ("anthropic", "overloaded"): _anthropic(529, "overloaded_error", "Overloaded"),
    ("anthropic", "region_blocked"): Reply.json({"error": {"type": "forbidden", "message": "Request not allowed"}},
                                                403),
    ("anthropic", "forbidden"): _anthropic(403, "permission_error",
                                           "Your API key does not have permission to use the specified resource."),
    ("anthropic", "model_missing"): _anthropic(404, "not_found_error", "model: test-model"),
    ("anthropic", "server_error"): _anthropic(500, "api_error", "Internal server error"),
    **{("openai-chat", k): v for k, v in _OPENAI_ERRORS.items()},
    **{("openai-responses", k): v for k, v in _OPENAI_ERRORS.items()},
    ("gemini", "auth_failed"): _gemini(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.",
                                       "API_KEY_INVALID"),
    ("gemini", "quota_exhausted"): _gemini(429, "RESOURCE_EXHAUSTED",
                                           "You exceeded your current quota, please check your plan and billing "
                                           "details."),
    ("gemini", "rate_limited"): _gemini(429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."),
    ("gemini", "overloaded"): _gemini(503, "UNAVAILABLE", "The model is overloaded. Please try again later."),
    ("gemini", "region_blocked"): _gemini(400, "FAILED_PRECONDITION",
                                          "User location is not supported for the API use."),
    ("gemini", "forbidden"): _gemini(403, "PERMISSION_DENIED", "The caller does not have permission"),
    ("gemini", "model_missing"): _gemini(404, "NOT_FOUND", "models/test-model is not found for API version v1beta, "
                                         "or is not supported for generateContent."),
    ("gemini", "server_error"): _gemini(500, "INTERNAL", "An internal error has occurred."),
    ("ollama", "auth_failed"): _ollama(401, "unauthorized"),
    ("ollama", "rate_limited"): _ollama(429, "too many requests", {"Retry-After": "5"}),
    ("ollama", "overloaded"): _ollama(503, "server busy, please try again.  maximum pending requests exceeded"),
    ("ollama", "forbidden"): _ollama(403, "forbidden"),
    ("ollama", "model_missing"): _ollama(404, 'model "test-model" not found, try pulling it first'),
    ("ollama", "server_error"): _ollama(500, "llama runner process has terminated: exit status 2"),
    # Provider-specific variants on OpenAI-compatible endpoints.
    ("deepseek", "quota_exhausted"): _openai(402, "invalid_request_error", "unknown_error", "Insufficient Balance"),
    ("deepseek", "overloaded"): _openai(503, None, "server_error", "Server overloaded, please try again later."),
    ("bedrock", "region_blocked"): Reply.json({"message": "Access to Anthropic models is not allowed from "
                                                          "unsupported countries, regions, or territories."}, 400),
}


# --------------------------------------------------------------------------- TLS for tests


@dataclass(frozen=True)
class TestCertificates:
    """A throwaway CA and server certificates made with the `openssl` command (no extra Python dependency)."""

    __test__ = False  # not a pytest class

    directory: Path
    ca_file: Path
    trusted: tuple[Path, Path]  # (cert, key) signed by the test CA for 127.0.0.1 and localhost
    wrong_host: tuple[Path, Path]  # signed by the test CA, but for another host name
    self_signed: tuple[Path, Path]  # for 127.0.0.1, signed by nobody we trust

    def server_context(self, which: str = "trusted") -> ssl.SSLContext:
        cert, key = getattr(self, which)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        return context

    def client_context(self) -> ssl.SSLContext:
        """What a check passes as `ssl_context` to trust the test CA (and only it)."""
        return ssl.create_default_context(cafile=str(self.ca_file))


def make_test_certificates(directory: Path) -> TestCertificates:
    directory.mkdir(parents=True, exist_ok=True)

    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=directory)

    def key_and_csr(name: str, cn: str) -> None:
        run("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={cn}")

    def sign(name: str, san: str) -> None:
        (directory / f"{name}.ext").write_text(
            f"subjectAltName={san}\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
            "extendedKeyUsage=serverAuth\nauthorityKeyIdentifier=keyid,issuer\nsubjectKeyIdentifier=hash\n"
        )
        run("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", f"{name}.pem", "-days", "3", "-extfile", f"{name}.ext")

    run("req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", "ca.key", "-out", "ca.pem", "-days", "3", "-subj", "/CN=Switchover Test CA",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    key_and_csr("server", "127.0.0.1")
    sign("server", "IP:127.0.0.1,DNS:localhost")
    key_and_csr("wrong", "wrong.example")
    sign("wrong", "DNS:wrong.example")
    run("req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", "self.key", "-out", "self.pem", "-days", "3", "-subj", "/CN=127.0.0.1",
        "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost")
    d = directory
    return TestCertificates(d, d / "ca.pem", (d / "server.pem", d / "server.key"),
                            (d / "wrong.pem", d / "wrong.key"), (d / "self.pem", d / "self.key"))
