"""Bad input of every kind gets a clear error, and the kernel keeps serving (the handshake and bad
messages, which every process answers alike, are in tests/conformance)."""
import pytest
import trio

import protocol
from seqkernel.link import KernelDied
from kernel_helpers import SLEEPER, fails, ok, raw_kernel, receive, receive_reply, run_stopped, write_module


async def next_error(kernel):
    with trio.fail_after(10):
        return (await kernel.wait_for(lambda m: m.type == "error"))[-1]


async def still_serving(kernel):
    assert (await ok(kernel, "help nodes")).output.startswith("usage: nodes")


async def test_an_oversize_message_is_refused_and_the_kernel_keeps_serving(kernel):
    # Exactly one byte over the limit: the kernel has read the whole message when it refuses it.
    overhead = len(protocol.encode(protocol.Cmd(id=1, line="")))
    line = "x" * (protocol.MAX_MESSAGE_SIZE + 1 - overhead - 4)  # str32 header is 4 bytes longer
    data = protocol.encode(protocol.Cmd(id=1, line=line), max_size=2 * protocol.MAX_MESSAGE_SIZE)
    assert len(data) == protocol.MAX_MESSAGE_SIZE + 1
    await kernel.send_raw(data)
    error = await next_error(kernel)
    assert error.error == f"message larger than the limit of {protocol.MAX_MESSAGE_SIZE} bytes"
    await still_serving(kernel)


async def test_the_message_size_limit_is_configurable():
    with trio.fail_after(10):
        process, stream = await raw_kernel(args=["--max-message-size", "1000"])
        decoder = protocol.Decoder()
        await stream.send_all(protocol.encode(protocol.Hello(version=1, client="tests")))
        await receive(stream, decoder)
        await stream.send_all(protocol.encode(protocol.Cmd(id=1, line="x" * 1200), max_size=2000))
        [error] = await receive(stream, decoder)
        assert error.error == "message larger than the limit of 1000 bytes"
        await stream.send_all(protocol.encode(protocol.Cmd(id=2, line="modules")))
        [reply] = await receive(stream, decoder)
        assert reply.ok and reply.id == 2
        await stream.aclose()
        assert await process.wait() == 0


BAD_COMMANDS = [
        ("frobnicate 3", "unknown command 'frobnicate'; 'help' lists the commands"),
        ("load 'unclosed", "cannot parse the line: No closing quotation"),
        ("load", "            MODULE [MODULE ...]\nload: error: the following arguments are required: MODULE"),
        ("pause x", "usage: pause [-h] [-find_name NAME] [-no-flag] [SN]\npause: error: argument SN: invalid int value: 'x'"),
        ("flip sideways 3", "flip: error: argument flag: invalid choice: 'sideways' (choose from 'skip', 'pause')"),
        ("wait soon", "wait: error: argument SECONDS: invalid float value: 'soon'"),
        ("answer 3 maybe", "answer: error: argument answer: invalid choice: 'maybe'"),
        ("nodes extra", "nodes: error: unrecognized arguments: extra"),
        ("resume 4", "no node with serial number 4"),
        ("run", "nothing to run: load a script or an OB first"),
        ("abort", "nothing is running"),
        ("ob /no/such/ob.json", "cannot read OB file /no/such/ob.json: No such file or directory"),
]


async def test_bad_commands_and_arguments_fail_with_the_reason(kernel):
    for line, problem in BAD_COMMANDS:
        reply = await fails(kernel, line)
        assert problem in reply.error, line
    await still_serving(kernel)


BROKEN_MODULES = {
    "syntax": ("def create_sequence(:\n    pass\n", "SyntaxError: invalid syntax"),
    "missing_dependency": ("import no_such_instrument_driver\n",
                           "cannot load missing_dependency: ModuleNotFoundError: No module named 'no_such_instrument_driver'"),
    "no_script": ("X = 1\n", "module no_script has neither a create_sequence() function nor a class Tpl"),
    "constructor_raises": ("def create_sequence(*args, **kw):\n    raise ValueError('no telescope')\n",
                           "ValueError: no telescope"),
    "exits_on_import": ("import sys\nsys.exit(4)\n", "SystemExit: 4"),
}


