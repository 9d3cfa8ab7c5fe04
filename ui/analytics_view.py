"""How the analytics figures look: a table under every chart with its CSV and Excel
downloads, the KPI tiles with their change from the period before, and the labels people
read for codes, periods and durations."""
from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd
import streamlit as st

from core.analytics import Filters, periods
from core.exports import csv_bytes, excel_bytes
from ui import keys, runtime

CSV_MIME = "text/csv"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ROW_PX, HEADER_PX = 35, 38
MAX_ROWS_SHOWN = 20        # taller tables scroll

# a column's kind -> how st.dataframe shows it (the exported value stays the plain number)
_FORMATS = {
    "int": lambda: st.column_config.NumberColumn(format="%d"),
    "percent": lambda: st.column_config.NumberColumn(format="percent"),
    "minutes": lambda: st.column_config.NumberColumn(format="%.0f"),
    "score": lambda: st.column_config.NumberColumn(format="%.2f"),
    "nps": lambda: st.column_config.NumberColumn(format="%.0f"),
    "money": lambda: st.column_config.NumberColumn(format="¥%.2f"),
    "day": lambda: st.column_config.DateColumn(format="YYYY-MM-DD"),
    "month": lambda: st.column_config.DateColumn(format="YYYY-MM"),
    "text": lambda: st.column_config.TextColumn(),
}

Column = tuple[str, str, str]     # (column of the frame, title shown, kind of _FORMATS)


def stamp(f: Filters) -> str:
    """The period in a file name: 2026-11-01-2026-11-30."""
    return f"{f.start.isoformat()}-{f.end.isoformat()}"


def file_name(name: str, when: str, extension: str) -> str:
    """caredesk-volume-2026-11-01-2026-11-30.xlsx (ASCII only: names come from code)."""
    return f"caredesk-{name}-{when}.{extension}"


def table(frame: pd.DataFrame, columns: Sequence[Column], name: str, title: str,
          when: str) -> pd.DataFrame:
    """The table behind a chart, with the reader's column titles, and its downloads (exactly
    the table shown; `when` dates the file name). Returns that table."""
    _ = runtime.gettext()
    shown = frame[[c for c, _t, _k in columns]].copy()
    shown.columns = [t for _c, t, _k in columns]
    config = {t: _FORMATS[k]() for _c, t, k in columns}
    rows = min(max(len(shown), 1), MAX_ROWS_SHOWN)
    st.dataframe(shown, hide_index=True, width="stretch", column_config=config,
                 height=HEADER_PX + ROW_PX * rows, placeholder="—",
                 key=f"{keys.ANALYTICS_TABLE}.{name}")
    c1, c2, _rest = st.columns([1, 1, 4], gap="small")
    c1.download_button(_("Download CSV"), csv_bytes(shown),
                       file_name=file_name(name, when, "csv"), mime=CSV_MIME,
                       icon=":material/download:", on_click="ignore",
                       key=f"{keys.ANALYTICS_DOWNLOAD}.{name}.csv", width="stretch")
    c2.download_button(_("Download Excel"), excel_bytes({title: shown}, title=title),
                       file_name=file_name(name, when, "xlsx"), mime=XLSX_MIME,
                       icon=":material/download:", on_click="ignore",
                       key=f"{keys.ANALYTICS_DOWNLOAD}.{name}.xlsx", width="stretch")
    return shown


def chart(spec: alt.TopLevelMixin, **kwargs):
    return st.altair_chart(spec, width="stretch", **kwargs)


# --- periods ---------------------------------------------------------------------------------

GRAINS = ("auto", "day", "week", "month")


def resolve_grain(grain: str, f: Filters) -> str:
    """"auto": days for up to two weeks, weeks up to about a quarter, months beyond."""
    if grain in ("day", "week", "month"):
        return grain
    return "day" if f.days <= 14 else "week" if f.days <= 92 else "month"


def grain_label(grain: str) -> str:
    _ = runtime.gettext()
    return {"auto": _("Automatic"), "day": _("Day"), "week": _("Week"),
            "month": _("Month")}[grain]


def period_title(grain: str) -> str:
    _ = runtime.gettext()
    return {"day": _("Day"), "week": _("Week starting"), "month": _("Month")}[grain]


def period_kind(grain: str) -> str:
    return "month" if grain == "month" else "day"


def period_text(day, grain: str) -> str:
    """A period's label on a chart axis: 2026-11-02, or 2026-11 for a month."""
    return day.strftime("%Y-%m") if grain == "month" else day.isoformat()


def all_periods(f: Filters, grain: str) -> list:
    """Every period the filters' days fall in, also those without a case."""
    days = pd.Series(pd.date_range(f.start, f.end, freq="D").date)
    return sorted(set(periods(days, grain)))


# --- numbers in words ------------------------------------------------------------------------

def percent(value: float | None) -> str:
    return "—" if value is None or pd.isna(value) else f"{value * 100:.1f}%"


def minutes(value: float | None) -> str:
    """Opening minutes, short enough for a KPI tile: "45 min", "2.4 h"."""
    _ = runtime.gettext()
    if value is None or pd.isna(value):
        return "—"
    if round(value) >= 60:
        return _("{h} h").format(h=f"{value / 60:.1f}")
    return _("{m} min").format(m=int(round(value)))


def known(value) -> bool:
    return value is not None and not pd.isna(value)


def kpi(column, title: str, value, before, kind: str, help: str,
        lower_is_better: bool = False) -> None:
    """One KPI tile: the period's value and its change from the period of the same length
    just before (percentage points for rates)."""
    _ = runtime.gettext()
    color = "inverse" if lower_is_better else "normal"
    delta = None
    if kind == "count":
        shown = f"{int(value or 0):,}"
        if known(before):
            delta, color = int(value or 0) - int(before), "off"
    elif kind == "rate":
        shown = percent(value)
        if known(value) and known(before):
            points = round((value - before) * 100, 1)
            delta = 0 if points == 0 else _("{points} pp").format(points=f"{points:+.1f}")
    elif kind == "score":
        shown = "—" if not known(value) else f"{value:.2f}"
        if known(value) and known(before):
            change = round(value - before, 2)
            delta = 0 if change == 0 else f"{change:+.2f}"
    else:  # minutes
        shown = minutes(value)
        if known(value) and known(before):
            change = int(round(value - before))
            delta = 0 if change == 0 else ("+" if change > 0 else "-") + minutes(abs(change))
    column.metric(title, shown, delta=delta, delta_color=color, help=help, border=True)
