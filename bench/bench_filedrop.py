"""File ingest (the file-drop source: streamed CSV read, envelope per record, confirmed
batches, progress committed per batch) against stdlib csv + raw kombu publish with confirms,
on the same RabbitMQ, the same 1,000,000-row file; and the ingest's peak memory for 100k and
1M rows, each in its own process, which must stay flat.

    python -m bench.bench_filedrop
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from kombu import Connection, Exchange, Producer, Queue

from adapters import BusEmitter
from adapters.filedrop import CsvFormat, FileProgress, Inbox, InboxSource
from bus import Bus, Settings, configure_logging

RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672//"
EVENT = "bench.payment.recorded"
ROWS = 1_000_000


def generate(path: Path, rows: int) -> Path:
    """A CSV of `rows` payments, ~100 bytes a row."""
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "person_id", "amount", "paid_on", "reference", "note"])
        for i in range(1, rows + 1):
            writer.writerow(
                [
                    i,
                    f"3800108{i % 10000:04d}",
                    f"{i % 997}.{i % 100:02d}",
                    "2026-12-01",
                    f"REF-{i:010d}",
                    "monthly benefit payment, regional office",
                ]
            )
    return path


def raw_rows_per_s(path: Path, limit: int, url: str = RABBITMQ_URL) -> float:
    """stdlib csv parse + kombu publish, each message confirmed (kombu's `confirm_publish`
    waits one round trip per message), into one durable queue; the first `limit` rows only,
    as the rate does not depend on the file's length and a full 1M-row raw pass takes ~15
    minutes."""
    tag = uuid.uuid4().hex[:8]
    exchange = Exchange(f"bench.rawfile.{tag}", type="direct", durable=True)
    queue = Queue(f"bench.rawfile.{tag}", exchange, routing_key="bench", durable=True)
    with Connection(url, transport_options={"confirm_publish": True}) as connection:
        channel = connection.channel()
        queue(channel).declare()
        producer = Producer(channel, exchange=exchange, serializer="json")
        started = time.perf_counter()
        count = 0
        with path.open(newline="") as handle:
            for row in csv.DictReader(handle):
                producer.publish(row, routing_key="bench", delivery_mode=2)
                count += 1
                if count == limit:
                    break
        elapsed = time.perf_counter() - started
        queue(channel).delete()
        exchange(channel).delete()
    return count / elapsed


def ingest(path: Path, *, journal: bool = True, url: str = RABBITMQ_URL) -> dict[str, float]:
    """Run the file-drop source on `path` in this process; rows/s and peak RSS (MB).

    With the journal on, the source waits whenever the journal writer falls `producer_lag`
    entries behind, so the time includes journaling and memory stays level with file size;
    `journal=False` shows the file-drop ingest's own cost alone."""
    tag = uuid.uuid4().hex[:8]
    with tempfile.TemporaryDirectory() as tmp:
        inbox = Inbox(
            name="payments",
            path=path.parent,
            format=CsvFormat(),
            event_type=EVENT,
            state=Path(tmp) / "state.sqlite3",
            archive=Path(tmp) / "archive",
        )
        bus = Bus(
            Settings(
                data_dir=Path(tmp),
                broker_url=url,
                exchange=f"bench.{tag}",
                queue_prefix=f"bench.{tag}",
                journal={"enabled": journal},
            )
        )
        source = InboxSource(inbox)
        bus.registry.register(source.model, type=EVENT, version=1)
        queue = Queue(f"bench.{tag}.ingest", bus.topology.exchange, routing_key=EVENT, durable=True)
        with Connection(url) as connection:
            queue(connection.channel()).declare()
        emitter = BusEmitter(bus, "bench", "payments", EVENT)
        rows = sum(1 for _ in path.open()) - 1
        started = time.perf_counter()
        outcome = source.process(path, emitter, FileProgress(inbox.state_file))
        elapsed = time.perf_counter() - started
        emitter.close()
        with Connection(url) as connection:
            channel = connection.channel()
            queue(channel).delete()
            emitter.dead_letters(channel).delete()
            bus.topology.exchange(channel).delete()
        bus.close()
        if outcome == "archived":  # put the file back: the next measurement reads it again
            next((Path(tmp) / "archive").glob(f"*/{path.name}")).rename(path)
    if outcome != "archived":
        raise RuntimeError(f"ingest ended {outcome}; see the error/ report")
    return {
        "rows_per_s": rows / elapsed,
        "peak_rss_mb": _peak_rss_mb(),
    }


def _peak_rss_mb() -> float:
    # VmHWM belongs to this process's own memory map. getrusage's ru_maxrss would not do: Linux
    # carries it across exec, so a child started by a big parent reports the parent's peak.
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status; peak memory cannot be measured here")


def _ingest_in_child(path: Path, *, journal: bool = True) -> dict[str, float]:
    flag = "--ingest" if journal else "--ingest-no-journal"
    out = subprocess.run(
        [sys.executable, "-m", "bench.bench_filedrop", flag, str(path)],
        check=True,
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def run(rows: int = ROWS) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "small").mkdir()
        (folder / "big").mkdir()
        small = generate(folder / "small" / "payments-100k.csv", rows // 10)
        big = generate(folder / "big" / "payments-1m.csv", rows)
        raw = raw_rows_per_s(big, limit=rows // 10)
        ingest_small = _ingest_in_child(small)
        ingest_big = _ingest_in_child(big)
        alone_small = _ingest_in_child(small, journal=False)
        alone_big = _ingest_in_child(big, journal=False)
    return {
        "file_raw_rows_per_s": round(raw, 1),
        "file_ingest_rows_per_s": round(ingest_big["rows_per_s"], 1),
        "file_ingest_vs_raw": round(ingest_big["rows_per_s"] / raw, 2),
        "file_ingest_peak_rss_mb_100k": round(ingest_small["peak_rss_mb"], 1),
        "file_ingest_peak_rss_mb_1m": round(ingest_big["peak_rss_mb"], 1),
        "file_ingest_rss_1m_vs_100k": round(
            ingest_big["peak_rss_mb"] / ingest_small["peak_rss_mb"], 2
        ),
        "file_ingest_peak_rss_mb_100k_no_journal": round(alone_small["peak_rss_mb"], 1),
        "file_ingest_peak_rss_mb_1m_no_journal": round(alone_big["peak_rss_mb"], 1),
        "file_ingest_no_journal_rows_per_s": round(alone_big["rows_per_s"], 1),
    }


if __name__ == "__main__":
    configure_logging(Settings(log_level="warning"))
    arguments = sys.argv[1:]
    if arguments and arguments[0] in {"--ingest", "--ingest-no-journal"}:
        print(json.dumps(ingest(Path(arguments[1]), journal=arguments[0] == "--ingest")))
    else:
        print(json.dumps(run(int(arguments[0]) if arguments else ROWS), indent=2))
