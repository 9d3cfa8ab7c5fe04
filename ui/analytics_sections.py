"""The Analytics page's sections. Each draws its own charts and the tables behind them from
the cached reads of ui.analytics_data, so only the section on screen queries the database.

Charts take plain column names and translated values; tables take the reader's column
titles (ui.analytics_view.table), and their downloads hold exactly what the table shows."""
from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from core.analytics import Filters
from core.service_quality import AGE_BUCKETS
from core.i18n import N_
from core.labels import (AFTERSALES_KIND, CATEGORY, CHANNEL, DEPARTMENT, KIND, ROOT_CAUSE,
                         STATUS, TIER)
from core.vocabulary import AfterSalesKind, CaseStatus
from ui import analytics_data as data
from ui import keys, runtime
from ui.analytics_filters import FILTER_KEY, keep_only
from ui.analytics_view import (GRAINS, all_periods, chart, grain_label, known, kpi, percent,
                               period_kind, period_text, period_title, resolve_grain, stamp,
                               table)
from ui.fmt import label, md

KEEP = "session"          # a section's own choices outlive switching sections
BLUE, RED, GREEN, GREY = "#3a7ca5", "#d1495b", "#66a182", "#8d99ae"
BAR_PX = 26               # one band per group in horizontal bar charts
PERIOD_AXIS = alt.Axis(labelAngle=0, labelOverlap=True)   # periods read across; some hidden
SHARE_TICKS = [0, 0.2, 0.4, 0.6, 0.8, 1]
LABEL_PX = 260            # room for a product's name beside its bar

SECTIONS = {"overview": N_("Overview"), "service": N_("Service levels"),
            "satisfaction": N_("Satisfaction"), "complaints": N_("Complaints"),
            "aftersales": N_("After-sales"), "backlog": N_("Backlog"), "agents": N_("Agents"),
            "alerts": N_("Alerts")}

# breakdown dimensions (core.analytics.breakdown) and what people call them
BREAKDOWNS = {"channel": N_("Channel"), "category": N_("Category"), "agent_id": N_("Agent"),
              "kind": N_("Kind"), "store_id": N_("Store"),
              "product_category": N_("Product category"), "tier": N_("Customer tier")}
VOCABULARY = {"channel": CHANNEL, "kind": KIND, "category": CATEGORY, "tier": TIER}
SATISFACTION_BY = {"agent": N_("Agent"), "channel": N_("Channel"),
                   "category": N_("Category"), "kind": N_("Kind")}
COMPLAINTS_BY = {"product": N_("Product"), "store": N_("Store"),
                 "department": N_("Department")}
MEASURES = {"first_response": N_("First response"), "resolution": N_("Resolution")}


def _t():
    return runtime.gettext()


def _codes_in_order(found, vocabulary: list[str]) -> list[str]:
    """The codes found, in the vocabulary's order (anything unknown last)."""
    found = [c for c in pd.unique(pd.Series(found)) if known(c)]
    return [c for c in vocabulary if c in found] + [c for c in found if c not in vocabulary]


def _selector(title: str, choices: dict, key: str, default: str) -> str:
    _ = _t()
    picked = st.segmented_control(title, list(choices), default=default, required=True,
                                  format_func=lambda v: _(choices[v]), key=key,
                                  persist_state=KEEP)
    return picked or default


def _grain(f: Filters) -> str:
    _ = _t()
    picked = st.segmented_control(_("Per"), GRAINS, default="auto", required=True,
                                  format_func=grain_label, key=keys.ANALYTICS_GRAIN,
                                  persist_state=KEEP)
    return resolve_grain(picked or "auto", f)


# --- Overview --------------------------------------------------------------------------------

def _median(frame: pd.DataFrame, measure: str) -> float | None:
    row = frame.loc[frame["measure"] == measure, "median_minutes"]
    return None if row.empty or not known(row.iloc[0]) else float(row.iloc[0])


