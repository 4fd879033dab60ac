"""Writing small scripts to files, as a script author would, for the engine to load."""
import itertools
import textwrap

import protocol
from seqkernel.states import display_state

_names = itertools.count()


def write_script(directory, *parts: str) -> str:
    """Write the source ``parts`` (each dedented) to a new module file in ``directory``; returns its path."""
    path = directory / f"script_{next(_names)}.py"
    path.write_text("\n".join(textwrap.dedent(part) for part in parts))
    return str(path)


def states(engine) -> dict:
    """``{name: display state}`` of every node of the loaded scripts (first node of each name)."""
    found = {}
    for node in engine.root.walk():
        found.setdefault(node.name, display_state(node.state.value, node.flags))
    return found


def nodes(engine) -> str:
    return protocol.format_nodes(engine.snapshot())


async def run_to_end(engine, timeout=5):
    """Run everything loaded and wait until it stops; the outcome."""
    engine.run()
    return await engine.wait(timeout)
