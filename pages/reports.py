"""Reports: the monthly and quarterly management report (core.reports). Choose the period
and the report's language; the page shows the headline figures with their change from the
previous period, the suggested improvements, the top complaint causes with examples and the
charts with their tables, and offers the printable HTML (Print -> Save as PDF) and the Excel
workbook. Figures are kept for ten minutes; "Refresh data" reads them again."""
import streamlit as st

from core import reports
from core.errors import DomainError
from core.i18n import LANGUAGES, N_, language_name, translator
from ui import keys, runtime
from ui.fmt import error_md
from ui.report_view import (causes, headline, pareto_chart, sla_chart, suggestions, table,
                             volume_chart)

_ = runtime.gettext()
actor = runtime.require_actor()

TTL = 600
KINDS = {"month": N_("Monthly"), "quarter": N_("Quarterly")}


@st.cache_data(ttl=TTL, show_spinner=False)
def load_report(staff_id: int, roles: tuple[str, ...], kind: str, year: int, number: int,
                language: str) -> reports.ManagementReport:
    # cached per person, roles and choice (a role taken away is not served from the cache);
    # core checks the permission on every fresh build
    return reports.build_report(runtime.uow(), runtime.require_actor(), kind, year, number,
                                language)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_files(staff_id: int, roles: tuple[str, ...], kind: str, year: int, number: int,
               language: str) -> tuple[bytes, bytes]:
    report = load_report(staff_id, roles, kind, year, number, language)
    return (reports.report_html(report).encode("utf-8"), reports.report_workbook(report))


def refresh() -> None:
    load_report.clear()
    load_files.clear()


st.title(_("Reports"))
st.caption(_("The monthly or quarterly management report: the headline figures beside the "
             "previous period's, suggested improvements, the main complaint causes, and the "
             "charts with their tables, to print or to download."))

kind = st.segmented_control(_("Report"), list(KINDS), default="month", required=True,
                            format_func=lambda k: _(KINDS[k]), key=keys.REPORTS_KIND)
try:
    default_year, default_number = reports.default_period(runtime.uow(), kind)
except DomainError as e:
    st.error(error_md(e, _))
    st.stop()

with st.form(keys.REPORTS_FORM):
    c1, c2, c3 = st.columns(3)
    year = c1.number_input(_("Year"), min_value=reports.MIN_YEAR,
                           max_value=max(default_year + 1, reports.MIN_YEAR),
                           value=default_year, step=1, key=keys.REPORTS_YEAR)
    if kind == "quarter":
        number = c2.selectbox(_("Quarter"), range(1, 5), index=default_number - 1,
                              format_func=lambda q: _("Q{quarter}").format(quarter=q),
                              key=keys.REPORTS_QUARTER)
    else:
        number = c2.selectbox(_("Month"), range(1, 13), index=default_number - 1,
                              format_func=lambda m: _(reports.MONTHS[m - 1]),
                              key=keys.REPORTS_MONTH)
    own = runtime.language()
    language = c3.selectbox(_("Language of the report"), LANGUAGES,
                            index=LANGUAGES.index(own) if own in LANGUAGES else 0,
                            format_func=language_name, key=keys.REPORTS_LANGUAGE)
    st.form_submit_button(_("Show report"), type="primary", icon=":material/summarize:")

try:
    roles = tuple(sorted(actor.roles))
    report = load_report(actor.staff_id, roles, kind, int(year), int(number), language)
    html, workbook = load_files(actor.staff_id, roles, kind, int(year), int(number), language)
except DomainError as e:
    st.error(error_md(e, _))
    st.stop()

r_ = translator(report.language)
prev_year, prev_number = reports.previous_number(report.kind, report.year, report.number)
head, side = st.columns([4, 1], vertical_alignment="center")
head.subheader(report.title)
head.caption(_("{start} to {end}, compared with {previous} ({previous_start} to "
               "{previous_end}).").format(
    start=report.start.isoformat(), end=report.end.isoformat(),
    previous=reports.period_label(report.language, report.kind, prev_year, prev_number),
    previous_start=report.previous_start.isoformat(),
    previous_end=report.previous_end.isoformat()))
side.button(_("Refresh data"), icon=":material/refresh:", key=keys.REPORTS_REFRESH,
            on_click=refresh, width="stretch",
            help=_("Figures are kept for up to ten minutes; this reads them again."))
if report.partial:
    st.warning(_("This period is not over yet: its figures run up to today, while the "
                 "previous period is complete."))

name = f"management-report-{report.year}-{'Q' if report.kind == 'quarter' else ''}" \
       f"{report.number:02d}"
d1, d2 = st.columns(2)
d1.download_button(_("Printable report (HTML)"), data=html, file_name=f"{name}.html",
                   mime="text/html", icon=":material/print:", key=keys.REPORTS_HTML,
                   width="stretch")
d2.download_button(_("Excel workbook"), data=workbook, file_name=f"{name}.xlsx",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                   icon=":material/table_view:", key=keys.REPORTS_EXCEL, width="stretch")
st.caption(_("To get a PDF, open the printable report in your browser, choose Print and "
             "then \"Save as PDF\"."))

st.subheader(_("Headline figures"))
headline(report, r_)
st.caption(_("Durations are opening hours. Open cases are counted now, without a previous "
             "value."))

st.subheader(_("Suggested improvements"))
suggestions(report)

st.subheader(_("Top complaint causes"))
causes(report, r_)

tables = {t.key: t for t in reports.report_tables(report)}
st.subheader(_("Cases per week and channel"))
volume_chart(report, r_)
table(tables["volume_by_week"])

st.subheader(_("First-response SLA by channel"))
sla_chart(report, r_)
table(tables["sla_by_channel"])

st.subheader(_("Complaints by root cause (Pareto)"))
pareto_chart(report, r_)
table(tables["complaint_causes"])

st.subheader(_("More tables"))
more = ("sla_by_category", "satisfaction_by_channel", "complaints_by_product",
        "after_sales_by_product", "scorecards", "backlog")
for tab, key in zip(st.tabs([tables[k].title for k in more]), more):
    with tab:
        table(tables[key])
