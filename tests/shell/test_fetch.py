"""``fetch``: the next OB from OTTO (played by a real tino), loaded, run, and reported back."""
from __future__ import annotations

import pathlib
import re
from shell_harness import run_shell, unused_port


def write_config(tmp_path, url: str) -> pathlib.Path:
    config = tmp_path / "seq.yaml"
    config.write_text(f"seq_server:\n  url: localhost:8000\notto:\n  url: {url}\n  insid: FORS2\n")
    return config


def test_fetch_run_and_the_queue_moves_on(tino_url, tmp_path):
    config = write_config(tmp_path, tino_url)
    result = run_shell("otto\notto list\nfetch\nrun\notto list\n", "--config", str(config), cwd=tmp_path)
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert f"url: {tino_url}" in out and "insid: FORS2" in out
    assert re.search(r">\s+101\s+Queued\s+NGC 300 acquisition", out)
    assert "fetched OB 101 'NGC 300 acquisition' from OTTO" in out
    assert re.search(r"loaded OB \S+ob_101\.json: \(\d+\) NGC 300 acquisition", out)
    assert "run finished" in out
    # OTTO heard the OB events: the queue shows it executed
    assert re.search(r"101\s+Executed\s+NGC 300 acquisition", out), out


def test_otto_down_or_absent_is_said_plainly(tmp_path):
    url = f"http://127.0.0.1:{unused_port()}/"
    config = write_config(tmp_path, url)
    down = run_shell("fetch\nload seq.samples.a\nmodules\n", "--config", str(config), cwd=tmp_path)
    assert f"OTTO at {url} is not reachable" in down.stderr
    assert "seq.samples.a" in down.stdout  # the shell went on
    assert down.returncode == 1
    absent = run_shell("fetch\n", cwd=tmp_path)
    assert "OTTO is not configured" in absent.stderr


def test_otto_set_up_from_the_shell(tino_url, tmp_path):
    result = run_shell(
        f"""
        otto set url=ftp://nowhere
        otto set url={tino_url} insid=FORS2
        otto list
        """,
        cwd=tmp_path,
    )
    assert "OTTO settings unchanged: otto.url must start with http://" in result.stderr
    assert f"url: {tino_url}" in result.stdout
    assert re.search(r">\s+101\s+Queued\s+NGC 300 acquisition", result.stdout)
    assert result.returncode == 1  # the bad setting
