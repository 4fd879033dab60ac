"""The ESW sequencer of IRIS_ifsonly: the one that drives the others.

Its own script checks that the sequencers it drives answer, and says where they run.
The observations come as OBs loaded on it (``night_ob.json``, template ``observe``).
"""
from seq.lib import Sequence, get_sequencer, getUserLogger, simulating

LOGGER = getUserLogger()
DRIVEN = ("IRIS@IRIS_ifsonly", "TCS@IRIS_ifsonly")


async def check_sequencers():
    """Ask each driven sequencer where it runs"""
    for name in DRIVEN:
        status = await get_sequencer(name).command("getstatus")
        simulated = " (simulation)" if status.data and status.data.get("simulation") else ""
        LOGGER.info("%s%s", status.output, simulated)
    LOGGER.info("ESW is %s", "simulating" if simulating() else "driving real systems")


def create_sequence(*args, **kw):
    return Sequence.create(check_sequencers, name="ESW: IRIS_ifsonly ready", **kw)