def overview(f: Filters) -> None:
    _ = _t()
    # the chart's period comes from its control further down (its value is known already)
    grain = resolve_grain(st.session_state.get(keys.ANALYTICS_GRAIN) or "auto", f)
    view = data.overview(f, grain)
    now, before = view.headline, view.previous
    if not now.get("created"):
        st.info(_("No cases were created in this period with these filters. Choose another "
                  "period or fewer filters."), icon=":material/info:")
        return
    score, score_before = data.satisfaction_total(f), data.satisfaction_total(view.compared_with)
    reach, reach_before = data.reach(f), data.reach(view.compared_with)
    durations_before = view.previous_durations

    c = st.columns(5)
    kpi(c[0], _("Cases"), now["created"], before.get("created"), "count",
        _("Cases created in the period."))
    kpi(c[1], _("First-response SLA"), now["response_rate"], before["response_rate"], "rate",
        _("Of the cases answered that had a first-response target, the share answered in "
          "time."))
    kpi(c[2], _("Resolution SLA"), now["resolution_rate"], before["resolution_rate"], "rate",
        _("Of the resolved cases that had a resolution target, the share resolved in time."))
    kpi(c[3], _("First-contact resolution"), now["fcr_rate"], before["fcr_rate"], "rate",
        _("Of the resolved cases, the share resolved at the first contact."))
    kpi(c[4], _("Reopen rate"), now["reopen_rate"], before["reopen_rate"], "rate",
        _("Of the resolved cases, the share reopened at least once."),
        lower_is_better=True)
    c = st.columns(5)
    kpi(c[0], _("Satisfaction"), score["satisfaction"], score_before["satisfaction"], "score",
        _("Average score (1–5) of the {n} survey answers taken in the period.").format(
            n=score["answers"]))
    kpi(c[1], _("Reach rate"), reach["rate"], reach_before["rate"], "rate",
        _("Of the callbacks finished in the period (done or unreachable), the share "
          "where the customer was reached. Cancelled ones do not count. All callbacks, "
          "whatever the other filters: care calls belong to no case."))
    kpi(c[2], _("Median first response"), _median(view.durations, "first_response"),
        _median(durations_before, "first_response"), "minutes",
        _("Half of the first responses took at most this long, in opening hours."),
        lower_is_better=True)
    kpi(c[3], _("Median resolution"), _median(view.durations, "resolution"),
        _median(durations_before, "resolution"), "minutes",
        _("Half of the resolutions took at most this long, in opening hours."),
        lower_is_better=True)
    kpi(c[4], _("Escalation rate"), now["escalation_rate"], before["escalation_rate"], "rate",
        _("Of the cases created, the share escalated to a supervisor."),
        lower_is_better=True)

    c1, c2 = st.columns([3, 2])
    with c1:
        _grain(f)
    with c2:
        split = _selector(_("Colour by"), {"channel": N_("Channel"), "kind": N_("Kind")},
                          keys.ANALYTICS_SPLIT, "channel")
    st.subheader(_("Cases"))
    volume(f, grain, split, view.volume)
    st.subheader(_("Service levels over time"))
    sla_trend(f, grain, view.trend)


def volume(f: Filters, grain: str, split: str, frame: pd.DataFrame) -> None:
    """Cases per period, coloured by channel or kind (`frame`: core.analytics.volume)."""
    _ = _t()
    options = data.options()
    vocabulary = options.channels if split == "channel" else options.kinds
    names = VOCABULARY[split]
    codes = _codes_in_order(frame[split], vocabulary)
    wide = (frame.pivot_table(index="period", columns=split, values="cases", aggfunc="sum",
                              fill_value=0)
            .reindex(index=all_periods(f, grain), columns=codes, fill_value=0)
            .astype("int64"))
    wide["total"] = wide.sum(axis=1)
    wide = wide.rename_axis(index="period", columns=None).reset_index()

    groups = [label(_, names, c) for c in codes]
    long = frame.groupby(["period", split], as_index=False)["cases"].sum()
    long["when"] = [period_text(p, grain) for p in long["period"]]
    long["group"] = [label(_, names, c) for c in long[split]]
    long["order"] = [codes.index(c) for c in long[split]]
    titles = {"when": period_title(grain), "group": _(BREAKDOWNS[split]), "cases": _("Cases")}
    spec = alt.Chart(long).mark_bar().encode(
        x=alt.X("when:O", title=titles["when"], sort=None, axis=PERIOD_AXIS,
                scale=alt.Scale(domain=[period_text(p, grain) for p in all_periods(f, grain)])),
        y=alt.Y("cases:Q", title=titles["cases"], stack="zero",
                axis=alt.Axis(tickMinStep=1, format="d")),
        color=alt.Color("group:N", title=titles["group"], legend=alt.Legend(orient="bottom"),
                        scale=alt.Scale(domain=groups, scheme="tableau10")),
        order=alt.Order("order:Q"),
        tooltip=[alt.Tooltip("when:O", title=titles["when"]),
                 alt.Tooltip("group:N", title=titles["group"]),
                 alt.Tooltip("cases:Q", title=titles["cases"], format=",d")])
    chart(spec.properties(height=320))
    columns = ([("period", period_title(grain), period_kind(grain))]
               + [(c, label(_, names, c), "int") for c in codes]
               + [("total", _("Total"), "int")])
    table(wide, columns, "volume", _("Cases per period"), stamp(f))


