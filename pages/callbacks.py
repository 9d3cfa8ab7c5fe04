"""Callbacks: the follow-up and care calls overdue, due today and upcoming; a row picked in
the list (or ?callback=N) opens the call below it. Supervisors also see the results: reach
rate and satisfaction by agent, channel and category."""
from datetime import datetime, timedelta

import altair as alt
import pandas as pd
import streamlit as st

from core import callbacks, satisfaction
from core.callbacks import Bucket, Scope
from core.clock import utcnow
from core.errors import DomainError
from core.i18n import N_
from core.labels import CATEGORY, CHANNEL, PURPOSE, TIER
from core.permissions import Action, allowed
from core.satisfaction import GroupBy
from ui import callback_panel, keys, pickers, runtime
from ui.actions import call, flash
from ui.fmt import error_md, label, local, stored, when

_ = runtime.gettext()
actor = runtime.require_actor()

SCOPES = {Scope.MINE: N_("Mine"), Scope.UNCLAIMED: N_("Not claimed yet"),
          Scope.TEAM: N_("Whole team")}
BUCKETS = {Bucket.OVERDUE: N_("Overdue ({n})"), Bucket.TODAY: N_("Due today ({n})"),
           Bucket.UPCOMING: N_("Upcoming ({n})")}
GROUPS = {GroupBy.AGENT: N_("Agent"), GroupBy.CHANNEL: N_("Channel"),
          GroupBy.CATEGORY: N_("Category")}
PERIODS = (7, 30, 90)
RESULTS_TTL = 60


def open_callback(callback_id: int) -> None:
    st.query_params["callback"] = str(callback_id)
    # a new table (without the selection) so that a row that moves away cannot reopen
    st.session_state[keys.CALLBACKS_TABLE_RESETS] = \
        st.session_state.get(keys.CALLBACKS_TABLE_RESETS, 0) + 1


def close_callback() -> None:
    del st.query_params["callback"]
    st.rerun()


def schedule() -> None:
    """A callback by hand: a call back about something, a follow-up of a case, a promotion."""
    chosen = st.session_state.get(keys.SCHEDULE_CUSTOMER)
    if chosen:
        c1, c2 = st.columns([4, 1])
        c1.text(f"#{chosen[0]} · {chosen[1]}")
        if c2.button(_("Change customer"), key=keys.SCHEDULE_CHANGE):
            st.session_state.pop(keys.SCHEDULE_CUSTOMER)
            st.rerun()
    else:
        hit = pickers.customer_search(keys.SCHEDULE_QUERY, _("Select"))
        if hit:
            st.session_state[keys.SCHEDULE_CUSTOMER] = (hit.id, hit.name)
            st.rerun()
        return
    soon = (local(utcnow()) + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    with st.form(keys.SCHEDULE_FORM, border=False):
        purpose = st.selectbox(_("Purpose"), list(callbacks.BY_HAND),
                               format_func=lambda v: label(_, PURPOSE, v))
        c1, c2 = st.columns(2)
        day = c1.date_input(_("Due on"), value=soon.date(), min_value=local(utcnow()).date())
        at = c2.time_input(_("At (shop time)"), value=soon.time())
        topic = st.text_input(_("What the call is about"), max_chars=200)
        case_id = st.number_input(_("Case number (required for a follow-up)"), min_value=1,
                                  step=1, value=None)
        if st.form_submit_button(_("Schedule"), type="primary"):
            due = stored(datetime.combine(day, at))
            ok, new_id = call(callbacks.schedule_callback, chosen[0], purpose, due,
                              topic or None, int(case_id) if case_id else None)
            if ok:
                flash(N_("Callback #{callback_id} scheduled for {due}."),
                                     callback_id=new_id, due=when(due))
                for key in (keys.SCHEDULE_CUSTOMER, keys.SCHEDULE_QUERY):
                    st.session_state.pop(key, None)
                open_callback(new_id)
                st.rerun()


def queue() -> None:
    if allowed(actor.roles, Action.CALLBACK_SCHEDULE):
        with st.expander(_("Schedule a callback"), icon=":material/add_call:"):
            schedule()
    c1, c2 = st.columns([2, 3])
    scope = c1.segmented_control(_("Calls of"), list(Scope), default=Scope.TEAM, required=True,
                                 format_func=lambda v: _(SCOPES[v]),
                                 key=keys.CALLBACKS_SCOPE)
    # the bucket's labels carry the counts, which come with the list: read the choice first
    bucket = st.session_state.get(keys.CALLBACKS_BUCKET) or Bucket.TODAY
    try:
        found = callbacks.callback_queue(runtime.uow(), actor, scope, bucket)
    except DomainError as e:
        st.error(error_md(e, _))
        st.stop()
    c2.segmented_control(_("Due"), list(Bucket), default=Bucket.TODAY, required=True,
                         format_func=lambda v: _(BUCKETS[v]).format(n=found.counts[v]),
                         key=keys.CALLBACKS_BUCKET)

    if found.rows:
        frame = pd.DataFrame([{
            _("Due"): local(r.due_at), _("Customer"): r.customer_name,
            _("Phone"): r.phone or "—", _("Tier"): label(_, TIER, r.tier),
            _("Purpose"): label(_, PURPOSE, r.purpose), _("Calls"): r.attempts,
            _("Claimed by"): r.claimed_by or "—",
            _("About"): r.topic or (f"#{r.case_id} · {r.case_subject}" if r.case_id else "—")}
            for r in found.rows])
        resets = st.session_state.get(keys.CALLBACKS_TABLE_RESETS, 0)
        event = st.dataframe(
            frame, hide_index=True, width="stretch", on_select="rerun",
            selection_mode="single-row", key=f"{keys.CALLBACKS_TABLE}.{resets}",
            column_config={
                _("Due"): st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm",
                                                          width=125),
                _("Customer"): st.column_config.TextColumn(width=130),
                _("Phone"): st.column_config.TextColumn(width=135),
                _("Tier"): st.column_config.TextColumn(width=70),
                _("Purpose"): st.column_config.TextColumn(width=150),
                _("Calls"): st.column_config.NumberColumn(width=50),
                _("Claimed by"): st.column_config.TextColumn(width=110),
                _("About"): st.column_config.TextColumn(width="large")})
        if event.selection.rows:
            open_callback(found.rows[event.selection.rows[0]].id)
            st.rerun()
        shown, total = len(found.rows), found.counts[bucket]
        if shown < total:
            st.caption(_("The first {shown} of {total}: the ones to call first.").format(
                shown=shown, total=total))
        st.caption(_("Pick a row to open the call."))
    else:
        st.info(_("No callback here."))

    selected = st.query_params.get("callback")
    if selected:
        st.divider()
        # core reads the id, or says it is none ("²".isdigit() holds, int("²") fails)
        callback_panel.show(selected, on_close=close_callback)


