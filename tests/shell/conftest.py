"""Fixtures for the shell's tests."""
import pytest
from shell_harness import SHELL, Terminal


@pytest.fixture
def terminal(tmp_path):
    terminals = []

    def start(command: list[str] = SHELL) -> Terminal:
        term = Terminal(command, cwd=str(tmp_path))
        terminals.append(term)
        return term

    yield start
    for term in terminals:
        term.close()
