"""Importing seq leaves asyncio as it is for every other piece of code in the process."""
import subprocess
import sys

#: Plain asyncio code beside seq, as libraries keeping a loop of their own do (bluesky, asyncua's
#: synchronous wrappers): a loop created in one thread and run in another.
BESIDE_SEQ = """
import asyncio
import threading

import seq.lib.nodes, seqkernel.engine, seqkernel.process, seqkernel.runner, seqshell.tool, seqserver.tool, seqtool.cli

loop = asyncio.new_event_loop()
thread = threading.Thread(target=loop.run_forever, daemon=True)
thread.start()

async def answer():
    await asyncio.sleep(0.01)
    return 42

print(asyncio.run_coroutine_threadsafe(answer(), loop).result(timeout=10))
loop.call_soon_threadsafe(loop.stop)
thread.join(10)
print(type(asyncio.get_event_loop_policy()).__module__, type(loop).__module__)
"""


def test_a_loop_created_in_one_thread_runs_in_another_beside_seq():
    done = subprocess.run([sys.executable, "-c", BESIDE_SEQ], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["42", "asyncio.unix_events", "asyncio.unix_events"]
