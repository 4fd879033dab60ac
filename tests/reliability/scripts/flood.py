"""Everything a careless script does at once: forks a child, writes binary to fd 1 and 2, floods the log
(from a worker thread, so the kernel keeps serving commands meanwhile)."""
import logging
import os

from seq.lib.nodes import ActionInThread, Sequence

RECORDS = 100_000


def fork_and_write():
    pid = os.fork()
    if pid == 0:  # the child writes binary garbage and leaves at once, without clean-up
        os.write(1, bytes(range(256)) * 64)
        os._exit(0)
    os.write(2, b"\xff\xfe\x00binary\x80" * 1000)
    os.waitpid(pid, 0)


def flood_log():
    log = logging.getLogger("seq.user")
    for index in range(RECORDS):
        log.info("record %d of a flood", index)


def create_sequence(*args, **kw):
    return Sequence.create(fork_and_write, ActionInThread(flood_log, name="flood_log"), name="flood", **kw)
