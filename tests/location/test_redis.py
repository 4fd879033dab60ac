"""What only Redis does: it restarts (losing everything) and it can be unreachable."""
import time

import pytest
import trio

from registry_harness import SEQTOOL, TIMEOUT, owner
from redis_harness import _free_port
from seqlocation import REACHABLE, REGISTERED, UNREACHABLE, RegistryUnavailable, open_directory


async def next_change(watcher):
    with trio.fail_after(TIMEOUT):
        async for change in watcher:
            return change


async def test_redis_restarted_under_a_running_owner(redis_registry):
    async with owner(redis_registry, "ESW.ESW_77") as live, redis_registry.open() as directory:
        async with directory.watch() as watcher:
            assert list(watcher.entries) == ["ESW.ESW_77"]
            # Empty, and without the keyspace notifications watchers need.
            redis_registry.redis.restart(notifications="")
            assert (await next_change(watcher)).kind == UNREACHABLE
            assert (await next_change(watcher)).kind == REACHABLE
            # The owner made its entry again by itself (the watcher may have seen it gone and back).
            async with directory.watch("ESW.ESW_77") as again:
                if not again.entries:
                    assert (await next_change(again)).kind == REGISTERED
            assert (await directory.resolve("ESW.ESW_77")).instance == live.instance
            # And the watcher turned the notifications on again: it sees a new registration.
            async with owner(redis_registry, "ESW.ESW_78"):
                while (change := await next_change(watcher)).entry.name != "ESW.ESW_78":
                    pass
                assert change.kind == REGISTERED


async def test_an_unreachable_redis_is_a_clear_error_at_once():
    port = _free_port("127.0.0.1")  # nothing listens there
    started = time.monotonic()
    with trio.fail_after(TIMEOUT):
        result = await trio.run_process(
            [*SEQTOOL, "locate", "--redis", str(port)], capture_stdout=True, capture_stderr=True, check=False
        )
    assert result.returncode == 2
    assert result.stderr.decode().startswith(f"seqtool locate: redis 127.0.0.1:{port}/0 is unavailable: ")
    with pytest.raises(RegistryUnavailable, match=f"redis 127.0.0.1:{port}/0 is unavailable"):
        async with open_directory(redis=str(port)):
            pass
    assert time.monotonic() - started < TIMEOUT


async def test_a_server_that_is_not_redis_is_refused_not_waited_for():
    with trio.socket.socket() as listener:  # accepts, then never answers
        await listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        with trio.fail_after(TIMEOUT), pytest.raises(RegistryUnavailable, match=f"127.0.0.1:{port}/0"):
            async with open_directory(redis=str(port)):
                pass
