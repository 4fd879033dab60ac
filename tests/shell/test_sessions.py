"""``save`` and ``session`` through the real shell: what one shell saved, a new shell (and kernel) gets back."""
from __future__ import annotations

import json
import pathlib
import re

from shell_harness import run_shell

import samples

ACQUISITION = pathlib.Path(samples.__file__).parent / "obs" / "fors2_01_acquisition.json"


def test_a_session_saved_by_one_shell_is_restored_by_another(tmp_path):
    saved = run_shell(
        f"""
        load seq.samples.a
        ob {ACQUISITION}
        setvar 0 0 par_c 7.5
        skip -find_name b
        save night.json
        """,
        cwd=tmp_path,
    )
    assert saved.returncode == 0, saved.stdout + saved.stderr
    assert f"session saved to {tmp_path / 'night.json'}: 1 module(s), 1 OB(s), 1 runtime flag(s)" in saved.stdout
    session = json.loads((tmp_path / "night.json").read_text())
    assert session["scripts"][0]["module"] == "seq.samples.a"
    assert session["scripts"][1]["ob"]["templates"][0]["parameters"][1] == {
        "name": "par_c", "type": "number", "value": 7.5}

    restored = run_shell("session night.json\nmodules\nlsob\nlsvar\nrun\nnodes\n", cwd=tmp_path)
    out = restored.stdout
    assert restored.returncode == 0, out + restored.stderr
    assert "1 module(s), 1 OB(s), 1 runtime flag(s)" in out
    assert re.search(rf"^0: \(\d+\) NGC 300 acquisition \[seq.samples.tpa\] {re.escape(str(ACQUISITION))}$", out,
                     re.MULTILINE)
    assert "  par_c (number) = 7.5" in out
    assert "INFO:seq.samples.tpa:xSUM 1 + 7.5 = 8.5" in out, "the running template sees the saved value"
    assert re.search(r"^  A-- \(\d+\) b FINISHED\|SKIP\|RT\.SKIP$", out, re.MULTILINE)
    assert re.search(r"^  A-- \(\d+\) a FINISHED$", out, re.MULTILINE)


def test_a_session_that_cannot_be_restored_loads_nothing_and_loses_nothing(tmp_path):
    broken = {"seq_session": 1, "scripts": [{"module": "seq.samples.b"}, {"module": "no_such_module"}], "flags": []}
    (tmp_path / "broken.json").write_text(json.dumps(broken))
    (tmp_path / "other.json").write_text('{"not": "a session"}')
    result = run_shell(
        """
        load seq.samples.a
        session broken.json
        session other.json
        session missing.json
        modules
        """,
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert "no module named 'no_such_module'" in result.stderr
    assert f"{tmp_path / 'other.json'} is not a session file saved by seq" in result.stderr
    assert f"cannot read session file {tmp_path / 'missing.json'}: No such file or directory" in result.stderr
    assert result.stdout.rstrip().endswith("seq.samples.a"), "seq.samples.b was not half-loaded"
