"""``bp``: run a system command from the shell (the manual's "bypass to subprocess")."""
from __future__ import annotations

import trio

from protocol import Outcome


async def run(command: str) -> Outcome:
    """Run ``command`` through /bin/sh and return what it printed; a non-zero status is a failure."""
    result = await trio.run_process(command, shell=True, capture_stdout=True, capture_stderr=True, check=False,
                                    stdin=b"")
    output = result.stdout.decode(errors="backslashreplace")
    error = result.stderr.decode(errors="backslashreplace")
    if result.returncode:
        error += f"{'' if not error or error.endswith(chr(10)) else chr(10)}exit status {result.returncode}"
    return Outcome(ok=result.returncode == 0, output=output, error=error)
