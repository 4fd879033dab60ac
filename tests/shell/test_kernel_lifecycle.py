"""The local kernel: its unexpected death reported with its exit status, clear and init."""
from __future__ import annotations

from shell_harness import DYING_SCRIPT, run_shell


def test_kernel_death_is_reported_and_init_starts_a_new_one(tmp_path):
    script = tmp_path / "dying.py"
    script.write_text(DYING_SCRIPT)
    result = run_shell(
        f"""
        load {script}
        run
        modules
        init
        load seq.samples.a
        run
        nodes
        """,
        cwd=tmp_path,
    )
    out, err = result.stdout, result.stderr
    assert "the kernel died (exit status 3)" in out + err
    assert "no kernel is running" in err  # modules, before init
    assert "kernel started" in out
    assert "Example A FINISHED" in out  # the new kernel works
    assert result.returncode == 1  # run and modules failed


def test_clear_stops_the_kernel(tmp_path):
    result = run_shell("load seq.samples.a\nclear\nnodes\ninit\nmodules\n", cwd=tmp_path)
    assert "kernel stopped" in result.stdout
    assert "no kernel is running" in result.stderr  # nodes after clear
    assert "died" not in result.stdout + result.stderr  # a stop asked for is not a death
    assert result.returncode == 1