RATE_COLUMNS = (("response_rate", N_("First-response SLA")),
                ("resolution_rate", N_("Resolution SLA")),
                ("fcr_rate", N_("First-contact resolution")),
                ("reopen_rate", N_("Reopen rate")),
                ("escalation_rate", N_("Escalation rate")))
AVERAGE_COLUMNS = (("avg_response_minutes", N_("Average first response (opening min)")),
                   ("avg_resolution_minutes", N_("Average resolution (opening min)")))


def _rate_columns() -> list:
    _ = _t()
    return ([("created", _("Cases"), "int")]
            + [(c, _(t), "percent") for c, t in RATE_COLUMNS]
            + [(c, _(t), "minutes") for c, t in AVERAGE_COLUMNS])


def sla_trend(f: Filters, grain: str, frame: pd.DataFrame) -> None:
    """The service levels per period (`frame`: core.analytics.trend)."""
    _ = _t()
    frame = frame.copy()
    if frame.empty:
        st.info(_("Nothing to show for this period."))
        return
    frame["when"] = [period_text(p, grain) for p in frame["period"]]
    shown = {"response_rate": _("First-response SLA"), "resolution_rate": _("Resolution SLA"),
             "fcr_rate": _("First-contact resolution")}
    long = frame.melt(id_vars=["when", "created"], value_vars=list(shown),
                      var_name="measure", value_name="rate").dropna(subset=["rate"])
    long["measure"] = long["measure"].map(shown)
    titles = {"when": period_title(grain), "measure": _("Measure"), "rate": _("Share"),
              "created": _("Cases")}
    spec = alt.Chart(long).mark_line(point=True).encode(
        x=alt.X("when:O", title=titles["when"], sort=None, axis=PERIOD_AXIS),
        y=alt.Y("rate:Q", title=titles["rate"], axis=alt.Axis(format="%"),
                scale=alt.Scale(zero=False, domainMax=1)),
        color=alt.Color("measure:N", title=None, legend=alt.Legend(orient="bottom"),
                        scale=alt.Scale(domain=list(shown.values()),
                                        range=[BLUE, GREEN, "#edae49"])),
        tooltip=[alt.Tooltip("when:O", title=titles["when"]),
                 alt.Tooltip("measure:N", title=titles["measure"]),
                 alt.Tooltip("rate:Q", title=titles["rate"], format=".1%"),
                 alt.Tooltip("created:Q", title=titles["created"], format=",d")])
    chart(spec.properties(height=280))
    columns = [("period", period_title(grain), period_kind(grain))] + _rate_columns()
    table(frame, columns, "sla-trend", _("Service levels per period"), stamp(f))


# --- Service levels --------------------------------------------------------------------------

