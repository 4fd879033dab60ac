"""scripts/soak.py in a reduced form: a hundred clients at once; short runs while clients come and go, nothing leaks."""
import importlib.util
import pathlib
import sys

SOAK = pathlib.Path(__file__).resolve().parents[2] / "scripts" / "soak.py"


def load_soak():
    spec = importlib.util.spec_from_file_location("soak", SOAK)
    module = importlib.util.module_from_spec(spec)
    sys.modules["soak"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


async def test_short_runs_with_clients_coming_and_going_leak_nothing(tmp_path):
    soak = load_soak()
    result = await soak.soak(150, seed=1, workdir=tmp_path)
    print(result.summary())
    assert result.runs == 150 and sum(result.visitors.values()) > 20
    assert result.problems() == []


async def test_a_hundred_clients_at_once_each_see_the_whole_run(tmp_path):
    result = await load_soak().load(100, 300, workdir=tmp_path)
    print(result.summary())
    assert result.complete == 99, result.summary()
