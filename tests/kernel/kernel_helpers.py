"""Small helpers for driving a real kernel in tests."""
import socket
import subprocess
import sys
import textwrap

import trio


def event(kind, **fields):
    """A predicate matching an event of ``kind`` whose fields equal ``fields``."""
    def match(message):
        return (
            message.type == "event"
            and message.kind == kind
            and all(getattr(message, name) == value for name, value in fields.items())
        )
    return match


def run_stopped(message):
    return message.type == "event" and message.kind == "run" and message.status != "running"


def write_module(directory, name, source):
    """Write a script module; return its path (load it by path)."""
    path = directory / f"{name}.py"
    path.write_text(textwrap.dedent(source))
    return str(path)


async def ok(kernel, line, timeout=10):
    """Run a command that must succeed; return its reply."""
    with trio.fail_after(timeout):
        reply = await kernel.command(line)
    assert reply.ok, f"{line!r} failed: {reply.error}\n{reply.output}"
    return reply


async def fails(kernel, line, timeout=10):
    """Run a command that must fail; return its reply."""
    with trio.fail_after(timeout):
        reply = await kernel.command(line)
    assert not reply.ok, f"{line!r} unexpectedly succeeded: {reply.output}"
    return reply


async def run_to_end(kernel, timeout=10):
    """``run``, then the messages up to the end of the run; returns them."""
    await ok(kernel, "run")
    with trio.fail_after(timeout):
        return await kernel.wait_for(run_stopped)


SLEEPER = """
    import asyncio
    from seq.lib.nodes import Sequence

    async def first():
        pass

    async def forever():
        await asyncio.sleep(3600)

    def create_sequence(*args, **kw):
        return Sequence.create(first, forever, **kw)
"""


async def raw_kernel(cwd=None, args=()):
    """A kernel spawned without greeting it, and a raw stream to it (for what KernelLink would not do)."""
    parent, child = socket.socketpair()
    with child:
        process = await trio.lowlevel.open_process(
            [sys.executable, "-m", "seqkernel", "--fd", str(child.fileno()), *args],
            pass_fds=[child.fileno()], stdin=subprocess.DEVNULL, cwd=cwd,
        )
    return process, trio.SocketStream(trio.socket.from_stdlib_socket(parent))


async def receive_reply(stream, decoder, request_id):
    """The messages from a raw stream up to the reply to command ``request_id``."""
    received = []
    while not any(m.type == "reply" and m.id == request_id for m in received):
        received += await receive(stream, decoder)
    return received


async def receive(stream, decoder):
    """The next non-empty batch of messages from a raw stream."""
    while True:
        if messages := decoder.feed(await stream.receive_some(65536)):
            return messages
