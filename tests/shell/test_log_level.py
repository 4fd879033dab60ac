"""``seqshell --log-level`` decides which of the scripts' log records the shell shows (WARN and WARNING alike)."""
from __future__ import annotations

from shell_harness import run_shell

SPEAKER = """
import logging
from seq.lib.nodes import Sequence

log = logging.getLogger("speaker")

async def speak():
    log.debug("debug record")
    log.info("info record")
    log.warning("warning record")

def create_sequence(*args, **kw):
    return Sequence.create(speak)
"""


def test_the_log_level_decides_which_records_are_shown(tmp_path):
    (tmp_path / "speaker.py").write_text(SPEAKER)
    shown = {}
    for level in ("DEBUG", "info", "WARN", "WARNING"):
        result = run_shell("load speaker\nrun\n", "--log-level", level, cwd=tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
        shown[level] = [kind for kind in ("debug", "info", "warning") if f"speaker:{kind} record" in result.stdout]
    assert shown == {
        "DEBUG": ["debug", "info", "warning"],
        "info": ["info", "warning"],
        "WARN": ["warning"],
        "WARNING": ["warning"],
    }
