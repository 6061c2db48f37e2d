"""Telling a live owner process from a dead one on this host."""

from __future__ import annotations

import os
import subprocess
import sys

from bus._embedded._process import is_alive, start_token


def test_this_process_is_alive() -> None:
    pid = os.getpid()

    assert is_alive(pid, start_token(pid))


def test_an_exited_process_is_dead() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    token = start_token(child.pid)
    child.wait(timeout=30)

    assert not is_alive(child.pid, token)


def test_a_reused_pid_is_not_mistaken_for_the_original_owner() -> None:
    pid = os.getpid()

    assert not is_alive(pid, "a-different-start-time")
