"""A process that holds a name in the location service, for the tests and the benchmark.

``owner.py NAME [--host H] [--port P]`` registers the component NAME, prints
``{"instance": ..., "registered_at": TIME}`` and then obeys lines on its standard input, answering each with a
JSON line: ``state STATE``, ``sequencer SEQUENCER``, ``unload``, ``claim NAME...``.
It unregisters and exits when its input closes; on a refused name it prints the
reason on stderr and exits with status 3.
"""
import argparse
import json
import sys
import time

import structlog
import trio

from seqlocation import Entry, LocationError, NameTaken, open_directory


async def main(args):
    async with open_directory() as directory:
        try:
            async with directory.registered(Entry(args.name, host=args.host, port=args.port)) as registration:
                answer({"instance": registration.instance, "registered_at": time.time()})
                await obey(directory, registration)
        except NameTaken as exc:
            print(exc, file=sys.stderr, flush=True)
            return 3
    return 0


async def obey(directory, registration):
    async with trio.open_nursery() as nursery:
        while line := await trio.to_thread.run_sync(sys.stdin.readline, abandon_on_cancel=True):
            command, *words = line.split()
            try:
                if command == "state":
                    await registration.update(state=words[0])
                elif command == "sequencer":
                    await registration.add_sequencer(words[0])
                elif command == "unload":
                    await registration.remove_sequencer()
                elif command == "claim":
                    claimed = await nursery.start(hold_claims, directory, words)
                    answer({"claimed": claimed})
                    continue
                answer({"ok": True})
            except LocationError as exc:
                answer({"error": str(exc)})
        nursery.cancel_scope.cancel()


async def hold_claims(directory, names, task_status=trio.TASK_STATUS_IGNORED):
    try:
        async with directory.claiming(names, "the tests") as claimed:
            task_status.started(claimed)
            await trio.sleep_forever()
    except NameTaken as exc:
        task_status.started(str(exc))


def answer(data):
    print(json.dumps(data), flush=True)


if __name__ == "__main__":
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))  # stdout is for answers
    parser = argparse.ArgumentParser()
    parser.add_argument("name")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    sys.exit(trio.run(main, parser.parse_args()))
