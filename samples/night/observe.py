"""A template of the ESW sequencer: one observation of IRIS_ifsonly, driving IRIS and TCS.

It sends IRIS the exposures (an OB, with this template's exposure time and count),
then runs TCS and IRIS at once: the telescope slews while the instrument sets up.
A failure on either raises here, naming the sequencer and its node; aborting this
run aborts theirs.
"""
import pathlib

from seq.lib import Parallel, Sequence, get_param, get_sequencer, getUserLogger

LOGGER = getUserLogger()
IRIS = get_sequencer("IRIS@IRIS_ifsonly")
TCS = get_sequencer("TCS@IRIS_ifsonly")
EXPOSURES = pathlib.Path(__file__).with_name("iris_exposures.json")

__seq_params__ = {"exptime": 2.0, "nexp": 3}


async def send_exposures():
    """Load the exposures on IRIS (once) and set their time and count"""
    loaded = await IRIS.command("lsob")
    if not any(ob["name"] == "IRIS exposures" for ob in loaded.data or []):
        LOGGER.info(await IRIS.load_ob(EXPOSURES))
    await IRIS.set_variable("exptime", get_param("exptime"))
    await IRIS.set_variable("nexp", get_param("nexp"))


async def point_telescope():
    """Run TCS: slew and track"""
    await TCS.run()
    LOGGER.info("TCS tracks")


async def set_up_and_expose():
    """Run IRIS: set up, then expose"""
    await IRIS.run()
    LOGGER.info("IRIS exposures done")


def create_sequence(*args, **kw):
    return Sequence.create(
        send_exposures,
        Parallel.create(point_telescope, set_up_and_expose, name="TCS and IRIS"),
        name="ESW: observe", **kw)
