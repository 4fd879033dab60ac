"""``seqshell --connect``: commands typed here run on a real seqserver (its own shell and kernel)."""
from __future__ import annotations

import json
import pathlib
import re

from shell_harness import run_shell, unused_port

import samples


def test_shell_level_commands_run_on_the_server(server_address, tmp_path):
    ob = tmp_path / "night.json"
    content = json.loads((pathlib.Path(samples.__file__).parent / "obex.json").read_text())
    content["obsDescription"]["name"] = "Operator's OB > tonight | first"  # quotes, redirection signs
    ob.write_text(json.dumps(content))
    result = run_shell(
        f"""
        bp echo bypassed on the server
        ob {ob}
        lsob
        load seq.samples.a
        run
        nodes
        init
        modules
        """,
        "--connect", server_address,
        cwd=tmp_path,
    )
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert f"connected to seqserver at {server_address}" in out
    assert "bypassed on the server" in out
    assert "Operator's OB > tonight | first" in out  # the OB file was read here and loaded there
    assert "run finished" in out  # the run's events came back live
    assert re.search(r"^  A-- \(\d+\) b FINISHED$", out, re.MULTILINE)
    assert "kernel stopped" in out and "kernel started" in out  # init on the server's shell


def test_an_unreachable_server_is_said_plainly(tmp_path):
    address = f"127.0.0.1:{unused_port()}"
    result = run_shell("modules\n", "--connect", address, cwd=tmp_path)
    assert result.returncode == 2
    assert f"cannot connect to seqserver at {address}" in result.stderr