def _group_names(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    """`code` (the value a click filters on) and `group` (what people read) per row."""
    _ = _t()
    out = frame.copy()
    if by == "agent_id":
        out["code"] = out["agent_id"]
        out["group"] = [name if known(name) else _("Unassigned") for name in out["agent"]]
    elif by == "store_id":
        stores = dict(data.options().stores)
        out["code"] = out["store_id"]
        out["group"] = [stores.get(int(s), str(int(s))) if known(s) else _("No store")
                        for s in out["store_id"]]
    elif by == "product_category":
        out["code"] = out[by]
        out["group"] = [c if known(c) else _("No product") for c in out[by]]
    else:
        out["code"] = out[by]
        out["group"] = [label(_, VOCABULARY[by], c) if known(c) else _("Not known")
                        for c in out[by]]
    out["code"] = out["code"].astype(object).where(out["code"].notna(), None)
    return out


def _on_pick(chart_key: str, dimension: str):
    """A click on a bar keeps only that bar's group in the filters."""
    def picked() -> None:
        state = st.session_state.get(chart_key) or {}
        points = (state.get("selection") or {}).get("pick") or []
        if points and known(points[0].get("code")):
            keep_only(dimension, points[0]["code"])
    return picked


def service_levels(f: Filters) -> None:
    _ = _t()
    by = _selector(_("Compare by"), BREAKDOWNS, keys.ANALYTICS_SLA_BY, "channel")
    frame = data.breakdown(f, by)
    if frame.empty:
        st.info(_("No cases were created in this period with these filters. Choose another "
                  "period or fewer filters."), icon=":material/info:")
        return
    frame = _group_names(frame, by)
    st.subheader(_("SLA compliance by {dimension}").format(dimension=_(BREAKDOWNS[by]).lower()))
    shown = {"response_rate": _("First-response SLA"), "resolution_rate": _("Resolution SLA")}
    long = frame.melt(id_vars=["code", "group", "created"], value_vars=list(shown),
                      var_name="measure", value_name="rate")
    long["measure"] = long["measure"].map(shown)
    titles = {"group": _(BREAKDOWNS[by]), "measure": _("Measure"), "rate": _("Share"),
              "created": _("Cases")}
    pick = alt.selection_point(name="pick", fields=["code"], on="click")
    spec = alt.Chart(long).mark_bar().encode(
        y=alt.Y("group:N", title=None, sort=list(frame["group"]),
                axis=alt.Axis(labelLimit=LABEL_PX)),
        yOffset=alt.YOffset("measure:N", sort=list(shown.values())),
        x=alt.X("rate:Q", title=titles["rate"], axis=alt.Axis(format="%", values=SHARE_TICKS),
                scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("measure:N", title=None, legend=alt.Legend(orient="bottom"),
                        scale=alt.Scale(domain=list(shown.values()), range=[BLUE, GREEN])),
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.35)),
        tooltip=[alt.Tooltip("group:N", title=titles["group"]),
                 alt.Tooltip("measure:N", title=titles["measure"]),
                 alt.Tooltip("rate:Q", title=titles["rate"], format=".1%"),
                 alt.Tooltip("created:Q", title=titles["created"], format=",d")]
    ).add_params(pick).properties(height=alt.Step(14))
    # a new chart (no bar picked) whenever the filter it sets changes, so that the same bar
    # can be clicked again after the filter was cleared
    chosen = "-".join(str(v) for v in st.session_state.get(FILTER_KEY.get(by, ""), None) or ())
    chart_key = f"{keys.ANALYTICS_SLA_CHART}.{by}.{chosen}"
    if by in FILTER_KEY:
        chart(spec, key=chart_key, on_select=_on_pick(chart_key, by), selection_mode="pick")
        st.caption(_("Click a bar to keep only its {dimension} in the filters.").format(
            dimension=_(BREAKDOWNS[by]).lower()))
    else:
        chart(spec)
    table(frame, [("group", _(BREAKDOWNS[by]), "text")] + _rate_columns(), f"sla-by-{by}",
          _("SLA compliance"), stamp(f))

    st.subheader(_("How long cases took"))
    histogram = data.duration_histogram(f)
    durations = data.durations(f)
    if histogram.empty or not histogram["cases"].sum():
        st.info(_("No case in this period has a first response or a resolution yet."))
        return
    histogram = histogram.copy()
    histogram["measure_name"] = [_(MEASURES[m]) for m in histogram["measure"]]
    histogram["bucket_name"] = [_(b) for b in histogram["bucket"]]
    buckets = list(dict.fromkeys(histogram.sort_values("order")["bucket_name"]))
    titles = {"bucket_name": _("Time taken (opening hours)"), "measure_name": _("Measure"),
              "cases": _("Cases")}
    spec = alt.Chart(histogram).mark_bar().encode(
        x=alt.X("bucket_name:N", title=titles["bucket_name"], sort=buckets,
                axis=alt.Axis(labelAngle=0)),
        xOffset=alt.XOffset("measure_name:N"),
        y=alt.Y("cases:Q", title=titles["cases"], axis=alt.Axis(tickMinStep=1, format="d")),
        color=alt.Color("measure_name:N", title=None, legend=alt.Legend(orient="bottom"),
                        scale=alt.Scale(range=[BLUE, GREEN])),
        tooltip=[alt.Tooltip(f"{k}:{'Q' if k == 'cases' else 'N'}", title=t)
                 for k, t in titles.items()])
    chart(spec.properties(height=280))
    wide = (histogram.pivot_table(index=["order", "bucket_name"], columns="measure",
                                  values="cases", aggfunc="sum", fill_value=0)
            .reset_index().sort_values("order"))
    table(wide, [("bucket_name", titles["bucket_name"], "text")]
          + [(m, _(t), "int") for m, t in MEASURES.items() if m in wide.columns],
          "duration-histogram", _("Cases per time taken"), stamp(f))
    durations = durations.copy()
    durations["measure_name"] = [_(MEASURES[m]) for m in durations["measure"]]
    table(durations, [("measure_name", _("Measure"), "text"),
                      ("cases", _("Cases measured"), "int"),
                      ("mean_minutes", _("Mean (opening min)"), "minutes"),
                      ("median_minutes", _("Median (opening min)"), "minutes"),
                      ("p90_minutes", _("90th percentile (opening min)"), "minutes")],
          "durations", _("Response and resolution times"), stamp(f))


