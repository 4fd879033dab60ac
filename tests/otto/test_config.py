"""The configuration file of the manual's 4.3."""
import os
import socket

import pytest

from otto_fixtures import SAMPLES
from seqclient.config import ConfigError, OttoConfig, change_otto, load_config, otto_settings

FULL = """\
seq_server:
  url: pl3.pl.eso.org:8000
  loglevel: debug
otto:
  url: http://127.0.0.1:5000/
  insid: FORS2
  mode: VM
  user: pippo
  password: 123
"""


def test_absolute_path(tmp_path):
    path = tmp_path / "seq.yaml"
    path.write_text(FULL)
    config = load_config(str(path), environ={})
    assert config.path == path
    assert config.server_url == "pl3.pl.eso.org:8000"
    assert config.server_address == ("pl3.pl.eso.org", 8000)
    assert config.loglevel == "DEBUG"
    assert config.otto == OttoConfig(
        url="http://127.0.0.1:5000/", insid="FORS2", mode="VM", user="pippo", password="123"
    )


def test_relative_to_a_cfgpath_folder(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    (second / "gui").mkdir(parents=True)
    first.mkdir()
    (second / "gui" / "seq.yaml").write_text("seq_server:\n  url: 9000\n")
    config = load_config("gui/seq.yaml", environ={"CFGPATH": f"{first}{os.pathsep}{second}"})
    assert config.path == second / "gui" / "seq.yaml"
    assert config.server_url == f"{socket.gethostname()}:9000"
    assert config.loglevel == "INFO"
    assert config.otto is None


def test_the_sample_configuration():
    config = load_config("seq.yaml", environ={"CFGPATH": str(SAMPLES / "cfg")})
    assert config.otto.insid == "FORS2"


def test_defaults_without_a_file():
    config = load_config(None)
    assert config.server_url == f"{socket.gethostname()}:8000"
    assert config.loglevel == "INFO"
    assert config.otto is None and config.path is None


def test_missing_file_says_where_it_looked(tmp_path):
    with pytest.raises(ConfigError, match=rf"configuration file seq.yaml not found: looked for {tmp_path}/seq.yaml, seq.yaml"):
        load_config("seq.yaml", environ={"CFGPATH": str(tmp_path)})
    with pytest.raises(ConfigError, match=r"\(CFGPATH is not set\)"):
        load_config("nowhere.yaml", environ={})


@pytest.mark.parametrize(
    "text, error",
    [
        ("seq_server: [unclosed\n", r"is not valid YAML: while parsing a flow sequence"),
        ("- a list\n", r"expected sections seq_server, otto, scripts and obsmodes, found a list"),
        ("otto:\nurl: http://127.0.0.1:5000/\ninsid: FORS2\n",
         r"unknown section\(s\) insid, url \(the keys of a section are indented below its name\)"),
        ("otto:\n  ulr: http://x/\n", r"unknown key\(s\) ulr in section otto \(known: insid, mode, password, url, user\)"),
        ("otto:\n  insid: FORS2\n", r"otto.url is missing"),
        ("otto:\n  url: 127.0.0.1:5000\n", r"otto.url must start with http:// or https://"),
        ("seq_server:\n  url: host:port\n", r"seq_server.url must be \[HOST:\]PORT, got 'host:port'"),
        ("seq_server:\n  loglevel: LOUD\n", r"seq_server.loglevel: unknown log level .LOUD.: one of DEBUG, INFO"),
        ("seq_server: 8000\n", r"section seq_server must hold keys loglevel, url"),
    ],
)
def test_malformed_files(tmp_path, text, error):
    path = tmp_path / "seq.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=rf"configuration file {path}.*{error}"):
        load_config(path, environ={})


def test_otto_settings_changed_as_the_config_dialog_asks():
    otto = OttoConfig(url="http://127.0.0.1:5000/", insid="FORS2", mode="VM", user="pippo", password="123")
    changed = change_otto(otto, {"url": "http://otto.example:8080/", "mode": ""})
    assert changed == OttoConfig(url="http://otto.example:8080/", insid="FORS2", user="pippo", password="123")
    assert otto_settings(changed) == {"url": "http://otto.example:8080/", "insid": "FORS2", "mode": None, "user": "pippo"}
    assert change_otto(None, {"url": "http://h:1/"}) == OttoConfig(url="http://h:1/")
    with pytest.raises(ConfigError, match=r"unknown key\(s\) port in section otto"):
        change_otto(otto, {"port": "5000"})
    with pytest.raises(ConfigError, match="otto.url must start with http://"):
        change_otto(otto, {"url": "otto.example"})
    with pytest.raises(ConfigError, match="otto.url is missing"):
        change_otto(None, {"insid": "FORS2"})
