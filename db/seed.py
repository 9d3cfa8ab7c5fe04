"""Deterministic demo data: a shop's two years of customers, orders and service work.

`seed_demo(engine, "small")` for a demo or a test, `"chain"` for the benchmarks (1M cases).
Same seed and same `now` give the same rows.

Why it looks the way it does:
- columns are drawn whole with numpy and written straight through the DBAPI (sqlite3
  executemany, PostgreSQL COPY): the ORM would take minutes for 5M rows;
- primary keys are assigned here, so foreign keys are plain array lookups; PostgreSQL's
  sequences are moved past them afterwards so later ORM inserts do not collide;
- timelines are derived, not drawn independently: a case resolves after its first response,
  its status is whatever "now" makes of those times, breaches follow from due times computed
  with the shop's SLA policies and business hours (holidays ignored);
- everything is one transaction: a failure leaves the database as it was.
"""
from __future__ import annotations

import itertools
import random
import secrets
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core import aftersales, search_keys
from core.auth import hash_password
from core.errors import InvalidState
from core.i18n import N_
from core.vocabulary import (
    CAUSE_DEPARTMENT, AfterSalesKind, AfterSalesStatus, CallbackPurpose, CallbackStatus, CallOutcome,
    CaseCategory, CaseEventKind, CaseKind, CaseStatus, Channel, CompensationKind,
    ComplaintSeverity, CustomerTier, DecisionStatus, Department, GoodsCondition, JobStatus,
    Language, OrderState, Priority, RefundStatus, ReportReview, Role, RootCause, ServiceMode,
)
from db import models as m, rollups

Progress = Callable[[float, str], None]

DAY = 86_400
HOUR = 3_600
SPAN_DAYS = 730
LOCAL_OFFSET = 8 * HOUR  # the shop's hours are Asia/Shanghai; stored times are UTC
OPENS, CLOSES = 9 * HOUR, 18 * HOUR  # only used if business_hours is empty
NULL = -1  # nullable integer columns: -1 is written as NULL
CHUNK = 50_000


@dataclass(frozen=True)
class Scale:
    customers: int
    orders: int
    cases: int
    stores: int = 40
    products: int = 500
    agents: int = 2          # including agent and agent2
    technicians: int = 1     # including technician


SCALES = {
    "small": Scale(customers=2_000, orders=5_000, cases=3_000),
    "chain": Scale(customers=100_000, orders=300_000, cases=1_000_000, agents=30,
                   technicians=8),
}


# --- words ------------------------------------------------------------------------------------

SURNAMES = [("王", "Wang"), ("李", "Li"), ("张", "Zhang"), ("刘", "Liu"), ("陈", "Chen"),
            ("杨", "Yang"), ("黄", "Huang"), ("赵", "Zhao"), ("吴", "Wu"), ("周", "Zhou"),
            ("徐", "Xu"), ("孙", "Sun"), ("马", "Ma"), ("朱", "Zhu"), ("胡", "Hu"),
            ("郭", "Guo"), ("何", "He"), ("林", "Lin"), ("罗", "Luo"), ("高", "Gao"),
            ("郑", "Zheng"), ("梁", "Liang"), ("谢", "Xie"), ("宋", "Song"), ("唐", "Tang")]
GIVEN = [("芳", "Fang"), ("伟", "Wei"), ("娜", "Na"), ("敏", "Min"), ("静", "Jing"),
         ("丽", "Li"), ("强", "Qiang"), ("磊", "Lei"), ("军", "Jun"), ("洋", "Yang"),
         ("勇", "Yong"), ("艳", "Yan"), ("杰", "Jie"), ("涛", "Tao"), ("明", "Ming"),
         ("超", "Chao"), ("秀英", "Xiuying"), ("晓明", "Xiaoming"), ("建华", "Jianhua"),
         ("海燕", "Haiyan"), ("志强", "Zhiqiang"), ("丹", "Dan"), ("婷", "Ting"),
         ("雪", "Xue"), ("浩然", "Haoran"), ("子涵", "Zihan"), ("欣怡", "Xinyi"),
         ("宇轩", "Yuxuan"), ("梓萱", "Zixuan"), ("俊杰", "Junjie")]
EN_FIRST = ["James", "Emma", "Oliver", "Sophie", "Daniel", "Grace", "Michael", "Laura",
            "Thomas", "Anna", "David", "Chloe", "Lucas", "Hannah", "Peter", "Mia"]
EN_LAST = ["Smith", "Brown", "Wilson", "Taylor", "Miller", "Davies", "Evans", "Clark",
           "Walker", "Wright", "Müller", "Martin", "Bernard", "Rossi", "Kim", "Tanaka"]
CITIES = [("上海", ["浦东新区", "徐汇区", "静安区", "闵行区"]),
          ("北京", ["朝阳区", "海淀区", "东城区", "丰台区"]),
          ("广州", ["天河区", "越秀区", "海珠区"]), ("深圳", ["南山区", "福田区", "宝安区"]),
          ("杭州", ["西湖区", "滨江区", "上城区"]), ("成都", ["锦江区", "武侯区", "高新区"]),
          ("南京", ["鼓楼区", "玄武区"]), ("武汉", ["江汉区", "武昌区"]),
          ("苏州", ["姑苏区", "工业园区"]), ("西安", ["雁塔区", "碑林区"])]
ROADS = ["人民路", "中山路", "解放路", "建设路", "和平路", "长江路", "南京路", "文化路",
         "新华路", "科技路"]
MAIL_HOSTS = ["163.com", "qq.com", "126.com", "outlook.com", "gmail.com", "sina.com"]
CARRIERS = [("SF", "顺丰速运"), ("JD", "京东物流"), ("ZTO", "中通快递"), ("YTO", "圆通速递"),
            ("EMS", "EMS")]

# category: (warranty months or None for the policy default, items (en, zh, price yuan))
CATALOGUE = {
    "appliance": (24, [("Air Fryer", "空气炸锅", 399), ("Rice Cooker", "电饭煲", 299),
                       ("Microwave Oven", "微波炉", 599), ("Washing Machine", "洗衣机", 2899),
                       ("Refrigerator", "冰箱", 3999), ("Vacuum Cleaner", "吸尘器", 1299),
                       ("Water Purifier", "净水器", 1899), ("Air Conditioner", "空调", 3299)]),
    "electronics": (12, [("Bluetooth Headphones", "蓝牙耳机", 499), ("Tablet", "平板电脑", 2499),
                         ("Smart Watch", "智能手表", 1299), ("Power Bank", "充电宝", 149),
                         ("Smart Speaker", "智能音箱", 349), ("Laptop", "笔记本电脑", 5999),
                         ("Camera", "相机", 4599), ("Monitor", "显示器", 1499)]),
    "furniture": (36, [("Office Chair", "办公椅", 899), ("Sofa", "沙发", 4599),
                       ("Desk", "书桌", 1299), ("Wardrobe", "衣柜", 2999),
                       ("Mattress", "床垫", 2599), ("Bookshelf", "书架", 699)]),
    "apparel": (None, [("Down Jacket", "羽绒服", 899), ("Running Shoes", "跑鞋", 599),
                       ("T-Shirt", "T恤", 99), ("Jeans", "牛仔裤", 299),
                       ("Rain Coat", "雨衣", 199), ("Wool Sweater", "羊毛衫", 459)]),
    "sports": (12, [("Yoga Mat", "瑜伽垫", 129), ("Treadmill", "跑步机", 3999),
                    ("Bicycle", "自行车", 1899), ("Tennis Racket", "网球拍", 699),
                    ("Dumbbell Set", "哑铃套装", 399), ("Tent", "帐篷", 899)]),
}
BRANDS = [("Lumo", "露摩"), ("Kora", "可拉"), ("Huaxin", "华信"), ("Nordby", "诺比"),
          ("Sanyue", "三悦"), ("Peak", "峰")]

# per category: (en subject, zh subject, en question, zh question, en answer, zh answer)
TOPICS: dict[CaseCategory, list[tuple[str, str, str, str, str, str]]] = {
    CaseCategory.PRODUCT_INFO: [
        ("Product specifications", "产品规格咨询", "Customer asks about size and power.",
         "客户询问产品尺寸和功率。", "Explained the specifications from the catalogue.",
         "已按产品目录说明规格参数。"),
        ("Is this model in stock?", "型号是否有货", "Customer asks whether the model is in stock.",
         "客户询问该型号是否有货。", "Checked stock and told the customer.", "已查询库存并告知客户。")],
    CaseCategory.PRICE: [
        ("Price question", "价格咨询", "Customer asks about the current price and discounts.",
         "客户询问当前价格和优惠活动。", "Explained price and running promotion.",
         "已说明价格及当前促销活动。")],
    CaseCategory.DELIVERY: [
        ("Where is my order?", "订单物流查询", "Customer asks when the order will arrive.",
         "客户询问订单何时送达。", "Gave tracking status and expected delivery date.",
         "已告知物流状态和预计送达日期。"),
        ("Change delivery time", "修改配送时间", "Customer wants delivery on the weekend.",
         "客户希望周末配送。", "Arranged weekend delivery with the carrier.", "已与快递协调周末配送。")],
    CaseCategory.ORDER_CHANGE: [
        ("Change order address", "修改收货地址", "Customer wants to change the delivery address.",
         "客户要求修改收货地址。", "Address changed before shipping.", "已在发货前修改地址。"),
        ("Cancel order", "取消订单", "Customer wants to cancel the order.", "客户要求取消订单。",
         "Order cancelled, refund to original payment.", "订单已取消，原路退款。")],
    CaseCategory.USAGE: [
        ("How to use", "使用方法咨询", "Customer cannot find how to set the timer.",
         "客户不会设置定时功能。", "Walked the customer through the manual.", "已按说明书指导客户操作。"),
        ("Error code on display", "显示屏报错", "Display shows error E3.", "显示屏显示E3错误。",
         "Reset steps given; the error is gone.", "已指导复位，故障排除。")],
    CaseCategory.AFTER_SALES: [
        ("Return request", "退货申请", "Customer wants to return the product.", "客户要求退货。",
         "After-sales request created.", "已创建售后申请。"),
        ("Product does not work", "产品故障报修", "Product stopped working.", "产品无法正常使用。",
         "Repair arranged.", "已安排维修。")],
    # one per root cause, in RootCause's order: the complaint's cause is its topic's
    CaseCategory.COMPLAINT: [
        ("Product stopped working", "商品质量问题", "The product broke within a month.",
         "商品用了不到一个月就坏了。", "Repair arranged under warranty.", "已按保修安排维修。"),
        ("Late delivery complaint", "配送延误投诉", "Order arrived a week late.", "订单晚到一周。",
         "Apologised and explained the delay; compensation offered.", "已致歉并说明原因，提供补偿。"),
        ("Damaged on arrival", "商品到货损坏", "Product arrived damaged.", "商品到货时已损坏。",
         "Replacement sent.", "已安排换货。"),
        ("Wrong item delivered", "发错货", "Received a different model from the one ordered.",
         "收到的型号与订购的不一致。", "Correct item sent, wrong one collected.",
         "已补发正确商品并取回错发商品。"),
        ("Unfriendly staff", "服务态度投诉", "Store staff were rude.", "门店员工态度不好。",
         "Apologised; store manager informed.", "已致歉并通知门店经理。"),
        ("Charged twice", "重复扣款", "The card was charged twice for one order.",
         "一个订单被扣款两次。", "The second charge refunded.", "已退还重复扣款。"),
        ("Wrong information given", "信息有误", "Was told the item was in stock; it was not.",
         "被告知有货，实际缺货。", "Apologised; product page corrected.", "已致歉并更正商品信息。"),
        ("Return refused", "退货被拒", "The store refused a return within 7 days.",
         "七天内退货被门店拒绝。", "Policy explained; return accepted.", "已解释政策并受理退货。"),
        ("Other complaint", "其他投诉", "Customer unhappy with the parking at the store.",
         "客户对门店停车不满意。", "Passed on to the store.", "已转交门店。")],
    CaseCategory.SUGGESTION: [
        ("Suggestion", "建议", "Customer suggests longer opening hours.", "客户建议延长营业时间。",
         "Thanked the customer and passed it on.", "已感谢客户并转交相关部门。")],
    CaseCategory.OTHER: [
        ("Membership question", "会员咨询", "Customer asks about membership points.",
         "客户询问会员积分。", "Explained the points rules.", "已说明积分规则。")],
}
NEXT_STEPS = [("We will call back within one business day.", "我们将在一个工作日内回电。"),
              ("Waiting for the warehouse to check.", "等待仓库核实。"),
              ("Customer will send photos by e-mail.", "客户将通过邮件发送照片。")]
