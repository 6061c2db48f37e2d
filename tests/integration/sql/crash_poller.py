"""A poller process that dies by SIGKILL right after its first batch is confirmed by the
broker and before its progress is committed (the watermark saved, the outbox rows marked):
the worst moment for a crash."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from typing import Any

from adapters import AdapterHost
from adapters.sql import Poller, SqlAdapter, SqlConfig
from bus import Bus, Settings


def die(*_: Any, **__: Any) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def main() -> None:
    settings, config = json.loads(sys.argv[1]), json.loads(sys.argv[2])
    Poller._commit = die  # type: ignore[method-assign]
    bus = Bus(Settings(**settings))
    host = AdapterHost(bus, [SqlAdapter("benefits", SqlConfig.model_validate(config))])
    host.start()
    bus.start()
    time.sleep(60)  # the source kills the process long before


if __name__ == "__main__":
    main()
