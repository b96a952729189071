from tests.support.fixtures import provider_server, test_certificates

__all__ = ["provider_server", "test_certificates"]
