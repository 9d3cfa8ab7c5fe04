"""Staffing planner: from the last weeks' contacts per channel and hour and the handling time
per channel, how many agents each hour of the week needs to meet the service standard
(Erlang C, core.workload), beside the staff on the rota; the hours short of staff stand out."""
from datetime import timedelta

import altair as alt
import pandas as pd
import streamlit as st

from core import workload
from core.clock import utcnow
from core.errors import DomainError
from core.exports import csv_bytes
from core.i18n import N_
from core.labels import CHANNEL
from core.vocabulary import Channel
from ui import keys, runtime
from ui.fmt import error_md, label, local

_ = runtime.gettext()
actor = runtime.require_actor()

TTL = 300
WEEKDAYS = (N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"),
            N_("Saturday"), N_("Sunday"))
ENOUGH, SHORT = "#3a7ca5", "#d1495b"
ROTA = "#2e4057"
HIGHLIGHT = "background-color: rgba(209, 73, 91, 0.18)"   # a table row short of staff
# the hour axis: "09" under each band, the full "09:00" in tooltips and tables
HOUR_AXIS = alt.Axis(labelAngle=0, labelExpr="slice(datum.label, 0, 2)")


@st.cache_data(ttl=TTL, show_spinner=False)
def load_policy(staff_id: int, roles: tuple[str, ...]) -> dict[str, int]:
    return {c.value: s for c, s in workload.average_handling_seconds(
        runtime.uow(), runtime.require_actor()).items()}


@st.cache_data(ttl=TTL, show_spinner=False)
def load_plan(staff_id: int, roles: tuple[str, ...], weeks: int, shrinkage: float,
              aht: tuple[tuple[str, int], ...]) -> workload.WorkloadPlan:
    # cached per person, roles (a role taken away is not served from the cache) and inputs;
    # the history only grows by a whole week at a time
    return workload.staffing_plan(runtime.uow(), runtime.require_actor(), weeks=weeks,
                                  shrinkage=shrinkage, aht_seconds=dict(aht))


def clock(hour: int) -> str:
    return f"{hour:02d}:00"


def arrivals_chart(forecast: workload.ChannelForecast) -> None:
    days = [_(d) for d in WEEKDAYS]
    frame = pd.DataFrame([{"day": days[d], "time": clock(h), "contacts": round(n, 2)}
                          for (d, h), n in sorted(forecast.arrivals.items())])
    titles = {"day": _("Weekday"), "time": _("Hour"), "contacts": _("Contacts per hour")}
    chart = alt.Chart(frame).mark_rect().encode(
        x=alt.X("time:O", title=titles["time"], sort=None, axis=HOUR_AXIS),
        y=alt.Y("day:N", title=None, sort=days),
        color=alt.Color("contacts:Q", title=titles["contacts"],
                        scale=alt.Scale(scheme="blues"), legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip(f"{k}:{'Q' if k == 'contacts' else 'N'}", title=t)
                 for k, t in titles.items()]
    ).properties(height=alt.Step(24))
    st.altair_chart(chart, width="stretch")


def day_chart(frame: pd.DataFrame, queued: list[Channel]) -> None:
    states = [_("Enough staff"), _("Short of staff")]
    titles = {"time": _("Hour"), "needed": _("Staff needed"), "scheduled": _("On the rota"),
              "short": _("Short"), "answering": _("Agents answering")}
    for c in queued:
        titles[f"{c.value}_contacts"] = _("{channel}: contacts per hour").format(
            channel=label(_, CHANNEL, c))
        titles[f"{c.value}_agents"] = _("{channel}: agents answering").format(
            channel=label(_, CHANNEL, c))
    tooltip = [alt.Tooltip(f"{k}:{'N' if k == 'time' else 'Q'}", title=t)
               for k, t in titles.items()]
    base = alt.Chart(frame).encode(
        x=alt.X("time:O", title=titles["time"], sort=None, axis=HOUR_AXIS))
    bars = base.mark_bar().encode(
        y=alt.Y("needed:Q", title=_("Staff"), axis=alt.Axis(tickMinStep=1, format="d")),
        color=alt.Color("state:N", title=None, legend=alt.Legend(orient="bottom"),
                        scale=alt.Scale(domain=states, range=[ENOUGH, SHORT])),
        tooltip=tooltip)
    rota = base.mark_line(point=True, color=ROTA, interpolate="step").encode(
        y="scheduled:Q", tooltip=tooltip)
    st.altair_chart(alt.layer(bars, rota), width="stretch")
    st.caption(_("Bars: staff needed on the rota; line: staff on the rota."))


