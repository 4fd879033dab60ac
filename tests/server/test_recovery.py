"""A shell or kernel killed mid-run: clients are told, stay connected, and find their work loaded again."""
import json
import os
import pathlib
import signal
import sys

import pytest

import samples
from server_harness import (SCRIPTS, chain_pids, is_run, is_running, is_state, next_event, running_server,
                            states_in_nodes)

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "otto"))
from otto_fixtures import run_tino, sample_ob  # noqa: E402  (tino as a real process)

EXPOSURE = SCRIPTS / "exposure.py"
OB_SAMPLE = pathlib.Path(samples.__file__).parent / "obex.json"


def is_notice(text):
    return lambda event: event.get("kind") == "notice" and event["message"].startswith(text)


@pytest.mark.parametrize("victim", ["kernel", "shell"])
async def test_the_chain_is_restarted_with_the_loaded_work(server, victim):
    async with server.connect("operator") as operator, server.connect("watcher") as watcher:
        assert (await operator.command(f"load {EXPOSURE}")).ok
        assert (await operator.command(f"ob {OB_SAMPLE}")).ok
        assert (await operator.command("setvar 0 1 par_c 42.5")).ok
        assert (await operator.command("skip -find_name readout")).ok
        assert (await operator.command("run")).ok
        await next_event(watcher.events(), is_state("expose", "RUNNING"))
        shell, kernel = chain_pids(server)

        os.kill(kernel if victim == "kernel" else shell, signal.SIGKILL)

        for conn in (operator, watcher):
            ended = await next_event(conn.events(), lambda e: e.get("kind") == "notice"
                                     and "restoring the loaded work" in e["message"])
            assert ended["message"].startswith(f"the {victim}")
            restored = await next_event(conn.events(), is_notice("restored"))
            assert restored["message"] == "restored 3 loading command(s) and 1 flag(s)"
        assert not is_running(shell) and not is_running(kernel)
        new_shell, new_kernel = chain_pids(server)
        assert {new_shell, new_kernel}.isdisjoint({shell, kernel})

        # The same script and OB are loaded, with the flag and the variable's value, for both clients.
        states = states_in_nodes((await watcher.command("nodes")).output)
        assert sorted(states.values()).count("NOT_STARTED|RT.SKIP") == 1
        assert "My humble II OB(A)" in (await watcher.command("lsob")).output
        assert "par_c (number) = 42.5" in (await watcher.command("lsvar")).output
        assert (await operator.command("run")).ok
        await next_event(watcher.events(), is_state("expose", "RUNNING"))
        assert (await watcher.command("abort")).ok
        await next_event(operator.events(), is_run("aborted"))


async def test_an_ob_fetched_from_otto_is_restored(tmp_path):
    """OTTO set in the server's configuration file: fetch, kill the kernel, find the OB loaded again."""
    folder = tmp_path / "obs"
    folder.mkdir()
    (folder / "first.json").write_text(json.dumps(sample_ob(1, "FORS2", "first light")))
    config = tmp_path / "seq.yaml"
    async with run_tino(folder) as tino:
        config.write_text(f"otto:\n  url: {tino.url}\n  insid: FORS2\n")
        async with running_server("--config", str(config)) as server, server.connect("operator") as operator:
            fetched = await operator.command("fetch")
            assert fetched.ok, fetched.error
            os.kill(chain_pids(server)[1], signal.SIGKILL)
            restored = await next_event(operator.events(), is_notice("restored"))
            assert restored["message"] == "restored 1 loading command(s) and 0 flag(s)"
            assert "first light" in (await operator.command("lsob")).output


async def test_the_shells_settings_are_restored_before_the_work(server):
    """OTTO's settings and the instrument, changed by a client, hold in the fresh chain too."""
    async with server.connect("operator") as operator:
        assert (await operator.command("otto set url=http://127.0.0.1:9/ insid=FORS2")).ok
        assert (await operator.command("instrument UVES")).ok
        assert (await operator.command(f"load {EXPOSURE}")).ok
        os.kill(chain_pids(server)[1], signal.SIGKILL)
        restored = await next_event(operator.events(), is_notice("restored"))
        assert restored["message"] == "restored 2 setting(s), 1 loading command(s) and 0 flag(s)"
        otto = (await operator.command("otto")).output
        assert "url: http://127.0.0.1:9/" in otto and "insid: FORS2" in otto
        assert "checked against the UVES instrument package" in (await operator.command("instrument")).output
        assert "exposure" in (await operator.command("modules")).output
