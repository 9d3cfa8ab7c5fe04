"""The figures beyond case counts: satisfaction and reach, complaints by root cause
(Pareto) and by product / store / department, after-sales rates and costs per product, the
backlog's age and the agents' scorecards. Same filters and same rules as core.analytics:
grouped in SQL, small frames out, no customer's personal data selected.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta

import pandas as pd
import sqlalchemy as sa
import sqlalchemy.orm

from core import analytics, formats, sla
from core.actor import Actor
from core.analytics import Filters, checked, utc_bounds
from core.clock import utcnow
from core.errors import ValidationError
from core.i18n import N_
from core.permissions import Action, allowed, require
from core.uow import UnitOfWork
from core.vocabulary import AfterSalesKind, CallbackStatus, CallOutcome, RefundStatus
from db.models import (
    AfterSalesRequest, CallAttempt, Callback, Case, Complaint, Customer, Order, OrderLine,
    Product, Refund, ServiceJob, ServiceReport, Staff, Store, SurveyAnswer,
)


def _dimensions(s, query, f: Filters):
    return analytics.dimension_filters(query, f, s.get_bind().dialect.name)


def _frame(rows, columns) -> pd.DataFrame:
    frame = pd.DataFrame([tuple(r) for r in rows], columns=columns)
    for c in frame.columns:
        if frame[c].dtype == object:
            frame[c] = frame[c].map(lambda v: getattr(v, "value", v))
    return frame


# --- satisfaction and reach -------------------------------------------------------------------

SATISFACTION_BY = {"agent": Staff.display_name, "channel": Case.channel,
                   "category": Case.category, "kind": Case.kind}


def _answers(s, f: Filters, *columns):
    start, end = utc_bounds(s, f)
    query = (sa.select(*columns).select_from(SurveyAnswer)
             .outerjoin(Case, Case.id == SurveyAnswer.case_id)
             .where(SurveyAnswer.answered_at >= start, SurveyAnswer.answered_at < end))
    return _dimensions(s, query, f)


def _score_columns():
    promoters = sa.func.sum(sa.case((SurveyAnswer.nps >= 9, 1), else_=0))
    detractors = sa.func.sum(sa.case((SurveyAnswer.nps <= 6, 1), else_=0))
    return [sa.func.count().label("answers"),
            sa.func.avg(SurveyAnswer.satisfaction).label("satisfaction"),
            sa.func.count(SurveyAnswer.nps).label("nps_answers"),
            promoters.label("promoters"), detractors.label("detractors")]


def _nps(frame: pd.DataFrame) -> pd.DataFrame:
    rated = frame["nps_answers"].where(frame["nps_answers"] > 0)
    frame["nps"] = 100.0 * (frame["promoters"] - frame["detractors"]) / rated
    frame["satisfaction"] = frame["satisfaction"].astype("float64")
    return frame.drop(columns=["promoters", "detractors"])


def satisfaction_by(uow: UnitOfWork, actor: Actor, f: Filters, by: str) -> pd.DataFrame:
    """Survey answers taken in the period: average 1-5 and NPS per agent, channel, kind or
    category (agent = who handled the case)."""
    require(actor, Action.ANALYTICS_VIEW)
    f = checked(f)
    if by not in SATISFACTION_BY:
        raise ValidationError(N_("These figures cannot be split that way."))
    key = SATISFACTION_BY[by].label(by)
    with uow.reader() as r:
        if by == "agent":  # per person (two agents may share a name): their id comes too
            query = (_answers(r.session, f, key, SurveyAnswer.handled_by_id, *_score_columns())
                     .outerjoin(Staff, Staff.id == SurveyAnswer.handled_by_id)
                     .group_by(SurveyAnswer.handled_by_id, key))
            columns = [by, "agent_id"]
        else:
            query = _answers(r.session, f, key, *_score_columns()).group_by(key)
            columns = [by]
        rows = r.session.execute(query).all()
    frame = _nps(_frame(rows, columns + ["answers", "satisfaction", "nps_answers", "promoters",
                                         "detractors"]))
    return frame.sort_values("satisfaction").reset_index(drop=True)


def satisfaction_total(uow: UnitOfWork, actor: Actor, f: Filters) -> dict:
    """All the period's survey answers: how many, the average 1-5 and the NPS."""
    require(actor, Action.ANALYTICS_VIEW)
    f = checked(f)
    with uow.reader() as r:
        row = r.session.execute(_answers(r.session, f, *_score_columns())).one()
    answers, average, rated, promoters, detractors = row
    return {"answers": int(answers or 0),
            "satisfaction": float(average) if average is not None else None,
            "nps_answers": int(rated or 0),
            "nps": 100.0 * ((promoters or 0) - (detractors or 0)) / rated if rated else None}


