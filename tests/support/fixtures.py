"""Shared pytest fixtures for anything that talks to a model provider: scriptable servers, a test CA.

Register once from tests/conftest.py with `pytest_plugins = ["tests.support.fixtures"]`.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator

import pytest

from tests.support.provider_server import ProviderServer, TestCertificates, make_test_certificates


@pytest.fixture
def provider_server() -> Iterator[Callable[..., ProviderServer]]:
    """A factory: `provider_server()` (http) or `provider_server(tls=ctx)`; all are closed after the test."""
    started: list[ProviderServer] = []

    def start(tls: ssl.SSLContext | None = None) -> ProviderServer:
        server = ProviderServer(tls=tls).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()


@pytest.fixture(scope="session")
def test_certificates(tmp_path_factory: pytest.TempPathFactory) -> TestCertificates:
    return make_test_certificates(tmp_path_factory.mktemp("tls"))
