"""Find model servers running on this machine (Ollama, LM Studio, llama.cpp, vLLM, LiteLLM) and their models.

Each well-known port is first tested with a plain TCP connect; only open ports get a few GETs, and the answers
identify the server by its own endpoints (Ollama `/api/version`, LM Studio `/api/v0/models`, llama.cpp
`/props`, vLLM `/version`, LiteLLM `/health/liveliness`). Host and ports are parameters so tests can point
discovery at ephemeral ports.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from switchover.core import safejson, validation
from switchover.core.catalog import Catalog, default_catalog
from switchover.core.health.http import HttpLimits, fetch, make_client
from switchover.core.health.probes import read_model_list
from switchover.core.providers import AuthStyle, Credential, Endpoint, Protocol, Provider

GENERIC_KIND = "openai-compatible"
_IDENTITY_PATHS = ("/api/v0/models", "/props", "/health/liveliness", "/api/version", "/version", "/v1/models",
                   "/api/tags")
DISCOVERY_LIMITS = HttpLimits(connect_timeout_s=1.0, read_timeout_s=2.0, total_timeout_s=3.0,
                              max_body_bytes=1024 * 1024, max_redirects=0)


@dataclass(frozen=True)
class LocalServer:
    kind: str  # a catalog preset id (ollama, lmstudio, llamacpp, vllm, litellm) or "openai-compatible"
    label: str
    host: str
    port: int
    version: str | None
    models: tuple[str, ...]  # valid model ids only (`switchover.core.validation`)
    notes: tuple[str, ...] = ()  # model ids the server listed that were dropped, and why

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def to_provider(self, name: str | None = None, catalog: Catalog | None = None) -> Provider:
        """A keyless provider for this server, from its catalog preset with the discovered port and models."""
        preset = (catalog or default_catalog()).find(self.kind)
        if preset is None:
            return Provider(
                name=name or f"local-{self.port}",
                endpoints=(Endpoint.make(Protocol.OPENAI_CHAT, self.base_url + "/v1", AuthStyle.NONE),),
                models=self.models,
                credential=Credential.none(),
                label=self.label,
            )
        provider = preset.to_provider(
            name or (self.kind if self.port == preset.default_port else f"{self.kind}-{self.port}"),
            models=self.models,
            credential=Credential.none(),
        )
        endpoints = tuple(replace(e, base_url=self._moved(e.base_url)) for e in provider.endpoints)
        models_url = self._moved(provider.models_url) if provider.models_url else None
        return replace(provider, endpoints=endpoints, models_url=models_url)

    def _moved(self, url: str) -> str:
        parts = urlsplit(url)
        return urlunsplit((parts.scheme, f"{self.host}:{self.port}", parts.path, parts.query, parts.fragment))

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "label": self.label, "url": self.base_url, "port": self.port,
                "version": self.version, "models": list(self.models), "notes": list(self.notes)}


def default_ports(catalog: Catalog | None = None) -> dict[int, str]:
    """Well-known port -> preset id, from the catalog's local presets."""
    return {p.default_port: p.id for p in (catalog or default_catalog()) if p.local and p.default_port}


async def discover_local(
    host: str = "127.0.0.1",
    ports: Iterable[int] | None = None,
    extra_ports: Iterable[int] = (),
    catalog: Catalog | None = None,
) -> list[LocalServer]:
    """Servers found on `host` (default ports from the catalog, plus `extra_ports`), in port order."""
    catalog = catalog or default_catalog()
    wanted = sorted({*(ports if ports is not None else default_ports(catalog)), *extra_ports})
    async with make_client(max_connections=32, trust_env=False) as client:
        found = await asyncio.gather(*(_identify(client, host, port, catalog) for port in wanted))
    return [server for server in found if server is not None]


def discover_local_sync(
    host: str = "127.0.0.1",
    ports: Iterable[int] | None = None,
    extra_ports: Iterable[int] = (),
    catalog: Catalog | None = None,
) -> list[LocalServer]:
    return asyncio.run(discover_local(host, ports, extra_ports, catalog))


async def _port_open(host: str, port: int, timeout_s: float = 0.5) -> bool:
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout_s)
    except (OSError, TimeoutError):
        return False
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return True


async def _get_json(client: httpx.AsyncClient, url: str) -> tuple[int, Any, bytes] | None:
    try:
        fetched = await fetch(client, "GET", url, limits=DISCOVERY_LIMITS, follow_redirects=False)
    except Exception:  # anything odd just means "not this kind of server"
        return None
    try:
        data = safejson.loads(fetched.body) if fetched.body else None
    except ValueError:
        data = None
    return fetched.status, data, fetched.body


async def _identify(client: httpx.AsyncClient, host: str, port: int, catalog: Catalog) -> LocalServer | None:
    if not await _port_open(host, port):
        return None
    base = f"http://{host}:{port}"
    answers = dict(zip(_IDENTITY_PATHS, await asyncio.gather(*(_get_json(client, base + p) for p in _IDENTITY_PATHS)),
                       strict=True))

    def ok(path: str) -> Any:
        answer = answers[path]
        return answer[1] if answer is not None and answer[0] == 200 else None

    def version_of(path: str) -> str | None:
        data = ok(path)
        return str(data["version"]) if isinstance(data, dict) and isinstance(data.get("version"), str) else None

    openai_list = read_model_list(ok("/v1/models"))
    openai_models, notes = openai_list or ((), ())
    kind: str | None = None
    version: str | None = None
    models: tuple[str, ...] = openai_models
    lmstudio = ok("/api/v0/models")
    props = ok("/props")
    alive = answers["/health/liveliness"]
    if isinstance(lmstudio, dict) and isinstance(lmstudio.get("data"), list):
        kind = "lmstudio"
        models, notes = validation.split_model_ids(
            m["id"] for m in lmstudio["data"] if isinstance(m, dict) and "id" in m and m.get("type") != "embeddings")
    elif isinstance(props, dict) and ({"default_generation_settings", "total_slots", "build_info"} & props.keys()):
        kind = "llamacpp"
        version = str(props["build_info"]) if props.get("build_info") else None
    elif alive is not None and alive[0] == 200 and b"alive" in alive[2].lower():
        kind = "litellm"
    elif version_of("/api/version"):
        kind, version = "ollama", version_of("/api/version")
        tags = read_model_list(ok("/api/tags"))
        if tags is not None and tags[0]:
            models, notes = tags
    elif version_of("/version"):
        kind, version = "vllm", version_of("/version")
    elif openai_list is not None:
        kind = GENERIC_KIND
    if kind is None:
        return None
    preset = catalog.find(kind)
    label = preset.label if preset else "OpenAI-compatible server (local)"
    return LocalServer(kind, label, host, port, _short(version), models, notes)


def _short(version: str | None) -> str | None:
    """A server's version string, bounded and on one line (it is shown to the user)."""
    if version is None:
        return None
    return " ".join(version.split())[:60] or None
