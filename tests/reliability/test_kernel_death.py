"""A kernel that dies in a step is reported to every client with the step it was running and how it ended;
one that dies while its run is paused between steps ends that run for every client too."""
import os
import re
import signal
import textwrap

import pytest

from server_harness import chain_pids, is_notice, next_event

CRASHING = """
    import os
    import signal

    from seq.lib.nodes import Sequence

    async def prepare():
        pass

    async def crash():
        {how}

    def create_sequence(*args, **kw):
        return Sequence.create(prepare, crash, name="crashing", **kw)
"""


@pytest.mark.parametrize("how, ending", [
    ("os._exit(3)", "exit status 3"),
    ("os.kill(os.getpid(), signal.SIGSEGV)", "killed by SIGSEGV"),
    ("os.kill(os.getpid(), signal.SIGKILL)", "killed by SIGKILL"),
])
async def test_a_kernel_that_dies_in_a_step_is_reported_with_the_step_and_how_it_ended(server, tmp_path, how,
                                                                                        ending):
    (tmp_path / "crashing.py").write_text(textwrap.dedent(CRASHING.format(how=how)))
    async with server.connect("operator") as operator, server.connect("watcher") as watcher:
        assert (await operator.command(f"load {tmp_path / 'crashing.py'}")).ok
        [crash_sn] = re.findall(r"\((\d+)\) crash ", (await operator.command("nodes")).output)
        assert (await operator.command("run")).ok
        for conn in (operator, watcher):
            events = conn.events()
            failed = await next_event(events, lambda e: e.get("kind") == "error")
            assert (failed["sn"], failed["name"]) == (int(crash_sn), "crash")
            assert failed["exception"] == f"KernelDied: {ending}"
            assert (await next_event(events, lambda e: e.get("kind") == "run"))["status"] == "error"
            died = await next_event(events, is_notice("the kernel died"))
            assert died["level"] == "ERROR"
            assert died["message"] == (f"the kernel died ({ending}) while running step 'crash' (sn {crash_sn}); "
                                       "the shell ends with it")
            await next_event(events, is_notice("restored 1 loading command(s)"))


async def test_a_kernel_that_dies_while_its_run_is_paused_between_steps_ends_the_run(server, tmp_path):
    (tmp_path / "crashing.py").write_text(textwrap.dedent(CRASHING.format(how="pass")))
    async with server.connect("operator") as operator, server.connect("watcher") as watcher:
        assert (await operator.command(f"load {tmp_path / 'crashing.py'}")).ok
        [second_sn] = re.findall(r"\((\d+)\) crash ", (await operator.command("nodes")).output)
        assert (await operator.command(f"pause {second_sn}")).ok
        assert (await operator.command("run")).ok
        for conn in (operator, watcher):
            await next_event(conn.events(), lambda e: e.get("kind") == "run" and e["status"] == "paused")
        os.kill(chain_pids(server)[1], signal.SIGKILL)
        for conn in (operator, watcher):
            events = conn.events()
            assert (await next_event(events, lambda e: e.get("kind") == "run"))["status"] == "error"
            died = await next_event(events, is_notice("the kernel died"))
            assert died["message"] == "the kernel died (killed by SIGKILL); the shell ends with it"
