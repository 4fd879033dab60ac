"""Names of components, sequencers and observing modes, and the choice of registry."""

import pytest

from seqlocation import (
    COMPONENT, SEQUENCER, InvalidName, LocationError, check_obsmode, lookup_names, matches, parse_name,
    registry_spec, sequencer_name,
)


@pytest.mark.parametrize(
    "text, kind, parts",
    [
        ("ESW.ESW_77", COMPONENT, {"subsystem": "ESW", "name": "ESW_77"}),
        ("ESW.primary", COMPONENT, {"subsystem": "ESW", "name": "primary"}),
        ("IRIS@IRIS_ifsonly", SEQUENCER, {"subsystem": "IRIS", "obsmode": "IRIS_ifsonly", "variation": None}),
        ("IRIS@IRIS_ImagerAndIFS.IMAGER", SEQUENCER,
         {"subsystem": "IRIS", "obsmode": "IRIS_ImagerAndIFS", "variation": "IMAGER"}),
        ("ESW@ENG_pointingmap", SEQUENCER, {"subsystem": "ESW", "obsmode": "ENG_pointingmap"}),
    ],
)
def test_valid_names_parse_into_their_parts_and_back(text, kind, parts):
    name = parse_name(text)
    assert name.kind == kind
    assert {key: getattr(name, key) for key in parts} == parts
    assert name.text == str(name) == text


@pytest.mark.parametrize(
    "text, message",
    [
        ("esw.ESW_77", "subsystem 'esw': expected upper-case"),
        ("ESW", "expected SUBSYSTEM.NAME"),
        ("ESW.", "component name ''"),
        ("ESW.a b", "component name 'a b'"),
        ("IRIS@ifsonly", "observing mode 'ifsonly': expected <system>_<modeName>"),
        ("IRIS@iris_ifsonly", "observing mode 'iris_ifsonly'"),
        ("IRIS@IRIS_", "observing mode 'IRIS_'"),
        ("IRIS@IRIS_ifsonly.", "the variation after '.' is empty"),
        ("@IRIS_ifsonly", "subsystem ''"),
    ],
)
def test_invalid_names_are_refused_saying_what_is_wrong(text, message):
    with pytest.raises(InvalidName, match=message.replace("(", r"\(").replace(".", r"\.")):
        parse_name(text)


def test_observing_modes_are_system_underscore_mode():
    assert check_obsmode("WFOS_darknight") == "WFOS_darknight"
    with pytest.raises(InvalidName, match="upper-case system"):
        check_obsmode("Wfos_darknight")
    with pytest.raises(InvalidName, match="variation 'A.B'"):
        sequencer_name("IRIS", "IRIS_ifsonly", "A.B")


def test_tmt_dotted_form_looks_up_the_component_first_then_the_sequencer():
    assert lookup_names("IRIS.IRIS_ifsonly") == ["IRIS.IRIS_ifsonly", "IRIS@IRIS_ifsonly"]
    assert lookup_names("IRIS.IRIS_ImagerAndIFS.IMAGER") == ["IRIS@IRIS_ImagerAndIFS.IMAGER"]
    assert lookup_names("ESW.primary") == ["ESW.primary"]  # 'primary' is no observing mode
    assert lookup_names("IRIS@IRIS_ifsonly") == ["IRIS@IRIS_ifsonly"]
    with pytest.raises(InvalidName, match="subsystem 'iris'"):
        lookup_names("iris.IRIS_ifsonly")


@pytest.mark.parametrize(
    "pattern, name, expected",
    [
        (None, "ESW.ESW_77", True),
        ("IRIS", "IRIS@IRIS_ifsonly", True),
        ("ifsonly", "IRIS@IRIS_ifsonly", True),
        ("IRIS", "ESW.ESW_77", False),
        ("IRIS@*", "IRIS@IRIS_ifsonly", True),
        ("IRIS@*", "IRIS.IRIS_77", False),
        ("IRIS.IRIS_ifsonly", "IRIS@IRIS_ifsonly", True),
        ("ESW.*", "ESW.ESW_77", True),
    ],
)
def test_locate_patterns(pattern, name, expected):
    assert matches(pattern, name) is expected


def test_the_registry_is_chosen_by_option_then_environment_then_default(tmp_path):
    assert str(registry_spec("7000", {})) == "redis://127.0.0.1:7000/0"
    assert str(registry_spec("db-host:7000", {"SEQ_REGISTRY": "redis://other:1/2"})) == "redis://db-host:7000/0"
    assert str(registry_spec(None, {"SEQ_REGISTRY": "redis://other:6380/2"})) == "redis://other:6380/2"
    assert str(registry_spec(None, {"SEQ_REGISTRY": "redis://other"})) == "redis://other:6379/0"
    assert registry_spec(None, {"SEQ_REGISTRY": f"file:{tmp_path}"}).folder == tmp_path
    default = registry_spec(None, {})
    assert not default.is_redis and default.folder.parts[-2:] == ("seq", "registry")


@pytest.mark.parametrize(
    "redis, environment, message",
    [
        ("host:port", {}, "--redis host:port: 'port' is not a port number"),
        ("99999", {}, "'99999' is not a port number"),
        (None, {"SEQ_REGISTRY": "http://x"}, "expected redis://HOST:PORT/DB or file:FOLDER"),
        (None, {"SEQ_REGISTRY": "redis://x:1/zero"}, "the database 'zero' is not a number"),
    ],
)
def test_a_bad_registry_address_is_refused_clearly(redis, environment, message):
    with pytest.raises(LocationError, match=message):
        registry_spec(redis, environment)