def hours_frame(plan: workload.WorkloadPlan, queued: list[Channel]) -> pd.DataFrame:
    """The week, one row per hour, with plain column names for the chart."""
    short = _("Short of staff")
    rows = []
    for desk in plan.desk:
        row = {"weekday": desk.weekday, "day": _(WEEKDAYS[desk.weekday]),
               "time": clock(desk.hour)}
        for c in queued:
            hour = plan.channel(c).hours[desk.weekday * 24 + desk.hour]
            row[f"{c.value}_contacts"] = round(hour.arrival_per_hour, 2)
            row[f"{c.value}_agents"] = hour.agents_needed
        row.update(answering=desk.agents_needed, needed=desk.staff_needed,
                   scheduled=desk.scheduled, short=desk.shortfall,
                   state=short if desk.shortfall else _("Enough staff"))
        rows.append(row)
    return pd.DataFrame(rows)


def table(frame: pd.DataFrame, queued: list[Channel]) -> pd.DataFrame:
    """The same numbers with the reader's column names."""
    names = {"day": _("Weekday"), "time": _("Hour")}
    for c in queued:
        names[f"{c.value}_contacts"] = _("{channel}: contacts per hour").format(
            channel=label(_, CHANNEL, c))
        names[f"{c.value}_agents"] = _("{channel}: agents answering").format(
            channel=label(_, CHANNEL, c))
    names.update(answering=_("Agents answering"), needed=_("Staff needed"),
                 scheduled=_("On the rota"), short=_("Short"))
    return frame[list(names)].rename(columns=names)


def show_day(shown: pd.DataFrame) -> None:
    short = shown[_("Short")] > 0

    def mark(row: pd.Series) -> list[str]:
        return [HIGHLIGHT if short[row.name] else ""] * len(row)

    st.dataframe(shown.style.apply(mark, axis=1).format(precision=2), hide_index=True,
                 width="stretch", height="content", key=keys.STAFFING_TABLE)


def assumptions(plan: workload.WorkloadPlan) -> str:
    standards = "; ".join(
        _("{channel}: {share}% answered within {seconds} s").format(
            channel=label(_, CHANNEL, c), share=round(s.target_share * 100),
            seconds=round(s.target_seconds))
        for c, s in plan.standards.items())
    return _("Erlang C: contacts arrive at random, each channel is its own queue and nobody "
             "hangs up while waiting, so the figures lean to the safe side. Service standard: "
             "{standards}. Staff needed = agents answering ÷ (1 − shrinkage {shrinkage}%), "
             "rounded up. The handling times are a policy, not measured: CareDesk does not "
             "time calls. A person counts in an hour of the rota when they work at least half "
             "of it.").format(standards=standards, shrinkage=round(plan.shrinkage * 100))


st.title(_("Staffing planner"))
st.caption(_("How many agents each hour needs to answer phone and chat within the service "
             "standard, from the contacts of the last weeks, beside the staff on the rota."))

try:
    policy = load_policy(actor.staff_id, tuple(sorted(actor.roles)))
except DomainError as e:
    st.error(error_md(e, _))
    st.stop()

