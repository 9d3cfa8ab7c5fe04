"""The management report on screen (pages/reports.py): headline figures with their change,
suggestions, top complaint causes with examples, the charts and their tables."""
import altair as alt
import pandas as pd
import streamlit as st

from core import reports
from core.i18n import N_
from core.labels import CHANNEL, ROOT_CAUSE
from core.vocabulary import Channel
from ui import keys, runtime
from ui.fmt import label, md

DELTA_COLOUR = {"higher": "normal", "lower": "inverse", "neither": "off"}
NOTICE = {reports.HIGH: st.error, reports.MEDIUM: st.warning, reports.LOW: st.info}
ICON = {reports.HIGH: ":material/priority_high:", reports.MEDIUM: ":material/lightbulb:",
        reports.LOW: ":material/info:"}
METRICS_PER_ROW = 4


def headline(report: reports.ManagementReport, r_) -> None:
    _ = runtime.gettext()
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
    _ = runtime.gettext()
    if not report.suggestions:
        st.success(_("No figure crossed a threshold this period."),
                   icon=":material/check_circle:")
        return
    for s in report.suggestions:
        NOTICE[s.severity](md(s.text), icon=ICON[s.severity])


def causes(report: reports.ManagementReport, r_) -> None:
    _ = runtime.gettext()
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
    _ = runtime.gettext()
    formats = {column: st.column_config.NumberColumn(format=f"%.{d}f")
               for column, d in t.decimals.items()}
    st.dataframe(t.frame, hide_index=True, width="stretch", column_config=formats,
                 key=f"{keys.REPORTS_TABLE}.{t.key}")


def volume_chart(report: reports.ManagementReport, r_) -> None:
    _ = runtime.gettext()
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
    _ = runtime.gettext()
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
    _ = runtime.gettext()
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
