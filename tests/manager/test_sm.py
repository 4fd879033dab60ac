"""``seqtool sm``, the sequence manager, as an operator uses it: real components on two hosts
(127.0.0.1 and 127.0.0.2) registered in a real Redis, and the command's output and exit status.

The observatory: two ESW components (one a host), one IRIS and one TCS; no WFOS, APS or
NFIRAOS component, so their sequencers fall back on ESW components.
"""
from __future__ import annotations

import json
import socket
import subprocess
import textwrap

import pytest

from observatory_harness import SEQTOOL, TIMEOUT, Observatory, running_observatory

CONFIG = """
scripts:
  ESW: {IRIS_ifsonly: quick, WFOS_dark: quick, IRIS_broken: quick, ENG_big: quick, APS_align: quick,
        NFIRAOS_check: quick, APS_hang: quick}
  IRIS: {IRIS_ifsonly: quick, IRIS_broken: broken, ENG_big: quick}
  TCS: {IRIS_ifsonly: quick, ENG_big: quick}
  WFOS: {WFOS_dark: quick}
  NFIRAOS: {ENG_big: quick}
  APS: {ENG_big: quick, APS_hang: hang}
obsmodes:
  IRIS_ifsonly: {resources: [IRIS, TCS], sequencers: [ESW, IRIS, TCS]}
  WFOS_dark: {resources: [WFOS, TCS], sequencers: [ESW, WFOS]}
  IRIS_broken: {resources: [IRIS], sequencers: [ESW, IRIS]}
  ENG_big: {resources: [NFIRAOS], sequencers: [ESW, IRIS, TCS, NFIRAOS, APS]}
  APS_align: {resources: [APS], sequencers: [ESW]}
  NFIRAOS_check: {resources: [NFIRAOS], sequencers: [ESW]}
  APS_hang: {resources: [APS], sequencers: [ESW, APS]}
"""

SCRIPTS = {
    "quick.py": """
        from seq.lib import Sequence

        async def ready():
            pass

        def create_sequence(*args, **kw):
            return Sequence.create(ready, **kw)
        """,
    "broken.py": """
        def create_sequence(*args, **kw):
            raise RuntimeError("no detector")
        """,
    "hang.py": """
        import pathlib, time
        while not pathlib.Path("release-hang").exists():   # an import that does not end (a device that
            time.sleep(0.1)                              # does not answer) until the test releases it
        from quick import create_sequence
        """,
}


@pytest.fixture(scope="module")
def observatory(tmp_path_factory):
    folder = tmp_path_factory.mktemp("observatory")
    with running_observatory(folder, CONFIG, SCRIPTS, "ESW.ESW_1@127.0.0.1", "ESW.ESW_2@127.0.0.2",
                             "IRIS.IRIS_1@127.0.0.1", "TCS.TCS_1@127.0.0.2") as observatory:
        yield observatory


@pytest.fixture
def sm(observatory):
    """The observatory, every component idle again after the test."""
    yield observatory
    observatory.sm("shutdown", "--all")
    assert observatory.sequencers() == {}


def statuses(observatory: Observatory) -> dict[str, tuple[str, str]]:
    """Each observing mode's status and explanation, as ``seqtool sm obsmodes`` prints them."""
    listed = observatory.sm("obsmodes")
    assert listed.returncode == 0, listed.stderr
    rows = [line.split(None, 2) for line in listed.stdout.splitlines()[1:]]
    return {row[0]: (row[1], row[2] if len(row) > 2 else "") for row in rows}