async def test_modules_that_cannot_load_are_refused_clearly(kernel, tmp_path):
    for name, (source, problem) in BROKEN_MODULES.items():
        write_module(tmp_path, name, source)
        reply = await fails(kernel, f"load {name}")
        assert problem in reply.error, name
    assert 'syntax.py", line 1' in (await fails(kernel, "load syntax")).error
    assert "no module named 'not.there'" in (await fails(kernel, "load not.there")).error
    assert (await ok(kernel, "load seq.samples.a")).output.startswith("loaded seq.samples.a")
    assert (await ok(kernel, "modules")).output == "seq.samples.a"


async def test_sys_exit_in_a_step_is_an_error_of_that_step(kernel, tmp_path):
    write_module(tmp_path, "quitter", """
        import sys
        from seq.lib.nodes import Sequence

        async def quit():
            sys.exit(3)

        def create_sequence(*args, **kw):
            return Sequence.create(quit, **kw)
    """)
    await ok(kernel, "load quitter")
    await ok(kernel, "run")
    with trio.fail_after(10):
        seen = await kernel.wait_for(run_stopped)
    error = next(m for m in seen if m.type == "event" and m.kind == "error")
    assert (error.name, error.exception) == ("quit", "SystemExit: 3")
    assert seen[-1].status == "error"
    await still_serving(kernel)


async def test_a_hard_exit_kills_the_kernel_and_the_parent_sees_its_status(kernel, tmp_path):
    write_module(tmp_path, "hard", """
        import os
        from seq.lib.nodes import Sequence

        async def die():
            os._exit(7)

        def create_sequence(*args, **kw):
            return Sequence.create(die, **kw)
    """)
    await ok(kernel, "load hard")
    with pytest.raises(KernelDied) as died:
        with trio.fail_after(10):
            await kernel.command("run")
            await kernel.command("wait")
    assert died.value.returncode == 7
    assert await kernel.wait_exit() == 7
    with pytest.raises(KernelDied):
        await kernel.command("nodes")


async def test_a_peer_that_hangs_up_mid_run_stops_the_kernel_cleanly(tmp_path):
    write_module(tmp_path, "chatty", """
        import asyncio
        from seq.lib.nodes import Sequence

        async def chatter():
            while True:
                print("x" * 1000)
                await asyncio.sleep(0)

        def create_sequence(*args, **kw):
            return Sequence.create(chatter, **kw)
    """)
    with trio.fail_after(20):
        process, stream = await raw_kernel(cwd=tmp_path)
        decoder = protocol.Decoder()
        await stream.send_all(protocol.encode(protocol.Hello(version=1, client="tests")))
        await receive(stream, decoder)
        await stream.send_all(protocol.encode(protocol.Cmd(id=1, line="load chatty")))
        await receive_reply(stream, decoder, 1)  # a run sent while the load is in progress is refused
        await stream.send_all(protocol.encode(protocol.Cmd(id=2, line="run")))
        received = []
        while not any(m.type == "event" and m.kind == "output" for m in received):
            received += await receive(stream, decoder)
        await stream.aclose()  # with output still unread: the kernel sees a broken connection
        assert await process.wait() == 0


async def test_waiting_commands_are_bounded(kernel, tmp_path):
    write_module(tmp_path, "sleeper", SLEEPER)
    await ok(kernel, "load sleeper")
    await ok(kernel, "run")
    replies, six_refused = [], trio.Event()

    async def wait():
        replies.append(await kernel.command("wait"))
        if len(replies) == 6:
            six_refused.set()

    with trio.fail_after(10):
        async with trio.open_nursery() as nursery:
            for _ in range(70):
                nursery.start_soon(wait)
            await six_refused.wait()  # the six over the limit are refused at once
            assert all("too many commands waiting (64)" in reply.error for reply in replies)
            await ok(kernel, "abort")
    assert sorted(reply.output for reply in replies[6:]) == ["aborted"] * 64
