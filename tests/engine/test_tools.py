"""``seqtool run`` and ``seqtool draw`` as a user runs them: real processes in a scratch directory."""
import os
import pathlib
import shutil
import subprocess
import sys

import trio

from .helpers import write_script

SEQTOOL = [sys.executable, "-m", "seqtool"]


async def seqtool(*args, cwd, env=None):
    return await trio.run_process([*SEQTOOL, *args], cwd=cwd, capture_stdout=True, capture_stderr=True,
                                  check=False, env=env)


def log_files(directory):
    return sorted(name for name in os.listdir(directory) if name.endswith(".log"))


async def test_run_executes_modules_in_order_and_writes_the_logs(tmp_path):
    script = write_script(tmp_path, """
        import logging
        from seq.lib.nodes import Sequence
        async def last(): logging.getLogger("mine").info("after a")
        def create_sequence(): return Sequence.create(last)
    """)
    done = await seqtool("run", "seq.samples.node_context", "seq.samples.partial_example", script, cwd=tmp_path)
    assert done.returncode == 0, done.stderr.decode()
    out = done.stdout.decode()
    assert out.index("Starting Task: do_a") < out.index("Starting Task: add") < out.index("INFO:mine:after a")
    assert out.rstrip().endswith("seqtool run: finished")
    assert log_files(tmp_path) == ["seq_user.log", f"seqrun_{done_pid(tmp_path)}.log"]
    user_log = (tmp_path / "seq_user.log").read_text()
    assert "INFO seq.user: Starting Task: do_a" in user_log and "INFO mine: after a" in user_log
    run_log = (tmp_path / f"seqrun_{done_pid(tmp_path)}.log").read_text()
    assert "STATE (4) do_a RUNNING" in run_log and "RUN finished" in run_log


def done_pid(directory):
    (name,) = [n for n in os.listdir(directory) if n.startswith("seqrun_")]
    return int(name[len("seqrun_"):-len(".log")])


async def test_run_exits_non_zero_with_the_traceback_on_error(tmp_path):
    done = await seqtool("run", "seq.samples.test_err", cwd=tmp_path)
    assert done.returncode == 1
    err = done.stderr.decode()
    assert "step (3) Tpl.b failed: ZeroDivisionError: division by zero" in err
    assert 'test_err.py", line 24, in b' in err and "x = 1 / 0" in err
    assert "ZeroDivisionError" in (tmp_path / "seq_user.log").read_text()


async def test_run_reports_a_module_that_cannot_be_loaded(tmp_path):
    done = await seqtool("run", "seq.samples.a", "no_such_module_here", cwd=tmp_path)
    assert done.returncode == 2
    assert "no module named 'no_such_module_here'" in done.stderr.decode()
    assert "Starting Task" not in done.stdout.decode()  # nothing ran


async def test_run_stops_at_a_pause_nobody_can_resume(tmp_path):
    done = await seqtool("run", "seq.samples.rtflags", cwd=tmp_path)
    assert done.returncode == 1
    assert "paused at (2) a" in done.stderr.decode()


async def test_run_shows_a_live_tree_on_a_terminal(tmp_path):
    session = f"seqrun{os.getpid()}"
    command = (
        f"cd {tmp_path} && {sys.executable} -m seqtool run seq.samples.test_err; "
        f"echo EXIT=$?; tmux wait-for -S {session}; cat"
    )
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "100", "-y", "40", command], check=True,
                   env={**os.environ, "TERM": "xterm-256color"})
    try:
        await trio.run_process(["tmux", "wait-for", session])
        screen = subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True).stdout
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], check=False)
    assert "seqtool run" in screen
    assert "S (5) Sequence CANCELLED|ERROR" in screen
    assert "A (3) Tpl.b FINISHED|ERROR" in screen and "A (4) Tpl.c CANCELLED" in screen
    assert "EXIT=1" in screen


