"""Is the process that owns a reservation still running on this host?

A pid alone is not proof: pids are recycled, and a killed child that nobody reaped is a zombie
that ``kill(pid, 0)`` still reports. On Linux the start time in /proc/<pid>/stat tells a recycled
pid apart and the state letter tells a zombie apart; elsewhere we fall back to ``kill(pid, 0)``.
"""

from __future__ import annotations

import os
from pathlib import Path

_STAT_STATE = 0  # fields after the ")" that closes the command name
_STAT_STARTTIME = 19


def _stat_fields(pid: int) -> list[str] | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name may contain spaces and parentheses; it ends at the last ")".
    return stat[stat.rfind(")") + 2 :].split()


def start_token(pid: int) -> str | None:
    """Something that changes when ``pid`` is reused: the process start time, when known."""
    fields = _stat_fields(pid)
    return fields[_STAT_STARTTIME] if fields else None


def is_alive(pid: int, token: str | None) -> bool:
    """True while the process that registered ``(pid, token)`` still runs."""
    fields = _stat_fields(pid)
    if fields is not None:
        if fields[_STAT_STATE] in ("Z", "X"):
            return False
        return token is None or fields[_STAT_STARTTIME] == token
    if Path("/proc/self/stat").exists():
        return False  # /proc works here, so a missing entry means the pid is gone
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, it is just not ours
    return True
