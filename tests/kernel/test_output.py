"""Output isolation: whatever reaches fds 1 and 2 becomes output events and never touches the protocol."""
import trio

from kernel_helpers import ok, run_to_end, write_module

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


def is_last_output(message):
    return message.type == "event" and message.kind == "output" and "END-OF-OUTPUT" in message.text


async def test_prints_binary_c_writes_and_child_processes_become_output_events(kernel, tmp_path):
    write_module(tmp_path, "noisy", NOISY)
    await ok(kernel, "load noisy")
    seen = await run_to_end(kernel, timeout=20)
    assert seen[-1].status == "finished"
    text = {"stdout": "", "stderr": ""}
    with trio.fail_after(20):
        if not any(is_last_output(m) for m in seen):  # output may trail the end of the run
            seen += await kernel.wait_for(is_last_output)
    for message in seen:
        if message.type == "event" and message.kind == "output":
            text[message.stream] += message.text
    stdout = text["stdout"]
    assert "hello from print\n" in stdout and text["stderr"] == "to stderr\n"
    assert bytes(range(256)).decode("utf-8", "backslashreplace") + "\n" in stdout
    assert "from C write\n" in stdout and "from C printf 42\n" in stdout
    assert "z" * 300_000 + "\n" in stdout
    assert stdout.count("\\xffA") == 2**19  # 1 MiB of binary from a child process
    assert not [m for m in seen if m.type == "error"]
    assert (await ok(kernel, "nodes")).output.splitlines()[2] == "S+- (2) Sequence FINISHED"
