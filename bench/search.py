"""How fast an agent finds a customer (core.customers.search_customers) at chain scale.

    CAREDESK_DATA_DIR=/tmp/chain .venv/bin/python manage.py seed-demo --scale chain
    .venv/bin/python bench/search.py [--url sqlite:////tmp/chain/caredesk.db] [--n 200]

Runs `--n` realistic queries of each kind, drawn from the database itself (phone prefix as
typed, full phone in several spellings, name prefix / word start, e-mail prefix, order
number), through the service as an agent would, and prints the median and p90 in ms per kind
and how many queries found the customer they were drawn from. Target: median < 20 ms.
Read-only: nothing is written.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from core.actor import Actor  # noqa: E402
from core.customers import search_customers  # noqa: E402
from core.uow import UnitOfWork  # noqa: E402
from core.vocabulary import Role  # noqa: E402
from db.session import make_engine  # noqa: E402

KINDS = ("phone prefix", "full phone", "name prefix", "name word start", "e-mail prefix",
         "order number")


def _spell(e164: str, rng: random.Random) -> str:
    local = e164[3:] if e164.startswith("+86") else e164
    return rng.choice([local, f"{local[:3]} {local[3:7]} {local[7:]}",
                       f"+86 {local[:3]}-{local[3:7]}-{local[7:]}", f"0086{local}", e164])


def queries(engine: sa.Engine, n: int, seed: int) -> dict[str, list[tuple[str, int]]]:
    """(query, id of the customer it was drawn from) per kind."""
    rng = random.Random(seed)
    with engine.connect() as conn:
        top = conn.scalar(sa.text("SELECT max(id) FROM customer"))
        top_order = conn.scalar(sa.text("SELECT max(id) FROM customer_order"))

        def sample(sql: str, upper: int, k: int) -> list:
            ids = rng.sample(range(1, upper + 1), min(upper, k * 4))
            rows = [conn.execute(sa.text(sql), {"id": i}).first() for i in ids]
            return [r for r in rows if r is not None and all(v is not None for v in r)][:k]

        base = ("SELECT id, {cols} FROM customer WHERE id = :id AND merged_into_id IS NULL")
        phones = sample(base.format(cols="phone_normalized"), top, 2 * n)
        names = sample(base.format(cols="name"), top, n)
        multi = [r for r in sample(base.format(cols="name"), top, 6 * n) if " " in r.name][:n]
        emails = sample(base.format(cols="email"), top, n)
        orders = sample("SELECT customer_id, order_number FROM customer_order WHERE id = :id",
                        top_order, n)
    out: dict[str, list[tuple[str, int]]] = {k: [] for k in KINDS}
    for cid, phone in phones[:n]:
        local = phone[3:]
        cut = rng.randint(5, 9)
        out["phone prefix"].append((rng.choice([local[:cut], f"+86{local[:cut]}",
                                                f"{local[:3]} {local[3:cut]}"]), cid))
    for cid, phone in phones[n:2 * n]:
        out["full phone"].append((_spell(phone, rng), cid))
    for cid, name in names:
        if " " in name:  # Latin name: a few letters, any case
            q = name[: rng.randint(3, len(name))].rstrip()
            q = rng.choice([q, q.lower(), q.upper()])
        else:  # Chinese name: the surname, or surname + given name
            q = name[: rng.randint(2, len(name))] if len(name) > 1 else name
        out["name prefix"].append((q, cid))
    for cid, name in multi:
        last = name.rsplit(" ", 1)[1]
        out["name word start"].append((last[: rng.randint(3, len(last))].lower(), cid))
    for cid, email in emails:
        out["e-mail prefix"].append((email[: rng.randint(4, email.index("@") + 4)], cid))
    for cid, number in orders:
        out["order number"].append((rng.choice([number, number.lower()]), cid))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="sqlite:////tmp/chain/caredesk.db")
    parser.add_argument("--n", type=int, default=200, help="queries per kind")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    engine = make_engine(args.url)
    with engine.connect() as conn:
        customers = conn.scalar(sa.text("SELECT count(*) FROM customer"))
        orders = conn.scalar(sa.text("SELECT count(*) FROM customer_order"))
    print(f"{engine.dialect.name}: {customers:,} customers, {orders:,} orders")
    uow = UnitOfWork(engine)
    agent = Actor(0, "bench", "Bench", frozenset({Role.AGENT}))
    plan = queries(engine, args.n, args.seed)
    search_customers(uow, agent, "warm up")
    print(f"{'kind':<16} {'n':>4} {'median ms':>10} {'p90 ms':>8} {'max ms':>8} "
          f"{'found':>6} {'first':>6}")
    for kind in KINDS:
        times, found, first = [], 0, 0
        for query, cid in plan[kind]:
            t0 = time.perf_counter()
            hits = search_customers(uow, agent, query)
            times.append((time.perf_counter() - t0) * 1000)
            ids = [h.id for h in hits]
            found += cid in ids
            first += bool(ids) and ids[0] == cid
        if not times:
            print(f"{kind:<16} (no sample)")
            continue
        times.sort()
        p90 = times[min(len(times) - 1, int(len(times) * 0.9))]
        print(f"{kind:<16} {len(times):>4} {statistics.median(times):>10.2f} {p90:>8.2f} "
              f"{times[-1]:>8.2f} {found:>6} {first:>6}")
    print("found: the customer the query was drawn from is among the 20 hits; "
          "first: it is the first hit\n(a short name prefix matches many customers, so the "
          "drawn one need not be among them)")
    engine.dispose()


if __name__ == "__main__":
    main()
