"""bench/results.png: each figure beside its baseline from the same run, one panel for
throughput ratios and one for latency against its ceiling."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display: write the file only
import matplotlib.pyplot as plt


def draw(
    results: dict[str, float],
    comparisons: list[tuple[str, str, str, float]],
    ceilings: list[tuple[str, float]],
    path: Path,
) -> None:
    present = [c for c in comparisons if c[2] in results]
    bounded = [c for c in ceilings if c[0] in results]
    figure, (ratios, latencies) = plt.subplots(
        1, 2, figsize=(13, 5.5), gridspec_kw={"width_ratios": [3, 1.3]}
    )
    names = [ratio for _f, _b, ratio, _t in present]
    values = [results[ratio] for _f, _b, ratio, _t in present]
    targets = [target for _f, _b, _r, target in present]
    colours = ["#2e7d32" if v >= t else "#c62828" for v, t in zip(values, targets, strict=True)]
    ratios.barh(names, values, color=colours)
    ratios.scatter(targets, names, marker="|", s=400, color="black", label="target", zorder=3)
    ratios.axvline(1.0, color="#888", linewidth=0.8)
    ratios.set_xscale("log")  # the embedded broker is tens of times its baseline
    for name, value in zip(names, values, strict=True):
        ratios.annotate(
            f"{value:.2f}",
            (value, name),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=9,
        )
    ratios.set_xlabel("civicbus / baseline in the same run, log scale (higher is better)")
    ratios.set_title("Throughput against each baseline")
    ratios.legend(loc="lower right")
    ratios.invert_yaxis()
    # Each figure over its own ceiling, so milliseconds and ratios share one axis.
    lat_names = [name for name, _c in bounded]
    shares = [results[name] / ceiling for name, ceiling in bounded]
    lat_colours = ["#2e7d32" if share <= 1 else "#c62828" for share in shares]
    latencies.barh(lat_names, shares, color=lat_colours)
    latencies.axvline(1.0, color="black", linewidth=1)
    for (name, ceiling), share in zip(bounded, shares, strict=True):
        latencies.annotate(
            f"{results[name]:.2f} (≤ {ceiling:g})",
            (share, name),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=9,
        )
    latencies.set_xlabel("figure / its ceiling (≤ 1 is within)")
    latencies.set_title("Figures with a ceiling (lower is better)")
    latencies.invert_yaxis()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
