"""The walk-through of the manual's chapter 7.1, as an operator would type it."""
from __future__ import annotations

import re

from shell_harness import run_shell, serial_numbers


def node_line(output: str, name: str) -> list[str]:
    """Every ``nodes`` line of the node called ``name``, in order of appearance."""
    return re.findall(rf"^ *A-- \(\d+\) {re.escape(name)} (\S+)$", output, re.MULTILINE)


def test_chapter_7_1(tmp_path):
    a = serial_numbers(tmp_path, "seq.samples.a")
    result = run_shell(
        f"""
        load seq.samples.a
        nodes
        run
        nodes
        skip {a['a']}
        run
        nodes
        pause {a['b']}
        nodes
        run
        nodes
        resume {a['b']}
        nodes
        flip skip {a['a']}
        flip pause {a['b']}
        nodes
        load seq.samples.test_err
        run
        nodes
        retry
        nodes
        continue
        nodes
        """,
        cwd=tmp_path,
    )
    out = result.stdout
    assert node_line(out, "a") == [
        "NOT_STARTED",
        "FINISHED",
        "FINISHED|SKIP|RT.SKIP",  # skipped
        "FINISHED|SKIP|RT.SKIP",
        "FINISHED|SKIP|RT.SKIP",
        "FINISHED|SKIP|RT.SKIP",
        "FINISHED|SKIP",  # flag flipped back; it was skipped in the last run
        "FINISHED",  # the run of both scripts ran it again
        "FINISHED",
        "FINISHED",
    ]
    assert node_line(out, "b") == [
        "NOT_STARTED",
        "FINISHED",
        "FINISHED",
        "FINISHED|RT.PAUSE",  # flag set, not yet run
        "PAUSED|RT.PAUSE",  # the run stopped there
        "FINISHED|RT.PAUSE",  # resumed
        "FINISHED",
        "FINISHED",
        "FINISHED",
        "FINISHED",
    ]
    assert "run paused" in out

    # The error example: the traceback points at the user's file and line.
    assert re.search(r'File ".*test_err\.py", line \d+, in \S*b\n\s+x = 1 / 0', out), out
    assert "ZeroDivisionError: division by zero" in out
    assert re.search(r"^S\+- \(\d+\) Sequence CANCELLED\|ERROR$", out, re.MULTILINE)
    # retry runs b again (it fails again); continue leaves b failed and runs c
    assert node_line(out, "Tpl.b") == ["FINISHED|ERROR"] * 3
    assert node_line(out, "Tpl.c") == ["CANCELLED", "CANCELLED", "FINISHED"]
    assert re.search(r"^S\+- \(\d+\) Sequence FINISHED$", out, re.MULTILINE)
    assert result.returncode == 1  # runs ended in error
