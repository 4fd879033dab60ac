"""The conformance tests start the server with the server tests' harness."""
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "server"))  # server_harness
