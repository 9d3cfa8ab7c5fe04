"""How long importing a large file takes (core.imports), through the service as the
Administration page calls it.

    .venv/bin/python bench/imports.py [--lines 100000] [--customers 20000] [--url URL]

Builds a fresh database (a throwaway SQLite file unless --url names an empty database),
imports the products and the customers from CSV files made here, then a CSV of `--lines`
order lines (one to three lines per order, Chinese column names, UTF-8 with a BOM) for
those customers and products, and prints each import's time; then imports the order file
a second time (every order unchanged, nothing written). Target: 100k order lines in under
20 s on SQLite.
"""
from __future__ import annotations

import argparse
import csv
import io
import os
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core import imports  # noqa: E402
from core.actor import Actor  # noqa: E402
from core.auth import unmatchable_hash  # noqa: E402
from core.uow import UnitOfWork  # noqa: E402
from core.vocabulary import Role  # noqa: E402
from db.migrate import upgrade  # noqa: E402
from db.models import Staff, StaffRole  # noqa: E402
from db.session import make_engine  # noqa: E402

CHANNELS = ["网店", "门店", "电话", "web", "chat"]
STATES = ["已签收", "已发货", "已确认", "delivered"]


def csv_bytes(header: list[str], rows) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode("utf-8-sig")


def products_file(n: int) -> bytes:
    return csv_bytes(["商品编码", "商品名称", "中文名称", "类别", "价格"],
                     ([f"BX-{i:05d}", f"Bench item {i}", f"测试商品{i}", "appliance",
                       f"{99 + i % 900}.00"] for i in range(n)))


def customers_file(n: int) -> bytes:
    return csv_bytes(["姓名", "手机", "邮箱", "等级"],
                     ([f"测试客户{i}", f"139{i:08d}", f"bench{i}@example.com",
                       "VIP" if i % 20 == 0 else "普通"] for i in range(n)))


def orders_file(lines: int, customers: int, products: int, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    start = datetime(2025, 1, 1)
    rows = []
    order = 0
    while len(rows) < lines:
        order += 1
        number = f"BO{order:08d}"
        phone = f"139{rng.randrange(customers):08d}"
        at = (start + timedelta(minutes=rng.randrange(500_000))).strftime("%Y-%m-%d %H:%M")
        channel, state = rng.choice(CHANNELS), rng.choice(STATES)
        for _ in range(min(rng.choice((1, 1, 2, 2, 3, 4)), lines - len(rows))):
            qty = rng.choice((1, 1, 1, 2, 3))
            rows.append([number, phone, at, channel, state,
                         f"BX-{rng.randrange(products):05d}", qty, f"{qty * 199}.00"])
    return csv_bytes(["订单号", "手机", "下单时间", "渠道", "状态", "商品编码", "数量",
                      "实付金额"], rows)


def timed(label: str, fn):
    start = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - start
    print(f"{label:<44} {elapsed:7.2f} s   new {result.new:>7,}  updated {result.updated:>5,}"
          f"  unchanged {result.unchanged:>7,}  lines {result.lines:>7,}", flush=True)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default=None, help="an empty database (default: a temp "
                                                    "SQLite file)")
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--products", type=int, default=500)
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory(prefix="caredesk-bench-imports-")
    url = args.url or f"sqlite:///{os.path.join(tmp.name, 'bench.db')}"
    engine = make_engine(url)
    upgrade(engine)
    uow = UnitOfWork(engine)
    with uow:
        staff = Staff(username="bench-admin", display_name="Bench Admin",
                      password_hash=unmatchable_hash())
        staff.roles = [StaffRole(role=Role.ADMIN)]
        uow.session.add(staff)
        uow.commit()
        admin = Actor(staff.id, staff.username, staff.display_name, frozenset({Role.ADMIN}))
    print(f"database: {engine.url.render_as_string()}")
    products = products_file(args.products)
    customers = customers_file(args.customers)
    start = time.perf_counter()
    orders = orders_file(args.lines, args.customers, args.products)
    print(f"order file made: {len(orders) / 1e6:.1f} MB, {args.lines:,} lines "
          f"({time.perf_counter() - start:.1f} s)")

    def run(kind: str, data: bytes, name: str, preview: bool = False):
        call = imports.preview_import if preview else imports.apply_import
        return lambda: call(uow, admin, kind, data, name)

    timed(f"products ({args.products:,} rows)", run("products", products, "products.csv"))
    timed(f"customers ({args.customers:,} rows)", run("customers", customers, "customers.csv"))
    timed(f"orders preview ({args.lines:,} lines)", run("orders", orders, "orders.csv", True))
    took = timed(f"orders import ({args.lines:,} lines)", run("orders", orders, "orders.csv"))
    timed("orders import again (all unchanged)", run("orders", orders, "orders.csv"))
    verdict = "within" if took < 20 else "OVER"
    print(f"\n{args.lines:,} order lines imported in {took:.1f} s on {engine.dialect.name} "
          f"({verdict} the 20 s target)")
    engine.dispose()
    tmp.cleanup()


if __name__ == "__main__":
    main()