# --- Satisfaction ----------------------------------------------------------------------------

def satisfaction(f: Filters) -> None:
    _ = _t()
    total = data.satisfaction_total(f)
    score, answers, nps = total["satisfaction"], total["answers"], total["nps"]
    reach = data.reach(f)
    c = st.columns(4)
    c[0].metric(_("Average satisfaction (1–5)"), "—" if score is None else f"{score:.2f}",
                border=True)
    c[1].metric(_("Survey answers"), f"{answers:,}", border=True)
    c[2].metric(_("NPS"), "—" if nps is None else f"{nps:.0f}", border=True,
                help=_("Promoters (9–10) minus detractors (0–6), in % of the answers that "
                       "gave a 0–10 score."))
    c[3].metric(_("Reach rate"), percent(reach["rate"]),
                border=True,
                help=_("Of the callbacks finished in the period (done or unreachable), the "
                       "share where the customer was reached. Cancelled ones do not count. All "
                       "callbacks, whatever the other filters: care calls belong to no case."))
    st.caption(_("Callbacks finished: {closed}, customer reached: {reached}.").format(
        closed=reach["closed"], reached=reach["reached"]))
    if not answers:
        st.info(_("No survey answers in this period."))
        return

    st.subheader(_("Satisfaction over time"))
    grain = _grain(f)
    trend = data.satisfaction_trend(f, grain)
    trend["when"] = [period_text(p, grain) for p in trend["period"]]
    titles = {"when": period_title(grain), "satisfaction": _("Average satisfaction (1–5)"),
              "answers": _("Answers"), "nps": _("NPS")}
    spec = alt.Chart(trend).mark_line(point=True, color=BLUE).encode(
        x=alt.X("when:O", title=titles["when"], sort=None, axis=PERIOD_AXIS),
        y=alt.Y("satisfaction:Q", title=titles["satisfaction"], scale=alt.Scale(domain=[1, 5]),
                axis=alt.Axis(values=[1, 2, 3, 4, 5])),
        tooltip=[alt.Tooltip("when:O", title=titles["when"]),
                 alt.Tooltip("satisfaction:Q", title=titles["satisfaction"], format=".2f"),
                 alt.Tooltip("answers:Q", title=titles["answers"], format=",d"),
                 alt.Tooltip("nps:Q", title=titles["nps"], format=".0f")])
    chart(spec.properties(height=260))
    table(trend, [("period", period_title(grain), period_kind(grain)),
                  ("answers", _("Answers"), "int"),
                  ("satisfaction", titles["satisfaction"], "score"),
                  ("nps_answers", _("NPS answers"), "int"), ("nps", _("NPS"), "nps")],
          "satisfaction-trend", _("Satisfaction per period"), stamp(f))

    by = _selector(_("Satisfaction by"), SATISFACTION_BY, keys.ANALYTICS_SATISFACTION_BY,
                   "agent")
    frame = data.satisfaction_by(f, by).copy()
    if by == "agent":
        frame["group"] = [n if known(n) else _("Not known") for n in frame["agent"]]
    else:
        frame["group"] = [label(_, VOCABULARY[by], c) if known(c) else _("No case (care calls)")
                          for c in frame[by]]
    frame = frame.sort_values("satisfaction", ascending=False)
    titles = {"group": _(SATISFACTION_BY[by]), "satisfaction": _("Average satisfaction (1–5)"),
              "answers": _("Answers"), "nps": _("NPS")}
    spec = alt.Chart(frame).mark_bar().encode(
        x=alt.X("satisfaction:Q", title=titles["satisfaction"], scale=alt.Scale(domain=[0, 5]),
                axis=alt.Axis(values=[0, 1, 2, 3, 4, 5])),
        y=alt.Y("group:N", title=None, sort=list(frame["group"]),
                axis=alt.Axis(labelLimit=LABEL_PX)),
        color=alt.condition(alt.datum.satisfaction < 3, alt.value(RED), alt.value(BLUE)),
        tooltip=[alt.Tooltip("group:N", title=titles["group"]),
                 alt.Tooltip("satisfaction:Q", title=titles["satisfaction"], format=".2f"),
                 alt.Tooltip("answers:Q", title=titles["answers"], format=",d"),
                 alt.Tooltip("nps:Q", title=titles["nps"], format=".0f")]
    ).properties(height=alt.Step(BAR_PX))
    chart(spec)
    table(frame, [("group", titles["group"], "text"), ("answers", _("Answers"), "int"),
                  ("satisfaction", titles["satisfaction"], "score"),
                  ("nps_answers", _("NPS answers"), "int"), ("nps", _("NPS"), "nps")],
          f"satisfaction-by-{by}", _("Satisfaction by group"), stamp(f))


