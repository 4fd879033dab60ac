"""BasicDialog at the shell: the prompt asks at a terminal, a command file answers with ``answer``,
and with nobody to answer the run waits and ``abort`` still works."""
from __future__ import annotations

import re

from shell_harness import run_shell

QUICK_DIALOG = """
import logging
from seq.lib.nodes import Sequence, BasicDialog

async def lamp_warm():
    return False

async def warm_up():
    logging.getLogger("seq.user").info("lamp warmed up")

async def expose():
    logging.getLogger("seq.user").info("exposed")

def create_sequence(*args, **kw):
    lamp = BasicDialog(name="lamp", description="Checks the lamp", condition_label="Lamp warm?",
                       check_condition=lamp_warm, step_label="Warm up the lamp", condition_extra_step=warm_up)
    return Sequence.create(lamp, expose, name="calibration")
"""


def write_script(tmp_path):
    script = tmp_path / "quick_dialog.py"
    script.write_text(QUICK_DIALOG)
    return script


def test_the_prompt_asks_and_an_answer_at_the_prompt_goes_on(terminal, tmp_path):
    script = write_script(tmp_path)
    term = terminal()
    term.wait_for(r"\(seq\)>> ?$")
    term.type(f"load {script}")
    term.type("run")
    # The prompt changes as the request arrives; the request's text shows above it as an alert,
    # which may come a moment later: wait for both.
    screen = term.wait_for(
        r"dialog \((\d+)\) lamp: Checks the lamp[\s\S]*\(seq: dialog \1 lamp: answer SN perform\|stop\)>> ?$"
    )
    sn = re.search(r"dialog (\d+) lamp: answer SN", screen).group(1)
    assert f"dialog ({sn}) lamp: Checks the lamp" in screen
    assert "condition: Lamp warm?    extra step: Warm up the lamp" in screen
    term.type("answer ", enter=False)
    term.press("Tab")  # completion offers the dialog waiting
    term.wait_for(rf"perform\|stop\)>> answer {sn} ?$")
    term.type("perform")
    screen = term.wait_for(r"run finished[\s\S]*^\(seq\)>> ?$")
    assert screen.index(f"dialog ({sn}) lamp answered: perform") < screen.index("INFO:seq.user:lamp warmed up")
    assert screen.index("INFO:seq.user:lamp warmed up") < screen.index("INFO:seq.user:exposed")
    term.type(f"answer {sn} stop")
    term.wait_for(rf"dialog \({sn}\) lamp was already answered: perform")


def test_a_command_file_answers_and_an_unanswered_dialog_waits_until_abort(tmp_path):
    script = write_script(tmp_path)
    result = run_shell(
        f"""
        load {script}
        run
        answer 2 stop
        nodes
        continue
        wait 5
        abort
        wait 5
        """,
        cwd=tmp_path,
    )
    out = result.stdout
    # run returned when execution stopped for the dialog; the file answered: stop
    assert out.index("dialog (2) lamp: Checks the lamp") < out.index("run paused") < out.index(
        "dialog (2) lamp answered: stop") < out.index("run aborted")
    assert "lamp warmed up" not in out and "exposed" not in out
    assert re.search(r"^  D-- \(2\) lamp CANCELLED$", out, re.MULTILINE)
    # continue asks again; nobody answers: wait times out on a paused run, abort ends it
    asked_again = out.index("dialog (2) lamp: Checks the lamp", out.index("run aborted"))
    assert out.index("paused", asked_again) < out.rindex("aborted")
    assert out.rstrip().endswith("aborted"), out
    assert result.returncode == 0, out + result.stderr
