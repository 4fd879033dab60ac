"""The scripts and OBs the queue's tests load (through the kernel, the shell, a server and the page):
items that do one step each, a gate with a breakpoint inside, and an exposure template."""
import json
import pathlib

ITEM = """
from seq.lib.nodes import Sequence

async def {name}_step():
    pass

def create_sequence(*args, **kw):
    return Sequence.create({name}_step, name="{name}")
"""

GATE = """
from seq.lib.nodes import Sequence, _pause

async def opening():
    pass

async def inside():
    pass

def create_sequence(*args, **kw):
    return Sequence.create(opening, _pause(inside), name="gate")
"""

EXPOSE = """
from seq.lib.nodes import Sequence, get_param
from seq.lib import getUserLogger

async def expose():
    exptime = get_param("exptime")
    if exptime <= 0:
        raise ValueError(f"exptime must be positive, not {exptime}")
    getUserLogger().info("exposure %s", exptime)

def create_sequence(*args, **kw):
    return Sequence.create(expose, **kw)
"""


def night_ob(name: str, *exptimes: float) -> dict:
    """An OB of one expose template per exposure time."""
    return {"obsDescription": {"name": name},
            "templates": [{"templateName": "expose", "parameters": [{"name": "exptime", "type": "number",
                                                                    "value": exptime}]} for exptime in exptimes]}


def write_night(directory: pathlib.Path, items=("alpha", "beta", "gamma"), obs=None) -> dict[str, pathlib.Path]:
    """Write the items, the gate and the expose template as modules of ``directory``, and the OBs
    ``obs`` (name -> exposure times) as NAME.json; returns each file by name."""
    paths = {}
    for name, source in [*((item, ITEM.format(name=item)) for item in items), ("gate", GATE), ("expose", EXPOSE)]:
        paths[name] = directory / f"{name}.py"
        paths[name].write_text(source)
    for name, exptimes in (obs or {}).items():
        paths[name] = directory / f"{name}.json"
        paths[name].write_text(json.dumps(night_ob(name, *exptimes)))
    return paths