def refunds_total(uow: UnitOfWork, actor: Actor, f: Filters) -> dict:
    """Refunds approved or paid, asked for in the period, whatever led to them (after-sales
    requests and complaint compensations): how many and how much. The store filter applies
    through the refunded order."""
    require(actor, Action.ANALYTICS_VIEW)
    f = checked(f)
    with uow.reader() as r:
        start, end = utc_bounds(r.session, f)
        query = (sa.select(sa.func.count(), sa.func.sum(Refund.amount_cents))
                 .where(Refund.status.in_((RefundStatus.APPROVED, RefundStatus.PAID)),
                        Refund.created_at >= start, Refund.created_at < end))
        if f.store_ids:
            query = query.where(Refund.order_line_id.in_(
                sa.select(OrderLine.id).join(Order, Order.id == OrderLine.order_id)
                .where(Order.store_id.in_(f.store_ids))))
        if f.product_categories:
            query = query.where(Refund.order_line_id.in_(
                sa.select(OrderLine.id).join(Product, Product.id == OrderLine.product_id)
                .where(Product.category.in_(f.product_categories))))
        n, cents = r.session.execute(query).one()
    return {"refunds": int(n or 0), "refunded_cents": int(cents or 0)}


def satisfaction_trend(uow: UnitOfWork, actor: Actor, f: Filters,
                       grain: str = "week") -> pd.DataFrame:
    require(actor, Action.ANALYTICS_VIEW)
    f = checked(f)
    with uow.reader() as r:
        tz = sla.shop_timezone(r.session)
        # per hour in SQL (exact in any time zone, a few thousand rows at most), then
        # per shop day and period here
        hour = sa.func.floor(_epoch_hours(r.session, SurveyAnswer.answered_at))
        rows = r.session.execute(
            _answers(r.session, f, sa.func.min(SurveyAnswer.answered_at), *_score_columns())
            .group_by(hour)).all()
    frame = _frame(rows, ["at", "answers", "satisfaction", "nps_answers", "promoters",
                          "detractors"])
    if frame.empty:
        return _nps(frame.assign(period=[])).drop(columns=["at"])
    frame["day"] = [formats.local_time(at, tz).date() for at in frame["at"]]
    frame["weighted"] = frame["satisfaction"].astype("float64") * frame["answers"]
    frame["period"] = analytics.periods(frame["day"], analytics._grain(grain))
    summed = (frame.drop(columns=["at", "day", "satisfaction"])
              .groupby("period", as_index=False).sum())
    summed["satisfaction"] = summed["weighted"] / summed["answers"]
    return _nps(summed.drop(columns=["weighted"]))


def _epoch_hours(s, column):
    """Whole hours since 1970 of a stored time, in SQL on both databases."""
    if s.get_bind().dialect.name == "postgresql":
        return sa.func.extract("epoch", column) / 3600
    # integer seconds: julianday's fractions put 16:00:00 a hair before the hour
    return sa.cast(sa.func.strftime("%s", column), sa.Integer) / 3600