EXPECTATIONS = [("A quick answer.", "尽快答复。"), ("Refund or replacement.", "退款或换货。"),
                ("Delivery before the weekend.", "周末前送达。"), (None, None)]
SURVEY_COMMENTS = {1: "Nobody called me back as promised.", 2: "Took too long.",
                   3: "OK, but I had to explain twice.", 4: "Helpful agent.",
                   5: "Very friendly and fast, thank you!"}
DEPT_ANSWERS = {Department.WAREHOUSE: "Packing checked; the carton was crushed in transit.",
                Department.LOGISTICS: "Carrier confirms a delay at the sorting centre.",
                Department.QUALITY: "Batch inspected; a faulty component was found.",
                Department.STORE: "Store manager spoke with the staff member.",
                Department.TECHNICAL: "Firmware issue; fixed in the next update.",
                Department.CUSTOMER_SERVICE: "Information given was outdated; FAQ corrected."}
CAUSE_WEIGHTS = [22, 25, 12, 8, 8, 8, 7, 6, 4]  # in RootCause's order

DEMO_STAFF = [  # username, role, display name, UI language
    ("admin", Role.ADMIN, "Admin 管理员", Language.EN),
    ("supervisor", Role.SUPERVISOR, "王芳 (Wang Fang)", Language.ZH_CN),
    ("supervisor2", Role.SUPERVISOR, "Laura Miller", Language.EN),
    ("agent", Role.AGENT, "李娜 (Li Na)", Language.ZH_CN),
    ("agent2", Role.AGENT, "Daniel Evans", Language.EN),
    ("technician", Role.TECHNICIAN, "张伟 (Zhang Wei)", Language.ZH_CN),
    ("analyst", Role.ANALYST, "陈静 (Chen Jing)", Language.ZH_CN),
]
TECH_SKILLS = [["appliance", "electronics"], ["appliance", "furniture"], ["electronics"],
               ["sports", "apparel"], ["furniture"], ["appliance"], ["electronics", "sports"],
               ["appliance", "electronics"]]


def _obj(values) -> np.ndarray:
    """An object array of the given Python values: indexing it reuses the same str objects."""
    values = list(values)
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


# --- time ---------------------------------------------------------------------------------------

