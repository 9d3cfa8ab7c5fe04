"""Team: the supervisors' live queue. Every agent's open cases split into on track / about to
breach / breached, the cases about to breach and breached, and the escalations waiting. The
figures refresh by themselves (a fragment re-run every CAREDESK_TEAM_REFRESH_SECONDS, 30 by
default); a row's link opens the case."""
from datetime import timedelta

import altair as alt
import pandas as pd
import streamlit as st

from core import auth, config, team
from core.errors import DomainError
from core.i18n import N_
from core.labels import PRIORITY, SLA, STATUS
from core.sla import SlaState
from ui import keys, runtime
from ui.fmt import error_md, label, local, time_left

_ = runtime.gettext()
runtime.require_actor()

REFRESH = config.team_refresh_seconds()
STATES = (SlaState.ON_TRACK, SlaState.AT_RISK, SlaState.BREACHED)
AT_RISK, BREACHED, ESCALATED = "at_risk", "breached", "escalations"
LISTS = {AT_RISK: N_("About to breach ({n})"), BREACHED: N_("Breached ({n})"),
         ESCALATED: N_("Escalations waiting ({n})")}
COLOURS = ("#3a7ca5", "#edae49", "#d1495b")


def age(span: timedelta | None) -> str:
    if span is None:
        return "—"
    minutes = max(int(span.total_seconds()), 0) // 60
    if minutes >= 1440:
        return _("{d} d {h} h").format(d=minutes // 1440, h=minutes % 1440 // 60)
    if minutes >= 60:
        return _("{h} h {m} min").format(h=minutes // 60, m=minutes % 60)
    return _("{m} min").format(m=minutes)


def who(row: team.AgentLoad) -> str:
    if row.staff_id is None:
        return _("Unassigned")
    if not row.takes_cases:
        return _("{name} (not taking cases)").format(name=row.name)
    return row.name


def queue_chart(snapshot: team.TeamSnapshot) -> None:
    names = [label(_, SLA, s) for s in STATES]
    frame = pd.DataFrame([
        {"agent": who(a), "state": name, "cases": n, "order": i, "open": a.open}
        for a in snapshot.agents
        for i, (name, n) in enumerate(zip(names, (a.on_track, a.about_to_breach, a.breached)))])
    titles = {"agent": _("Agent"), "state": _("SLA"), "cases": _("Cases"),
              "open": _("Open cases")}
    chart = alt.Chart(frame).mark_bar().encode(
        x=alt.X("cases:Q", title=titles["open"], stack="zero",
                axis=alt.Axis(tickMinStep=1, format="d")),
        y=alt.Y("agent:N", title=None, sort=None),
        color=alt.Color("state:N", title=None, legend=alt.Legend(orient="bottom"),
                        scale=alt.Scale(domain=names, range=list(COLOURS))),
        order=alt.Order("order:Q"),
        tooltip=[alt.Tooltip(f"{k}:{'N' if k in ('agent', 'state') else 'Q'}", title=t)
                 for k, t in titles.items()]
    ).properties(height=alt.Step(26))  # one band per agent, however many there are
    st.altair_chart(chart, width="stretch")


def agents_table(snapshot: team.TeamSnapshot) -> None:
    frame = pd.DataFrame([{
        _("Agent"): who(a), _("Open"): a.open, _("Waiting on customer"): a.waiting_customer,
        label(_, SLA, SlaState.ON_TRACK): a.on_track,
        label(_, SLA, SlaState.AT_RISK): a.about_to_breach,
        label(_, SLA, SlaState.BREACHED): a.breached, _("Escalated"): a.escalated,
        _("Oldest open case"): age(a.oldest_open_age(snapshot.at)),
        _("Callbacks overdue"): a.callbacks_overdue} for a in snapshot.agents])
    narrow = {column: st.column_config.NumberColumn(width=75)
              for column in frame.columns[1:] if column != _("Oldest open case")}
    st.dataframe(frame, hide_index=True, width="stretch", column_config=narrow,
                 key=f"{keys.TEAM_TABLE}.agents")


def cases_table(rows: list[team.UrgentCase], total: int, name: str,
                escalations: bool = False) -> None:
    if not rows:
        st.info(_("Nothing here."))
        return
    if total > len(rows):
        st.caption(_("The first {shown} of {total}.").format(shown=len(rows), total=total))
    records = []
    for r in rows:
        record = {
            _("Case"): f"cases?case={r.id}", _("Subject"): r.subject,
            _("Customer"): r.customer_name, _("Owner"): r.owner_name or _("Unassigned"),
            _("Priority"): label(_, PRIORITY, r.priority),
            _("Status"): label(_, STATUS, r.status), _("Due"): local(r.due_at),
            _("Time left"): time_left(_, r.due_at)}
        if escalations:
            record[_("Escalated")] = local(r.escalated_at)
        records.append(record)
    stamp = st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")
    config = {_("Case"): st.column_config.LinkColumn(display_text=r"cases\?case=(\d+)",
                                                     width="small",
                                                     help=_("Opens the case")),
              _("Subject"): st.column_config.TextColumn(width="medium"),
              _("Due"): stamp, _("Escalated"): stamp}
    st.dataframe(pd.DataFrame(records), hide_index=True, width="stretch",
                 column_config=config, key=f"{keys.TEAM_TABLE}.{name}")


@st.fragment(run_every=REFRESH)
def live() -> None:
    # A fragment re-run skips app.py: check the session and the role again, so that a page
    # left open does not outlive a logout, a disabled account or a role taken away.
    # (team_snapshot checks the fresh roles; the next full run shows the login form)
    current = auth.resume_session(runtime.uow(), st.session_state.get(keys.SESSION_KEY))
    if current is None:
        st.warning(_("Your session has ended. Please log in again."))
        return
    try:
        snapshot = team.team_snapshot(runtime.uow(), current)
    except DomainError as e:
        st.error(error_md(e, _))
        return
    c1, c2 = st.columns([4, 1], vertical_alignment="center")
    c1.caption(_("Updated {time}, refreshes every {n} s").format(
        time=local(snapshot.at).strftime("%H:%M:%S"), n=REFRESH))
    # a click re-runs the fragment, which reads the figures again
    c2.button(_("Refresh now"), icon=":material/refresh:", key=keys.TEAM_REFRESH)

    totals = snapshot.totals
    m1, m2, m3, m4 = st.columns(4)
    m1.metric(_("Open cases"), totals.open,
              help=_("New, open or waiting; {n} of them waiting on the customer.").format(
                  n=totals.waiting_customer))
    m2.metric(_("About to breach"), totals.about_to_breach,
              help=_("A due time within the next {m} minutes.").format(
                  m=int(snapshot.horizon.total_seconds() // 60)))
    m3.metric(_("Breached"), totals.breached,
              help=_("No first response or no resolution by the due time."))
    m4.metric(_("Escalations waiting"), totals.escalated,
              help=_("Escalated cases that are not resolved yet."))

    st.subheader(_("Open queue per agent"))
    queue_chart(snapshot)
    agents_table(snapshot)

    # a choice by value, so that it stays put while the counts in its labels change
    counts = {AT_RISK: totals.about_to_breach, BREACHED: totals.breached,
              ESCALATED: totals.escalated}
    shown = st.segmented_control(_("Cases"), list(LISTS), default=AT_RISK, required=True,
                                 format_func=lambda v: _(LISTS[v]).format(n=counts[v]),
                                 key=keys.TEAM_LIST, label_visibility="collapsed")
    if shown == BREACHED:
        cases_table(snapshot.breached, totals.breached, "breached")
    elif shown == ESCALATED:
        cases_table(snapshot.escalations, totals.escalated, "escalations", escalations=True)
    else:
        cases_table(snapshot.about_to_breach, totals.about_to_breach, "at_risk")


st.title(_("Team"))
live()
