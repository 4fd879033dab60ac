"""Command files piped into the real shell: every command, exit statuses, bad input mid-file."""
from __future__ import annotations

import pathlib
import re

from shell_harness import run_shell, serial_numbers, session_dir

import samples


def test_commands_run_in_order_and_run_waits_for_the_end(tmp_path):
    result = run_shell(
        """
        load seq.samples.a
        run
        nodes
        modules
        """,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    # run waited: the nodes printed after it are all finished, and the run's events came first
    finished_tree = re.search(r"^S\+- \(\d+\) Example A FINISHED$", out, re.MULTILINE)
    assert finished_tree, out
    assert out.index("INFO:seq.user:Ax") < out.index("run finished") < finished_tree.start()
    assert "seq.samples.a" in out[finished_tree.end():]  # modules


def test_session_directory_holds_the_logs(tmp_path):
    result = run_shell("load seq.samples.a\nrun\n", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    directory = pathlib.Path(session_dir(result.stdout))
    assert directory.name.startswith("seq_session_")
    assert {"seq.log", "seq_user.log", "kernel.log"} <= {p.name for p in directory.iterdir()}
    user_log = (directory / "seq_user.log").read_text()
    assert "INFO seq.user: Starting Task: a" in user_log and "INFO seq.user: Bx" in user_log


def test_bad_commands_and_arguments_do_not_stop_the_file(tmp_path):
    result = run_shell(
        """
        bogus
        skip notanumber
        flip sideways 3
        load no.such.module
        load seq.samples.a
        skip 99999
        run
        nodes
        """,
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert "bogus is not a recognized command" in result.stderr
    assert "invalid int value: 'notanumber'" in result.stderr
    assert "invalid choice: 'sideways'" in result.stderr
    assert "no.such.module" in result.stderr
    assert "99999" in result.stderr
    # the commands after the bad ones still ran
    assert re.search(r"Example A FINISHED", result.stdout), result.stdout


def test_exit_on_error_stops_at_the_first_failure(tmp_path):
    result = run_shell("load seq.samples.a\nbogus\nrun\n", "--exit-on-error", cwd=tmp_path)
    assert result.returncode == 1
    assert "run finished" not in result.stdout


def test_a_clean_file_exits_zero_and_a_run_error_exits_non_zero(tmp_path):
    assert run_shell("load seq.samples.a\nrun\n", cwd=tmp_path).returncode == 0
    failed_run = run_shell("load seq.samples.test_err\nrun\nnodes\n", cwd=tmp_path)
    assert failed_run.returncode == 1
    assert "FINISHED|ERROR" in failed_run.stdout


def test_command_file_given_as_argument(tmp_path):
    commands = tmp_path / "night.cmds"
    commands.write_text("load seq.samples.a\nrun\nnodes\n")
    result = run_shell("", str(commands), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Example A FINISHED" in result.stdout
    missing = run_shell("", str(tmp_path / "missing.cmds"), cwd=tmp_path)
    assert missing.returncode == 2 and "no command file" in missing.stderr


def test_every_command_is_accepted(tmp_path):
    """Each command of the manual's 7.1 (and the additions) runs from a file with sensible output."""
    ob_file = pathlib.Path(samples.__file__).parent
    obs = sorted(ob_file.glob("*.json"))
    result = run_shell(
        f"""
        help
        help skip
        load seq.samples.a
        modules
        tree
        nodes
        break 4
        break
        break 4 -no-flag
        skip -find_name a
        skip -find_name a -no-flag
        pause -find_name b
        run
        resume 4
        wait 5
        unskip 3
        flip pause 4
        reset
        abort
        lsob
        lsvar
        bp echo bypassed
        fetch
        save {tmp_path / 'session.json'}
        session {tmp_path / 'session.json'}
        {'ob ' + str(obs[0]) if obs else ''}
        clear
        init
        modules
        """,
        cwd=tmp_path,
    )
    out, err = result.stdout, result.stderr
    assert "Execution" in out and "Usage: skip" in out  # help and help skip
    assert "(4) b NOT_STARTED|RT.PAUSE\n(4) b\n(4) b NOT_STARTED\n" in out  # break sets, lists, clears
    assert "bypassed" in out
    assert "OTTO is not configured" in err  # no --config
    assert "kernel stopped" in out and "kernel started" in out


LAST_WORDS = """
import os
from seq.lib.nodes import Sequence

async def speak():
    print("last words")
    os.write(2, b"raw words on fd 2")  # no newline: a partial line is shown too

def create_sequence(*args, **kw):
    return Sequence.create(speak, name="speaker")
"""


def test_nothing_is_lost_at_the_end_of_the_file(tmp_path):
    script = tmp_path / "speaker.py"
    script.write_text(LAST_WORDS)
    result = run_shell(f"load {script}\nrun\n", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "last words" in lines and "raw words on fd 2" in lines


DIALOG = """
from seq.lib.nodes import BasicDialog, Sequence

async def never():
    return False

async def extra():
    print("extra step done")

def create_sequence(*args, **kw):
    ask = BasicDialog(name="ask", description="is the dome open?", condition_label="dome open",
                      check_condition=never, step_label="open the dome", condition_extra_step=extra)
    return Sequence.create(ask, name="with_dialog")
"""


def test_a_dialog_is_answered_from_the_file(tmp_path):
    script = tmp_path / "with_dialog.py"
    script.write_text(DIALOG)
    ask = serial_numbers(tmp_path, str(script))["ask"]
    result = run_shell(f"load {script}\nrun\nanswer {ask} perform\nnodes\n", cwd=tmp_path)
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert f"dialog ({ask}) ask: is the dome open?" in out
    assert f"answer with: answer {ask} perform | answer {ask} stop" in out
    assert "extra step done" in out
    assert re.search(r"^S\+- \(\d+\) with_dialog FINISHED$", out, re.MULTILINE)