class Calendar:
    """Business seconds, for due dates in business hours (the shop's weekly hours; no holidays).

    B(t) counts business seconds since the epoch; a due time is B⁻¹(B(start) + target)."""

    def __init__(self, hours: dict[int, tuple[int, int]]):
        if not hours:
            hours = {d: (OPENS, CLOSES) for d in range(5)}
        self.open = np.array([hours.get(d, (0, 0))[0] for d in range(7)], dtype=np.int64)
        self.length = np.array([max(0, hours.get(d, (0, 0))[1] - hours.get(d, (0, 0))[0])
                                for d in range(7)], dtype=np.int64)
        self.week = int(self.length.sum())
        self.before = np.concatenate([[0], np.cumsum(self.length)])  # business s before weekday

    def b(self, t: np.ndarray) -> np.ndarray:
        local = t + LOCAL_OFFSET
        m = local // DAY + 3  # days since Monday 1969-12-29
        wd = m % 7
        within = np.clip(local % DAY - self.open[wd], 0, self.length[wd])
        return (m // 7) * self.week + self.before[wd] + within

    def b_inv(self, x: np.ndarray) -> np.ndarray:
        weeks, r = np.divmod(x, self.week)
        # the weekday whose span holds r; r exactly at a day's end stays on that day
        wd = np.searchsorted(self.before[1:], r, side="left")
        wd = np.minimum(wd, 6)
        local = (weeks * 7 + wd - 3) * DAY + self.open[wd] + (r - self.before[wd])
        return local - LOCAL_OFFSET

    def add(self, t: np.ndarray, seconds: np.ndarray) -> np.ndarray:
        return self.b_inv(self.b(t) + seconds)


HOUR_WEIGHTS = np.array([0.2, 0.1, 0.05, 0.05, 0.05, 0.1, 0.3, 0.8, 1.6, 3.0, 3.6, 3.4, 2.6,
                         3.0, 3.4, 3.3, 3.0, 2.6, 2.0, 1.8, 1.7, 1.4, 0.9, 0.5])
WEEKDAY_WEIGHTS = np.array([1.05, 1.0, 1.0, 0.98, 1.0, 0.75, 0.45])  # Monday first


def _day_weights(start_day: int) -> np.ndarray:
    days = np.arange(SPAN_DAYS) + start_day
    w = (1 + 0.4 * np.arange(SPAN_DAYS) / SPAN_DAYS) * WEEKDAY_WEIGHTS[(days + 3) % 7]
    dates = days.astype("datetime64[D]")
    month = dates.astype("datetime64[M]").astype(int) % 12 + 1
    dom = (dates - dates.astype("datetime64[M]")).astype(int) + 1
    w = w * np.where((month == 11) & (dom >= 11) & (dom <= 13), 2.2, 1.0)  # Double 11
    w = w * np.where((month == 6) & (dom >= 18) & (dom <= 19), 1.6, 1.0)   # 618
    return w / w.sum()


class Clock:
    def __init__(self, rng: np.random.Generator, now: datetime):
        self.rng = rng
        self.now = int(np.datetime64(now, "s").astype(np.int64))
        self.now -= self.now % DAY  # the anchor is a midnight, whatever the caller passed
        self.start_day = self.now // DAY - SPAN_DAYS
        self.day_p = _day_weights(self.start_day)
        self.hour_p = HOUR_WEIGHTS / HOUR_WEIGHTS.sum()

    def local_time_of_day(self, n: int) -> np.ndarray:
        return self.rng.choice(24, n, p=self.hour_p) * HOUR + self.rng.integers(0, HOUR, n)

    def moments(self, n: int) -> np.ndarray:
        """n sorted times over the span with trend, weekly and daily seasonality."""
        days = self.rng.choice(SPAN_DAYS, n, p=self.day_p) + self.start_day
        return np.sort(days * DAY - LOCAL_OFFSET + self.local_time_of_day(n))

    def lognormal(self, median: float | np.ndarray, sigma: float, n: int) -> np.ndarray:
        return (median * self.rng.lognormal(0.0, sigma, n)).astype(np.int64)


# --- writing ------------------------------------------------------------------------------------

_TOD = None


def _time_of_day_strings() -> np.ndarray:
    global _TOD
    if _TOD is None:
        _TOD = _obj(f" {h:02d}:{mi:02d}:{s:02d}.000000"
                    for h in range(24) for mi in range(60) for s in range(60))
    return _TOD


def _datetime_strings(t: np.ndarray) -> list:
    """Epoch seconds -> SQLAlchemy's SQLite text form 'YYYY-MM-DD HH:MM:SS.ffffff' (PostgreSQL
    reads it too); NULL where t is NULL. String building per day + per second is 5x faster
    than numpy's datetime_as_string."""
    t = np.asarray(t, dtype=np.int64)
    null = t == NULL
    safe = np.where(null, 0, t)
    day = safe // DAY
    d0 = int(day.min()) if len(day) else 0
    names = _obj(np.datetime_as_string(np.arange(d0, int(day.max(initial=d0)) + 1)
                                       .astype("datetime64[D]")))
    out = names[day - d0] + _time_of_day_strings()[safe % DAY]
    out[null] = None
    return out.tolist()


def _date_strings(days: np.ndarray) -> list:
    days = np.asarray(days, dtype=np.int64)
    out = _obj(np.datetime_as_string(np.where(days == NULL, 0, days).astype("datetime64[D]")))
    out[days == NULL] = None
    return out.tolist()


class Writer:
    """Bulk insert by table and column arrays, inside one transaction of a raw connection."""

    def __init__(self, engine: Engine, progress: Progress, total_rows: int):
        self.pg = engine.dialect.name == "postgresql"
        self.raw = engine.raw_connection()
        self.db = self.raw.driver_connection
        self.progress, self.total, self.done = progress, max(total_rows, 1), 0
        self.counts: dict[str, int] = {}
        self.dropped: list[tuple[str, str]] = []
        self.pool = ThreadPoolExecutor(1)
        cur = self.db.cursor()
        if not self.pg:
            # One writer, one transaction; the WAL still makes the commit atomic.
            cur.execute("PRAGMA synchronous=OFF")
            cur.execute("PRAGMA cache_size=-400000")
            cur.execute("BEGIN IMMEDIATE")
        cur.close()

    def scalar(self, sql: str):
        cur = self.db.cursor()
        cur.execute(sql)
        row = cur.fetchone()
        cur.close()
        return row[0] if row else None

    def rows(self, sql: str) -> list[tuple]:
        cur = self.db.cursor()
        cur.execute(sql)
        out = cur.fetchall()
        cur.close()
        return out

    def without_indexes(self, tables: list[str]) -> None:
        """Drops the plain secondary indexes of these tables until finish(): one sort per index
        at the end is several times faster than 1M random B-tree inserts. The definitions come
        from the database itself, so whatever a migration made is what comes back."""
        for table in tables:
            if self.pg:
                found = self.rows(
                    "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = "
                    f"current_schema() AND i.tablename = '{table}' AND NOT EXISTS (SELECT 1 "
                    "FROM pg_constraint c WHERE c.conname = i.indexname)")
            else:
                found = self.rows("SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                                  f"AND tbl_name = '{table}' AND sql IS NOT NULL")
            for name, ddl in found:
                self.executemany(f'DROP INDEX "{name}"', None)
                self.dropped.append((table, ddl))
            if self.pg:
                # PostgreSQL checks a foreign key per row with a query; re-adding the
                # constraint at the end checks the whole table in one join
                for name, ddl in self.rows(
                        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                        f"WHERE contype = 'f' AND conrelid = '\"{table}\"'::regclass"):
                    self.executemany(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"', None)
                    self.dropped.append(
                        (table, f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {ddl}'))

    def restore_indexes(self) -> None:
        while self.dropped:
            table, ddl = self.dropped.pop(0)
            self.progress(0.98, f"indexes and keys of {table}")
            self.executemany(ddl, None)

    def executemany(self, sql: str, params: list[tuple] | None) -> None:
        cur = self.db.cursor()
        if params is None:
            cur.execute(sql)
        elif params:
            cur.executemany(sql if self.pg else sql.replace("%s", "?"), params)
        cur.close()

    def write(self, table: sa.Table, n: int, **cols) -> None:
        names = list(cols)
        for c in table.columns:  # a missing required column is a bug here, not a DB error
            if c.name not in cols and not c.nullable and c.server_default is None:
                raise AssertionError(f"{table.name}.{c.name} is required")
        self.counts[table.name] = self.counts.get(table.name, 0) + n

        def batch(lo: int) -> list[tuple]:
            hi = min(n, lo + CHUNK)
            return list(zip(*[self._convert(table.columns[k], v, lo, hi)
                              for k, v in cols.items()]))

        # the next batch is built while the database takes this one (the driver lets go of
        # the GIL while it works): two cores, both busy
        starts = list(range(0, n, CHUNK))
        ahead = self.pool.submit(batch, 0) if starts else None
        for i, lo in enumerate(starts):
            rows = ahead.result()
            if i + 1 < len(starts):
                ahead = self.pool.submit(batch, starts[i + 1])
            self._insert(table.name, names, rows)
            self.done += len(rows)
            self.progress(min(0.97, 0.05 + 0.92 * self.done / self.total), table.name)

    def _convert(self, column: sa.Column, value, lo: int, hi: int):
        if not isinstance(value, (np.ndarray, list)):
            if isinstance(value, int) and value == NULL and column.nullable:
                value = None
            elif isinstance(column.type, (sa.DateTime, sa.Date)) and value is not None:
                value = (_datetime_strings if isinstance(column.type, sa.DateTime)
                         else _date_strings)(np.array([value]))[0]
            return itertools.repeat(value, hi - lo)
        part = value[lo:hi]
        if isinstance(column.type, sa.DateTime):
            return _datetime_strings(part)
        if isinstance(column.type, sa.Date):
            return _date_strings(part)
        if isinstance(part, np.ndarray) and part.dtype.kind == "i" and column.nullable:
            obj = part.astype(object)
            obj[part == NULL] = None
            return obj.tolist()
        return part.tolist() if isinstance(part, np.ndarray) else part

    def _insert(self, table: str, names: list[str], batch: list[tuple]) -> None:
        cols = ", ".join(f'"{c}"' for c in names)
        cur = self.db.cursor()
        if self.pg:
            with cur.copy(f'COPY "{table}" ({cols}) FROM STDIN') as copy:
                for row in batch:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * len(names))
            cur.executemany(f'INSERT INTO "{table}" ({cols}) VALUES ({marks})', batch)
        cur.close()

    def finish(self, ok: bool) -> None:
        try:
            cur = self.db.cursor()
            if ok:
                self.restore_indexes()
                self.progress(0.99, "commit")
                if self.pg:
                    for table in self.counts:
                        if "id" in m.Base.metadata.tables[table].columns:
                            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                        f"(SELECT max(id) FROM \"{table}\"))")
                    # fresh statistics: without them the planner guessed 5,000 rows for
                    # everything and a dashboard filter took 551 ms instead of 93
                    self.progress(0.99, "statistics")
                    cur.execute("ANALYZE")
                    self.db.commit()
                else:
                    cur.execute("COMMIT")
            else:
                if self.pg:
                    self.db.rollback()
                else:
                    cur.execute("ROLLBACK")
            if not self.pg:
                cur.execute("PRAGMA synchronous=NORMAL")
                cur.execute("PRAGMA cache_size=-2000")
            cur.close()
        finally:
            self.pool.shutdown()
            self.raw.close()


# --- the seed -----------------------------------------------------------------------------------

def seed_demo(engine: Engine, scale: str = "small", staff_password: str | None = None,
              progress: Progress | None = None, seed: int = 42,
              now: datetime | None = None) -> dict:
    """Fills an empty, migrated database with two years of demo data.

    Returns `counts` (rows per table), `elapsed` seconds and the `staff_password` of the demo
    accounts (generated when None; shown once by the caller)."""
    if scale not in SCALES:
        raise InvalidState(N_("Unknown demo scale {scale}. Choose one of: {scales}."),
                           scale=scale, scales=", ".join(SCALES))
    started = time.perf_counter()
    progress = progress or (lambda _f, _l: None)
    staff_password = staff_password or secrets.token_urlsafe(12)
    now = now or datetime.now(UTC).replace(tzinfo=None, hour=0, minute=0, second=0,
                                            microsecond=0)
    size = SCALES[scale]
    progress(0.0, "staff")
    password_hash = hash_password(staff_password)  # once: bcrypt takes ~0.2 s per hash

    total = int(size.customers * 1.1 + size.orders * 3 + size.cases * 3.9)  # rows, roughly
    w = Writer(engine, progress, total)
    ok = False
    try:
        if w.pg:  # a second seed at the same time waits here, then sees the data and refuses
            w.executemany("LOCK TABLE customer, service_case IN SHARE ROW EXCLUSIVE MODE", None)
        if w.scalar("SELECT count(*) FROM customer") or w.scalar("SELECT count(*) FROM service_case"):
            raise InvalidState(N_("This database already holds customers or cases. Demo data "
                                  "is only loaded into an empty database, so nothing was "
                                  "added."))
        # (case_event's index grows in order as written, so it stays)
        w.without_indexes(["customer", "customer_order", "order_line", "service_case"])
        _Seed(w, size, password_hash, seed, now).run()
        ok = True
    finally:
        w.finish(ok)
    progress(1.0, "done")
    return {"counts": dict(w.counts), "elapsed": round(time.perf_counter() - started, 2),
            "staff_password": staff_password}


class _Seed:
    def __init__(self, w: Writer, size: Scale, password_hash: str, seed: int, now: datetime):
        self.w, self.size, self.password_hash = w, size, password_hash
        self.rng = np.random.default_rng(seed)
        self.py = random.Random(seed)
        self.clock = Clock(self.rng, now)
        self.now = self.clock.now
        tables = ("store", "product", "staff", "customer", "customer_order", "order_line",
                  "service_case", "case_event", "complaint", "investigation_request",
                  "compensation", "after_sales_request", "refund", "service_job",
                  "service_report", "callback", "call_attempt", "survey_answer",
                  "maintenance_plan")
        # ids continue after whatever is there (an imported catalogue, the first admin)
        self.base = {t: int(w.scalar(f'SELECT coalesce(max(id), 0) FROM "{t}"')) for t in tables}

    def ids(self, table: str, n: int) -> np.ndarray:
        return np.arange(self.base[table] + 1, self.base[table] + n + 1, dtype=np.int64)

    def pick(self, options: list, p: list[float], n: int) -> np.ndarray:
        return self.rng.choice(len(options), n, p=np.asarray(p) / np.sum(p))

    def run(self) -> None:
        self.policies()
        self.stores()
        self.products()
        self.staff()
        self.customers()
        self.orders()
        self.cases()
        self.complaints()
        self.after_sales()
        self.callbacks()
        self.maintenance_plans()

    # --- policies in force -------------------------------------------------------------------

    def policies(self) -> None:
        w = self.w
        hours = {}
        for wd, opens, closes in w.rows("SELECT weekday, opens, closes FROM business_hours"):
            if isinstance(opens, str):
                opens, closes = (datetime.strptime(x[:8], "%H:%M:%S").time()
                                 for x in (opens, closes))
            hours[int(wd)] = (opens.hour * HOUR + opens.minute * 60,
                              closes.hour * HOUR + closes.minute * 60)
        self.cal = Calendar(hours)
        self.sla = w.rows("SELECT id, channel, kind, priority, first_response_seconds, "
                          "first_response_business_hours, resolution_seconds, "
                          "resolution_business_hours FROM sla_policy WHERE active "
                          "ORDER BY id")
        policy = {r[0]: r[1:] for r in w.rows(
            "SELECT category, return_window_days, exchange_window_days, warranty_months, "
            "proof_of_purchase_required FROM after_sales_policy")}
        self.aftersales_policy = policy
        threshold = w.scalar("SELECT value FROM setting "
                             "WHERE key = 'aftersales.refund_approval_threshold_cents'")
        self.refund_threshold = int(str(threshold).strip('"')) if threshold is not None else 50_000

    # --- catalogue, stores, staff ------------------------------------------------------------

    def stores(self) -> None:
        n = self.size.stores
        city_i = np.arange(n) % len(CITIES)
        names, cities = [], []
        for i, c in enumerate(city_i):
            city, districts = CITIES[c]
            names.append(f"{city}{districts[i // len(CITIES) % len(districts)]}店 #{i + 1:02d}")
            cities.append(city)
        self.store_id = self.ids("store", n)
        self.store_city = _obj(cities)
        self.w.write(m.Store.__table__, n, id=self.store_id,
                     code=[f"S{i:03d}" for i in self.store_id], name=names,
                     city=self.store_city, active=True)

    def products(self) -> None:
        n, rng = self.size.products, self.rng
        cats = list(CATALOGUE)
        cat = np.arange(n) % len(cats)
        rows = []
        for i, c in enumerate(cat):
            warranty, items = CATALOGUE[cats[c]]
            en, zh, price = items[(i // len(cats)) % len(items)]
            be, bz = BRANDS[(i // (len(cats) * len(items))) % len(BRANDS)]
            model = f"{be[:2].upper()}-{100 + i * 7 % 900}"
            factor = 0.6 + 0.9 * self.py.random()
            rows.append((f"{cats[c][:3].upper()}-{i + 1:05d}", f"{be} {en} {model}",
                         f"{bz}{zh} {model}", model, int(round(price * factor)) * 100 - 1,
                         warranty, 30 if cats[c] == "apparel" else None))
        sku, name, name_zh, model, price, warranty, ret = zip(*rows)
        self.product_id = self.ids("product", n)
        self.product_cat = np.array(cat)
        self.product_cats = cats
        self.product_price = np.array(price, dtype=np.int64)
        self.product_warranty = np.array([x or 0 for x in warranty])
        self.product_return = np.array([x or 0 for x in ret])
        self.product_name_zh = _obj(name_zh)
        # a few best-sellers, a long tail
        pop = rng.zipf(1.6, n).astype(float) ** 0.5 + rng.random(n)
        self.product_p = pop / pop.sum()
        created = self.now - (SPAN_DAYS + 60) * DAY
        self.w.write(m.Product.__table__, n, id=self.product_id, sku=list(sku), name=list(name),
                     name_zh=list(name_zh), category=[cats[c] for c in cat], model=list(model),
                     price_cents=self.product_price,
                     warranty_months=np.array([x if x else NULL for x in warranty]),
                     return_window_days=np.array([x if x else NULL for x in ret]),
                     specs=[f"Model {x}; colour: {self.py.choice(['white', 'black', 'grey'])}"
                            for x in model],
                     in_stock=rng.random(n) < 0.93, active=True, version=1,
                     created_at=created, updated_at=created)

    def staff(self) -> None:
        w, size = self.w, self.size
        people = list(DEMO_STAFF)
        for i in range(3, size.agents + 1):
            s, g = SURNAMES[i % len(SURNAMES)], GIVEN[(i * 7) % len(GIVEN)]
            people.append((f"agent{i:02d}", Role.AGENT, f"{s[0]}{g[0]} ({s[1]} {g[1]})",
                           Language.ZH_CN))
        for i in range(2, size.technicians + 1):
            s, g = SURNAMES[(i * 3) % len(SURNAMES)], GIVEN[(i * 11) % len(GIVEN)]
            people.append((f"technician{i:02d}", Role.TECHNICIAN,
                           f"{s[0]}{g[0]} ({s[1]} {g[1]})", Language.ZH_CN))
        existing = dict(w.rows("SELECT username, id FROM staff"))
        new = [p for p in people if p[0] not in existing]
        ids = dict(zip([p[0] for p in new], self.ids("staff", len(new)).tolist()))
        created = self.now - (SPAN_DAYS + 30) * DAY
        if new:
            w.write(m.Staff.__table__, len(new), id=np.array([ids[p[0]] for p in new]),
                    username=[p[0] for p in new], display_name=[p[2] for p in new],
                    email=[f"{p[0]}@caredesk.example" for p in new],
                    password_hash=self.password_hash, language=[p[3].value for p in new],
                    active=True, must_change_password=False, password_changed_at=created,
                    version=1, created_at=created, updated_at=created)
            w.write(m.StaffRole.__table__, len(new), staff_id=np.array([ids[p[0]] for p in new]),
                    role=[p[1].value for p in new])
            skills = []
            for username, role, _name, lang in new:
                if role == Role.TECHNICIAN:
                    k = 0 if username == "technician" else int(username[-2:]) - 1
                    skills += [(ids[username], s) for s in TECH_SKILLS[k % len(TECH_SKILLS)]]
                elif role == Role.AGENT:  # languages spoken, for routing English speakers
                    number = int(username[5:] or 1)
                    if lang == Language.ZH_CN or number % 4:
                        skills.append((ids[username], "mandarin"))
                    if lang == Language.EN or number % 3 == 0:
                        skills.append((ids[username], "english"))
            w.write(m.StaffSkill.__table__, len(skills), staff_id=np.array([s[0] for s in skills]),
                    skill=[s[1] for s in skills])
        ids.update(existing)
        by_role = {r: [] for r in Role}
        for username, role, *_ in people:
            by_role[role].append(ids[username])
        self.agents = np.array(by_role[Role.AGENT])
        # some agents carry more of the queue than others
        load = self.rng.lognormal(0, 0.35, len(self.agents))
        self.agent_p = load / load.sum()
        self.supervisors = np.array(by_role[Role.SUPERVISOR])
        self.technicians = np.array(by_role[Role.TECHNICIAN])
        self.tech_skills = []
        for username, role, *_ in people:
            if role == Role.TECHNICIAN:
                k = 0 if username == "technician" else int(username[-2:]) - 1
                self.tech_skills.append(TECH_SKILLS[k % len(TECH_SKILLS)])

    def agent(self, n: int) -> np.ndarray:
        return self.agents[self.rng.choice(len(self.agents), n, p=self.agent_p)]

    def supervisor(self, n: int) -> np.ndarray:
        return self.supervisors[self.rng.integers(0, len(self.supervisors), n)]

    # --- customers ---------------------------------------------------------------------------

    def customers(self) -> None:
        n, rng, py = self.size.customers, self.rng, self.py
        self.customer_id = self.ids("customer", n)
        english = rng.random(n) < 0.12
        self.customer_lang = np.where(english, 1, 0)  # 0 zh_CN, 1 en
        self.vip = rng.random(n) < 0.05
        store = rng.integers(0, len(self.store_id), n)
        self.customer_store = store
        mobiles = self._unique_mobiles(n)
        names, phones, norms, emails, addresses = [], [], [], [], []
        for i in range(n):
            mob = mobiles[i]
            digits = str(mob)
            if english[i]:
                first, last = py.choice(EN_FIRST), py.choice(EN_LAST)
                names.append(f"{first} {last}")
                local = f"{first}.{last}".lower()
                has_mail = py.random() < 0.8
            else:
                (sz, sp), (gz, gp) = py.choice(SURNAMES), py.choice(GIVEN)
                names.append(sz + gz)
                local = f"{gp}.{sp}".lower()
                has_mail = py.random() < 0.4
            emails.append(f"{local}{i}@{py.choice(MAIL_HOSTS)}" if has_mail else None)
            phones.append(f"{digits[:3]} {digits[3:7]} {digits[7:]}" if i % 3
                          else f"+86 {digits[:3]}-{digits[3:7]}-{digits[7:]}")
            norms.append("+86" + digits)
            city, districts = CITIES[[c for c, _ in CITIES].index(self.store_city[store[i]])]
            addresses.append(f"{city}市{districts[i % len(districts)]}{ROADS[i % len(ROADS)]}"
                             f"{1 + i % 388}号{1 + i % 17}栋{101 + i % 2400}室")
        self.customer_address = _obj(addresses)
        self.customer_name = _obj(names)
        # a few regulars account for many orders and contacts
        act = rng.lognormal(0, 0.9, n) * np.where(self.vip, 3.0, 1.0)
        self.customer_p = act / act.sum()
        self.customer_data = dict(name=self.customer_name, phone=_obj(phones), phone_normalized=_obj(norms),
                                  email=_obj(emails), address=self.customer_address,
                                  city=self.store_city[store],
                                  # raw rows bypass the model's validators: the search keys
                                  name_key=_obj([search_keys.name_key(x) for x in names]),
                                  name_last_key=_obj([search_keys.name_last_key(x) for x in names]),
                                  email_normalized=_obj([search_keys.email_key(x) for x in emails]))
        # written after orders and cases, when their first contact is known

    def _unique_mobiles(self, n: int) -> np.ndarray:
        prefixes = np.array([130, 131, 132, 133, 135, 136, 137, 138, 139, 150, 151, 152, 155,
                             156, 157, 158, 159, 166, 176, 177, 180, 181, 182, 185, 186, 187,
                             188, 189, 191, 199])
        out = np.empty(0, dtype=np.int64)
        while len(out) < n:
            more = (prefixes[self.rng.integers(0, len(prefixes), n)] * 100_000_000
                    + self.rng.integers(0, 100_000_000, n))
            out = np.concatenate([out, more])
            _, first = np.unique(out, return_index=True)
            out = out[np.sort(first)]
        return out[:n]

    def write_customers(self, first_seen: np.ndarray) -> None:
        n, rng = self.size.customers, self.rng
        never = first_seen == np.iinfo(np.int64).max
        span_start = self.now - SPAN_DAYS * DAY
        created = np.where(never, span_start + rng.integers(0, SPAN_DAYS * DAY, n),
                           first_seen - rng.integers(HOUR, 60 * DAY, n))
        consent = rng.random(n) < 0.4
        consent_at = np.where(consent, created + rng.integers(0, 3600, n), NULL)
        self.customer_created = created
        self.w.write(m.Customer.__table__, n, id=self.customer_id, **self.customer_data,
                     tier=np.where(self.vip, CustomerTier.VIP.value, CustomerTier.REGULAR.value),
                     marketing_consent=consent, consent_changed_at=consent_at,
                     language=np.where(self.customer_lang == 1, Language.EN.value,
                                       Language.ZH_CN.value).astype(object),
                     home_store_id=self.store_id[self.customer_store], version=1,
                     created_at=created, updated_at=np.maximum(created, consent_at))

    # --- orders ------------------------------------------------------------------------------

    def orders(self) -> None:
        n, rng, now = self.size.orders, self.rng, self.now
        self.order_id = self.ids("customer_order", n)
        ordered = self.clock.moments(n)
        cust = rng.choice(self.size.customers, n, p=self.customer_p)
        channels = [Channel.WEB, Channel.WALK_IN, Channel.PHONE, Channel.CHAT, Channel.SOCIAL]
        ch = self.pick(channels, [45, 25, 15, 10, 5], n)
        walk_in = ch == 1
        confirmed = ordered + np.where(walk_in, 0, rng.integers(30, 3600, n))
        shipped = confirmed + rng.integers(DAY // 2, 2 * DAY, n)
        delivered = np.where(walk_in, ordered + 600, shipped + rng.integers(DAY, 4 * DAY, n))
        shipped = np.where(walk_in, NULL, shipped)
        cancel = (rng.random(n) < 0.05) & ~walk_in
        cancelled = np.where(cancel, ordered + rng.integers(600, DAY, n), NULL)
        cancel &= cancelled <= now
        cancelled[~cancel] = NULL
        # what "now" makes of each order
        state = np.full(n, OrderState.PENDING.value, dtype=object)
        state[confirmed <= now] = OrderState.CONFIRMED.value
        packed = (confirmed <= now) & ~walk_in & (now - confirmed > DAY // 4)
        state[packed] = OrderState.PACKED.value
        state[(shipped != NULL) & (shipped <= now)] = OrderState.SHIPPED.value
        state[delivered <= now] = OrderState.DELIVERED.value
        state[cancel] = OrderState.CANCELLED.value
        confirmed = np.where((confirmed <= now) & ~(cancel & (confirmed > cancelled)), confirmed, NULL)
        shipped = np.where(~cancel & (shipped != NULL) & (shipped <= now), shipped, NULL)
        delivered = np.where(~cancel & (delivered <= now), delivered, NULL)
        expected = np.where(walk_in, NULL, (ordered + 3 * DAY + LOCAL_OFFSET) // DAY)

        # lines: 1.8 per order on average, popular products more often
        per = np.minimum(1 + rng.poisson(0.8, n), 6)
        line_order = np.repeat(np.arange(n), per)
        k = len(line_order)
        prod = rng.choice(len(self.product_id), k, p=self.product_p)
        qty = self.pick([1, 2, 3], [82, 14, 4], k) + 1
        unit = self.product_price[prod]
        discount = np.where(rng.random(k) < 0.3, rng.integers(85, 100, k), 100)
        paid = unit * qty * discount // 100
        total = np.bincount(line_order, weights=paid, minlength=n).astype(np.int64)

        carrier_i = rng.integers(0, len(CARRIERS), n)
        has_ship = shipped != NULL
        carrier = _obj([CARRIERS[c][1] for c in range(len(CARRIERS))])[carrier_i]
        carrier[~has_ship] = None
        track_no = rng.integers(10**11, 10**12, n)
        tracking = _obj([f"{CARRIERS[c][0]}{t}" if s else None
                         for c, t, s in zip(carrier_i.tolist(), track_no.tolist(),
                                            has_ship.tolist())])
        day_code = _obj(np.datetime_as_string(((ordered + LOCAL_OFFSET) // DAY)
                                              .astype("datetime64[D]")))
        number = [f"SO{d.replace('-', '')[2:]}{i:07d}"
                  for d, i in zip(day_code.tolist(), self.order_id.tolist())]
        by_phone = (ch == 2) | (ch == 3)
        created_by = np.where(by_phone, self.agent(n), NULL)
        store = np.where(walk_in | (rng.random(n) < 0.3),
                         self.store_id[self.customer_store[cust]], NULL)
        self.order_customer, self.order_time = cust, ordered
        self.order_delivered, self.order_state = delivered, state
        self.order_store = store
        self.line_start = np.concatenate([[0], np.cumsum(per)[:-1]])
        self.line_count, self.line_product, self.line_paid = per, prod, paid
        self.line_id = self.ids("order_line", k)
        self.line_order = line_order
        self._order_cols = dict(
            id=self.order_id, order_number=number, customer_id=self.customer_id[cust],
            store_id=store, channel=_obj([c.value for c in channels])[ch], state=state,
            ordered_at=ordered, confirmed_at=confirmed, shipped_at=shipped,
            delivered_at=delivered, cancelled_at=cancelled, expected_delivery_on=expected,
            delivery_address=np.where(walk_in, None, self.customer_address[cust]),
            carrier=carrier, tracking_number=tracking, total_cents=total,
            created_by_id=created_by, version=1, created_at=ordered,
            updated_at=np.maximum.reduce([ordered, confirmed, shipped, delivered, cancelled]))
        self._line_cols = dict(id=self.line_id, order_id=self.order_id[line_order],
                               product_id=self.product_id[prod], quantity=qty,
                               unit_price_cents=unit, paid_cents=paid)

    # --- cases -------------------------------------------------------------------------------

    def cases(self) -> None:
        n, rng, now, cal = self.size.cases, self.rng, self.now, self.cal
        kinds = list(CaseKind)
        kind = self.pick(kinds, [72, 8, 15, 5], n)
        kind_of = np.array([k.value for k in kinds], dtype=object)
        cats = list(CaseCategory)
        ci = {c: i for i, c in enumerate(cats)}
        inquiry_cats = [CaseCategory.PRODUCT_INFO, CaseCategory.PRICE, CaseCategory.DELIVERY,
                        CaseCategory.USAGE, CaseCategory.AFTER_SALES, CaseCategory.OTHER]
        cat = np.array([ci[c] for c in inquiry_cats])[self.pick(inquiry_cats,
                                                                [22, 10, 22, 16, 20, 10], n)]
        order_req = kind == kinds.index(CaseKind.ORDER_REQUEST)
        cat[order_req] = np.where(rng.random(order_req.sum()) < 0.75, ci[CaseCategory.ORDER_CHANGE],
                                  ci[CaseCategory.DELIVERY])
        complaint = kind == kinds.index(CaseKind.COMPLAINT)
        cat[complaint] = ci[CaseCategory.COMPLAINT]
        cat[kind == kinds.index(CaseKind.SUGGESTION)] = ci[CaseCategory.SUGGESTION]

        # order-linked cases come some days after their order, at a business-like hour
        needs_order = np.isin(cat, [ci[CaseCategory.DELIVERY], ci[CaseCategory.ORDER_CHANGE],
                                    ci[CaseCategory.AFTER_SALES]])
        needs_order |= complaint & (rng.random(n) < 0.7)
        needs_order |= np.isin(cat, [ci[CaseCategory.USAGE], ci[CaseCategory.PRODUCT_INFO]]) & (
            rng.random(n) < 0.25)
        mean_delay = np.select([cat == ci[CaseCategory.ORDER_CHANGE],
                                cat == ci[CaseCategory.DELIVERY],
                                cat == ci[CaseCategory.AFTER_SALES]], [0.3, 3.0, 20.0], 8.0)
        order = np.where(needs_order, rng.integers(0, len(self.order_id), n), NULL)
        o = np.maximum(order, 0)
        o_time = self.order_time[o]
        o_day = (o_time + LOCAL_OFFSET) // DAY
        delay_days = rng.exponential(mean_delay).astype(np.int64)
        latest = (now + LOCAL_OFFSET) // DAY - 1 - o_day
        delay_days = np.minimum(delay_days, np.maximum(latest, 0))
        linked = o_day * DAY - LOCAL_OFFSET + delay_days * DAY + self.clock.local_time_of_day(n)
        linked = np.maximum(linked, o_time + 600)
        linked = np.where(linked >= now, o_time + (now - o_time) * rng.random(n), linked).astype(np.int64)
        free = self.clock.moments(n)[rng.permutation(n)]
        created = np.where(needs_order, linked, free)
        cust = np.where(needs_order, self.order_customer[o],
                        rng.choice(self.size.customers, n, p=self.customer_p))
        # ids follow time, as they would have
        perm = np.argsort(created, kind="stable")
        kind, cat, order, cust, created = kind[perm], cat[perm], order[perm], cust[perm], created[perm]
        complaint, needs_order = complaint[perm], needs_order[perm]
        o = np.maximum(order, 0)
        self.case_id = self.ids("service_case", n)

        product = np.where(needs_order, self.line_product[self.line_start[o]], NULL)
        about_product = np.isin(cat, [ci[CaseCategory.PRODUCT_INFO], ci[CaseCategory.PRICE],
                                      ci[CaseCategory.USAGE]]) & ~needs_order
        product = np.where(about_product, rng.choice(len(self.product_id), n, p=self.product_p),
                           product)

        channels = list(Channel)
        ch = self.pick(channels, [38, 12, 10, 22, 6, 12], n)  # phone email web chat social walk_in
        chan = {c: channels.index(c) for c in channels}
        store = np.where(ch == chan[Channel.WALK_IN], self.store_id[self.customer_store[cust]],
                         np.where(needs_order, self.order_store[o], NULL))
        prios = list(Priority)
        prio = np.where(complaint, self.pick(prios, [0, 50, 35, 15], n),
                        self.pick(prios, [12, 75, 10, 3], n))

        # the SLA policy that applied: most specific active row for channel x kind x priority
        pol = np.full((len(channels), len(kinds), len(prios)), -1)
        for c_i, c in enumerate(channels):
            for k_i, k in enumerate(kinds):
                for p_i, p in enumerate(prios):
                    best, score = -1, -1
                    for row_i, r in enumerate(self.sla):
                        if r[1] != c.value or r[2] not in (None, k.value) or r[3] not in (None, p.value):
                            continue
                        s = (r[2] is not None) * 2 + (r[3] is not None)
                        if s > score:
                            best, score = row_i, s
                    pol[c_i, k_i, p_i] = best
        pi = pol[ch, kind, prio]
        has_sla = pi >= 0
        sla = np.array([r[4:] for r in self.sla] or [(0, 0, 0, 0)], dtype=np.int64)
        sla_id = np.array([r[0] for r in self.sla] or [NULL], dtype=np.int64)
        pj = np.maximum(pi, 0)
        fr_target, fr_bh, res_target, res_bh = (sla[pj, i] for i in range(4))
        fr_due = np.where(fr_bh == 1, cal.add(created, fr_target), created + fr_target)
        # first response: seconds on the phone, minutes in chat, business hours by e-mail
        fr_median = np.array([9, 3 * HOUR, 3 * HOUR, 120, 150, 30])[ch]
        fr_delay = self.clock.lognormal(fr_median, 0.55, n)
        async_ = np.isin(ch, [chan[Channel.EMAIL], chan[Channel.WEB]])
        fr_at = np.where(async_, cal.add(created, fr_delay), created + fr_delay)
        fr_at = np.maximum(fr_at, created + 1)
        # first-contact resolution: ~60 % of resolved inquiries, mostly live channels
        sync = np.isin(ch, [chan[Channel.PHONE], chan[Channel.CHAT], chan[Channel.WALK_IN]])
        # (an after-sales request takes days, so it is never resolved on the spot)
        inquiry = (kind == kinds.index(CaseKind.INQUIRY)) & (cat != ci[CaseCategory.AFTER_SALES])
        fcr = inquiry & (rng.random(n) < np.where(sync, 0.8, 0.45))
        res_due = np.where(res_bh == 1, cal.add(created, res_target), created + res_target)
        res_delay = (res_target * rng.lognormal(np.log(0.35), 0.8, n)).astype(np.int64)
        resolved = np.where(fcr, fr_at + self.clock.lognormal(240, 0.5, n),
                            np.where(res_bh == 1, cal.add(fr_at, res_delay), fr_at + res_delay))
        resolved = np.maximum(resolved, fr_at + 60)
        closed = np.where(fcr, resolved, resolved + 3 * DAY)  # auto-close after 3 quiet days

        # what "now" makes of these times
        has_fr = fr_at <= now
        is_resolved = resolved <= now
        is_closed = closed <= now
        waiting = self.pick([0, 1, 2], np.array([60, 25, 15]), n)
        status = np.array([CaseStatus.OPEN.value, CaseStatus.WAITING_CUSTOMER.value,
                           CaseStatus.WAITING_INTERNAL.value], dtype=object)[waiting]
        status[~has_fr] = CaseStatus.NEW.value
        status[is_resolved] = CaseStatus.RESOLVED.value
        status[is_closed] = CaseStatus.CLOSED.value
        fr_at = np.where(has_fr, fr_at, NULL)
        resolved = np.where(is_resolved, resolved, NULL)
        closed = np.where(is_closed, closed, NULL)
        fcr &= is_resolved
        paused = np.where(status == CaseStatus.WAITING_CUSTOMER.value,
                          fr_at + ((now - fr_at) * rng.random(n)).astype(np.int64), NULL)
        fr_breached = np.where(has_fr, fr_at > fr_due, now > fr_due) & has_sla
        res_breached = np.where(is_resolved, resolved > res_due, now > res_due) & has_sla

        live = sync | (ch == chan[Channel.SOCIAL])
        owner = self.agent(n)
        owner = np.where(~has_fr & ~live & (rng.random(n) < 0.35), NULL, owner)
        escalated = np.where(complaint, rng.random(n) < 0.15, rng.random(n) < 0.01)
        reopened = is_closed & ~fcr & (rng.random(n) < 0.02)

        # words, in the customer's language
        lang = self.customer_lang[cust]
        topic_n = np.array([len(TOPICS[c]) for c in cats])
        variant = (rng.random(n) * topic_n[cat]).astype(np.int64)
        # complaints: the root causes' usual shares (a Pareto head of delivery and defects)
        is_complaint = cat == ci[CaseCategory.COMPLAINT]
        variant[is_complaint] = self.pick(list(RootCause), CAUSE_WEIGHTS,
                                          int(is_complaint.sum()))
        text = {}
        for field in range(6):
            pool = np.empty((len(cats), int(topic_n.max())), dtype=object)
            for c_i, c in enumerate(cats):
                for v, t in enumerate(TOPICS[c]):
                    pool[c_i, v] = t[field]
            text[field] = pool[cat, variant]
        subject = np.where(lang == 1, text[0], text[1])
        question = np.where(lang == 1, text[2], text[3])
        answer = np.where(lang == 1, text[4], text[5])
        answer[~is_resolved] = None
        ns = _obj([x for pair in NEXT_STEPS for x in pair]).reshape(-1, 2)
        next_step = ns[rng.integers(0, len(NEXT_STEPS), n), lang]
        next_step[fcr] = None
        ex = _obj([x for pair in EXPECTATIONS for x in pair]).reshape(-1, 2)
        expectation = ex[rng.integers(0, len(EXPECTATIONS), n), lang]
        skill = np.where(cat == ci[CaseCategory.AFTER_SALES],
                         np.array(self.product_cats, dtype=object)[
                             self.product_cat[np.maximum(product, 0)]], None)
        skill[(cat == ci[CaseCategory.AFTER_SALES]) & (product == NULL)] = None
        updated = np.maximum.reduce([created, fr_at, resolved, closed])

        self.c = dict(kind=kind, cat=cat, variant=variant, order=order, cust=cust, created=created, fr=fr_at,
                      resolved=resolved, closed=closed, owner=owner, product=product,
                      store=store, ch=ch, fcr=fcr, status=status, escalated=escalated,
                      res_due=res_due, breached=fr_breached | res_breached, lang=lang)
        self.ci = ci

        # customers first (their created_at precedes their first order or contact)
        first = np.full(self.size.customers, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(first, self.order_customer, self.order_time)
        np.minimum.at(first, cust, created)
        self.write_customers(first)
        self.w.write(m.Order.__table__, len(self.order_id), **self._order_cols)

        self.w_cases = dict(
            id=self.case_id, kind=kind_of[kind], channel=np.array([c.value for c in channels],
                                                                   dtype=object)[ch],
            category=np.array([c.value for c in cats], dtype=object)[cat],
            priority=np.array([p.value for p in prios], dtype=object)[prio], status=status,
            customer_id=self.customer_id[cust],
            order_id=np.where(order == NULL, NULL, self.order_id[o]),
            product_id=np.where(product == NULL, NULL, self.product_id[np.maximum(product, 0)]),
            store_id=store, owner_id=owner, created_by_id=np.where(live, owner, NULL),
            subject=subject, question=question, customer_expectation=expectation,
            answer=answer, next_step=next_step, required_skill=skill,
            first_contact_resolution=fcr, escalated=escalated,
            reopen_count=reopened.astype(np.int64), created_at=created,
            created_day=(created + LOCAL_OFFSET) // DAY,
            first_response_minutes=np.where(fr_at == NULL, NULL,
                                            (cal.b(fr_at) - cal.b(created)) // 60),
            resolution_minutes=np.where(resolved == NULL, NULL,
                                        (cal.b(resolved) - cal.b(created)) // 60),
            first_response_at=fr_at, resolved_at=resolved, closed_at=closed,
            updated_at=updated, sla_policy_id=np.where(has_sla, sla_id[pj], NULL),
            first_response_due_at=np.where(has_sla, fr_due, NULL),
            resolution_due_at=np.where(has_sla, res_due, NULL), sla_paused_at=paused,
            sla_paused_seconds=0, first_response_breached=fr_breached,
            resolution_breached=res_breached, version=1)
        self.case_texts = (question, answer)
        self.w.write(m.OrderLine.__table__, len(self.line_id), refunded_cents=0,
                     **self._line_cols)
        # the rollup is recomputed once after the bulk load instead of a trigger per row
        # (all in the seed's one transaction: a failed seed leaves both as they were)
        dialect = "postgresql" if self.w.pg else "sqlite"
        for stmt in rollups.drop_statements(dialect):
            self.w.executemany(stmt, None)
        self.w.write(m.Case.__table__, len(self.case_id), **self.w_cases)
        for stmt in rollups.rebuild_statements() + rollups.create_statements(dialect):
            self.w.executemany(stmt, None)
        self.case_events()

    def case_events(self) -> None:
        c = self.c
        n = len(self.case_id)
        question, answer = self.case_texts
        channels = list(Channel)
        ch_val = np.array([x.value for x in channels], dtype=object)
        phone_like = np.isin(c["ch"], [channels.index(Channel.PHONE),
                                       channels.index(Channel.WALK_IN)])
        idx = np.arange(n)
        one_call = c["fcr"] & phone_like
        has_fr = (c["fr"] != NULL) & ~one_call
        resolved_late = (c["resolved"] != NULL) & ~c["fcr"]
        esc = c["escalated"] & has_fr
        # intake, first reply, resolution, escalation: concatenated, then ordered by case
        case_i = np.concatenate([idx, idx[has_fr], idx[resolved_late], idx[esc]])
        part = np.concatenate([np.zeros(n, int), np.full(has_fr.sum(), 1),
                               np.full(resolved_late.sum(), 2), np.full(esc.sum(), 3)])
        order = np.lexsort((part, case_i))
        case_i, part = case_i[order], part[order]
        k = len(case_i)
        kinds = np.array([CaseEventKind.CUSTOMER_MESSAGE.value, CaseEventKind.REPLY.value,
                          CaseEventKind.STATUS_CHANGE.value, CaseEventKind.ESCALATION.value],
                         dtype=object)
        kind = kinds[part]
        kind[(part == 0) & phone_like[case_i]] = CaseEventKind.CALL_LOG.value
        fr, res, created = c["fr"][case_i], c["resolved"][case_i], c["created"][case_i]
        at = np.select([part == 0, part == 1, part == 2],
                       [created, fr, res], fr + (np.maximum(res, fr + HOUR) - fr) // 2)
        at = np.minimum(np.where((part == 3) & (res == NULL), fr + 600, at), self.now - 1)
        at = np.maximum(at, created)
        owner = c["owner"][case_i]
        author = np.where((part == 0) & ~phone_like[case_i], NULL, owner)
        body = np.where(part == 0, question[case_i], None)
        logged = (part == 0) & one_call[case_i]
        body[logged] = question[case_i[logged]] + " — " + answer[case_i[logged]]
        body[part == 1] = np.where(c["fcr"][case_i[part == 1]], answer[case_i[part == 1]],
                                   np.where(c["lang"][case_i[part == 1]] == 1,
                                            "Thank you, we are looking into it.",
                                            "感谢您的反馈，我们正在处理。"))
        body[part == 3] = "Escalated to a supervisor."
        old = np.where(part == 2, CaseStatus.OPEN.value, None)
        new = np.where(part == 2, CaseStatus.RESOLVED.value, None)
        self.w.write(m.CaseEvent.__table__, k, id=self.ids("case_event", k),
                     case_id=self.case_id[case_i], kind=kind, author_id=author,
                     channel=np.where(part <= 1, ch_val[c["ch"][case_i]], None), body=body,
                     old_value=old, new_value=new, created_at=at)

    # --- complaints --------------------------------------------------------------------------

    def complaints(self) -> None:
        c, rng, now = self.c, self.rng, self.now
        sel = np.flatnonzero(self.c["cat"] == self.ci[CaseCategory.COMPLAINT])
        self._complaint_sel = sel
        n = len(sel)
        ids = self.ids("complaint", n)
        resolved = c["resolved"][sel]
        closed = c["closed"][sel]
        done = resolved != NULL
        severity = np.array([s.value for s in ComplaintSeverity], dtype=object)[
            self.pick(list(ComplaintSeverity), [60, 30, 10], n)]
        causes = list(RootCause)
        cause_i = c["variant"][sel]  # the topic the customer complained about
        cause = np.array([x.value for x in causes], dtype=object)[cause_i]
        dept = np.array([CAUSE_DEPARTMENT[x].value for x in causes], dtype=object)[cause_i]
        cause[~done], dept[~done] = None, None
        product = c["product"][sel]
        needs_product = np.isin(cause_i, [causes.index(RootCause.PRODUCT_DEFECT),
                                          causes.index(RootCause.DELIVERY_DAMAGE),
                                          causes.index(RootCause.WRONG_ITEM)]) & done
        product = np.where(needs_product & (product == NULL),
                           rng.choice(len(self.product_id), n, p=self.product_p), product)
        resp_product = np.where(needs_product, self.product_id[np.maximum(product, 0)], NULL)
        store = np.where(c["store"][sel] == NULL,
                         self.store_id[self.customer_store[c["cust"][sel]]], c["store"][sel])
        resp_store = np.where(done & (cause_i == causes.index(RootCause.STAFF_BEHAVIOUR)),
                              store, NULL)
        satisfied = np.where(closed != NULL, rng.random(n) < 0.72, None)
        phone = np.isin(c["ch"][sel], [list(Channel).index(Channel.PHONE),
                                       list(Channel).index(Channel.WALK_IN)])
        escalated = c["escalated"][sel] & (c["fr"][sel] != NULL)
        fr = c["fr"][sel]
        self.w.write(m.Complaint.__table__, n, id=ids, case_id=self.case_id[sel],
                     severity=severity, acknowledged_at=fr,
                     promised_reply_at=c["res_due"][sel], replied_at=resolved,
                     reply_method=np.where(done, np.where(phone, "phone", "written"), None),
                     result=np.where(done, self.case_texts[1][sel], None),
                     customer_satisfied=satisfied,
                     evaluation_comment=np.where(satisfied == False,  # noqa: E712
                                                 "Expected a faster solution.", None),
                     root_cause=cause, responsible_department=dept,
                     responsible_store_id=resp_store, responsible_product_id=resp_product,
                     escalated_to_id=np.where(escalated, self.supervisor(n), NULL),
                     escalated_at=np.where(escalated, fr + 600, NULL), version=1)

        # other departments asked for input on about 60 %
        ask = (rng.random(n) < 0.6) & (fr != NULL)
        a = np.flatnonzero(ask)
        k = len(a)
        req_dept_i = np.where(done[a], cause_i[a], self.pick(causes, [1] * len(causes), k))
        req_dept = np.array([CAUSE_DEPARTMENT[x] for x in causes], dtype=object)[req_dept_i]
        requested = np.minimum(fr[a] + rng.integers(HOUR, 4 * HOUR, k), now - 60)
        requested = np.maximum(requested, fr[a])
        answered = np.where(done[a], requested + (np.maximum(resolved[a], requested + 60)
                                                  - requested) // 2, NULL)
        answered_by = _obj(["仓库 李强", "物流 周涛", "质检 刘洋", "门店经理 赵敏", "技术部 孙杰",
                            "客服主管 王芳"])[rng.integers(0, 6, k)]
        self.w.write(m.InvestigationRequest.__table__, k, id=self.ids("investigation_request", k),
                     complaint_id=ids[a], department=_obj([d.value for d in req_dept]),
                     question=_obj(["Please check what happened with this order and reply "
                                    "within two days."] * k),
                     requested_by_id=c["owner"][sel][a], requested_at=requested,
                     due_at=requested + 2 * DAY,
                     answer=np.where(done[a], _obj([DEPT_ANSWERS[d] for d in req_dept]), None),
                     answered_by=np.where(done[a], answered_by, None), answered_at=answered,
                     version=1)

        # compensation for some resolved complaints, always signed off by a supervisor
        comp = np.flatnonzero(done & (rng.random(n) < 0.15))
        k = len(comp)
        kinds = [CompensationKind.VOUCHER, CompensationKind.GIFT, CompensationKind.REPLACEMENT]
        ki = self.pick(kinds, [60, 30, 10], k)
        proposed = resolved[comp] - rng.integers(600, 3 * HOUR, k)
        proposed = np.maximum(proposed, c["created"][sel][comp])
        approved = rng.random(k) < 0.85
        self.w.write(m.Compensation.__table__, k, id=self.ids("compensation", k),
                     complaint_id=ids[comp],
                     kind=np.array([x.value for x in kinds], dtype=object)[ki],
                     amount_cents=np.where(ki == 0, rng.integers(2, 11, k) * 1000, 0),
                     description=_obj(["Voucher for the next purchase", "Small gift sent",
                                       "Replacement product sent"])[ki],
                     status=np.where(approved, DecisionStatus.APPROVED.value,
                                     DecisionStatus.REJECTED.value).astype(object),
                     proposed_by_id=c["owner"][sel][comp], proposed_at=proposed,
                     decided_by_id=self.supervisor(k), decided_at=resolved[comp],
                     version=1)

    # --- after-sales -------------------------------------------------------------------------

    def after_sales(self) -> None:
        c, rng, now = self.c, self.rng, self.now
        o = c["order"]
        cand = np.flatnonzero((c["cat"] == self.ci[CaseCategory.AFTER_SALES]) & (o != NULL))
        delivered = self.order_delivered[np.maximum(o[cand], 0)]
        cand = cand[(delivered != NULL) & (delivered < c["created"][cand])]
        want = min(len(cand), int(len(self.order_id) * 0.03))
        sel = np.sort(rng.choice(cand, want, replace=False))
        oo = o[sel]
        line = self.line_start[oo] + (rng.random(want) * self.line_count[oo]).astype(np.int64)
        _, first = np.unique(line, return_index=True)  # one request per line: refunds add up
        keep = np.sort(first)
        sel, oo, line = sel[keep], oo[keep], line[keep]
        n = len(sel)
        ids = self.ids("after_sales_request", n)
        kinds = list(AfterSalesKind)
        ki = self.pick(kinds, [35, 20, 35, 10], n)
        conds = list(GoodsCondition)
        cond_p = np.array([[30, 50, 20, 0, 0], [0, 40, 0, 20, 40], [0, 0, 20, 10, 70],
                           [50, 0, 0, 20, 30]], dtype=float)
        cond_p /= cond_p.sum(1, keepdims=True)
        cond = (rng.random(n)[:, None] > np.cumsum(cond_p[ki], 1)).sum(1)
        created = c["created"][sel]
        age_days = (created - self.order_delivered[oo]) // DAY
        prod = self.line_product[line]
        category = np.array(self.product_cats, dtype=object)[self.product_cat[prod]]
        default = self.aftersales_policy.get("*", (7, 15, 12, True))
        ret_w = np.array([self.aftersales_policy.get(x, default)[0] for x in category])
        ret_w = np.where(self.product_return[prod] > 0, self.product_return[prod], ret_w)
        exch_w = np.array([self.aftersales_policy.get(x, default)[1] for x in category])
        warr = np.array([self.aftersales_policy.get(x, default)[2] for x in category])
        warr = np.where(self.product_warranty[prod] > 0, self.product_warranty[prod], warr)
        proof = rng.random(n) < 0.97
        window = np.select([ki == 1, ki == 2], [exch_w, warr * 30], ret_w)
        within = (age_days <= window) & proof
        # the same reasons, in the same stored form, as core's policy check writes
        kind_of = [kinds[k] for k in ki.tolist()]
        today = [date(1970, 1, 1) + timedelta(days=int(t) // DAY) for t in created.tolist()]
        explanation = [
            aftersales.reasons_json([
                aftersales.warranty_reason(w // 30, d - timedelta(days=a) + timedelta(days=w),
                                           d) if k == AfterSalesKind.REPAIR
                else aftersales.window_reason(k, a, w),
                aftersales.proof_reason(p)])
            for a, w, k, p, d in zip(age_days.tolist(), window.tolist(), kind_of,
                                     proof.tolist(), today)]
        paid = self.line_paid[line]
        money_back = (ki == 0) | (ki == 3)
        needs_approval = ~within | (money_back & (paid > self.refund_threshold))
        resolved = c["resolved"][sel]
        done = resolved != NULL
        owner = np.where(c["owner"][sel] == NULL, self.agent(n), c["owner"][sel])
        # the request's fate follows its case: a resolved case ended the request
        st = np.full(n, AfterSalesStatus.SUBMITTED.value, dtype=object)
        decided_at = created + (np.maximum(np.where(done, resolved, now), created + 60)
                                - created) * 3 // 10
        decided = decided_at <= now
        st[decided & needs_approval] = AfterSalesStatus.AWAITING_APPROVAL.value
        st[decided & ~needs_approval] = AfterSalesStatus.APPROVED.value
        service = (ki == 1) | (ki == 2)
        st[decided & ~needs_approval & service] = AfterSalesStatus.IN_SERVICE.value
        fate = rng.random(n)
        rejected = done & ~within & (fate < 0.6)
        cancelled = done & ~rejected & (fate > 0.97)
        st[done] = AfterSalesStatus.COMPLETED.value
        st[rejected] = AfterSalesStatus.REJECTED.value
        st[cancelled] = AfterSalesStatus.CANCELLED.value
        has_decision = done & ~cancelled | (decided & ~needs_approval)
        decided_by = np.where(has_decision & needs_approval, self.supervisor(n), NULL)
        completed = np.where(st == AfterSalesStatus.COMPLETED.value, resolved, NULL)
        self.w.write(m.AfterSalesRequest.__table__, n, id=ids, case_id=self.case_id[sel],
                     customer_id=self.customer_id[c["cust"][sel]],
                     order_line_id=self.line_id[line],
                     kind=np.array([x.value for x in kinds], dtype=object)[ki],
                     reason=self.case_texts[0][sel],
                     condition=np.array([x.value for x in conds], dtype=object)[cond],
                     proof_of_purchase=proof, status=st, within_policy=within,
                     policy_explanation=explanation, needs_approval=needs_approval,
                     created_by_id=owner, prepared_by_id=owner, decided_by_id=decided_by,
                     decided_at=np.where(has_decision, decided_at, NULL),
                     decision_note=np.where(rejected, "Outside policy.", None),
                     created_at=created, completed_at=completed, version=1)
        self._requests = dict(ids=ids, sel=sel, completed=completed, cust=c["cust"][sel])

        # money back for returns and refunds that were granted
        r = np.flatnonzero(money_back & np.isin(st, [AfterSalesStatus.COMPLETED.value,
                                                     AfterSalesStatus.APPROVED.value,
                                                     AfterSalesStatus.AWAITING_APPROVAL.value]))
        paid_out = st[r] == AfterSalesStatus.COMPLETED.value
        rst = np.where(paid_out, RefundStatus.PAID.value,
                       np.where(st[r] == AfterSalesStatus.APPROVED.value,
                                RefundStatus.APPROVED.value,
                                RefundStatus.AWAITING_APPROVAL.value)).astype(object)
        # lines are written already; one request per line, so the refund is the whole line
        self.w.executemany("UPDATE order_line SET refunded_cents = %s WHERE id = %s",
                           list(zip(paid[r[paid_out]].tolist(),
                                    self.line_id[line[r[paid_out]]].tolist())))
        self.w.write(m.Refund.__table__, len(r), id=self.ids("refund", len(r)),
                     request_id=ids[r], order_line_id=self.line_id[line[r]],
                     amount_cents=paid[r], status=rst, requested_by_id=owner[r],
                     prepared_by_id=owner[r],
                     approved_by_id=np.where(needs_approval[r] & (rst != RefundStatus.AWAITING_APPROVAL.value),
                                             decided_by[r], NULL),
                     created_at=created[r],
                     decided_at=np.where(rst != RefundStatus.AWAITING_APPROVAL.value,
                                         decided_at[r], NULL),
                     paid_at=np.where(paid_out, completed[r], NULL), version=1)

        # repair and exchange work goes to a technician with the skill
        j = np.flatnonzero(service & np.isin(st, [AfterSalesStatus.IN_SERVICE.value,
                                                  AfterSalesStatus.COMPLETED.value]))
        k = len(j)
        cat_j = category[j]
        able = np.array([[cc in skills for skills in self.tech_skills]
                         for cc in self.product_cats])  # category x technician
        able[able.sum(1) == 0] = True
        choice = np.array([self.py.choice(np.flatnonzero(able[self.product_cats.index(cc)]))
                           for cc in cat_j.tolist()], dtype=np.int64)
        tech = self.technicians[choice] if k else np.empty(0, np.int64)
        finished_job = st[j] == AfterSalesStatus.COMPLETED.value
        start = decided_at[j]
        end = np.where(finished_job, completed[j], now)
        span = np.maximum(end - start, 600)
        scheduled = start + span * 3 // 10
        finished = start + span * 8 // 10
        qc_at = finished + (span - span * 8 // 10) // 2
        mode_i = np.where(np.isin(cat_j, ["appliance", "furniture"]), 0,
                          np.where(cat_j == "electronics", 1, 2))
        js = np.full(k, JobStatus.ASSIGNED.value, dtype=object)
        js[scheduled <= now] = JobStatus.IN_PROGRESS.value
        js[(scheduled > now)] = JobStatus.SCHEDULED.value
        js[finished_job] = JobStatus.DONE.value
        started = np.where(finished_job | (scheduled <= now), scheduled, NULL)
        qc_passed = np.where(finished_job, rng.random(k) < 0.95, None)
        job_ids = self.ids("service_job", k)
        self.w.write(m.ServiceJob.__table__, k, id=job_ids, request_id=ids[j], technician_id=tech,
                     kind=np.array([x.value for x in kinds], dtype=object)[ki[j]],
                     required_skill=cat_j,
                     mode=np.array([x.value for x in ServiceMode], dtype=object)[mode_i],
                     status=js, scheduled_for=scheduled,
                     address=np.where(mode_i == 0, self.customer_address[c["cust"][sel[j]]], None),
                     created_at=start, started_at=started,
                     finished_at=np.where(finished_job, finished, NULL), qc_passed=qc_passed,
                     qc_checks=np.where(finished_job, "Function test, safety check, appearance",
                                        None),
                     qc_at=np.where(finished_job, qc_at, NULL),
                     qc_by_id=np.where(finished_job, tech, NULL), version=1)

        d = np.flatnonzero(finished_job)
        k = len(d)
        age = now - qc_at[d]
        review = np.where(age > 14 * DAY, ReportReview.ARCHIVED.value,
                          np.where(rng.random(k) < 0.5, ReportReview.ACCEPTED.value,
                                   ReportReview.PENDING.value)).astype(object)
        review[(review == ReportReview.ACCEPTED.value) & (rng.random(k) < 0.1)] = \
            ReportReview.RETURNED.value
        reviewed = review != ReportReview.PENDING.value
        self.w.write(m.ServiceReport.__table__, k, id=self.ids("service_report", k),
                     job_id=job_ids[d],
                     work_done=np.where(ki[j][d] == 2, "Diagnosed and repaired the fault.",
                                        "Replaced the unit with a new one."),
                     parts_used=np.where(ki[j][d] == 2, _obj(["Control board", "Motor", "Fuse",
                                                              "Seal", None])[rng.integers(0, 5, k)],
                                         None),
                     labour_minutes=rng.integers(20, 180, k),
                     material_cost_cents=np.where(ki[j][d] == 2, rng.integers(0, 400, k) * 100, 0),
                     transport_cost_cents=np.where(mode_i[d] == 0, rng.integers(30, 90, k) * 100,
                                                   np.where(mode_i[d] == 1, 1500, 0)),
                     submitted_by_id=tech[d], submitted_at=qc_at[d], review=review,
                     reviewed_by_id=np.where(reviewed, self.supervisor(k), NULL),
                     reviewed_at=np.where(reviewed, np.minimum(qc_at[d] + DAY, now - 60), NULL),
                     review_note=np.where(review == ReportReview.RETURNED.value,
                                          "Please list the parts used.", None), version=1)

    # --- callbacks and surveys ---------------------------------------------------------------

    def callbacks(self) -> None:
        c, rng, now = self.c, self.rng, self.now
        n_cases = len(self.case_id)
        req = self._requests
        # follow-ups two days after resolution, for about one case in ten overall
        resolved_i = np.flatnonzero(c["resolved"] != NULL)
        n_follow = max(0, int(n_cases * 0.1) - int((req["completed"] != NULL).sum()))
        f = np.sort(rng.choice(resolved_i, min(n_follow, len(resolved_i)), replace=False))
        a = np.flatnonzero(req["completed"] != NULL)
        vip = np.flatnonzero(self.vip)
        vip_due = (np.tile(now - np.array([75, 45, 15]) * DAY, len(vip))
                   + rng.integers(0, 10 * DAY, 3 * len(vip)))
        purpose = np.concatenate([np.zeros(len(f), int), np.ones(len(a), int),
                                  np.full(len(vip) * 3, 2)])
        cust = np.concatenate([c["cust"][f], req["cust"][a], np.repeat(vip, 3)])
        case = np.concatenate([f, req["sel"][a], np.full(len(vip) * 3, NULL)])
        request = np.concatenate([np.full(len(f), NULL), req["ids"][a],
                                  np.full(len(vip) * 3, NULL)])
        due = np.concatenate([c["resolved"][f] + 2 * DAY, req["completed"][a] + 2 * DAY, vip_due])
        created = np.concatenate([c["resolved"][f], req["completed"][a], vip_due - 30 * DAY])
        order = np.argsort(created, kind="stable")
        purpose, cust, case, request, due, created = (x[order] for x in
                                                      (purpose, cust, case, request, due, created))
        n = len(due)
        fate = rng.random(n)
        st = np.where(fate < 0.8, CallbackStatus.DONE.value,
                      np.where(fate < 0.95, CallbackStatus.UNREACHABLE.value,
                               CallbackStatus.CANCELLED.value)).astype(object)
        st[(due > now) | ((due > now - 3 * DAY) & (fate < 0.5))] = CallbackStatus.OPEN.value
        # one open callback per customer and purpose (a unique index says so)
        open_ = np.flatnonzero(st == CallbackStatus.OPEN.value)
        _, first = np.unique(cust[open_] * 8 + purpose[open_], return_index=True)
        dup = np.setdiff1d(open_, open_[first])
        st[dup] = CallbackStatus.CANCELLED.value
        created = np.minimum(created, now - 60)

        # attempts: reached at the last try when done, three misses when unreachable
        tries = np.select([st == CallbackStatus.DONE.value, st == CallbackStatus.UNREACHABLE.value,
                           st == CallbackStatus.OPEN.value],
                          [self.pick([1, 2, 3], [70, 20, 10], n) + 1, 3,
                           (due <= now) & (rng.random(n) < 0.3)], 0).astype(np.int64)
        gap = rng.integers(2 * HOUR, DAY, n)
        last = due + (tries - 1) * gap
        last = np.minimum(last, now - 60)
        first_try = np.minimum(due, last)
        gap = np.where(tries > 1, (last - first_try) // np.maximum(tries - 1, 1), 0)
        claimed = np.where(tries > 0, self.agent(n), NULL)
        closed = np.where(np.isin(st, [CallbackStatus.DONE.value, CallbackStatus.UNREACHABLE.value]),
                          last, np.where(st == CallbackStatus.CANCELLED.value, created + 60, NULL))
        closed = np.maximum(closed, np.where(closed == NULL, NULL, created))
        topics = _obj(["Follow-up: is the problem solved?", "After-sales follow-up",
                       "VIP care call"])
        ids = self.ids("callback", n)
        self.w.write(m.Callback.__table__, n, id=ids, customer_id=self.customer_id[cust],
                     case_id=np.where(case == NULL, NULL, self.case_id[np.maximum(case, 0)]),
                     request_id=request,
                     purpose=_obj([CallbackPurpose.FOLLOW_UP.value,
                                   CallbackPurpose.AFTER_SALES_FOLLOW_UP.value,
                                   CallbackPurpose.VIP_CARE.value])[purpose],
                     topic=topics[purpose], due_at=due, status=st, claimed_by_id=claimed,
                     claimed_at=np.where(claimed == NULL, NULL, first_try - 60),
                     attempts=tries, created_by_id=NULL, created_at=created, closed_at=closed,
                     version=1)

        cb = np.repeat(np.arange(n), tries)
        nth = np.arange(len(cb)) - np.repeat(np.cumsum(tries) - tries, tries)
        is_last = nth == tries[cb] - 1
        outcome = np.where(rng.random(len(cb)) < 0.8, CallOutcome.NO_ANSWER.value,
                           CallOutcome.CALL_BACK_LATER.value).astype(object)
        outcome[is_last & (st[cb] == CallbackStatus.DONE.value)] = CallOutcome.REACHED.value
        wrong = is_last & (st[cb] == CallbackStatus.UNREACHABLE.value) & (rng.random(len(cb)) < 0.3)
        outcome[wrong] = CallOutcome.WRONG_NUMBER.value
        at = first_try[cb] + nth * gap[cb]
        later = outcome == CallOutcome.CALL_BACK_LATER.value
        self.w.write(m.CallAttempt.__table__, len(cb), id=self.ids("call_attempt", len(cb)),
                     callback_id=ids[cb], staff_id=claimed[cb], attempted_at=at,
                     outcome=outcome, call_back_at=np.where(later, at + 3 * HOUR, NULL))

        # a survey for every reached customer; breaches and slow cases score lower
        s = np.flatnonzero(st == CallbackStatus.DONE.value)
        k = len(s)
        scase = case[s]
        good = np.where(scase == NULL, True, ~c["breached"][np.maximum(scase, 0)])
        shift = np.where(good, 0.0, -0.8) + np.where(
            (scase != NULL) & c["fcr"][np.maximum(scase, 0)], 0.3, 0.0)
        score = np.clip(np.rint(4.1 + shift + rng.normal(0, 0.9, k)), 1, 5).astype(np.int64)
        nps = np.where(rng.random(k) < 0.6, np.clip(score * 2 + rng.integers(-1, 2, k), 0, 10), NULL)
        comments = _obj([None] + [SURVEY_COMMENTS[i] for i in range(1, 6)])
        self.w.write(m.SurveyAnswer.__table__, k, id=self.ids("survey_answer", k),
                     customer_id=self.customer_id[cust[s]], callback_id=ids[s],
                     case_id=np.where(scase == NULL, NULL, self.case_id[np.maximum(scase, 0)]),
                     handled_by_id=np.where(scase == NULL, NULL, c["owner"][np.maximum(scase, 0)]),
                     surveyed_by_id=claimed[s], satisfaction=score,
                     problem_solved=np.where(purpose[s] == 2, None, score >= 3), nps=nps,
                     comment=np.where(rng.random(k) < 0.3, comments[score], None),
                     answered_at=last[s])

    def maintenance_plans(self) -> None:
        vip = np.flatnonzero(self.vip & (self.rng.random(len(self.vip)) < 0.6))
        n = len(vip)
        appliances = np.flatnonzero(np.array(self.product_cats)[self.product_cat] == "appliance")
        prod = appliances[self.rng.integers(0, len(appliances), n)]
        interval = np.where(self.rng.random(n) < 0.5, 90, 180)
        self.w.write(m.MaintenancePlan.__table__, n, id=self.ids("maintenance_plan", n),
                     customer_id=self.customer_id[vip], product_id=self.product_id[prod],
                     description=_obj([f"定期保养：{x}" for x in self.product_name_zh[prod]]),
                     interval_days=interval,
                     next_due_on=self.now // DAY + self.rng.integers(1, 90, n), active=True,
                     version=1)
