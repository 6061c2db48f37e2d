"""Aggregator crash test: the worker is killed with SIGKILL mid-aggregation; after a restart
the aggregate completes once, with every part exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from kombu import Connection, Queue

from bus import Bus, Delivery, Settings
from schemas import Envelope
from tests.integration._waiting import wait_for
from tests.integration.routes.aggregate_worker import SUMS
from tests.integration.routes.models import PAYMENT, payments_registry

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

PARTS = 60
REPO = Path(__file__).resolve().parents[3]


def start_worker(settings: Settings) -> subprocess.Popen[bytes]:
    config = settings.model_dump(mode="json", exclude={"journal": {"url"}})
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.integration.routes.aggregate_worker",
            json.dumps(config),
            str(PARTS),
        ],
        cwd=REPO,
        env={**os.environ, "CIVICBUS_LOG_FORMAT": "json"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def route_queue_exists(settings: Settings) -> bool:
    try:
        with Connection(settings.broker) as connection:
            Queue(f"{settings.queue_prefix}.route.sum-payments")(
                connection.channel()
            ).queue_declare(passive=True)
    except Exception:
        return False
    return True


def stored_parts(settings: Settings) -> int:
    engine = sa.create_engine(settings.state)
    try:
        with engine.connect() as connection:
            return int(connection.scalar(sa.text("SELECT count(*) FROM aggregate_parts")) or 0)
    except sa.exc.OperationalError:
        return 0  # the worker has not migrated the state database yet
    finally:
        engine.dispose()


def test_a_sigkill_mid_aggregation_loses_no_part_and_counts_none_twice(
    make_settings: Callable[..., Settings],
):
    # Small batches: parts are committed a few at a time, so the kill lands between commits.
    settings = make_settings(prefetch=4)
    watcher = Bus(settings, registry=payments_registry())
    sums: list[Envelope] = []
    lock = threading.Lock()

    def keep(delivery: Delivery) -> None:
        with lock:
            sums.append(delivery.envelope)

    watcher.subscribe("sums-watcher", [SUMS], keep)
    worker = start_worker(settings)
    try:
        watcher.start()
        assert watcher.wait_ready(30)
        # The route's queue exists once the worker has subscribed: publish only then.
        wait_for(lambda: route_queue_exists(settings), what="the worker's route queue")
        envelopes = [
            payments_registry().build(
                PAYMENT, {"id": f"p{n}", "amount": n}, source="test", subject="batch-1"
            )
            for n in range(PARTS)
        ]
        watcher.publish(*envelopes)
        wait_for(lambda: stored_parts(settings) >= PARTS // 4, what="a quarter of the parts")
        worker.send_signal(signal.SIGKILL)
        worker.wait(30)
        killed_at = stored_parts(settings)
        worker = start_worker(settings)
        wait_for(lambda: len(sums) >= 1, timeout=120, what="the aggregate")
        wait_for(lambda: stored_parts(settings) == 0, what="the closed group")
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(30)
        watcher.close()
    [summary] = sums
    ids = [part["id"] for part in summary.data["parts"]]
    assert (0 < killed_at < PARTS, summary.data["count"], sorted(ids)) == (
        True,
        PARTS,
        sorted(f"p{n}" for n in range(PARTS)),
    )
