"""`make bench`: every benchmark in one run, each figure beside its baseline.

Writes bench/results.json (a flat object of numbers), bench/results.md and a chart,
bench/results.png, and prints the table.
"""

from __future__ import annotations

import json
import platform
import sys
from pathlib import Path

from bench import (
    bench_embedded,
    bench_faststream,
    bench_filedrop,
    bench_gateway,
    bench_rabbitmq,
    bench_routes,
    bench_scale,
    bench_soap,
    bench_sql,
)
from bench.chart import draw
from bus import Settings, configure_logging

HERE = Path(__file__).resolve().parent

# (figure, its baseline, the ratio, target for the ratio)
COMPARISONS = [
    ("bus_rabbitmq_msgs_per_s", "raw_kombu_msgs_per_s", "bus_vs_raw_kombu", 1.0),
    ("embedded_msgs_per_s", "kombu_sqla_msgs_per_s", "embedded_vs_kombu_sqla", 10.0),
    ("soap_via_bus_rps", "soap_direct_rps", "soap_via_bus_vs_direct_rps", 0.8),
    ("sql_poll_rows_per_s", "sql_raw_rows_per_s", "sql_poll_vs_raw", 0.7),
    ("file_ingest_rows_per_s", "file_raw_rows_per_s", "file_ingest_vs_raw", 0.6),
    ("route_5_steps_msgs_per_s", "route_bare_bus_msgs_per_s", "route_vs_bare_bus", 0.8),
    ("bus_same_run_msgs_per_s", "faststream_msgs_per_s", "bus_vs_faststream", 1.0),
    # No target was set for scale-out; two workers must at least beat one.
    ("bus_2_workers_msgs_per_s", "bus_1_worker_msgs_per_s", "bus_2_workers_vs_1", 1.0),
]
# (figure, the most it may be)
CEILINGS = [
    ("soap_bus_overhead_p50_ms", 3.0),
    ("sql_change_latency_p99_ms", 1200.0),
    ("file_ingest_rss_1m_vs_100k", 1.2),
    ("gateway_overhead_p50_ms", 5.0),
]


def main() -> int:
    # Log lines would be measured too; the benchmarks keep warnings and errors only.
    configure_logging(Settings(log_level="warning"))
    results: dict[str, float] = {}
    for name, module in (
        ("embedded", bench_embedded),
        ("rabbitmq", bench_rabbitmq),
        ("soap", bench_soap),
        ("sql", bench_sql),
        ("filedrop", bench_filedrop),
        ("routes", bench_routes),
        ("scale", bench_scale),
        ("faststream", bench_faststream),
        ("gateway", bench_gateway),
    ):
        print(f"bench: running {name} ...", file=sys.stderr, flush=True)
        results.update(module.run())
    (HERE / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    lines = [
        f"# civicbus benchmarks ({platform.machine()}, Python {platform.python_version()})",
        "",
        "| figure | value | baseline | value | ratio | target |",
        "|---|---:|---|---:|---:|---:|",
    ]
    failed = []
    for figure, baseline, ratio, target in COMPARISONS:
        ok = results[ratio] >= target
        failed += [] if ok else [ratio]
        lines.append(
            f"| {figure} | {results[figure]:,.0f} | {baseline} | {results[baseline]:,.0f} | "
            f"{results[ratio]:.2f} {'ok' if ok else 'BELOW'} | >= {target} |"
        )
    lines += ["", "| figure | value | at most |", "|---|---:|---:|"]
    for figure, ceiling in CEILINGS:
        ok = results[figure] <= ceiling
        failed += [] if ok else [figure]
        lines.append(f"| {figure} | {results[figure]:.2f} {'ok' if ok else 'ABOVE'} | {ceiling} |")
    lines += ["", "All figures:", "", "```", json.dumps(results, indent=2), "```"]
    table = "\n".join(lines) + "\n"
    (HERE / "results.md").write_text(table)
    draw(results, COMPARISONS, CEILINGS, HERE / "results.png")
    print(table)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
