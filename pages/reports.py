"""Reports: the monthly and quarterly management report (core.reports). Choose the period
and the report's language; the page shows the headline figures with their change from the
previous period, the suggested improvements, the top complaint causes with examples and the
charts with their tables, and offers the printable HTML (Print -> Save as PDF) and the Excel
workbook. Figures are kept for ten minutes; "Refresh data" reads them again."""
import altair as alt
import pandas as pd
import streamlit as st

from core import reports
from core.errors import DomainError
from core.i18n import LANGUAGES, N_, language_name, translator
from core.labels import CHANNEL, ROOT_CAUSE
from core.vocabulary import Channel
from ui import keys, runtime
from ui.fmt import label, md

_ = runtime.gettext()
actor = runtime.require_actor()

TTL = 600
KINDS = {"month": N_("Monthly"), "quarter": N_("Quarterly")}
DELTA_COLOUR = {"higher": "normal", "lower": "inverse", "neither": "off"}
NOTICE = {reports.HIGH: st.error, reports.MEDIUM: st.warning, reports.LOW: st.info}
ICON = {reports.HIGH: ":material/priority_high:", reports.MEDIUM: ":material/lightbulb:",
        reports.LOW: ":material/info:"}
METRICS_PER_ROW = 4


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


def headline(report: reports.ManagementReport, r_) -> None:
    lang = report.language
    figures = list(report.figures)
    for start in range(0, len(figures), METRICS_PER_ROW):
        columns = st.columns(METRICS_PER_ROW)
        for column, f in zip(columns, figures[start:start + METRICS_PER_ROW]):
            delta = None if f.change is None else reports.format_change(lang, f.unit, f.change)
            previous = reports.format_value(lang, f.unit, f.previous)
            before = (_("Now, without a previous value.") if f.previous is None else
                      _("Previous period: {value}").format(value=previous))
            column.metric(
                md(r_(f.label)), reports.format_value(lang, f.unit, f.value), delta=delta,
                delta_color="off" if f.verdict == "same" else DELTA_COLOUR[f.better],
                border=True, help=f"{md(r_(f.label))}  \n{md(before)}")


def suggestions(report: reports.ManagementReport) -> None:
    if not report.suggestions:
        st.success(_("No figure crossed a threshold this period."),
                   icon=":material/check_circle:")
        return
    for s in report.suggestions:
        NOTICE[s.severity](md(s.text), icon=ICON[s.severity])


def causes(report: reports.ManagementReport, r_) -> None:
    if not report.top_causes:
        st.info(_("No complaint with a root cause in this period."))
        return
    for i, cause in enumerate(report.top_causes):
        name = reports.label_of(report.language, ROOT_CAUSE, cause.root_cause)
        st.markdown("**{name}** · {text}".format(
            name=md(name), text=md(_("{share} of the complaints ({count})").format(
                share=reports.pct(cause.share), count=cause.complaints))))
        frame = pd.DataFrame([{_("Case"): e.case_id, _("Day"): e.day, _("Product"): e.product,
                               _("Subject"): e.subject} for e in cause.examples])
        if len(frame):
            st.dataframe(frame, hide_index=True, width="stretch",
                         key=f"{keys.REPORTS_TABLE}.cause.{i}",
                         column_config={_("Case"): st.column_config.NumberColumn(format="%d")})


def table(t: reports.Table) -> None:
    formats = {column: st.column_config.NumberColumn(format=f"%.{d}f")
               for column, d in t.decimals.items()}
    st.dataframe(t.frame, hide_index=True, width="stretch", column_config=formats,
                 key=f"{keys.REPORTS_TABLE}.{t.key}")


def volume_chart(report: reports.ManagementReport, r_) -> None:
    frame = report.volume_by_week
    if not len(frame):
        st.info(_("No cases in this period."))
        return
    names = [label(r_, CHANNEL, c) for c in Channel]
    data = pd.DataFrame({"week": frame["week"].map(lambda d: d.isoformat()),
                         "channel": frame["channel"].map(lambda c: label(r_, CHANNEL, c)),
                         "cases": frame["cases"]})
    chart = alt.Chart(data).mark_bar().encode(
        x=alt.X("week:O", title=r_("Week from"), axis=alt.Axis(labelAngle=0)),
        y=alt.Y("cases:Q", title=r_("Cases"), axis=alt.Axis(tickMinStep=1, format="d")),
        color=alt.Color("channel:N", title=None, legend=alt.Legend(orient="bottom"),
                        scale=alt.Scale(domain=names,
                                        range=[reports.COLOURS[c.value] for c in Channel])),
        tooltip=[alt.Tooltip("week:O", title=r_("Week from")),
                 alt.Tooltip("channel:N", title=r_("Channel")),
                 alt.Tooltip("cases:Q", title=r_("Cases"))])
    st.altair_chart(chart, width="stretch")


