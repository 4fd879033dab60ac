"""The command language's table: what every process reads about a command."""
import pytest

import protocol


def test_lines_name_commands_subcommands_and_aliases():
    assert protocol.lookup("cont")[0].name == "continue"
    command, words = protocol.lookup("otto set url=http://x/ insid=FORS2")
    assert command.name == "otto set" and words == ["url=http://x/", "insid=FORS2"]
    assert protocol.lookup("  # a comment") == (None, [])
    with pytest.raises(protocol.CommandLineError, match="unknown command 'frob'"):
        protocol.lookup("frob 3")
    with pytest.raises(protocol.CommandLineError, match="No closing quotation"):
        protocol.lookup("load 'open")
    assert protocol.verb("frob") is None


def test_what_the_server_and_recovery_read_from_the_table():
    assert protocol.COMMANDS["abort"].interrupts and not protocol.COMMANDS["run"].interrupts
    assert {"wait", "load", "ob", "obdata", "session", "replace", "fetch", "bp", "loadscript", "unloadscript",
            "restartscript"} == protocol.WAITING_COMMANDS
    assert protocol.COMMANDS["load"].restore == protocol.REPLAY and protocol.COMMANDS["clear"].restore == protocol.FORGET
    # Queue edits are the operators' and restored after a crash; what loads code is the engineers'.
    for name in ("move", "remove", "requeue"):
        assert (protocol.COMMANDS[name].role, protocol.COMMANDS[name].restore) == (protocol.OPERATOR, protocol.REPLAY)
    assert (protocol.COMMANDS["replace"].role, protocol.COMMANDS["replace"].restore) == (protocol.ENGINEER,
                                                                                       protocol.REPLAY)
    assert protocol.COMMANDS["history"].role == protocol.COMMANDS["queue"].role == protocol.OBSERVER
    instrument = protocol.COMMANDS["instrument"]
    assert instrument.only_shows([]) and not instrument.only_shows(["FORS2"])
    assert (instrument.role_for([]), instrument.role_for(["FORS2"])) == (protocol.OBSERVER, protocol.ENGINEER)


def test_parsers_come_from_the_table():
    parser = protocol.COMMANDS["skip"].build_parser()
    assert vars(parser.parse_args(["-find_name", "a", "-no-flag"])) == {"sn": None, "find_name": "a", "no_flag": True}
    with pytest.raises(SystemExit):
        parser.parse_args([])  # SN or -find_name is required
    assert protocol.COMMANDS["pause"].build_parser().parse_args([]).sn is None  # pause alone holds the queue
    move = protocol.COMMANDS["move"].build_parser()
    assert vars(move.parse_args(["3", "--after", "4"])) == {"sn": 3, "first": False, "last": False, "before": None,
                                                            "after": 4}
    with pytest.raises(SystemExit):
        move.parse_args(["3"])  # a move needs a position
    with pytest.raises(SystemExit):
        move.parse_args(["3", "--first", "--last"])  # one position
    otto = protocol.COMMANDS["otto"].build_parser()
    assert otto.parse_args(["set", "url=x"]).settings == ["url=x"]
