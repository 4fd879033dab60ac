"""The queue's commands in the real shell: a command file, save and session, and through a server."""
from __future__ import annotations

import re
import textwrap

from night_scripts import write_night
from shell_harness import run_shell


def write_scripts(directory):
    write_night(directory, obs={"night": (1, 2), "other": (5,)})


def queue_lines(out: str) -> list[str]:
    """The items of the last ``queue`` listing in a shell's output: ``name STATE`` in order."""
    listings = re.findall(r"((?:^\d+\. \S \(\d+\) .*\n(?:^   .*\n)*)+)", out, re.MULTILINE)
    assert listings, out
    return [f"{name} {state}" for name, state in re.findall(r"^\d+\. \S \(\d+\) (\S+) (\S+)$", listings[-1],
                                                             re.MULTILINE)]


def test_a_night_edited_in_a_command_file(tmp_path):
    write_scripts(tmp_path)
    # A fresh kernel numbers alike every time: alpha (2) and beta (8), then gamma (12).
    result = run_shell(
        """
        history
        load alpha beta
        load gamma --first
        ob night.json --after 2
        queue
        move 8 --first
        remove 12
        requeue 2 --last
        replace 2 other.json
        queue
        pause
        run
        queue
        resume
        history
        """,
        cwd=tmp_path,
    )
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert "nothing has run yet" in out  # the kernel's history, not the shell's own of typed commands
    first_queue = out[out.index("1. S (12) gamma"):]
    assert queue_lines(first_queue[:first_queue.index("moved")]) == [
        "gamma NOT_STARTED", "alpha NOT_STARTED", "night NOT_STARTED", "beta NOT_STARTED"]
    assert "moved (8) beta: 1 of 4 in the queue" in out and "removed (12) gamma" in out
    assert re.search(r"^queued \(\d+\) alpha, a copy of \(2\): 4 of 4 in the queue$", out, re.MULTILINE)
    assert re.search(r"^replaced \(2\) by \(\d+\) other: 2 of 4 in the queue$", out, re.MULTILINE)
    # pause held the queue: run stopped before its first item, resume ran them all, in the new order
    held_at = out.index("the queue is held")
    held = out[held_at:out.index("run started", out.index("run started", held_at) + 1)]  # up to resume's run
    assert queue_lines(held) == ["beta SCHEDULED", "other SCHEDULED", "night SCHEDULED", "alpha SCHEDULED"]
    assert "held: the run stops before its next item" in held
    assert out.index("exposure 5") < out.index("exposure 1") < out.index("exposure 2")
    history = re.findall(r"^(\d)\. \d\d:\d\d:\d\d-\d\d:\d\d:\d\d \(\d+\) (\S+): (\S+)$", out, re.MULTILINE)
    assert [(name, outcome) for _, name, outcome in history] == [
        ("beta", "finished"), ("other", "finished"), ("night", "finished"), ("alpha", "finished")]


def test_save_and_session_keep_the_edited_queue(tmp_path):
    write_scripts(tmp_path)
    saved = run_shell(
        """
        load alpha beta
        ob night.json
        move 8 --first
        queue
        """,
        cwd=tmp_path,
    )
    night = int(re.search(r"^\d\. O \((\d+)\) night", saved.stdout, re.MULTILINE).group(1))
    templates = [int(sn) for sn in re.findall(r"^   \d\. T \((\d+)\) expose", saved.stdout, re.MULTILINE)]
    edits = textwrap.dedent(f"""
        load alpha beta
        ob night.json
        move 8 --first
        move {templates[1]} --first
        setvar 0 0 exptime 7.5
        requeue {templates[0]} --after {templates[1]}
        move {night} --first
        queue
        save night_session.json
        """)
    saved = run_shell(edits, cwd=tmp_path)
    assert saved.returncode == 0, saved.stdout + saved.stderr
    restored = run_shell("session night_session.json\nqueue\nlsvar\nrun\n", cwd=tmp_path)
    out = restored.stdout
    assert restored.returncode == 0, out + restored.stderr
    assert queue_lines(out) == queue_lines(saved.stdout) == [
        "night NOT_STARTED", "beta NOT_STARTED", "alpha NOT_STARTED"]
    assert out.index("exposure 7.5") < out.index("exposure 1") < out.index("exposure 1", out.index("exposure 1") + 1)
    assert [line.strip() for line in out.splitlines() if "exptime (number)" in line] == [
        "exptime (number) = 7.5", "exptime (number) = 1", "exptime (number) = 1"]


def test_edits_through_a_server_read_ob_files_here(server_address, tmp_path):
    write_scripts(tmp_path)
    result = run_shell(
        """
        load alpha
        ob night.json --first
        queue
        replace 2 other.json
        queue
        """,
        "--connect", server_address,
        cwd=tmp_path,
    )
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert re.search(r"^loaded OB \(\d+\) night$", out, re.MULTILINE)
    assert queue_lines(out[:out.index("replaced")]) == ["night NOT_STARTED", "alpha NOT_STARTED"]
    assert queue_lines(out) == ["night NOT_STARTED", "other NOT_STARTED"]
