"""The case queue at chain scale: the queue page's script time, and the query behind it.

    CAREDESK_DATA_DIR=/tmp/chain .venv/bin/python manage.py seed-demo --scale chain
    .venv/bin/python bench/case_queue.py --url sqlite:////tmp/chain/caredesk.db

Prints medians over repeated runs; target: queue page script under 150 ms.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.timing import bench_args, median_ms, page_app, uncached_ms  # noqa: E402


def main() -> None:
    args = bench_args()

    import sqlalchemy as sa

    from core import queue
    from core.auth import _actor
    from core.uow import UnitOfWork
    from db.models import Case, Staff
    from db.session import make_engine

    engine = make_engine()
    with engine.connect() as conn:
        cases = conn.scalar(sa.select(sa.func.count()).select_from(Case))
    uow = UnitOfWork(engine)
    with uow.reader() as r:
        # the busiest agent: the biggest "my cases" queue
        staff_id = r.session.scalar(sa.select(Case.owner_id).where(Case.owner_id.is_not(None))
                                    .group_by(Case.owner_id)
                                    .order_by(sa.func.count().desc()).limit(1))
        actor = _actor(r.session.get(Staff, staff_id))
    print(f"{engine.dialect.name}: {cases:,} cases; agent {actor.username}")

    for scope in ("mine", "team", "unassigned"):
        for order in ("urgent", "newest"):
            med, p90 = median_ms(lambda: queue.case_queue(uow, actor, scope=scope,
                                                          order=order), args.runs)
            print(f"  query {scope:<10} {order:<7} median {med:6.1f} ms  p90 {p90:6.1f} ms")
    med, p90 = median_ms(lambda: queue.case_queue(uow, actor, scope="team",
                                                  sla_filter="breached"), args.runs)
    print(f"  query team breached        median {med:6.1f} ms  p90 {p90:6.1f} ms")

    page, _cold = page_app("cases.py", actor)
    page.segmented_control(key="cases.scope").set_value("team").run()
    med, p90 = uncached_ms(page, args.runs)
    print(f"  queue page script (team, no cache)   median {med:6.1f} ms  p90 {p90:6.1f} ms")
    med, p90 = median_ms(page.run, args.runs)
    print(f"  queue page script (team, cached)     median {med:6.1f} ms  p90 {p90:6.1f} ms")
    if page.exception:
        print("page raised:", page.exception)


if __name__ == "__main__":
    main()