def test_obsmodes_say_what_is_configurable_and_why_not(sm):
    before = statuses(sm)
    assert before["IRIS_ifsonly"] == ("Configurable", "would start ESW@IRIS_ifsonly on ESW.ESW_1, IRIS@IRIS_ifsonly "
                                      "on IRIS.IRIS_1, TCS@IRIS_ifsonly on TCS.TCS_1")
    assert before["WFOS_dark"] == ("Configurable", "would start ESW@WFOS_dark on ESW.ESW_1, WFOS@WFOS_dark on "
                                   "ESW.ESW_2")  # no WFOS component: an ESW one runs it
    assert before["ENG_big"] == ("NonConfigurable", "no idle APS or ESW component for APS@ENG_big")

    configured = sm.sm("configure", "IRIS_ifsonly")
    assert configured.returncode == 0, configured.stderr
    assert configured.stdout.splitlines() == [  # the driving sequencer first
        "ESW@IRIS_ifsonly started on ESW.ESW_1", "IRIS@IRIS_ifsonly started on IRIS.IRIS_1",
        "TCS@IRIS_ifsonly started on TCS.TCS_1"]
    assert sm.sequencers() == {"ESW@IRIS_ifsonly": "ESW.ESW_1", "IRIS@IRIS_ifsonly": "IRIS.IRIS_1",
                               "TCS@IRIS_ifsonly": "TCS.TCS_1"}

    after = statuses(sm)
    assert after["IRIS_ifsonly"][0] == "Configured"
    assert after["WFOS_dark"] == ("NonConfigurable", "conflicts with IRIS_ifsonly (running): both use TCS; "
                                  "no idle WFOS or ESW component for WFOS@WFOS_dark")  # the one idle ESW component goes to ESW
    assert after["IRIS_broken"] == ("NonConfigurable", "conflicts with IRIS_ifsonly (running): both use IRIS; "
                                    "no idle IRIS or ESW component for IRIS@IRIS_broken")
    assert after["APS_align"] == ("Configurable", "would start ESW@APS_align on ESW.ESW_2")
    modes = {mode["obsmode"]: mode for mode in sm.sm_json("obsmodes")["obsmodes"]}
    assert modes["IRIS_ifsonly"]["running"][1] == {
        "sequencer": "IRIS@IRIS_ifsonly", "component": "IRIS.IRIS_1", "address": sm.components["IRIS.IRIS_1"].address}
    assert modes["ENG_big"]["reasons"] == [f"no idle {subsystem} or ESW component for {subsystem}@ENG_big"
                                           for subsystem in ("IRIS", "TCS", "NFIRAOS", "APS")]

    resources = sm.sm("resources")
    assert resources.returncode == 0
    assert resources.stdout.split("\n", 1)[1].split() == [
        "APS", "free", "IRIS", "in", "use", "by", "IRIS_ifsonly", "NFIRAOS", "free",
        "TCS", "in", "use", "by", "IRIS_ifsonly", "WFOS", "free"]

    again = sm.sm("configure", "IRIS_ifsonly", "--json")
    assert again.returncode == 0
    report = json.loads(again.stdout)
    assert (report["ok"], report["changed"], len(report["running"])) == (True, False, 3)
    assert "IRIS_ifsonly already runs" in sm.sm("configure", "IRIS_ifsonly").stdout


def test_configure_refuses_a_mode_that_conflicts_and_falls_back_on_esw(sm):
    fallback = sm.sm("configure", "WFOS_dark")
    assert fallback.returncode == 0, fallback.stderr
    assert sm.sequencers() == {"ESW@WFOS_dark": "ESW.ESW_1", "WFOS@WFOS_dark": "ESW.ESW_2"}

    refused = sm.sm("configure", "IRIS_ifsonly")
    assert refused.returncode == 1
    assert refused.stderr == "seqtool sm: cannot configure IRIS_ifsonly: conflicts with WFOS_dark (running): both " \
        "use TCS; no idle ESW component for ESW@IRIS_ifsonly\n"
    assert sm.sequencers() == {"ESW@WFOS_dark": "ESW.ESW_1", "WFOS@WFOS_dark": "ESW.ESW_2"}  # nothing changed
    assert sm.directory()["IRIS.IRIS_1"]["state"] == "idle"

    started = sm.sm("start", "IRIS", "IRIS_ifsonly")
    assert started.returncode == 1 and "conflicts with WFOS_dark (running): both use TCS" in started.stderr


