"""A process running one file-drop adapter on a bus, for the SIGKILL test:

python -m tests.integration.filedrop.run_source '<settings json>' '<adapter config json>'
"""

from __future__ import annotations

import json
import sys

from adapters import AdapterHost
from adapters.filedrop import FileDropAdapter, FileDropConfig
from bus import Bus, Settings


def main() -> None:
    bus = Bus(Settings(**json.loads(sys.argv[1])))
    adapter = FileDropAdapter("drop", FileDropConfig.model_validate_json(sys.argv[2]))
    host = AdapterHost(bus, [adapter])
    host.start()
    bus.run_until_stopped()


if __name__ == "__main__":
    main()
