"""The shell in a real terminal (tmux): typing commands, events appearing above the prompt."""
from __future__ import annotations

import re
import time

from server_harness import is_running
from shell_harness import DYING_SCRIPT

PROMPT = r"\(seq\)>> ?"

GATED_SCRIPT = """
import asyncio, logging, os
from seq.lib.nodes import Sequence

GATE = {gate!r}

async def gated():
    while not os.path.exists(GATE):
        await asyncio.sleep(0.02)
    logging.getLogger("seq.user").info("the gate opened")

def create_sequence(*args, **kw):
    return Sequence.create(gated, name="gated_seq")
"""


def test_commands_and_their_output(terminal):
    term = terminal()
    term.wait_for(r"session directory: /\S+seq_session_\d+")
    term.wait_for(PROMPT + "$")
    term.type("load seq.samples.a")
    term.type("nodes")
    screen = term.wait_for(r"^S\+- \(\d+\) Example A NOT_STARTED$")
    assert re.search(r"^  A-- \(\d+\) a NOT_STARTED$", screen, re.MULTILINE)
    term.type("run")
    term.wait_for(r"run finished")
    term.type("nodes")
    term.wait_for(r"^S\+- \(\d+\) Example A FINISHED$")


def test_events_appear_above_what_is_being_typed(terminal, tmp_path):
    gate = tmp_path / "gate"
    script = tmp_path / "gated.py"
    script.write_text(GATED_SCRIPT.format(gate=str(gate)))
    term = terminal()
    term.wait_for(PROMPT + "$")
    term.type(f"load {script}")
    term.type("run")
    term.wait_for(r"\(\d+\) gated RUNNING")
    term.type("nod", enter=False)  # half a command at the prompt
    term.wait_for(PROMPT + "nod$")
    gate.touch()
    screen = term.wait_for(r"INFO:seq.user:the gate opened")
    screen = term.wait_for(r"run finished[\s\S]*" + PROMPT + "nod$")
    lines = screen.rstrip("\n").splitlines()
    assert re.fullmatch(PROMPT + "nod", lines[-1]), screen  # the typed text is intact, below the events
    assert lines.index(next(l for l in lines if "the gate opened" in l)) < len(lines) - 1
    term.type("es")  # finish the word: the line reads "nodes"
    term.wait_for(r"^S\+- \(\d+\) gated_seq FINISHED$")


def test_kernel_death_is_reported_at_once_and_init_recovers(terminal, tmp_path):
    script = tmp_path / "dying.py"
    script.write_text(DYING_SCRIPT)
    term = terminal()
    term.wait_for(PROMPT + "$")
    term.type(f"load {script}")
    term.type("run")
    # No command needed to see it: the step failed, the run with it, and the kernel's end names the step.
    term.wait_for(r"ERROR in \((\d+)\) die: KernelDied: exit status 3[\s\S]*"
                  r"the kernel died \(exit status 3\) while running step 'die' \(sn \1\)[\s\S]*" + PROMPT + "$")
    term.type("init")
    term.wait_for(r"kernel started \(pid \d+\)[\s\S]*kernel started \(pid \d+\)")
    term.type("load seq.samples.a")
    term.wait_for(r"loaded seq.samples.a")


def test_closing_the_terminal_ends_the_shell_and_its_kernel(terminal):
    term = terminal()
    screen = term.wait_for(r"kernel started \(pid \d+\)[\s\S]*" + PROMPT + "$")
    kernel = int(re.search(r"kernel started \(pid (\d+)\)", screen).group(1))
    term.type("load seq.samples.a")
    term.wait_for(r"loaded seq.samples.a")
    shell = term.pid()
    assert is_running(shell) and is_running(kernel)
    term.close()
    deadline = time.monotonic() + 15
    while is_running(shell) or is_running(kernel):
        assert time.monotonic() < deadline, "the shell or its kernel outlived its terminal"
        time.sleep(0.05)
