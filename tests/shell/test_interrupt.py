"""Ctrl-C at the shell's prompt while a command waits for the kernel: the kernel is asked to abort."""
from __future__ import annotations

import os

import pytest
from shell_harness import SHELL

PROMPT = r"\(seq\)>> ?"

HANGING = """
from seq.lib.nodes import Sequence

print("hang: importing")
with open({fifo!r}) as gate:  # blocks until the test opens the FIFO for writing, then until it closes it
    gate.read()
print("hang: import finished")

def create_sequence(*args, **kw):
    return Sequence.create(lambda: None, name="hang_seq")
"""


@pytest.mark.parametrize("mode", ["local", "through a server"])
def test_ctrl_c_during_a_hung_load_aborts_it_and_keeps_the_prompt(mode, terminal, tmp_path, request):
    fifo = tmp_path / "gate.fifo"
    os.mkfifo(fifo)
    script = tmp_path / "hang.py"
    script.write_text(HANGING.format(fifo=str(fifo)))
    # Through a server the abort goes on the shell's one connection: the server relays it at once.
    term = terminal(SHELL if mode == "local" else [*SHELL, "--connect", request.getfixturevalue("server_address")])
    term.wait_for(PROMPT + "$")
    term.type(f"load {script}")
    term.wait_for(r"hang: importing")
    term.press("C-c")
    screen = term.wait_for(r"load aborted: the import of \S+hang.py did not finish[\s\S]*" + PROMPT + "$")
    assert "^C: asking the kernel to abort" in screen
    term.wait_for(r"aborted the load of \S+hang.py")
    term.type("load seq.samples.a")
    term.wait_for(r"loaded seq.samples.a")
    term.type("run")
    term.wait_for(r"run finished")
    # Let the abandoned import go on: its thread ends, and the kernel still serves.
    os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))  # the import holds the FIFO open for reading
    term.wait_for(r"hang: import finished")
    term.type("modules")
    term.wait_for(r"^seq.samples.a\n" + PROMPT + "$")
