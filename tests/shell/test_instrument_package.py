"""OBs checked on load against the instrument package of the configured instrument (manual 3.3)."""
from __future__ import annotations

import json
import pathlib

from shell_harness import run_shell

import samples

CFGPATH = pathlib.Path(samples.__file__).parent / "cfg"

INVALID = {
    "obId": 7, "instrument": "FORS2", "obsDescription": {"name": "wrong"},
    "templates": [
        {"templateName": "seq.samples.tpa", "parameters": [
            {"name": "par_b", "type": "integer", "value": "x"},
            {"name": "par_y", "type": "integer", "value": 1}]},
        {"templateName": "UVES_blue", "parameters": []},
    ],
}

VALID = {
    "obId": 8, "instrument": "FORS2", "obsDescription": {"name": "imaging"},
    "templates": [{"templateName": "FORS2_img_obs_exp", "parameters": [
        {"name": "par_b", "type": "integer", "value": 2}]}],
}


def test_an_invalid_ob_is_refused_with_every_problem_and_nothing_is_loaded(tmp_path, monkeypatch):
    monkeypatch.setenv("CFGPATH", str(CFGPATH))
    (tmp_path / "seq.yaml").write_text("otto:\n  url: http://127.0.0.1:5000/\n  insid: FORS2\n")
    (tmp_path / "wrong.json").write_text(json.dumps(INVALID))
    (tmp_path / "imaging.json").write_text(json.dumps(VALID))
    result = run_shell(
        f"""
        ob wrong.json
        obdata '{json.dumps(INVALID)}'
        lsob
        ob imaging.json
        lsvar
        """,
        "--config", "seq.yaml", cwd=tmp_path,
    )
    refusal = (
        "the OB does not match the FORS2 instrument package (3 problems):\n"
        '  templates[0] seq.samples.tpa: parameter par_b: expected integer, got "x"\n'
        "  templates[0] seq.samples.tpa: parameter par_y: unknown parameter (known: par_b, par_c)\n"
        "  templates[1] UVES_blue: unknown template (not in the library of FORS2)\n"
    )
    assert result.stderr.count(refusal) == 2, result.stderr  # ob and obdata alike
    assert "wrong" not in result.stdout, "nothing of the invalid OB was loaded"
    # the valid one names its template as the instrument does; it runs the module, par_c gets its default
    assert "OB 0 imaging template 0 seq.samples.tpa\n  par_b (integer) = 2\n  par_c (number) = 60\n" in result.stdout
    assert result.returncode == 1


def test_without_a_package_for_the_instrument_obs_load_unchecked_and_say_so(tmp_path, monkeypatch):
    monkeypatch.delenv("CFGPATH", raising=False)
    (tmp_path / "seq.yaml").write_text("otto:\n  url: http://127.0.0.1:5000/\n  insid: FORS2\n")
    by_module = {**VALID, "templates": [{**VALID["templates"][0], "templateName": "seq.samples.tpa"}]}
    (tmp_path / "imaging.json").write_text(json.dumps(by_module))
    result = run_shell("ob imaging.json\nlsob\n", "--config", "seq.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "not checked against an instrument package: no instrument package for FORS2: CFGPATH is not set" \
        in result.stdout
    assert "0: (2) imaging [seq.samples.tpa]" in result.stdout


def test_otto_set_insid_checks_obs_against_that_instrument_at_once(tmp_path, monkeypatch):
    monkeypatch.setenv("CFGPATH", str(CFGPATH))
    (tmp_path / "wrong.json").write_text(json.dumps(INVALID))
    result = run_shell(
        """
        instrument
        otto set url=http://127.0.0.1:5000/ insid=FORS2
        ob wrong.json
        instrument
        otto set insid=
        instrument
        instrument FORS2
        init
        instrument
        """,
        cwd=tmp_path,
    )
    assert "OBs are not checked against an instrument package" in result.stdout.split("insid: FORS2")[0]
    assert "the OB does not match the FORS2 instrument package (3 problems)" in result.stderr  # no init needed
    assert f"OBs are checked against the FORS2 instrument package (found in {CFGPATH / 'IP' / 'FORS2' / 'ip'})" \
        in result.stdout
    assert "not checked against an instrument package\nOBs are checked against the FORS2" in result.stdout
    assert result.stdout.rstrip().endswith(f"(found in {CFGPATH / 'IP' / 'FORS2' / 'ip'})")  # kept by init
