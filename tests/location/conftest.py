"""The location tests run against both registries: the embedded one and a real Redis."""
import pytest

from registry_harness import Registry


@pytest.fixture(params=["embedded", "redis"])
def registry(request, tmp_path):
    if request.param == "embedded":
        yield Registry("embedded", f"file:{tmp_path / 'registry'}")
    else:
        server = request.getfixturevalue("redis_server")
        yield Registry("redis", server.url, server)


@pytest.fixture
def redis_registry(redis_server):
    return Registry("redis", redis_server.url, redis_server)