def reach(uow: UnitOfWork, actor: Actor, f: Filters) -> dict:
    """Of the callbacks that ended in the period (done or unreachable), how many reached the
    customer. Cancelled ones were never called and do not count."""
    require(actor, Action.ANALYTICS_VIEW)
    f = checked(f)
    reached = sa.exists().where(CallAttempt.callback_id == Callback.id,
                                CallAttempt.outcome.in_((CallOutcome.REACHED,
                                                         CallOutcome.DECLINED)))
    with uow.reader() as r:
        start, end = utc_bounds(r.session, f)
        closed, hit = r.session.execute(
            sa.select(sa.func.count(), sa.func.sum(sa.case((reached, 1), else_=0)))
            .select_from(Callback)
            .where(Callback.status.in_((CallbackStatus.DONE, CallbackStatus.UNREACHABLE)),
                   Callback.closed_at >= start, Callback.closed_at < end)).one()
    closed, hit = int(closed or 0), int(hit or 0)
    return {"closed": closed, "reached": hit, "rate": hit / closed if closed else None}


# --- complaints --------------------------------------------------------------------------------

def _complaints(s, f: Filters, *columns):
    start, end = utc_bounds(s, f)
    query = (sa.select(*columns).select_from(Complaint).join(Case, Case.id == Complaint.case_id)
             .where(Case.created_at >= start, Case.created_at < end))
    return _dimensions(s, query, f)


def complaint_causes(uow: UnitOfWork, actor: Actor, f: Filters) -> pd.DataFrame:
    """Complaints opened in the period per root cause, biggest first, with the cumulative
    share (a Pareto chart: the few causes behind most complaints). No cause yet = None."""
    require(actor, Action.ANALYTICS_VIEW)
    f = checked(f)
    with uow.reader() as r:
        rows = r.session.execute(_complaints(r.session, f, Complaint.root_cause,
                                             sa.func.count())
                                 .group_by(Complaint.root_cause)).all()
    frame = _frame(rows, ["root_cause", "complaints"])
    frame = frame.sort_values("complaints", ascending=False).reset_index(drop=True)
    total = frame["complaints"].sum()
    frame["share"] = frame["complaints"] / total if total else 0.0
    frame["cumulative_share"] = frame["share"].cumsum()
    return frame


COMPLAINTS_BY = ("product", "store", "department")


def complaints_by(uow: UnitOfWork, actor: Actor, f: Filters, by: str,
                  limit: int = 20) -> pd.DataFrame:
    """Complaints opened in the period per responsible product, store or department."""
    require(actor, Action.ANALYTICS_VIEW)
    f = checked(f)
    limit = max(1, min(int(limit), 200))
    with uow.reader() as r:
        if by == "product":
            product_id = sa.func.coalesce(Complaint.responsible_product_id, Case.product_id)
            query = (_complaints(r.session, f, Product.sku, Product.name, Product.category,
                                 sa.func.count().label("n"))
                     .join(Product, Product.id == product_id)
                     .group_by(Product.id, Product.sku, Product.name, Product.category))
            columns = ["sku", "product", "product_category", "complaints"]
        elif by == "store":
            store_id = sa.func.coalesce(Complaint.responsible_store_id, Case.store_id)
            query = (_complaints(r.session, f, Store.code, Store.name, sa.func.count().label("n"))
                     .join(Store, Store.id == store_id).group_by(Store.id, Store.code, Store.name))
            columns = ["store_code", "store", "complaints"]
        elif by == "department":
            query = (_complaints(r.session, f, Complaint.responsible_department,
                                 sa.func.count().label("n"))
                     .group_by(Complaint.responsible_department))
            columns = ["department", "complaints"]
        else:
            raise ValidationError(N_("These figures cannot be split that way."))
        rows = r.session.execute(query.order_by(sa.desc("n")).limit(limit)).all()
    return _frame(rows, columns)


