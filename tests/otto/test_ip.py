"""Instrument packages: an OB's templates and parameters checked against the
template signatures, every problem reported at once."""
import json

import pytest

from otto_fixtures import SAMPLES, sample_ob
from seqkernel.ip import (
    InvalidOB,
    IPError,
    load_instrument_package,
    prepare_ob,
    resolve_module,
    resolve_ob,
    validate_ob,
)

SAMPLE_CFGPATH = {"CFGPATH": str(SAMPLES / "cfg")}


@pytest.fixture
def fors2():
    return load_instrument_package("FORS2", environ=SAMPLE_CFGPATH)


def test_the_sample_package(fors2):
    assert fors2.library == {"seq.samples.tpa": "seq.samples.tpa", "FORS2_img_obs_exp": "seq.samples.tpa"}
    assert set(fors2.signatures["seq.samples.tpa"].parameters) == {"par_b", "par_c"}
    assert resolve_module("FORS2_img_obs_exp", fors2) == "seq.samples.tpa"
    with pytest.raises(IPError, match="template nope is not in the library of instrument FORS2"):
        resolve_module("nope", fors2)


def test_the_sample_obs_of_the_instrument_are_valid(fors2):
    for path in sorted((SAMPLES / "obs").glob("fors2_*.json")):
        assert validate_ob(json.loads(path.read_text()), fors2) == [], path.name


def test_resolve_gives_modules_and_defaults(fors2):
    ob = sample_ob(1, "FORS2", "x", parameters=[("par_b", "integer", 3)])
    ob["templates"][0]["templateName"] = "FORS2_img_obs_exp"
    assert validate_ob(ob, fors2) == []
    resolved = resolve_ob(ob, fors2)
    assert resolved["templates"][0]["templateName"] == "seq.samples.tpa"
    assert resolved["templates"][0]["parameters"] == [
        {"name": "par_b", "type": "integer", "value": 3},
        {"name": "par_c", "type": "number", "value": 60},
    ]
    assert ob["templates"][0]["templateName"] == "FORS2_img_obs_exp", "the OB given is left alone"


def test_every_problem_is_reported_together(fors2):
    ob = sample_ob(1, "UVES", "bad", parameters=[
        ("par_b", "integer", 2.5),
        ("par_c", "number", "fast"),
        ("par_x", "integer", 1),
        ("par_c", "number", 1),
    ])
    ob["templates"] += [
        {"templateName": "FORS2_img_obs_exp", "parameters": [{"name": "par_c", "type": "integer", "value": True}]},
        {"templateName": "UVES_blue", "parameters": []},
        "seq.samples.tpa",
    ]
    assert validate_ob(ob, fors2) == [
        "the OB is for instrument 'UVES', the instrument package is 'FORS2'",
        "templates[0] seq.samples.tpa: parameter par_b: expected integer, got 2.5",
        'templates[0] seq.samples.tpa: parameter par_c: expected number, got "fast"',
        "templates[0] seq.samples.tpa: parameter par_x: unknown parameter (known: par_b, par_c)",
        "templates[0] seq.samples.tpa: parameter par_c: given twice",
        "templates[1] FORS2_img_obs_exp: parameter par_c: declared 'integer', the signature says 'number'",
        "templates[1] FORS2_img_obs_exp: parameter par_c: expected number, got true",
        "templates[1] FORS2_img_obs_exp: missing required parameter par_b (integer)",
        "templates[2] UVES_blue: unknown template (not in the library of FORS2)",
        'templates[3]: expected an object with a "templateName" string',
    ]


def test_not_an_ob(fors2):
    assert validate_ob([], fors2) == ["an OB must be a JSON object"]
    assert validate_ob({"instrument": "FORS2"}, fors2) == ['"templates" must be a non-empty list']


def package(tmp_path, library, signatures=()):
    root = tmp_path / "IP" / "X" / "ip"
    (root / "app").mkdir(parents=True)
    (root / "templates").mkdir()
    (root / "app" / "library.cfg").write_text(library)
    for name, text in signatures:
        (root / "templates" / name).write_text(text)
    return {"CFGPATH": str(tmp_path)}


def test_a_template_without_signature(tmp_path):
    ip = load_instrument_package("X", environ=package(tmp_path, "[templates]\nT = seq.samples.tpa\n"))
    ob = {"instrument": "X", "templates": [{"templateName": "T", "parameters": []}]}
    assert validate_ob(ob, ip) == [f"templates[0] T: no signature in {ip.root / 'templates'}"]


@pytest.mark.parametrize(
    "library, signatures, error",
    [
        ("T = m\n", [], r"malformed template library .*library.cfg: File contains no section headers"),
        ("[other]\nT = m\n", [], r"no \[templates\] section"),
        ("[templates]\nT =\n", [], r"no module for T"),
        ("[templates]\n", [("t.json", "{")], r"malformed template signature .*t.json: Expecting property name"),
        ("[templates]\n", [("t.json", '{"templateName": "T", "parameters": [{"name": "p", "type": "float"}]}')],
         r"parameter p: type must be one of integer, number, string, boolean"),
        ("[templates]\n", [("t.json", '{"templateName": "T", "parameters": [{"name": "p", "type": "integer", "default": "1"}]}')],
         r'parameter p: default expected integer, got "1"'),
        ("[templates]\n", [("a.json", '{"templateName": "T"}'), ("b.json", '{"templateName": "T"}')],
         r"template T has two signatures in .*templates"),
    ],
)
def test_malformed_packages(tmp_path, library, signatures, error):
    with pytest.raises(IPError, match=error):
        load_instrument_package("X", environ=package(tmp_path, library, signatures))


def test_no_package(tmp_path):
    with pytest.raises(IPError, match=rf"no instrument package for FORS2: none of {tmp_path}/IP/FORS2/ip exists"):
        load_instrument_package("FORS2", environ={"CFGPATH": str(tmp_path)})
    with pytest.raises(IPError, match="CFGPATH is not set"):
        load_instrument_package("FORS2", environ={})


def test_prepare_refuses_an_invalid_ob_in_one_message(fors2):
    ob = sample_ob(1, "FORS2", "bad", parameters=[("par_b", "string", "x"), ("par_y", "integer", 1)])
    with pytest.raises(InvalidOB) as refused:
        prepare_ob(ob, fors2)
    assert str(refused.value) == (
        "the OB does not match the FORS2 instrument package (3 problems):\n"
        "  templates[0] seq.samples.tpa: parameter par_b: declared 'string', the signature says 'integer'\n"
        '  templates[0] seq.samples.tpa: parameter par_b: expected integer, got "x"\n'
        "  templates[0] seq.samples.tpa: parameter par_y: unknown parameter (known: par_b, par_c)"
    )
    assert len(refused.value.problems) == 3
    valid = sample_ob(1, "FORS2", "good", parameters=[("par_b", "integer", 1)])
    assert prepare_ob(valid, fors2)["templates"][0]["parameters"][1] == {"name": "par_c", "type": "number", "value": 22}
