"""Local discovery against fake Ollama / LM Studio / llama.cpp / vLLM / LiteLLM servers on ephemeral ports."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable

from switchover.core.health.discovery import GENERIC_KIND, default_ports, discover_local_sync
from switchover.core.health.probes import Probe
from switchover.core.health.results import HealthStatus, Tier
from switchover.core.health.runner import check_one
from switchover.core.providers import AuthStyle, Protocol
from tests.health.helpers import fast_options
from tests.support.provider_server import ProviderServer, Reply

Server = Callable[..., ProviderServer]
OPENAI_LIST = Reply.json({"object": "list", "data": [{"id": "served-model", "object": "model"}]})


def _fake(server: ProviderServer, kind: str) -> ProviderServer:
    if kind == "ollama":
        server.on("GET", "/api/version", Reply.json({"version": "0.12.6"}))
        server.on("GET", "/api/tags", Reply.json({"models": [{"name": "qwen3-coder:latest", "model": "qwen3-coder"}]}))
        server.on("GET", "/v1/models", OPENAI_LIST)
    elif kind == "lmstudio":
        server.on("GET", "/api/v0/models", Reply.json({"object": "list", "data": [
            {"id": "qwen2.5-coder-7b", "type": "llm", "state": "loaded"},
            {"id": "nomic-embed", "type": "embeddings", "state": "not-loaded"}]}))
        server.on("GET", "/v1/models", OPENAI_LIST)
    elif kind == "llamacpp":
        server.on("GET", "/props", Reply.json({"default_generation_settings": {"n_ctx": 4096}, "total_slots": 1,
                                               "build_info": "b8681"}))
        server.on("GET", "/health", Reply.json({"status": "ok"}))
        server.on("GET", "/v1/models", OPENAI_LIST)
    elif kind == "vllm":
        server.on("GET", "/version", Reply.json({"version": "0.11.0"}))
        server.on("GET", "/v1/models", OPENAI_LIST)
    elif kind == "litellm":
        server.on("GET", "/health/liveliness", Reply.json("I'm alive!"))
        server.on("GET", "/v1/models", OPENAI_LIST)
    elif kind == GENERIC_KIND:
        server.on("GET", "/v1/models", OPENAI_LIST)
    return server


def test_default_ports_come_from_the_catalog() -> None:
    assert default_ports() == {11434: "ollama", 1234: "lmstudio", 8080: "llamacpp", 8000: "vllm", 4000: "litellm"}


def test_identifies_each_server_kind_and_lists_models(provider_server: Server) -> None:
    kinds = ["ollama", "lmstudio", "llamacpp", "vllm", "litellm", GENERIC_KIND]
    servers = {kind: _fake(provider_server(), kind) for kind in kinds}
    not_llm = provider_server()  # answers 404 to everything: a web app, not a model server
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = int(sock.getsockname()[1])
    ports = [s.port for s in servers.values()] + [not_llm.port, closed]

    found = {s.kind: s for s in discover_local_sync(ports=ports)}

    assert set(found) == set(kinds)
    assert found["ollama"].models == ("qwen3-coder:latest",) and found["ollama"].version == "0.12.6"
    assert found["lmstudio"].models == ("qwen2.5-coder-7b",)  # embeddings models are not offered
    assert found["llamacpp"].version == "b8681" and found["llamacpp"].models == ("served-model",)
    assert found["vllm"].version == "0.11.0"
    assert found["litellm"].models == ("served-model",)
    for kind, server in servers.items():
        assert found[kind].port == server.port


def test_discovered_servers_become_keyless_providers_that_check_ok(provider_server: Server) -> None:
    ollama = _fake(provider_server(), "ollama")
    vllm = _fake(provider_server(), "vllm")
    generic = _fake(provider_server(), GENERIC_KIND)
    found = {s.kind: s for s in discover_local_sync(ports=[ollama.port, vllm.port, generic.port])}

    provider = found["ollama"].to_provider()
    assert provider.name == f"ollama-{ollama.port}" and provider.preset == "ollama"
    assert provider.credential.kind == "none" and provider.is_local
    assert provider.models == ("qwen3-coder:latest",)
    assert {e.protocol for e in provider.endpoints} == {Protocol.OPENAI_CHAT, Protocol.ANTHROPIC, Protocol.OLLAMA}
    assert all(f"127.0.0.1:{ollama.port}" in e.base_url for e in provider.endpoints)
    assert provider.models_url == f"http://127.0.0.1:{ollama.port}/api/tags"
    result = asyncio.run(check_one(Probe.from_provider(provider, None), Tier.AUTH, fast_options()))
    assert result.status is HealthStatus.OK, result.reason

    vllm_provider = found["vllm"].to_provider(name="gpu-box")
    target = Probe.from_provider(vllm_provider, None)
    assert vllm_provider.name == "gpu-box" and target.auth is AuthStyle.NONE  # keyless: nothing to send
    assert asyncio.run(check_one(target, Tier.AUTH, fast_options())).status is HealthStatus.OK

    custom = found[GENERIC_KIND].to_provider()
    assert custom.preset is None and custom.endpoints[0].base_url == f"http://127.0.0.1:{generic.port}/v1"
    assert custom.credential.kind == "none"


def test_extra_ports_and_nothing_found(provider_server: Server) -> None:
    server = _fake(provider_server(), "vllm")
    assert [s.kind for s in discover_local_sync(ports=[], extra_ports=[server.port])] == ["vllm"]
    assert discover_local_sync(ports=[], extra_ports=[]) == []