def complaint_examples(uow: UnitOfWork, actor: Actor, f: Filters, root_cause: str | None,
                       limit: int = 3) -> pd.DataFrame:
    """A few recent complaints of one cause, for the report: case number, day, product and
    subject. The subject is free text an agent wrote and may name or locate the customer in
    ways no mask catches: only people allowed to see customers' personal data get it (with
    the name, e-mail addresses and digit runs masked still); for the others it is None."""
    require(actor, Action.ANALYTICS_VIEW)
    f = checked(f)
    with_subject = allowed(actor.roles, Action.CUSTOMER_PERSONAL_DATA)
    with uow.reader() as r:
        # the customer's name is read only to be masked out of the subject
        query = (_complaints(r.session, f, Case.id, Case.created_day, Product.name,
                             Case.subject, Customer.name)
                 .outerjoin(Product, Product.id == Case.product_id)
                 .join(Customer, Customer.id == Case.customer_id)
                 .where(Complaint.root_cause.is_(None) if root_cause is None
                        else Complaint.root_cause == root_cause)
                 .order_by(Case.created_at.desc()).limit(max(1, min(int(limit), 20))))
        rows = r.session.execute(query).all()
    return pd.DataFrame([(cid, day, product,
                          mask_personal(subject, names=(customer,)) if with_subject else None)
                         for cid, day, product, subject, customer in rows],
                        columns=["case_id", "day", "product", "subject"])


def mask_personal(text: str | None, names: tuple[str, ...] = ()) -> str | None:
    """The customer's name (whole, and each part of two letters or more), e-mail addresses
    and runs of 6+ digits (phones, ids) replaced by ***."""
    if text is None:
        return None
    for name in names:
        for part in sorted({name, *re.split(r"[\s()（）]+", name or "")}, key=len,
                           reverse=True):
            if len(part) >= 2:
                text = re.sub(re.escape(part), "***", text, flags=re.IGNORECASE)
    text = re.sub(r"[\w.+-]+@[\w-]+(\.[\w-]+)+", "***", text)
    # digits however grouped: 138 0013 8000, 138-0013-8000, 138.0013.8000, (021) 5555 1234
    return re.sub(r"\+?\(?\d[\d\s().\/-]{4,}\d", "***", text)


# --- after-sales -------------------------------------------------------------------------------

