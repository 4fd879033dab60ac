"""The location service's behaviour, the same against the embedded registry and a real Redis:
owners are real processes, on two addresses of the loopback range, watched by a real
``seqtool locate --watch``."""
import json
import re
import subprocess
import time

import pytest
import trio

from registry_harness import SEQTOOL, TIMEOUT, owner, read_line, run_owner_expecting_failure
from seqlocation import EXPIRED, REFRESH_PERIOD, REGISTERED, REMOVED, TAKEN_OVER, TTL, UNREGISTERED, Entry, NotFound

#: The location service promises that a killed owner is seen gone within this.
KILL_SEEN_WITHIN = 3.0


class Locate:
    """A running ``seqtool locate --watch``: its lines, one by one."""

    def __init__(self, process):
        self.process = process

    async def line(self, timeout=TIMEOUT) -> str:
        with trio.fail_after(timeout):
            return await read_line(self.process.stdout)

    async def line_matching(self, pattern, timeout=TIMEOUT) -> str:
        with trio.fail_after(timeout):
            while not re.search(pattern, line := await read_line(self.process.stdout)):
                pass
            return line


async def start_watch(registry, *args):
    process = await trio.lowlevel.open_process(
        [*SEQTOOL, "locate", "--watch", *args], stdout=subprocess.PIPE, env=registry.env
    )
    watch = Locate(process)
    await watch.line_matching("^watching ")
    return watch


async def locate(registry, *args) -> subprocess.CompletedProcess:
    with trio.fail_after(TIMEOUT):
        return await trio.run_process(
            [*SEQTOOL, "locate", *args], capture_stdout=True, capture_stderr=True, check=False, env=registry.env
        )


async def test_owners_on_two_hosts_are_listed_and_resolved(registry):
    async with owner(registry, "ESW.ESW_77", "--host", "127.0.0.1", "--port", "8001") as first, \
            owner(registry, "IRIS.one", "--host", "127.0.0.2", "--port", "8002") as second:
        assert await second.send("sequencer IRIS@IRIS_ifsonly") == {"ok": True}
        listing = (await locate(registry)).stdout.decode().splitlines()
        assert [line.split() for line in listing] == [
            ["NAME", "KIND", "STATE", "ADDRESS"],
            ["ESW.ESW_77", "component", "idle", "127.0.0.1:8001"],
            ["IRIS.one", "component", "idle", "127.0.0.2:8002", "runs", "IRIS@IRIS_ifsonly"],
            ["IRIS@IRIS_ifsonly", "sequencer", "idle", "127.0.0.2:8002", "on", "IRIS.one"],
        ]
        found = json.loads((await locate(registry, "IRIS@*", "--json")).stdout)
        assert [(e["name"], e["host"], e["port"], e["instance"]) for e in found] == [
            ("IRIS@IRIS_ifsonly", "127.0.0.2", 8002, second.instance)
        ]
        async with registry.open() as directory:
            by_alias = await directory.resolve("IRIS.IRIS_ifsonly")
            assert (by_alias.name, by_alias.address, by_alias.component) == ("IRIS@IRIS_ifsonly", "127.0.0.2:8002", "IRIS.one")
            assert (await directory.resolve("ESW.ESW_77")).instance == first.instance
            with pytest.raises(NotFound, match=r"no component or sequencer ESW\.ESW_78 .*did you mean ESW\.ESW_77"):
                await directory.resolve("ESW.ESW_78")


async def test_a_killed_owner_is_seen_gone_within_3_seconds_and_a_clean_exit_at_once(registry):
    watch = await start_watch(registry)
    try:
        async with owner(registry, "ESW.ESW_1") as killed, owner(registry, "ESW.ESW_2") as leaving:
            await watch.line_matching(r"registered ESW\.ESW_1 ")
            await watch.line_matching(r"registered ESW\.ESW_2 ")
            killed.kill()
            assert (await watch.line(timeout=KILL_SEEN_WITHIN)).endswith(f"{REMOVED} ESW.ESW_1 ({EXPIRED})")
            assert await leaving.close() == 0
            assert (await watch.line(timeout=1)).endswith(f"{REMOVED} ESW.ESW_2 ({UNREGISTERED})")
        assert "no component or sequencer" in (await locate(registry)).stdout.decode()
    finally:
        watch.process.kill()


async def test_watch_reports_changes_of_state_and_sequencer(registry):
    async with owner(registry, "ESW.ESW_77") as component:
        watch = await start_watch(registry, "ESW")  # a pattern: only ESW names, so not the sequencer
        try:
            assert await component.send("state running") == {"ok": True}
            assert re.search(r"changed ESW\.ESW_77  component  running  127\.0\.0\.1:8000$", await watch.line())
            assert await component.send("sequencer IRIS@IRIS_ifsonly") == {"ok": True}
            assert (await watch.line()).endswith("changed ESW.ESW_77  component  running  127.0.0.1:8000  runs IRIS@IRIS_ifsonly")
            assert await component.send("unload") == {"ok": True}
            assert (await watch.line()).endswith("changed ESW.ESW_77  component  idle  127.0.0.1:8000")
        finally:
            watch.process.kill()


async def test_a_live_name_is_refused_naming_its_holder(registry):
    async with owner(registry, "ESW.ESW_77", "--port", "8001") as holder:
        refused = await run_owner_expecting_failure(registry, "ESW.ESW_77", "--port", "8002")
        assert refused.returncode == 3
        assert refused.stderr.decode().strip() == (
            f"ESW.ESW_77 is already held by a live component at 127.0.0.1:8001 (pid {holder.process.pid})"
        )
        async with owner(registry, "ESW.ESW_78") as other:
            await holder.send("sequencer IRIS@IRIS_ifsonly")
            assert await other.send("sequencer IRIS@IRIS_ifsonly") == {
                "error": "IRIS@IRIS_ifsonly is already held by a live sequencer at 127.0.0.1:8001 "
                f"(pid {holder.process.pid})"
            }
            assert await holder.send("sequencer IRIS@IRIS_other") == {
                "error": "ESW.ESW_77 already runs the sequencer IRIS@IRIS_ifsonly"
            }
        async with registry.open() as directory:
            assert (await directory.resolve("ESW.ESW_77")).port == 8001
            assert (await directory.resolve("ESW.ESW_78")).sequencer is None


