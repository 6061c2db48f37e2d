"""A process that serves one adapter instance's operations on the bus until it is stopped or
killed; the contract kit's crash test SIGKILLs it with a request in flight. Run as

    python -m adapters.testing._serve '{"settings": {...}, "name": "...", "config": {...}}'
"""

from __future__ import annotations

import json
import sys
from typing import Any

from adapters._host import AdapterHost
from adapters.testing._kinds import build_registered
from bus import Bus, Settings


def serve(spec: dict[str, Any]) -> None:
    bus = Bus(Settings(**spec["settings"]))
    host = AdapterHost(bus, [build_registered(spec["name"], spec["config"])])
    host.start()
    try:
        bus.run_until_stopped()
    finally:
        host.stop()


if __name__ == "__main__":
    serve(json.loads(sys.argv[1]))
