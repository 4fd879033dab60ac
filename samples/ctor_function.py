"""Constructor convention with a module function (manual 6.1, listings 13 and 14).

``create_sequence`` takes the steps to run as positional arguments and adds a
final step of its own; keyword arguments (name, id) go to the Sequence.
"""
from seq.lib.log import getUserLogger
from seq.lib.nodes import Sequence

user_logger = getUserLogger()


def my_method():
    user_logger.info("My INFO msg")


# module ctor
async def my_end_step():
    pass


def create_sequence(*args, **kw):
    return Sequence.create(my_method, *args, my_end_step, **kw)