async def test_the_name_of_a_dead_owner_is_taken_over_at_once(registry):
    watch = await start_watch(registry)
    try:
        async with owner(registry, "ESW.ESW_77", "--port", "8001") as dead:
            await watch.line_matching(r"registered ESW\.ESW_77 ")
            killed = time.time()
            dead.kill()
            await dead.process.wait()
            # Before the entry could expire: its owner is seen dead on this machine.
            async with owner(registry, "ESW.ESW_77", "--port", "8002") as heir:
                async with registry.open() as directory:
                    assert (await directory.resolve("ESW.ESW_77")).instance == heir.instance
                removed = await watch.line_matching(r"removed ESW\.ESW_77")
                # The dead entry lives at least TTL - REFRESH_PERIOD after the kill: an heir registered
                # sooner took it over (on a loaded machine the heir may start later, after it expired).
                if registry.kind == "redis" and heir.registered_at - killed < TTL - REFRESH_PERIOD:
                    assert removed.endswith(f"({TAKEN_OVER})")
                assert (await watch.line_matching("ESW.ESW_77")).endswith(
                    f"{REGISTERED} ESW.ESW_77  component  idle  127.0.0.1:8002"
                )
    finally:
        watch.process.kill()


async def test_claims_are_all_or_nothing_and_die_with_their_holder(registry):
    async with owner(registry, "ESW.a") as first, owner(registry, "ESW.b") as second:
        assert await first.send("claim ESW.x ESW.y") == {"claimed": ["ESW.x", "ESW.y"]}
        refused = await second.send("claim ESW.z ESW.y")
        assert refused == {"claimed": "ESW.y is claimed by the tests (pid %d on %s)" % (
            first.process.pid, refused["claimed"].rsplit(" on ", 1)[1][:-1])}
        async with registry.open() as directory:
            assert [claim.name for claim in await directory.claims()] == ["ESW.x", "ESW.y"]  # not ESW.z
            first.kill()
            await first.process.wait()
            async with directory.claiming(["ESW.y"], "the manager"):  # a dead holder's claim is taken over
                assert (await second.send("claim ESW.y"))["claimed"].startswith("ESW.y is claimed by the manager")
            assert await directory.claims() == []


async def test_two_processes_claiming_at_once_never_both_win(registry):
    async with owner(registry, "ESW.a") as first, owner(registry, "ESW.b") as second:
        answers = {}

        async def claim(who, process):
            answers[who] = await process.send("claim ESW.ESW_77")

        async with trio.open_nursery() as nursery:
            nursery.start_soon(claim, "first", first)
            nursery.start_soon(claim, "second", second)
        won = [who for who, answer in answers.items() if answer["claimed"] == ["ESW.ESW_77"]]
        assert len(won) == 1, answers


async def test_the_data_kept_for_a_server(registry):
    async with registry.open() as directory:
        assert await directory.data.read_list("worklog/ESW.ESW_77") == []
        for line in ["load seq.samples.a", "setvar 0 0 par_b 'two words'"]:
            await directory.data.append("worklog/ESW.ESW_77", line)
        await directory.data.set("flags/ESW.ESW_77", '{"3": "PAUSE"}')
    async with registry.open() as directory:  # another connection sees it
        assert await directory.data.read_list("worklog/ESW.ESW_77") == [
            "load seq.samples.a", "setvar 0 0 par_b 'two words'"
        ]
        assert await directory.data.get("flags/ESW.ESW_77") == '{"3": "PAUSE"}'
        await directory.data.delete("worklog/ESW.ESW_77")
        assert await directory.data.read_list("worklog/ESW.ESW_77") == []
        assert await directory.data.get("nothing") is None


async def test_a_registration_that_vanished_is_made_again_by_its_live_owner(registry):
    async with owner(registry, "ESW.ESW_77") as live:
        async with registry.open() as directory:
            await directory.store.remove("entry/ESW.ESW_77", live.instance)  # as a flush would
            with pytest.raises(NotFound):
                await directory.resolve("ESW.ESW_77")
            async with directory.watch("ESW.ESW_77") as watcher:
                async for change in watcher:
                    assert (change.kind, change.entry.instance) == (REGISTERED, live.instance)
                    break


async def test_watch_api_sees_the_entries_there_and_registrations(registry):
    async with owner(registry, "ESW.ESW_1"), registry.open() as directory:
        async with directory.watch() as watcher:
            assert list(watcher.entries) == ["ESW.ESW_1"]
            async with directory.registered(Entry("ESW.ESW_2", port=9)):
                with trio.fail_after(TIMEOUT):
                    async for change in watcher:
                        assert (change.kind, change.entry.name, change.entry.port) == (REGISTERED, "ESW.ESW_2", 9)
                        break


async def test_what_a_block_raises_comes_out_as_raised(registry):
    with pytest.raises(NotFound, match="ESW.missing"):
        async with registry.open() as directory, directory.registered(Entry("ESW.r")), directory.watch():
            async with directory.claiming(["ESW.x"], "one"):
                await directory.resolve("ESW.missing")
    async with registry.open() as directory:
        assert await directory.entries() == [] and await directory.claims() == []  # released on the way out
