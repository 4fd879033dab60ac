"""``python -m seqkernel``: the kernel process, normally spawned by the shell.

With ``--fd N`` it speaks the protocol on the inherited socket N (one end of a
socketpair the parent passed with ``pass_fds``). Without it, the protocol uses
stdin/stdout, which are first moved to new descriptors so that fds 0, 1 and 2
can be given to the null device and the output capture.
"""
import argparse
import contextlib
import os
import socket
import sys

import trio

import protocol
from seqclient.collector import tune_for_relaying
from seqkernel import lifetime, process, simulation
from seqkernel.blackbox import BlackBox


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="seqkernel", description="The sequencer kernel: runs scripts, speaks the seq protocol.")
    parser.add_argument("--fd", type=int, metavar="N", help="speak the protocol on inherited socket N (default: stdin/stdout)")
    parser.add_argument("--black-box", type=int, metavar="N",
                        help="keep the heartbeat and the running steps in the shared memory of inherited descriptor N, "
                        "where the parent reads them (seqkernel.blackbox)")
    parser.add_argument("--die-with-parent", action="store_true",
                        help="be killed when the thread that started this process ends, and have what its steps "
                             "started ended after it (Linux)")
    parser.add_argument("--instrument", metavar="INSID",
                        help="check every OB against this instrument's package, found under CFGPATH/IP/INSID/ip")
    parser.add_argument("--session-dir", metavar="DIR", help="write kernel.log in this directory")
    parser.add_argument("--max-message-size", type=int, default=protocol.MAX_MESSAGE_SIZE, metavar="BYTES",
                        help="refuse protocol messages larger than this (default: %(default)s)")
    parser.add_argument("--log-level", default="INFO", type=protocol.log_level, metavar="LEVEL",
                        help=f"level of kernel.log and of the log records the kernel publishes: "
                        f"{', '.join(protocol.LOG_LEVELS)} (or WARN)")
    parser.add_argument("--simulation", action="store_true",
                        help="simulation mode: scripts asking seq.lib.simulating() are told to skip real hardware")
    return parser


def _socket_stream(fd: int):
    sock = socket.socket(fileno=fd)
    return lambda: trio.SocketStream(trio.socket.from_stdlib_socket(sock))


def _stdio_stream():
    receive_fd, send_fd = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 1)  # until the capture takes it: nothing may reach the protocol's pipe
    os.close(null)
    return lambda: trio.StapledStream(trio.lowlevel.FdStream(send_fd), trio.lowlevel.FdStream(receive_fd))


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    tune_for_relaying()
    if args.die_with_parent:
        lifetime.die_with_parent()
    with lifetime.group_kept() if args.die_with_parent else contextlib.nullcontext():
        open_stream = _socket_stream(args.fd) if args.fd is not None else _stdio_stream()
        # User code must never read the terminal or the parent's input.
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        simulation.set_simulating(args.simulation)
        process.run(
            open_stream, session_dir=args.session_dir, instrument=args.instrument, log_level=args.log_level,
            max_message_size=args.max_message_size,
            black_box=BlackBox.attach(args.black_box) if args.black_box is not None else BlackBox.private(),
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
