"""Output isolation: whatever reaches fds 1 and 2 becomes output events and never touches the protocol."""
import subprocess
import sys

import trio

import protocol
from kernel_helpers import ok, receive, receive_reply, run_to_end, write_module

NOISY = r'''
    import ctypes
    import os
    import subprocess
    import sys
    from seq.lib.nodes import Sequence

    def python_prints():
        print("hello from print")
        print("to stderr", file=sys.stderr)

    def binary_garbage():
        os.write(1, bytes(range(256)) + b"\n")

    def c_level_writes():
        libc = ctypes.CDLL(None)
        libc.write(1, b"from C write\n", 13)
        libc.printf(b"from C printf %d\n", 42)
        libc.fflush(None)

    def big_write_from_the_event_loop():
        os.write(1, b"z" * 300_000 + b"\n")  # far more than a pipe holds, without yielding

    def child_process():
        code = "import sys; sys.stdout.buffer.write(bytes([0xff, 0x41]) * 2**19); sys.stdout.flush()"
        subprocess.run([sys.executable, "-c", code], check=True)
        print("END-OF-OUTPUT")

    def create_sequence(*args, **kw):
        return Sequence.create(python_prints, binary_garbage, c_level_writes,
                               big_write_from_the_event_loop, child_process, **kw)
'''


async def test_prints_binary_c_writes_and_child_processes_become_output_events_before_the_step_ends(
        kernel, tmp_path):
    write_module(tmp_path, "noisy", NOISY)
    await ok(kernel, "load noisy")
    seen = await run_to_end(kernel, timeout=20)
    assert seen[-1].status == "finished"
    text = {"stdout": "", "stderr": ""}
    at_end = {}  # what had been received of each stream when a step's end was published
    for message in seen:
        if message.type == "event" and message.kind == "output":
            text[message.stream] += message.text
        elif message.type == "event" and message.kind == "state" and message.state == "FINISHED":
            at_end[message.name] = dict(text)
    stdout = text["stdout"]
    assert at_end["python_prints"]["stdout"].endswith("hello from print\n")
    assert at_end["python_prints"]["stderr"] == "to stderr\n" == text["stderr"]
    assert at_end["binary_garbage"]["stdout"].endswith(bytes(range(256)).decode("utf-8", "backslashreplace") + "\n")
    assert at_end["c_level_writes"]["stdout"].endswith("from C write\nfrom C printf 42\n")
    assert at_end["big_write_from_the_event_loop"]["stdout"].endswith("z" * 300_000 + "\n")
    assert at_end["child_process"]["stdout"] == stdout and stdout.endswith("END-OF-OUTPUT\n")
    assert stdout.count("\\xffA") == 2**19  # 1 MiB of binary from a child process
    assert not [m for m in seen if m.type == "error"]
    assert (await ok(kernel, "nodes")).output.splitlines()[2] == "S+- (2) Sequence FINISHED"


async def test_without_fd_the_protocol_uses_stdin_and_stdout_and_prints_still_cannot_reach_it(tmp_path):
    write_module(tmp_path, "printer", """
        import os
        from seq.lib.nodes import Sequence

        def shout():
            print("printed")
            os.write(1, b"\\x83\\xa4type\\xa5reply written to fd 1\\n")

        def create_sequence(*args, **kw):
            return Sequence.create(shout, **kw)
    """)
    with trio.fail_after(20):
        process = await trio.lowlevel.open_process(
            [sys.executable, "-m", "seqkernel"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=tmp_path
        )
        stream = trio.StapledStream(process.stdin, process.stdout)
        decoder = protocol.Decoder()
        await stream.send_all(protocol.encode(protocol.Hello(version=1, client="tests")))
        assert (await receive(stream, decoder))[0].type == "welcome"
        await stream.send_all(protocol.encode(protocol.Cmd(id=1, line="load printer")))
        received = await receive_reply(stream, decoder, 1)  # a run sent while the load is in progress is refused
        for number, line in enumerate(["run", "wait"], 2):
            await stream.send_all(protocol.encode(protocol.Cmd(id=number, line=line)))
        received += await receive_reply(stream, decoder, 3)
        def output():
            return "".join(m.text for m in received if m.type == "event" and m.kind == "output")

        while "written to fd 1" not in output():
            received += await receive(stream, decoder)
        assert [m.output for m in received if m.type == "reply"][-1] == "finished"
        assert output() == "printed\n\\x83\\xa4type\\xa5reply written to fd 1\n"
        await process.stdin.aclose()
        assert await process.wait() == 0
