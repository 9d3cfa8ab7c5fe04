"""The callback queue at chain scale: the periodic rule run, the queue queries and the page.

    CAREDESK_DATA_DIR=/tmp/chain .venv/bin/python manage.py seed-demo --scale chain
    .venv/bin/python bench/callbacks.py --url sqlite:////tmp/chain/caredesk.db

Prints the time of the first periodic run (every VIP without an open care call gets one) and
of a second (nothing owed), then medians over repeated runs of each queue view and of the
Callbacks page script. Target: page script under 150 ms warm. Works on a copy of nothing:
the first run schedules real care calls in that database.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.timing import bench_args, median_ms, page_app, uncached_ms  # noqa: E402


def main() -> None:
    args = bench_args()

    import sqlalchemy as sa

    from core import callback_rules, callbacks
    from core.auth import _actor
    from core.uow import UnitOfWork
    from db.models import Callback, Case, Customer, Staff
    from db.session import make_engine

    engine = make_engine()
    uow = UnitOfWork(engine)
    with uow.reader() as r:
        s = r.session
        counts = {name: s.scalar(sa.select(sa.func.count()).select_from(model))
                  for name, model in (("cases", Case), ("customers", Customer),
                                      ("callbacks", Callback))}
        vips = s.scalar(sa.select(sa.func.count()).select_from(Customer)
                        .where(Customer.tier == "vip"))
        actor = _actor(s.scalar(sa.select(Staff).where(Staff.username == "agent")))
    print(f"{engine.dialect.name}: {counts['cases']:,} cases, {counts['customers']:,} "
          f"customers ({vips:,} VIP), {counts['callbacks']:,} callbacks")

    for label in ("first", "second"):
        start = time.perf_counter()
        scheduled = callback_rules.run_periodic(uow)
        print(f"  periodic run ({label}): {sum(scheduled.values()):,} care calls scheduled in "
              f"{(time.perf_counter() - start) * 1000:,.0f} ms")

    for scope in callbacks.Scope:
        for bucket in callbacks.Bucket:
            result = callbacks.callback_queue(uow, actor, scope, bucket)
            med, p90 = median_ms(lambda: callbacks.callback_queue(uow, actor, scope, bucket),
                                 args.runs)
            print(f"  queue {scope:<9} {bucket:<8} {len(result.rows):>4} rows "
                  f"(of {result.counts[bucket]:>6,})  median {med:6.1f} ms  p90 {p90:6.1f} ms")
    first = callbacks.callback_queue(uow, actor, "team", "upcoming").rows[0].id
    med, p90 = median_ms(lambda: callbacks.get_callback(uow, actor, first), args.runs)
    print(f"  one callback in full             median {med:6.1f} ms  p90 {p90:6.1f} ms")

    page, cold = page_app("callbacks.py", actor)
    med, p90 = uncached_ms(page, args.runs)
    print(f"  Callbacks page script: cold {cold:,.0f} ms; warm median {med:6.1f} ms  "
          f"p90 {p90:6.1f} ms (target 150 ms)")


if __name__ == "__main__":
    main()