def test_a_script_that_fails_to_load_rolls_the_whole_mode_back(sm):
    failed = sm.sm("configure", "IRIS_broken", "--json")
    assert failed.returncode == 1
    report = json.loads(failed.stdout)
    assert report["ok"] is False
    assert report["failed"] == [{"sequencer": "IRIS@IRIS_broken", "component": "IRIS.IRIS_1", "ok": False,
                                 "text": report["failed"][0]["text"]}]
    assert "cannot load broken for IRIS@IRIS_broken" in report["failed"][0]["text"]
    assert report["rolled_back"] == [{"sequencer": "ESW@IRIS_broken", "component": "ESW.ESW_1", "ok": True,
                                      "text": "ESW.ESW_1 no longer runs ESW@IRIS_broken: idle"}]
    assert report["error"].startswith("cannot configure IRIS_broken: IRIS@IRIS_broken on IRIS.IRIS_1 failed: "
                                      "cannot load broken for IRIS@IRIS_broken")
    assert report["error"].endswith("(rolled back: ESW@IRIS_broken unloaded from ESW.ESW_1)")
    assert sm.sequencers() == {}
    assert {entry["state"] for entry in sm.directory().values()} == {"idle"}


def test_start_restart_and_the_forms_of_shutdown(sm):
    assert sm.sm("configure", "IRIS_ifsonly").returncode == 0
    tcs_gone = sm.sm("shutdown", "--subsystem", "TCS")
    assert (tcs_gone.returncode, tcs_gone.stdout) == (0, "TCS@IRIS_ifsonly unloaded from TCS.TCS_1\n")
    assert statuses(sm)["IRIS_ifsonly"] == ("Configurable", "would start TCS@IRIS_ifsonly on TCS.TCS_1 (running: "
                                            "ESW@IRIS_ifsonly on ESW.ESW_1, IRIS@IRIS_ifsonly on IRIS.IRIS_1)")
    started = sm.sm("start", "TCS", "IRIS_ifsonly")
    assert (started.returncode, started.stdout) == (0, "TCS@IRIS_ifsonly started on TCS.TCS_1\n")
    assert sm.sm("start", "TCS", "IRIS_ifsonly").stdout.startswith("TCS@IRIS_ifsonly already runs")

    restarted = sm.sm("restart", "IRIS", "IRIS_ifsonly")
    assert (restarted.returncode, restarted.stdout) == (0, "IRIS@IRIS_ifsonly restarted on IRIS.IRIS_1\n")
    missing = sm.sm("restart", "WFOS", "WFOS_dark")
    assert missing.returncode == 1 and "WFOS@WFOS_dark is not running: nothing to restart" in missing.stderr

    assert sm.sm("configure", "APS_align").returncode == 0  # beside IRIS_ifsonly: no shared resource
    mode_down = sm.sm("shutdown", "IRIS_ifsonly")
    assert mode_down.returncode == 0
    assert mode_down.stdout.splitlines()[0] == "ESW@IRIS_ifsonly unloaded from ESW.ESW_1"  # the driver first
    assert sorted(mode_down.stdout.splitlines()[1:]) == ["IRIS@IRIS_ifsonly unloaded from IRIS.IRIS_1",
                                                         "TCS@IRIS_ifsonly unloaded from TCS.TCS_1"]
    assert sm.sequencers() == {"ESW@APS_align": "ESW.ESW_2"}
    everything = sm.sm_json("shutdown", "--all")
    assert everything["stopped"] == [{"sequencer": "ESW@APS_align", "component": "ESW.ESW_2", "ok": True,
                                      "text": "ESW.ESW_2 no longer runs ESW@APS_align: idle"}]
    nothing = sm.sm("shutdown", "--all")
    assert (nothing.returncode, nothing.stdout) == (0, "no sequencer at all is running; nothing changed\n")
    assert sm.sm("shutdown", "--subsystem", "TCS", "--all").returncode == 2  # one form at a time