def after_sales_by_product(uow: UnitOfWork, actor: Actor, f: Filters,
                           limit: int = 25) -> pd.DataFrame:
    """Per product, over the period: units sold (order lines ordered), return / exchange /
    repair requests and their rate per unit sold, refunds paid or approved, and the service
    cost of the jobs (parts, labour minutes, transport). Most requests first."""
    require(actor, Action.ANALYTICS_VIEW)
    f = checked(f)
    limit = max(1, min(int(limit), 500))
    with uow.reader() as r:
        s = r.session
        start, end = utc_bounds(s, f)

        def kind_count(kind):
            return sa.func.sum(sa.case((AfterSalesRequest.kind == kind, 1), else_=0))
        # driven from the period's requests (a join let SQLite walk every order line of the
        # chain in product order: 109 ms instead of 2 ms)
        line = sa.orm.aliased(OrderLine)
        pid = (sa.select(line.product_id).where(line.id == AfterSalesRequest.order_line_id)
               .scalar_subquery())
        requests = (sa.select(pid.label("pid"), sa.func.count().label("requests"),
                              kind_count(AfterSalesKind.RETURN).label("returns"),
                              kind_count(AfterSalesKind.EXCHANGE).label("exchanges"),
                              kind_count(AfterSalesKind.REPAIR).label("repairs"),
                              kind_count(AfterSalesKind.REFUND).label("refund_requests"))
                    .select_from(AfterSalesRequest)
                    .where(AfterSalesRequest.created_at >= start,
                           AfterSalesRequest.created_at < end)
                    .group_by(sa.literal_column("pid")))
        if f.product_categories:
            requests = requests.where(pid.in_(
                sa.select(Product.id).where(Product.category.in_(f.product_categories))))
        if f.store_ids:
            requests = requests.where(AfterSalesRequest.order_line_id.in_(
                sa.select(OrderLine.id).join(Order, Order.id == OrderLine.order_id)
                .where(Order.store_id.in_(f.store_ids))))
        req = s.execute(requests.order_by(sa.desc("requests")).limit(limit)).all()
        ids = [row.pid for row in req]
        if not ids:
            return pd.DataFrame(columns=AFTER_SALES_COLUMNS)
        names = {pid: (sku, name, cat) for pid, sku, name, cat in s.execute(
            sa.select(Product.id, Product.sku, Product.name, Product.category)
            .where(Product.id.in_(ids)))}
        of_products = analytics.unindexed(OrderLine.product_id,
                                         s.get_bind().dialect.name).in_(ids)

        def in_stores(query):
            """Sales, refunds and costs of the chosen stores only, like the requests."""
            if not f.store_ids:
                return query
            return query.where(OrderLine.order_id.in_(
                sa.select(Order.id).where(Order.store_id.in_(f.store_ids))))
        sold = dict(s.execute(in_stores(
            sa.select(OrderLine.product_id, sa.func.sum(OrderLine.quantity))
            .join(Order, Order.id == OrderLine.order_id)
            # the period's orders first: by product SQLite read every line ever sold
            .where(of_products, Order.ordered_at >= start, Order.ordered_at < end)
            .group_by(OrderLine.product_id))).all())
        refunds = dict(s.execute(in_stores(
            sa.select(OrderLine.product_id, sa.func.sum(Refund.amount_cents))
            .join(OrderLine, OrderLine.id == Refund.order_line_id)
            .where(of_products, Refund.status.in_((RefundStatus.APPROVED, RefundStatus.PAID)),
                   Refund.created_at >= start, Refund.created_at < end)
            .group_by(OrderLine.product_id))).all())
        costs = {pid: (parts, labour, transport) for pid, parts, labour, transport in s.execute(
            in_stores(
                sa.select(OrderLine.product_id, sa.func.sum(ServiceReport.material_cost_cents),
                          sa.func.sum(ServiceReport.labour_minutes),
                          sa.func.sum(ServiceReport.transport_cost_cents))
                .select_from(ServiceReport)
                .join(ServiceJob, ServiceJob.id == ServiceReport.job_id)
                .join(AfterSalesRequest, AfterSalesRequest.id == ServiceJob.request_id)
                .join(OrderLine, OrderLine.id == AfterSalesRequest.order_line_id)
                .where(of_products, ServiceReport.submitted_at >= start,
                       ServiceReport.submitted_at < end)
                .group_by(OrderLine.product_id)))}
    rows = []
    for row in req:
        sku, name, cat = names[row.pid]
        units = int(sold.get(row.pid) or 0)
        parts, labour, transport = (int(v or 0) for v in costs.get(row.pid, (0, 0, 0)))
        rows.append(dict(
            sku=sku, product=name, product_category=cat, units_sold=units,
            requests=int(row.requests), returns=int(row.returns),
            exchanges=int(row.exchanges), repairs=int(row.repairs),
            refund_requests=int(row.refund_requests),
            return_rate=row.returns / units if units else None,
            exchange_rate=row.exchanges / units if units else None,
            repair_rate=row.repairs / units if units else None,
            refunded_cents=int(refunds.get(row.pid) or 0), parts_cents=parts,
            labour_minutes=labour, transport_cents=transport))
    return pd.DataFrame(rows, columns=AFTER_SALES_COLUMNS)


AFTER_SALES_COLUMNS = ["sku", "product", "product_category", "units_sold", "requests",
                       "returns", "exchanges", "repairs", "refund_requests", "return_rate",
                       "exchange_rate", "repair_rate", "refunded_cents", "parts_cents",
                       "labour_minutes", "transport_cents"]


# --- backlog and scorecards --------------------------------------------------------------------

