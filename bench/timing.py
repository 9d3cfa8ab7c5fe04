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


def bench_args():
    """--url (else DATABASE_URL) and --runs; the URL is exported before core is imported."""
    import argparse
    import os
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    if args.url:
        os.environ["DATABASE_URL"] = args.url
    return args


def page_app(page_file: str, actor):
    """An AppTest of pages/<page_file> as `actor`, run once (cold: imports, engine, first
    queries); returns (app, cold ms)."""
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from ui import keys
    page = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "pages" / page_file),
                             default_timeout=60)
    page.session_state[keys.ACTOR] = actor
    start = time.perf_counter()
    page.run()
    if page.exception:
        raise SystemExit(f"the page failed: {page.exception[0].value}")
    return page, (time.perf_counter() - start) * 1000


def uncached_ms(page, runs: int) -> tuple[float, float]:
    """Median and p90 of the page script with st.cache_data emptied before each run."""
    import streamlit as st

    def run() -> None:
        st.cache_data.clear()
        page.run()
    return median_ms(run, runs)
