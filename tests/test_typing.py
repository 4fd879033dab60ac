"""The typed packages (setup.cfg's [mypy] section) pass the type checker, ship their types, and
a script author's type checker sees them."""
import configparser
import os
import pathlib
import re
import subprocess
import sys

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent


def _mypy(*args, cwd=REPO_ROOT, env=None):
    return subprocess.run([sys.executable, "-m", "mypy", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300)


def test_the_public_api_is_typed_and_checks():
    result = _mypy()
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_checked_package_ships_py_typed():
    setup = configparser.ConfigParser()
    setup.read(REPO_ROOT / "setup.cfg")
    checked = {re.split(r"[/.]", name.strip())[0] for name in setup["mypy"]["files"].split(",")}
    package_data = setup["options.package_data"]
    for package in sorted(checked):
        assert (REPO_ROOT / package / "py.typed").is_file(), package
        assert "py.typed" in package_data.get(package, ""), f"setup.cfg's package_data does not ship {package}/py.typed"


SCRIPT = '''
import asyncio
from seq.lib import Sequence
from seq.lib.log import getUserLogger
from seq.lib.nodes import Loop, Parallel
from seq.lib.ob import OB
from seq.nodes import Node
from seqlib import find_node
from seqlib.nodes import _skip, get_param, partial
from seqlib.ob import OB as OB_too

async def a() -> None:
    await asyncio.sleep(0)
    getUserLogger().info("a")

def more() -> bool:
    return False

def scaled(factor: float) -> float:
    return factor

top = Sequence.create(a, Parallel.create(a, partial(scaled, 2.0)), Loop.create(a, condition=more))
reveal_type(top)
reveal_type(OB.create(top))
reveal_type(Node(a, name="node"))
reveal_type(_skip(more))
reveal_type(find_node(top, "a"))
reveal_type(get_param("exptime"))
assert OB is OB_too
Sequence.create(scaled)
'''


def test_a_script_authors_type_checker_sees_the_script_api(tmp_path):
    """As from an installed copy: the packages found on the path, typed by their py.typed."""
    (tmp_path / "script.py").write_text(SCRIPT)
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    cache = REPO_ROOT / ".mypy_cache" / "script-author"
    result = _mypy("--strict", "--cache-dir", str(cache), "script.py", cwd=tmp_path, env=env)
    revealed = re.findall(r'Revealed type is "(.*)"', result.stdout)
    assert revealed == [
        "seqkernel.nodes.Sequence",
        "seqkernel.ob.OB",
        "seqkernel.nodes.Action",
        "seqkernel.nodes.Action",
        "tuple[seqkernel.nodes.Node | None, seqkernel.nodes.Node] | tuple[None, None]",
        "Any",
    ], result.stdout
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 1, result.stdout
    assert 'script.py:30: error: Argument 1 to "create" of "Sequence" has incompatible type ' \
           '"Callable[[float], float]"' in errors[0]
