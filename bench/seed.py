"""How long the demo seed takes, and how big it is.

    .venv/bin/python bench/seed.py [--scale chain] [--url URL]

Without --url: a fresh SQLite file in a temporary directory (removed afterwards).
With a PostgreSQL URL: schema public is DROPPED and recreated first, so never point it at
data you want to keep.
"""
from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from db.migrate import upgrade  # noqa: E402
from db.seed import SCALES, seed_demo  # noqa: E402
from db.session import make_engine  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="chain", choices=sorted(SCALES))
    parser.add_argument("--url", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="caredesk-bench-") as tmp:
        url = args.url or f"sqlite:///{tmp}/bench.db"
        engine = make_engine(url)
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                conn.exec_driver_sql("DROP SCHEMA public CASCADE")
                conn.exec_driver_sql("CREATE SCHEMA public")
        t = time.perf_counter()
        upgrade(engine)
        migrated = time.perf_counter() - t

        last = [0.0]

        def progress(fraction: float, label: str) -> None:
            if fraction - last[0] >= 0.1 or fraction >= 1.0:
                last[0] = fraction
                print(f"  {fraction:4.0%} {label}", file=sys.stderr)

        result = seed_demo(engine, args.scale, staff_password="bench-password-42",
                           progress=progress, seed=args.seed)
        size = ""
        if engine.dialect.name == "sqlite":
            size = f", file {Path(url.removeprefix('sqlite:///')).stat().st_size / 1e9:.2f} GB"
        else:
            with engine.connect() as conn:
                size = ", database " + conn.scalar(sa.text(
                    "SELECT pg_size_pretty(pg_database_size(current_database()))"))
        engine.dispose()

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"{engine.dialect.name}, scale {args.scale}: seeded in {result['elapsed']:.1f} s "
          f"(migrate {migrated:.1f} s), peak RSS {peak_mb:.0f} MB{size}")
    rows = result["counts"]
    for table, count in rows.items():
        print(f"  {table:24s} {count:>10,d}")
    print(f"  {'total':24s} {sum(rows.values()):>10,d}")


if __name__ == "__main__":
    main()