async def test_draw_dot_has_clusters_circles_and_labels(tmp_path):
    done = await seqtool("draw", "a.dot", "seq.samples.a", "seq.samples.loop1", cwd=tmp_path)
    assert done.returncode == 0, done.stderr.decode()
    dot = (tmp_path / "a.dot").read_text()
    assert 'subgraph cluster_c2 {' in dot and 'label="Sequence: Example A (2)"' in dot
    assert 'n6 [shape=circle, style=filled, fillcolor=black, label="", xlabel="begin (6)"' in dot
    assert 'n7 [shape=doublecircle' in dot
    assert 'n3 [shape=box, style=rounded, label="a (3)"]' in dot
    for edge in ("n6 -> n3;", "n3 -> n4;", "n4 -> n7;"):
        assert edge in dot
    assert 'label="Loop: Loop (9)"' in dot and "style=dashed" in dot  # the loop's repeat edge


async def test_draw_renders_png_svg_and_jpg(tmp_path):
    for name, magic in (("b.png", b"\x89PNG"), ("b.jpg", b"\xff\xd8\xff"), ("b.svg", b"<?xml")):
        done = await seqtool("draw", name, "seq.samples.b", cwd=tmp_path)
        assert done.returncode == 0, done.stderr.decode()
        assert (tmp_path / name).read_bytes().startswith(magic)
    assert "Tpl.a (2)" in (tmp_path / "b.svg").read_text()


async def test_draw_names_the_graphviz_package_when_dot_is_missing(tmp_path):
    assert shutil.which("dot")
    no_dot = {**os.environ, "PATH": str(tmp_path)}
    done = await seqtool("draw", "a.png", "seq.samples.a", cwd=tmp_path, env=no_dot)
    assert done.returncode == 1
    assert "install the Debian package graphviz" in done.stderr.decode()
    done = await seqtool("draw", "a.dot", "seq.samples.a", cwd=tmp_path, env=no_dot)
    assert done.returncode == 0  # .dot needs no binary


async def test_draw_refuses_unknown_formats_and_modules(tmp_path):
    done = await seqtool("draw", "a.gif", "seq.samples.a", cwd=tmp_path)
    assert done.returncode == 2 and "use a .dot, .png, .jpg or .svg file" in done.stderr.decode()
    done = await seqtool("draw", "a.dot", "nowhere.to.be.found", cwd=tmp_path)
    assert done.returncode == 1 and "no module named 'nowhere.to.be.found'" in done.stderr.decode()


async def test_live_view_summarises_large_containers(tmp_path):
    from rich.console import Console

    from seqkernel.engine import Engine
    from seqkernel.runner import LiveView

    path = write_script(tmp_path, """
        from seq.lib.nodes import Parallel, Sequence
        def step(): pass
        def broken(): raise RuntimeError("no")
        def create_sequence(): return Sequence.create(Parallel.create(*[step] * 50, name="many"), broken)
    """)
    async with Engine.open() as engine:
        engine.load(path)
        engine.run()
        assert await engine.wait(5) == "error"
        console = Console(record=True, width=100)
        console.print(LiveView("INFO", engine.root).render())
    text = console.export_text()
    assert "P (2) many FINISHED" in text
    assert "… 52 more steps, 52 finished" in text  # 50 steps and begin and end
    assert "A (54) broken FINISHED|ERROR" in text


async def test_the_console_script_finds_a_script_in_the_current_directory(tmp_path):
    """``seqtool run my_script`` from the folder holding it, as the README's first script does (a console
    script, unlike ``python -m``, does not put the current directory on the import path)."""
    module = pathlib.Path(write_script(tmp_path, """
        from seq.lib.nodes import Sequence

        def first():
            pass

        def create_sequence(*args, **kw):
            return Sequence.create(first, name="here", **kw)
    """)).stem
    console = shutil.which("seqtool")
    assert console is not None, "pip install -e . installs the seqtool console script"
    ran = await trio.run_process([console, "run", module], cwd=tmp_path, capture_stdout=True,
                                 capture_stderr=True, check=False)
    assert ran.returncode == 0 and "seqtool run: finished" in ran.stdout.decode() + ran.stderr.decode()
    drawn = await trio.run_process([console, "draw", "here.dot", module], cwd=tmp_path, check=False)
    assert drawn.returncode == 0 and "here" in (tmp_path / "here.dot").read_text()
    missing = await trio.run_process([console, "draw", "x.dot", "not_here"], cwd=tmp_path, capture_stderr=True,
                                     check=False)
    assert missing.returncode == 1 and missing.stderr.decode() == "seqtool draw: no module named 'not_here'\n"
