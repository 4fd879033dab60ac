"""A step that starts a helper in the background, the shell way, and forgets it."""
import subprocess

from seq.lib.nodes import Sequence


def start_helper():
    """The helper outlives the shell that started it: an orphan."""
    subprocess.run(["sh", "-c", "sleep 3 & echo helper $!"], check=True)


def create_sequence(*args, **kw):
    return Sequence.create(start_helper, name="leaves_helper", **kw)
