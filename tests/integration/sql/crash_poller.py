"""A poller process that dies by SIGKILL right after its first batch is confirmed by the
broker and before its watermark is committed: the worst moment for a crash."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from typing import Any

from adapters import AdapterHost
from adapters.sql import SqlAdapter, SqlConfig, WatermarkStore
from bus import Bus, Settings


def die(*_: Any, **__: Any) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def main() -> None:
    settings, config = json.loads(sys.argv[1]), json.loads(sys.argv[2])
    WatermarkStore.save = die  # type: ignore[method-assign]
    bus = Bus(Settings(**settings))
    host = AdapterHost(bus, [SqlAdapter("benefits", SqlConfig.model_validate(config))])
    host.start()
    bus.start()
    time.sleep(60)  # the source kills the process long before


if __name__ == "__main__":
    main()
