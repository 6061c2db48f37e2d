"""JSON Lines records: one JSON object per line, blank lines skipped."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from adapters.filedrop._records import Record, RecordError, Records


class JsonLinesFormat(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["jsonl"] = "jsonl"


def read_jsonl(path: Path, fmt: JsonLinesFormat) -> Records:
    number = 0
    with path.open("rb") as handle:
        for line_no, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            number += 1
            try:
                value = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as error:
                yield RecordError(number, line_no, "invalid_json", f"not JSON: {error}", raw)
                continue
            if not isinstance(value, dict):
                yield RecordError(
                    number, line_no, "not_an_object", "a JSON Lines record must be an object", raw
                )
                continue
            yield Record(number, line_no, value)
