"""The analytics reads, cached for five minutes per person and filters (st.cache_data).

One cache for all of them, keyed by the read's name, the person's staff id and roles (plain
values, never the session or the Actor) and the read's own plain arguments (the Filters
dataclass is frozen and hashable). `clear()` empties it: the "Refresh data" button. What
comes back holds codes, not labels, so one cached answer serves every language.
"""
from __future__ import annotations

import streamlit as st

from core import analytics, service_quality
from core.analytics import Filters
from ui import runtime

TTL = 300

_READS = {
    "options": analytics.filter_options,
    "headline": analytics.headline,
    "overview": analytics.overview,
    "volume": analytics.volume,
    "trend": analytics.trend,
    "breakdown": analytics.breakdown,
    "durations": analytics.durations,
    "duration_histogram": analytics.duration_histogram,
    "satisfaction_by": service_quality.satisfaction_by,
    "satisfaction_total": service_quality.satisfaction_total,
    "satisfaction_trend": service_quality.satisfaction_trend,
    "reach": service_quality.reach,
    "complaint_causes": service_quality.complaint_causes,
    "complaints_by": service_quality.complaints_by,
    "after_sales_by_product": service_quality.after_sales_by_product,
    "backlog": service_quality.backlog,
    "scorecards": service_quality.scorecards,
}


def _product_alerts(uow, actor):
    from core import product_alerts
    return product_alerts.product_alerts(uow, actor)


_READS["product_alerts"] = _product_alerts


@st.cache_data(ttl=TTL, show_spinner=False, max_entries=1000)
def _read(name: str, staff_id: int, roles: tuple[str, ...], *args):
    # staff_id and roles are the key: the actor itself is this session's, read on this run
    return _READS[name](runtime.uow(), runtime.require_actor(), *args)


def read(name: str, *args):
    actor = runtime.require_actor()
    return _read(name, actor.staff_id, tuple(sorted(str(r) for r in actor.roles)), *args)


def clear() -> None:
    """Forgets every cached analytics read (the next run reads the database again)."""
    _read.clear()


def options() -> analytics.FilterOptions:
    return read("options")


def headline(f: Filters) -> dict:
    return read("headline", f)


def overview(f: Filters, grain: str) -> analytics.Overview:
    """Both periods' totals, the volume and the trend per `grain`, and the durations, from
    one grouped read (core.analytics.overview)."""
    return read("overview", f, grain, grain)


def volume(f: Filters, grain: str):
    return read("volume", f, grain)


def trend(f: Filters, grain: str):
    return read("trend", f, grain)


def breakdown(f: Filters, by: str):
    return read("breakdown", f, by)


def durations(f: Filters):
    return read("durations", f)


def duration_histogram(f: Filters):
    return read("duration_histogram", f)


def satisfaction_by(f: Filters, by: str):
    return read("satisfaction_by", f, by)


def satisfaction_total(f: Filters) -> dict:
    return read("satisfaction_total", f)


def satisfaction_trend(f: Filters, grain: str):
    return read("satisfaction_trend", f, grain)


def reach(f: Filters) -> dict:
    return read("reach", f)


def complaint_causes(f: Filters):
    return read("complaint_causes", f)


def complaints_by(f: Filters, by: str):
    return read("complaints_by", f, by)


def after_sales_by_product(f: Filters):
    return read("after_sales_by_product", f)


def backlog(f: Filters):
    return read("backlog", f)


def scorecards(f: Filters):
    return read("scorecards", f)


def product_alerts() -> list:
    return read("product_alerts")