with st.form(keys.STAFFING_FORM):
    c1, c2 = st.columns(2)
    low, high = workload.WEEKS_RANGE
    weeks = c1.number_input(
        _("Weeks of history"), min_value=low, max_value=high, value=workload.DEFAULT_WEEKS,
        step=1, key=keys.STAFFING_WEEKS,
        help=_("The average of the contacts per hour over the last whole weeks."))
    shrinkage = c2.number_input(
        _("Shrinkage (%)"), min_value=0, max_value=round(workload.MAX_SHRINKAGE * 100),
        value=round(workload.DEFAULT_SHRINKAGE * 100), step=5, key=keys.STAFFING_SHRINKAGE,
        help=_("The share of paid time not spent answering: breaks, training, meetings."))
    st.caption(_("Average handling time per channel, in seconds (the policy unless changed "
                 "here)"))
    low, high = workload.AHT_RANGE
    columns = st.columns(len(Channel))
    aht = tuple((c.value, int(columns[i].number_input(
        label(_, CHANNEL, c), min_value=low, max_value=high, value=policy[c.value], step=10,
        key=f"{keys.STAFFING_AHT}.{c.value}"))) for i, c in enumerate(Channel))
    st.form_submit_button(_("Plan"), type="primary", icon=":material/calculate:")

try:
    plan = load_plan(actor.staff_id, tuple(sorted(actor.roles)), int(weeks), shrinkage / 100,
                     aht)
except DomainError as e:
    st.error(error_md(e, _))
    st.stop()

first, last = local(plan.period_start), local(plan.period_end) - timedelta(days=1)
st.caption(_("Contacts of {weeks} whole weeks, {first} to {last} (shop time, {timezone}).")
           .format(weeks=plan.weeks, first=first.date().isoformat(),
                   last=last.date().isoformat(), timezone=plan.timezone))
if not any(f.contacts_per_week for f in plan.channels):
    st.info(_("No cases were created in these weeks: there is nothing to plan from yet."))

busiest = max(plan.desk, key=lambda d: (d.staff_needed, -d.weekday, -d.hour))
m1, m2, m3 = st.columns(3)
m1.metric(_("Hours short of staff"), len(plan.shortfall),
          help=_("Hours of the week with fewer people on the rota than needed."))
m2.metric(_("Staff-hours short"), sum(d.shortfall for d in plan.shortfall))
m3.metric(_("Most staff needed at once"), busiest.staff_needed,
          help=f"{_(WEEKDAYS[busiest.weekday])} {clock(busiest.hour)}")

st.subheader(_("Contacts per hour"))
tabs = st.tabs([_("{channel} ({n} a week)").format(channel=label(_, CHANNEL, f.channel),
                                                   n=round(f.contacts_per_week))
                for f in plan.channels])
for tab, forecast in zip(tabs, plan.channels):
    with tab:
        arrivals_chart(forecast)

queued = [f.channel for f in plan.channels if f.standard is not None]
week = hours_frame(plan, queued)
st.subheader(_("Staff needed and on the rota"))
weekday = st.segmented_control(
    _("Weekday"), list(range(7)), default=local(utcnow()).weekday(), required=True,
    format_func=lambda d: _(WEEKDAYS[d]), key=keys.STAFFING_WEEKDAY)
day = week[week["weekday"] == weekday]
day_chart(day, queued)

shown = table(day, queued)
show_day(shown.drop(columns=[_("Weekday")]))
st.download_button(_("Download CSV"), data=csv_bytes(table(week, queued)),
                   file_name="staffing-plan.csv", mime="text/csv", icon=":material/download:",
                   key=keys.STAFFING_DOWNLOAD, help=_("All 168 hours of the week."))

deferred = plan.days[weekday]
if deferred.deferred_work_hours:
    text = _("E-mail, web and the other channels answered within the business day bring "
             "{work} agent-hours of work on this day; the rota leaves {spare} hours to spare "
             "for it after shrinkage.").format(work=f"{deferred.deferred_work_hours:.1f}",
                                                spare=f"{deferred.spare_work_hours:.1f}")
    (st.caption if deferred.deferred_fits else st.warning)(text)

st.caption(assumptions(plan))