AGE_BUCKETS = ((1, N_("under 1 day")), (3, N_("1–3 days")), (7, N_("3–7 days")),
               (14, N_("1–2 weeks")), (30, N_("2–4 weeks")), (None, N_("over 4 weeks")))


def backlog(uow: UnitOfWork, actor: Actor, f: Filters,
            now: datetime | None = None) -> pd.DataFrame:
    """The open cases now, per age (calendar days since created) and status. The period
    does not apply (the backlog is today's); the other filters do."""
    require(actor, Action.ANALYTICS_VIEW)
    f = checked(f)
    now = now or utcnow()
    bucket = sa.case(*[(Case.created_at > now - timedelta(days=d), i)
                       for i, (d, _) in enumerate(AGE_BUCKETS) if d is not None],
                     else_=len(AGE_BUCKETS) - 1)
    with uow.reader() as r:
        query = _dimensions(r.session, sa.select(bucket.label("b"), Case.status,
                                                 sa.func.count())
                            .where(Case.status.in_(sla.OPEN_STATUSES)), f)
        rows = r.session.execute(query.group_by(bucket, Case.status)).all()
    frame = _frame(rows, ["order", "status", "cases"])
    frame["age"] = frame["order"].map(lambda i: AGE_BUCKETS[int(i)][1])
    return frame.sort_values(["order", "status"]).reset_index(drop=True)


def scorecards(uow: UnitOfWork, actor: Actor, f: Filters,
               now: datetime | None = None) -> pd.DataFrame:
    """Per agent (case owner), cases created in the period: handled (resolved), average
    first response and resolution in opening minutes, FCR, reopen rate, SLA compliance,
    satisfaction from the surveys; per technician the quality-check pass rate of their jobs."""
    cases = analytics.breakdown(uow, actor, f, "agent_id", now)
    cases = cases.loc[cases["agent_id"].notna()]
    scores = satisfaction_by(uow, actor, f, "agent")
    with uow.reader() as r:
        start, end = utc_bounds(r.session, f)
        qc = r.session.execute(
            sa.select(ServiceJob.technician_id, Staff.display_name, sa.func.count(),
                      sa.func.sum(sa.case((ServiceJob.qc_passed.is_(True), 1), else_=0)))
            .join(Staff, Staff.id == ServiceJob.technician_id)
            .where(ServiceJob.qc_passed.isnot(None), ServiceJob.qc_at >= start,
                   ServiceJob.qc_at < end)
            .group_by(ServiceJob.technician_id, Staff.display_name)).all()
    out = pd.DataFrame({
        "agent_id": cases["agent_id"].astype("int64"), "agent": cases["agent"],
        "cases": cases["created"], "handled": cases["resolved"],
        "avg_response_minutes": cases["avg_response_minutes"],
        "avg_resolution_minutes": cases["avg_resolution_minutes"],
        "response_rate": cases["response_rate"], "resolution_rate": cases["resolution_rate"],
        "fcr_rate": cases["fcr_rate"], "reopen_rate": cases["reopen_rate"]})
    scores = scores.loc[scores["agent_id"].notna()].astype({"agent_id": "int64"})
    out = out.merge(scores[["agent_id", "satisfaction", "answers"]], on="agent_id", how="left")
    technicians = pd.DataFrame([(int(sid), name, int(n), int(ok) / int(n))
                                for sid, name, n, ok in qc],
                               columns=["agent_id", "technician", "qc_checked", "qc_pass_rate"])
    out = out.merge(technicians, on="agent_id", how="outer")
    out["agent"] = out["agent"].fillna(out.pop("technician"))
    # counts stay whole numbers where a technician has none (nullable integers, not NaN)
    out = out.astype({c: "Int64" for c in ("cases", "handled", "answers", "qc_checked")})
    return (out.sort_values(["agent", "agent_id"], key=lambda s: s.astype(str).str.casefold())
            .drop(columns=["agent_id"]).reset_index(drop=True))