# --- Complaints ------------------------------------------------------------------------------

def complaints(f: Filters) -> None:
    _ = _t()
    causes = data.complaint_causes(f).copy()
    if causes.empty:
        st.info(_("No complaints were opened in this period with these filters."))
        return
    st.subheader(_("Root causes (Pareto)"))
    st.caption(_("Bars: complaints per root cause, biggest first; line: their cumulative "
                 "share. The few causes on the left are behind most complaints."))
    causes["cause"] = [label(_, ROOT_CAUSE, c) if known(c) else _("Not classified yet")
                       for c in causes["root_cause"]]
    titles = {"cause": _("Root cause"), "complaints": _("Complaints"), "share": _("Share"),
              "cumulative_share": _("Cumulative share")}
    tooltip = [alt.Tooltip("cause:N", title=titles["cause"]),
               alt.Tooltip("complaints:Q", title=titles["complaints"], format=",d"),
               alt.Tooltip("share:Q", title=titles["share"], format=".1%"),
               alt.Tooltip("cumulative_share:Q", title=titles["cumulative_share"],
                           format=".1%")]
    base = alt.Chart(causes).encode(
        x=alt.X("cause:N", title=titles["cause"], sort=list(causes["cause"]),
                axis=alt.Axis(labelAngle=-40, labelLimit=200, labelOverlap=False)))
    bars = base.mark_bar(color=BLUE).encode(
        y=alt.Y("complaints:Q", title=titles["complaints"],
                axis=alt.Axis(tickMinStep=1, format="d")), tooltip=tooltip)
    line = base.mark_line(point=alt.OverlayMarkDef(color=RED), color=RED).encode(
        y=alt.Y("cumulative_share:Q", title=titles["cumulative_share"],
                axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])), tooltip=tooltip)
    chart(alt.layer(bars, line).resolve_scale(y="independent").properties(height=320))
    table(causes, [("cause", titles["cause"], "text"),
                   ("complaints", titles["complaints"], "int"),
                   ("share", titles["share"], "percent"),
                   ("cumulative_share", titles["cumulative_share"], "percent")],
          "complaint-causes", _("Complaints by root cause"), stamp(f))

    by = _selector(_("Complaints by"), COMPLAINTS_BY, keys.ANALYTICS_COMPLAINTS_BY, "product")
    frame = data.complaints_by(f, by).copy()
    if frame.empty:
        st.info(_("No complaint in this period names a {what}.").format(
            what=_(COMPLAINTS_BY[by]).lower()))
        return
    if by == "product":
        frame["group"] = frame["product"] + " (" + frame["sku"] + ")"
        columns = [("sku", _("SKU"), "text"), ("product", _("Product"), "text"),
                   ("product_category", _("Product category"), "text")]
    elif by == "store":
        frame["group"] = frame["store"]
        columns = [("store_code", _("Store code"), "text"), ("store", _("Store"), "text")]
    else:
        frame["group"] = [label(_, DEPARTMENT, d) if known(d) else _("Not assigned")
                          for d in frame["department"]]
        columns = [("group", _("Department"), "text")]
    st.caption(_("The {n} with the most complaints.").format(n=len(frame)))
    titles = {"group": _(COMPLAINTS_BY[by]), "complaints": _("Complaints")}
    spec = alt.Chart(frame).mark_bar(color=RED).encode(
        x=alt.X("complaints:Q", title=titles["complaints"],
                axis=alt.Axis(tickMinStep=1, format="d")),
        y=alt.Y("group:N", title=None, sort=list(frame["group"]),
                axis=alt.Axis(labelLimit=LABEL_PX)),
        tooltip=[alt.Tooltip("group:N", title=titles["group"]),
                 alt.Tooltip("complaints:Q", title=titles["complaints"], format=",d")]
    ).properties(height=alt.Step(BAR_PX))
    chart(spec)
    table(frame, columns + [("complaints", _("Complaints"), "int")], f"complaints-by-{by}",
          _("Complaints by {what}").format(what=_(COMPLAINTS_BY[by]).lower()), stamp(f))