def test_two_managers_at_once_never_share_a_component_nor_start_conflicting_modes(sm):
    # Two modes that share TCS: one of them starts, the other is refused.
    first, second = sm.sm_process("configure", "IRIS_ifsonly"), sm.sm_process("configure", "WFOS_dark")
    outcomes = {name: (process.wait(timeout=TIMEOUT), process.stderr.read())
                for name, process in (("IRIS_ifsonly", first), ("WFOS_dark", second))}
    winners = [mode for mode, (status, _) in outcomes.items() if status == 0]
    assert len(winners) == 1, outcomes
    (loser, (status, said)), = [(m, o) for m, o in outcomes.items() if m not in winners]
    assert status == 1 and f"cannot configure {loser}: " in said, said
    assert "TCS" in said or "no idle" in said, said  # a conflict, or the components the winner took
    assert {name.partition("@")[2] for name in sm.sequencers()} == set(winners)
    assert sm.sm("shutdown", "--all").returncode == 0

    # Two modes without a shared resource, both wanting the first idle ESW component: each gets its own.
    first, second = sm.sm_process("configure", "APS_align"), sm.sm_process("configure", "NFIRAOS_check")
    assert (first.wait(timeout=TIMEOUT), second.wait(timeout=TIMEOUT)) == (0, 0), first.stderr.read() + \
        second.stderr.read()
    assert sorted(sm.sequencers().values()) == ["ESW.ESW_1", "ESW.ESW_2"]


def test_bad_input_gets_a_clear_answer_and_changes_nothing(observatory, tmp_path):
    unknown = observatory.sm("configure", "IRIS_darknight")
    assert unknown.returncode == 2
    assert unknown.stderr == f"seqtool sm: no observing mode IRIS_darknight in the configuration file " \
        f"{observatory.config} (its observing modes: APS_align, APS_hang, ENG_big, IRIS_broken, IRIS_ifsonly, " \
        "NFIRAOS_check, WFOS_dark)\n"
    badly_named = observatory.sm("configure", "ifsonly", "--json")
    assert badly_named.returncode == 2 and "expected <system>_<modeName>" in json.loads(badly_named.stdout)["error"]

    (tmp_path / "bad.yaml").write_text(textwrap.dedent("""
        scripts:
          ESW: {IRIS_ifsonly: quick}
        obsmodes:
          IRIS_ifsonly: {resources: [IRIS], sequencers: [ESW, IRIS]}
        """))
    bad = observatory.sm("obsmodes", config=tmp_path / "bad.yaml")
    assert bad.returncode == 2
    assert "obsmodes.IRIS_ifsonly needs the sequencer IRIS, but scripts.IRIS has no script for IRIS_ifsonly" \
        in bad.stderr

    port = closed_port()
    down = observatory.sm("obsmodes", "--redis", f"127.0.0.1:{port}")
    assert down.returncode == 2
    assert down.stderr.startswith(f"seqtool sm: redis 127.0.0.1:{port}/0 is unavailable")

    none = subprocess.run([*SEQTOOL, "sm", "obsmodes"], capture_output=True, text=True,
                          env={k: v for k, v in observatory.env.items() if k != "SEQ_CONFIG"}, timeout=TIMEOUT)
    assert none.returncode == 2 and "no configuration file: give --config FILE (or set SEQ_CONFIG)" in none.stderr
    assert observatory.sequencers() == {}


def test_a_component_that_dies_while_being_configured_is_rolled_back_like_any_failure(sm):
    aps, = sm.start("APS.APS_1@127.0.0.2")  # its script's import hangs until it is killed
    watch = subprocess.Popen([*SEQTOOL, "locate", "--watch", "--json"], stdout=subprocess.PIPE, text=True,
                             env=sm.env)
    try:
        configuring = sm.sm_process("configure", "APS_hang", "--timeout", str(TIMEOUT))
        for line in watch.stdout:  # until the component took the name and is loading the script
            if json.loads(line)["entry"]["name"] == "APS@APS_hang":
                break
        aps.kill()
        assert configuring.wait(timeout=TIMEOUT) == 1
        said = configuring.stderr.read()
        assert said.startswith("seqtool sm: cannot configure APS_hang: APS@APS_hang on APS.APS_1 failed: "
                               f"APS.APS_1 at {aps.address} could not be reached or was lost"), said
        assert said.endswith("(rolled back: ESW@APS_hang unloaded from ESW.ESW_1)\n"), said
        for line in watch.stdout:  # the killed component's names expire
            change = json.loads(line)
            if change["change"] == "removed" and change["entry"]["name"] == "APS@APS_hang":
                break
        assert sm.sequencers() == {}
    finally:
        watch.kill()
        watch.wait()
        (sm.folder / "release-hang").touch()
        del sm.components["APS.APS_1"]


def closed_port() -> int:
    """A port of 127.0.0.1 where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
