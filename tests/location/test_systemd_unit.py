"""The systemd template unit of a sequence component passes ``systemd-analyze verify``."""
import pathlib
import shutil
import subprocess

import pytest

UNIT = pathlib.Path(__file__).resolve().parents[2] / "scripts" / "systemd" / "seqserver@.service"


def test_the_component_unit_verifies(tmp_path):
    analyze, seqserver = shutil.which("systemd-analyze"), shutil.which("seqserver")
    if analyze is None or seqserver is None:
        pytest.skip("needs systemd-analyze and an installed seqserver")
    # Where this machine has seqserver, rather than the unit's /opt/seq, so that verify finds it.
    template = tmp_path / "seqserver@.service"
    template.write_text(UNIT.read_text().replace("/opt/seq/bin/seqserver", seqserver))
    instance = tmp_path / "seqserver@ESW.ESW_77.service"
    instance.symlink_to(template)
    verified = subprocess.run([analyze, "verify", str(instance)], capture_output=True, text=True, timeout=60)
    problems = [line for line in (verified.stdout + verified.stderr).splitlines() if "seqserver@" in line]
    assert verified.returncode == 0 and not problems, verified.stdout + verified.stderr
