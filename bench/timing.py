"""What every benchmark measures with: medians and 90th percentiles of repeated runs."""
from __future__ import annotations

import statistics
import time


def median_ms(fn, runs: int) -> tuple[float, float]:
    """(median, 90th percentile) in milliseconds of `runs` calls of fn()."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[max(int(len(times) * 0.9) - 1, 0)]
