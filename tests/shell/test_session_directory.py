"""The session directory's ``seq_user.log``: the scripts' log records of a burst, as the logging module writes them."""
import datetime

import protocol
from seqshell.session import SessionDirectory


def test_the_log_events_of_a_burst_are_on_disk_as_logging_writes_them(tmp_path):
    at = datetime.datetime(2026, 12, 7, 18, 0, 1, 62500).timestamp()  # 62.5 ms past the second
    burst = [
        protocol.Event(kind="log", ts=at, level="INFO", logger="seq.user", message="Starting Task: a", sn=3),
        protocol.Event(kind="state", ts=at, sn=3, id="a_1", name="a", state="RUNNING", flags=[]),
        protocol.Event(kind="log", ts=at + 1.9375, level="WARNING", logger="seq.user", message="two\nlines", sn=None),
    ]
    session = SessionDirectory(str(tmp_path))
    session.record_user_logs(burst)
    session.record_user_logs([burst[1]])  # a burst without log records writes nothing
    assert session.user_log.read_text() == (
        "2026-12-07 18:00:01,062 INFO seq.user: Starting Task: a\n"
        "2026-12-07 18:00:03,000 WARNING seq.user: two\nlines\n"
    )