# --- After-sales -----------------------------------------------------------------------------

TOP_PRODUCTS = 10


def after_sales(f: Filters) -> None:
    _ = _t()
    st.caption(_("Requests made in the period per product, their rate per unit sold in the "
                 "period, refunds approved or paid and the cost of the service jobs reported. "
                 "Of the filters, only the period, store and product category apply."))
    frame = data.after_sales_by_product(f).copy()
    if frame.empty:
        st.info(_("No after-sales requests were made in this period with these filters."))
        return
    frame["group"] = frame["product"] + " (" + frame["sku"] + ")"
    frame["refunds"] = frame["refund_requests"]
    for cents in ("refunded_cents", "parts_cents", "transport_cents"):
        frame[cents.replace("_cents", "")] = frame[cents] / 100
    kinds = {"returns": AfterSalesKind.RETURN, "exchanges": AfterSalesKind.EXCHANGE,
             "repairs": AfterSalesKind.REPAIR, "refunds": AfterSalesKind.REFUND}
    top = frame.head(TOP_PRODUCTS)
    long = top.melt(id_vars=["group", "requests", "units_sold"], value_vars=list(kinds),
                    var_name="kind", value_name="count")
    long = long.loc[long["count"] > 0]
    long["kind"] = [label(_, AFTERSALES_KIND, kinds[k]) for k in long["kind"]]
    titles = {"group": _("Product"), "kind": _("Request"), "count": _("Requests"),
              "units_sold": _("Units sold")}
    st.subheader(_("The {n} products with the most requests").format(n=len(top)))
    spec = alt.Chart(long).mark_bar().encode(
        x=alt.X("count:Q", title=titles["count"], stack="zero",
                axis=alt.Axis(tickMinStep=1, format="d")),
        y=alt.Y("group:N", title=None, sort=list(top["group"]),
                axis=alt.Axis(labelLimit=LABEL_PX)),
        color=alt.Color("kind:N", title=None, legend=alt.Legend(orient="bottom"),
                        scale=alt.Scale(domain=[label(_, AFTERSALES_KIND, k)
                                                for k in kinds.values()],
                                        range=[RED, "#edae49", BLUE, GREY])),
        tooltip=[alt.Tooltip(f"{k}:{'N' if k in ('group', 'kind') else 'Q'}", title=t)
                 for k, t in titles.items()]
    ).properties(height=alt.Step(BAR_PX))
    chart(spec)
    table(frame, [("sku", _("SKU"), "text"), ("product", _("Product"), "text"),
                  ("product_category", _("Product category"), "text"),
                  ("units_sold", _("Units sold"), "int"), ("requests", _("Requests"), "int"),
                  ("returns", _("Returns"), "int"), ("exchanges", _("Exchanges"), "int"),
                  ("repairs", _("Repairs"), "int"), ("return_rate", _("Return rate"), "percent"),
                  ("exchange_rate", _("Exchange rate"), "percent"),
                  ("repair_rate", _("Repair rate"), "percent"),
                  ("refunded", _("Refunded (¥)"), "money"),
                  ("parts", _("Parts (¥)"), "money"),
                  ("labour_minutes", _("Labour (min)"), "minutes"),
                  ("transport", _("Transport (¥)"), "money")],
          "after-sales", _("After-sales per product"), stamp(f))


# --- Backlog ---------------------------------------------------------------------------------

