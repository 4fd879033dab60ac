"""The garbage collector's setting in seq's own processes, which relay floods of events.

Each event a kernel, a shell or a server passes on is a few short-lived objects that
reference counting frees; the cyclic collector finds little among them. With Python's
default thresholds it ran a young collection every 700 allocations: hundreds during a
10,000-step run, and now and then a full one walking the whole heap, the loaded trees
included (some 40 ms each). A young collection every 20,000 allocations takes some 15%
off the chain's time for that run (``scripts/bench_server.py``); garbage in cycles waits
a little longer to be freed.
"""
import gc

YOUNG_COLLECTION_EVERY = 20_000  # allocations (Python's default: 700)


def tune_for_relaying() -> None:
    """Set this process's collector for relaying events (the older generations keep their defaults)."""
    gc.set_threshold(YOUNG_COLLECTION_EVERY, *gc.get_threshold()[1:])