def sla_chart(report: reports.ManagementReport, r_) -> None:
    frame = report.sla_by_channel
    if not len(frame):
        st.info(_("No cases in this period."))
        return
    target = reports.RESPONSE_SLA_TARGET * 100
    met, missed = r_(N_("At or above the target")), r_(N_("Below the target"))
    data = pd.DataFrame({
        "channel": frame["channel"].map(lambda c: label(r_, CHANNEL, c)),
        "rate": (frame["response_rate"].astype("float64") * 100).round(1),
        "previous": (frame["response_rate_prev"].astype("float64") * 100).round(1)})
    data["state"] = [met if r >= target else missed for r in data["rate"].fillna(0)]
    titles = {"channel": r_("Channel"), "rate": r_("First-response SLA (%)"),
              "previous": r_("First-response SLA, previous period (%)")}
    bars = alt.Chart(data).mark_bar().encode(
        x=alt.X("rate:Q", title=titles["rate"], scale=alt.Scale(domain=[0, 100])),
        y=alt.Y("channel:N", title=None, sort=None),
        color=alt.Color("state:N", title=None, legend=alt.Legend(orient="bottom"),
                        scale=alt.Scale(domain=[met, missed],
                                        range=[reports.GOOD, reports.BAD])),
        tooltip=[alt.Tooltip(f"{k}:{'N' if k == 'channel' else 'Q'}", title=t)
                 for k, t in titles.items()])
    rule = alt.Chart(pd.DataFrame({"target": [target]})).mark_rule(
        strokeDash=[4, 3], color="#111").encode(x="target:Q")
    st.altair_chart(alt.layer(bars, rule).properties(height=alt.Step(28)), width="stretch")
    st.caption(_("Dashed line: the target of {target}.").format(
        target=reports.pct(reports.RESPONSE_SLA_TARGET)))


def pareto_chart(report: reports.ManagementReport, r_) -> None:
    frame = report.complaint_pareto
    if not len(frame):
        st.info(_("No complaints in this period."))
        return
    data = pd.DataFrame({
        "cause": frame["root_cause"].map(
            lambda c: reports.label_of(report.language, ROOT_CAUSE, c)),
        "complaints": frame["complaints"],
        "cumulative": (frame["cumulative_share"].astype("float64") * 100).round(1)})
    order = data["cause"].tolist()
    base = alt.Chart(data).encode(x=alt.X("cause:N", title=None, sort=order,
                                          axis=alt.Axis(labelAngle=-30)))
    tooltip = [alt.Tooltip("cause:N", title=r_("Root cause")),
               alt.Tooltip("complaints:Q", title=r_("Complaints")),
               alt.Tooltip("cumulative:Q", title=r_("Cumulative share (%)"))]
    bars = base.mark_bar(color="#d1495b").encode(
        y=alt.Y("complaints:Q", title=r_("Complaints"),
                axis=alt.Axis(tickMinStep=1, format="d")), tooltip=tooltip)
    line = base.mark_line(point=True, color="#2e4057").encode(
        y=alt.Y("cumulative:Q", title=r_("Cumulative share (%)"),
                scale=alt.Scale(domain=[0, 100])), tooltip=tooltip)
    st.altair_chart(alt.layer(bars, line).resolve_scale(y="independent"), width="stretch")


st.title(_("Reports"))
st.caption(_("The monthly or quarterly management report: the headline figures beside the "
             "previous period's, suggested improvements, the main complaint causes, and the "
             "charts with their tables, to print or to download."))

kind = st.segmented_control(_("Report"), list(KINDS), default="month", required=True,
                            format_func=lambda k: _(KINDS[k]), key=keys.REPORTS_KIND)
try:
    default_year, default_number = reports.default_period(runtime.uow(), kind)
except DomainError as e:
    st.error(e.render(_))
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
    st.error(e.render(_))
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