def backlog(f: Filters, today) -> None:
    _ = _t()
    st.caption(_("The cases open right now, by how long ago they were created. The period "
                 "does not apply; the other filters do."))
    frame = data.backlog(f).copy()
    if frame.empty:
        st.success(_("No open cases with these filters."), icon=":material/check_circle:")
        return
    statuses = _codes_in_order(frame["status"], [s.value for s in CaseStatus])
    ages = [_(msgid) for _days, msgid in AGE_BUCKETS]      # every age, also the empty ones
    frame["age_name"] = [ages[int(i)] for i in frame["order"]]
    frame["status_name"] = [label(_, STATUS, s) for s in frame["status"]]
    names = [label(_, STATUS, s) for s in statuses]
    titles = {"age_name": _("Age"), "status_name": _("Status"), "cases": _("Cases")}
    spec = alt.Chart(frame).mark_bar().encode(
        x=alt.X("age_name:N", title=titles["age_name"], axis=alt.Axis(labelAngle=0),
                scale=alt.Scale(domain=ages)),
        y=alt.Y("cases:Q", title=titles["cases"], stack="zero",
                axis=alt.Axis(tickMinStep=1, format="d")),
        color=alt.Color("status_name:N", title=None, legend=alt.Legend(orient="bottom"),
                        scale=alt.Scale(domain=names, scheme="tableau10")),
        tooltip=[alt.Tooltip(f"{k}:{'Q' if k == 'cases' else 'N'}", title=t)
                 for k, t in titles.items()])
    chart(spec.properties(height=300))
    wide = (frame.pivot_table(index="order", columns="status", values="cases", aggfunc="sum",
                              fill_value=0)
            .reindex(index=range(len(ages)), columns=statuses, fill_value=0).astype("int64"))
    wide["total"] = wide.sum(axis=1)
    wide = wide.rename_axis(index="order", columns=None).reset_index()
    wide["age_name"] = [ages[i] for i in wide["order"]]
    table(wide, [("age_name", _("Age"), "text")]
          + [(s, label(_, STATUS, s), "int") for s in statuses] + [("total", _("Total"), "int")],
          "backlog", _("Open cases by age"), today.isoformat())


# --- Agents ----------------------------------------------------------------------------------

def agents(f: Filters) -> None:
    _ = _t()
    st.caption(_("Per case owner, the cases created in the period; per technician, the "
                 "quality checks of their jobs. Times in opening hours."))
    frame = data.scorecards(f)
    if frame.empty:
        st.info(_("Nobody handled cases in this period with these filters."))
        return
    table(frame, [("agent", _("Agent"), "text"), ("cases", _("Cases"), "int"),
                  ("handled", _("Resolved"), "int"),
                  ("avg_response_minutes", _("Average first response (opening min)"),
                   "minutes"),
                  ("avg_resolution_minutes", _("Average resolution (opening min)"), "minutes"),
                  ("response_rate", _("First-response SLA"), "percent"),
                  ("resolution_rate", _("Resolution SLA"), "percent"),
                  ("fcr_rate", _("First-contact resolution"), "percent"),
                  ("reopen_rate", _("Reopen rate"), "percent"),
                  ("satisfaction", _("Average satisfaction (1–5)"), "score"),
                  ("answers", _("Survey answers"), "int"),
                  ("qc_checked", _("Quality checks"), "int"),
                  ("qc_pass_rate", _("Quality check pass rate"), "percent")],
          "scorecards", _("Scorecards"), stamp(f))


# --- Alerts ----------------------------------------------------------------------------------

ALERT_TITLES = {"complaints": N_("More complaints than usual"),
                "returns": N_("More returns than usual")}


def alerts(f: Filters) -> None:
    _ = _t()
    from core import product_alerts
    st.caption(_("Products with far more complaints or returns in the last two weeks than "
                 "their own rate in the twelve weeks before. The filters do not apply."))
    found = data.product_alerts()
    if not found:
        st.success(_("No product stands out at the moment."), icon=":material/check_circle:")
        return
    language = runtime.language()
    for alert in found:
        name = (alert.product_name_zh if language == "zh_CN" and alert.product_name_zh
                else alert.product_name)
        st.warning(f"**{md(_(ALERT_TITLES[str(alert.measure)]))}: {md(name)} "
                   f"({md(alert.sku)})**  \n{md(product_alerts.explain(alert, language))}",
                   icon=":material/warning:")