@st.cache_data(ttl=RESULTS_TTL, show_spinner=False)
def load_results(staff_id: int, days: int, by: str):
    # cached per person and choice; writes clear it (ui.actions.run)
    end = utcnow()
    start = end - timedelta(days=days)
    uow, me = runtime.uow(), runtime.require_actor()
    return (satisfaction.reach_rate(uow, me, start, end),
            satisfaction.scores(uow, me, start, end, by))


def results() -> None:
    c1, c2 = st.columns(2)
    days = c1.segmented_control(_("Period"), PERIODS, default=30, required=True,
                                key=keys.RESULTS_DAYS,
                                format_func=lambda d: _("Last {n} days").format(n=d))
    by = c2.segmented_control(_("Satisfaction by"), list(GroupBy), default=GroupBy.AGENT,
                              required=True, format_func=lambda v: _(GROUPS[v]),
                              key=keys.RESULTS_BY)
    try:
        reach, rows = load_results(actor.staff_id, days, by)
    except DomainError as e:
        st.error(error_md(e, _))
        return
    m1, m2, m3 = st.columns(3)
    m1.metric(_("Reach rate"), "—" if reach.rate is None else f"{reach.rate:.0%}",
              help=_("Of the callbacks finished in the period (done or unreachable), the share "
                     "where the customer was reached. Cancelled ones do not count."))
    m2.metric(_("Callbacks finished"), reach.closed)
    m3.metric(_("Survey answers"), sum(r.answers for r in rows))
    if not rows:
        st.info(_("No survey answers in this period."))
        return
    names = {GroupBy.CHANNEL: CHANNEL, GroupBy.CATEGORY: CATEGORY}.get(by)

    def group(key: str | None) -> str:
        if key is None:  # an agent who is not known, or an answer without a case
            return _("Not known") if names is None else _("No case (care calls)")
        return label(_, names, key) if names else key

    frame = pd.DataFrame([{
        "group": group(r.key),
        "answers": r.answers, "average": round(r.average, 2),
        "solved": None if r.solved_share is None else round(100 * r.solved_share),
        "nps": None if r.nps is None else round(r.nps)} for r in rows])
    titles = {"group": _(GROUPS[by]), "answers": _("Answers"),
              "average": _("Average satisfaction (1–5)"), "solved": _("Solved (%)"),
              "nps": _("NPS")}
    chart = alt.Chart(frame).mark_bar().encode(
        x=alt.X("average:Q", title=titles["average"], scale=alt.Scale(domain=[0, 5]),
                axis=alt.Axis(values=[0, 1, 2, 3, 4, 5])),
        y=alt.Y("group:N", title=None, sort=None),
        color=alt.condition(alt.datum.average < 3, alt.value("#d1495b"), alt.value("#3a7ca5")),
        tooltip=[alt.Tooltip(f"{k}:{'N' if k == 'group' else 'Q'}", title=t)
                 for k, t in titles.items()])
    st.altair_chart(chart, width="stretch", height=60 + 30 * len(frame))
    st.dataframe(frame.rename(columns=titles), hide_index=True, width="stretch",
                 column_config={titles["average"]: st.column_config.NumberColumn(
                     format="%.2f")})


st.title(_("Callbacks"))
if allowed(actor.roles, Action.ANALYTICS_VIEW):
    tab_queue, tab_results = st.tabs([_("Queue"), _("Results")])
    with tab_queue:
        queue()
    with tab_results:
        results()
else:
    queue()
