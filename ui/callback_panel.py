"""One callback in full, below the queue: who to call and why, the case it follows up, the
care-plan checks of a VIP care call, the calls so far and the survey; claim or release it,
log an attempt (with the survey when the customer is reached), move or cancel it."""
from __future__ import annotations

from datetime import datetime, timedelta

import streamlit as st

from core import callbacks, cases
from core.clock import utcnow
from core.errors import DomainError
from core.i18n import N_
from core.labels import CALLBACK_STATUS, OUTCOME, PURPOSE, STATUS, TIER
from core.permissions import Action, allowed
from core.vocabulary import CallbackPurpose, CallbackStatus, CallOutcome
from ui import keys, runtime
from ui.actions import call, flash, run, show_flash
from ui.fmt import error_md, label, local, md, stored, time_left, when

O = CallOutcome
SOLVED = {True: N_("Yes"), False: N_("No")}


def _shop_now() -> datetime:
    return local(utcnow())


def _next_hour() -> datetime:
    return (_shop_now() + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)


def _flash_attempt(outcome: CallOutcome, result: callbacks.AttemptResult,
                   d: callbacks.CallbackDetail) -> None:
    if outcome == O.NO_ANSWER and result.status == CallbackStatus.OPEN:
        flash(N_("No answer ({n} of {max} calls unanswered). Next try due {due}."),
              n=result.unanswered, max=d.max_attempts, due=when(result.due_at))
    elif outcome == O.NO_ANSWER:
        flash(N_("No answer after {n} calls: the callback is closed as unreachable."),
              n=result.unanswered)
    elif outcome == O.CALL_BACK_LATER:
        flash(N_("Noted: call the customer back at {due}."), due=when(result.due_at))
    elif outcome == O.WRONG_NUMBER:
        flash(N_("Wrong number: the callback is closed as unreachable. Correct the number on "
                 "the customer's profile."))
    elif outcome == O.DECLINED:
        flash(N_("Logged: the customer declined to talk. The callback is done."))
    else:
        flash(N_("Logged: the customer was reached. The callback is done."))
    if result.survey_id is not None:
        flash(N_("Survey recorded."))
    if result.reopened_case_id is not None:
        case = cases.get_case(runtime.uow(), runtime.require_actor(), result.reopened_case_id)
        owner = case.owner_name
        if result.new_case_id is not None and owner:
            flash(N_("Case #{old} was closed: the customer's problem is in new case #{case_id}, "
                     "in {owner}'s queue, escalated."), old=d.row.case_id,
                  case_id=result.new_case_id, owner=owner)
        elif result.new_case_id is not None:
            flash(N_("Case #{old} was closed: the customer's problem is in new case #{case_id}, "
                     "in the unassigned queue, escalated."), old=d.row.case_id,
                  case_id=result.new_case_id)
        elif owner:
            flash(N_("Case #{case_id} is back in {owner}'s queue, escalated."),
                  case_id=result.reopened_case_id, owner=owner)
        else:
            flash(N_("Case #{case_id} is back in the unassigned queue, escalated."),
                  case_id=result.reopened_case_id)


def _fact(col, title: str, value: str, note: str | None = None) -> None:
    """A small label over its value (st.metric's large type cuts off phone numbers and
    times in narrow columns)."""
    col.caption(title)
    col.markdown(f"**{md(value)}**")
    if note:
        col.caption(note)


# --- the panel -----------------------------------------------------------------------------------

def show(callback_id: int, on_close=None) -> None:
    """The callback; `on_close()` (the Close button's) puts the panel away."""
    _ = runtime.gettext()
    actor = runtime.require_actor()
    try:
        d = callbacks.get_callback(runtime.uow(), actor, callback_id)
    except DomainError as e:
        st.error(error_md(e, _))
        return
    row = d.row
    is_open = d.status == CallbackStatus.OPEN
    show_flash()
    head, close = st.columns([6, 1], vertical_alignment="bottom")
    head.subheader(f"#{row.id} · {md(row.customer_name)}")
    if on_close is not None and close.button(_("Close"), icon=":material/close:",
                                             key=keys.CALLBACK_CLOSE, width="stretch"):
        on_close()
    st.caption(" · ".join([label(_, PURPOSE, row.purpose)]
                          + ([md(row.topic)] if row.topic else [])))

    with st.container(border=True):
        cols = st.columns([3, 3, 1, 1, 2])
        _fact(cols[0], _("Phone"), row.phone or "—")
        _fact(cols[1], _("Due"), when(row.due_at),
              time_left(_, row.due_at) if is_open else None)
        _fact(cols[2], _("Tier"), label(_, TIER, row.tier))
        _fact(cols[3], _("Status"), label(_, CALLBACK_STATUS, d.status))
        _fact(cols[4], _("Unanswered calls"), f"{d.unanswered} / {d.max_attempts}",
              _("closes as unreachable after {max}").format(max=d.max_attempts)
              if is_open else None)
        who = (_("Claimed by {name}").format(name=md(row.claimed_by)) if row.claimed_by
               else _("Not claimed yet"))
        st.caption(who + " · " + _("Customer #{customer_id}").format(
            customer_id=row.customer_id))
    if row.purpose == CallbackPurpose.MARKETING and not d.marketing_consent:
        st.warning(_("This customer has not agreed to marketing calls. Cancel the callback."))

    if row.case_id is not None:
        _case(d)
    if d.care_plans:
        _care_plans(d)
    _attempts(d)

    if not is_open:
        if d.closed_at:
            st.caption(_("Closed {when}").format(when=when(d.closed_at)))
        return
    st.divider()
    mine = row.claimed_by_id == actor.staff_id
    if row.claimed_by_id is None:
        if st.button(_("Claim"), type="primary", icon=":material/front_hand:",
                     key=f"{keys.CALLBACK_CLAIM}.{row.id}",
                     help=_("Take the call, so that nobody else rings this customer.")):
            if run(callbacks.claim, row.id):
                flash(N_("The call is yours: nobody else will ring this customer."))
                st.rerun()
    elif mine:
        if st.button(_("Release"), icon=":material/undo:",
                     key=f"{keys.CALLBACK_RELEASE}.{row.id}",
                     help=_("Give the call back to the team.")):
            if run(callbacks.release, row.id):
                flash(N_("Released: the call is back with the team."))
                st.rerun()
    else:
        st.info(_("{name} is making this call.").format(name=md(row.claimed_by)))
        if allowed(actor.roles, Action.CALLBACK_ASSIGN) and st.button(
                _("Release {name}'s claim").format(name=md(row.claimed_by)),
                key=f"{keys.CALLBACK_RELEASE}.{row.id}"):
            if run(callbacks.release, row.id):
                flash(N_("Released: the call is back with the team."))
                st.rerun()
        return
    _log_attempt(d)
    if allowed(actor.roles, Action.CALLBACK_SCHEDULE):
        _move_or_cancel(d)


def _case(d: callbacks.CallbackDetail) -> None:
    _ = runtime.gettext()
    row = d.row
    st.markdown("##### " + _("The case it follows up"))
    st.page_link("pages/cases.py", icon=":material/inbox:",
                 label=f"#{row.case_id} · {md(row.case_subject)}",
                 query_params={"case": str(row.case_id)})
    facts = [label(_, STATUS, d.case_status),
             _("Owner: {name}").format(name=md(d.case_owner or _("Unassigned")))]
    if d.case_escalated:
        facts.append(_("Escalated"))
    st.caption(" · ".join(facts))


def _care_plans(d: callbacks.CallbackDetail) -> None:
    _ = runtime.gettext()
    st.markdown("##### " + _("Care plan checks"))
    st.dataframe([{_("Product"): p.product_name(runtime.language()) or "—",
                   _("What is checked"): p.description,
                   _("Every (days)"): p.interval_days, _("Next check"): p.next_due_on}
                  for p in d.care_plans], hide_index=True, width="stretch")
    st.caption(_("When the customer is reached, the checks due before the next care call move "
                 "on to their next date."))


def _attempts(d: callbacks.CallbackDetail) -> None:
    _ = runtime.gettext()
    st.markdown("##### " + _("Calls so far"))
    if not d.attempts:
        st.caption(_("No call yet."))
    for a in d.attempts:
        line = f"{when(a.at)} · {a.staff} · {label(_, OUTCOME, a.outcome)}"
        if a.call_back_at:
            line += " · " + _("call back at {when}").format(when=when(a.call_back_at))
        st.text(line + (f" — {a.note}" if a.note else ""))
    if d.survey:
        s = d.survey
        st.markdown("##### " + _("Survey"))
        solved = {True: _("solved"), False: _("not solved"), None: "—"}[s.problem_solved]
        st.text(_("Satisfaction {score}/5 · problem {solved} · NPS {nps}").format(
            score=s.satisfaction, solved=solved, nps="—" if s.nps is None else s.nps))
        if s.comment:
            st.text(s.comment)
        st.caption(_("Recorded {when} by {name}").format(when=when(s.at),
                                                        name=md(s.surveyed_by or "—")))


def _log_attempt(d: callbacks.CallbackDetail) -> None:
    """The outcome first (outside the form, so that the form shows that outcome's fields),
    then the form. Both are keyed by the number of attempts: after one is logged, the next
    starts empty."""
    _ = runtime.gettext()
    row = d.row
    st.markdown("##### " + _("Log a call"))
    outcome = st.segmented_control(_("How did the call go?"), list(CallOutcome),
                                   format_func=lambda v: label(_, OUTCOME, v),
                                   key=f"{keys.CALLBACK_OUTCOME}.{row.id}.{row.attempts}")
    if outcome is None:
        st.caption(_("Call the customer, then choose how the call went."))
        return
    survey: dict = {}
    call_back = None
    with st.form(f"{keys.CALLBACK_ATTEMPT_FORM}.{row.id}.{row.attempts}"):
        if outcome == O.CALL_BACK_LATER:
            soon = _next_hour()
            c1, c2 = st.columns(2)
            day = c1.date_input(_("Call back on"), value=soon.date(),
                                min_value=_shop_now().date())
            at = c2.time_input(_("At (shop time)"), value=soon.time())
            call_back = (day, at)
        if outcome == O.REACHED and d.asks_survey:
            survey["satisfaction"] = st.radio(
                _("Satisfaction (1 = very unhappy, 5 = very happy)"), [1, 2, 3, 4, 5],
                index=None, horizontal=True)
            if d.asks_solved:
                survey["problem_solved"] = st.radio(
                    _("Is the problem solved?"), [True, False], index=None, horizontal=True,
                    format_func=lambda v: _(SOLVED[v]))
            survey["nps"] = st.selectbox(
                _("How likely are they to recommend us? (NPS 0–10, optional)"),
                [None, *range(11)], format_func=lambda v: "—" if v is None else str(v))
            survey["comment"] = st.text_area(_("Customer's comment"), max_chars=2000) or None
        if outcome == O.REACHED and d.care_plans:
            st.caption(_("Reaching the customer records the care-plan checks above as done."))
        note = st.text_area(_("Call note"), max_chars=2000)
        submitted = st.form_submit_button(_("Log the call"), type="primary")
    if submitted:
        when_ = stored(datetime.combine(*call_back)) if call_back else None
        ok, result = call(callbacks.log_attempt, row.id, outcome, row.version,
                          note=note or None, call_back_at=when_, **survey)
        if ok:
            _flash_attempt(outcome, result, d)
            st.rerun()


def _move_or_cancel(d: callbacks.CallbackDetail) -> None:
    _ = runtime.gettext()
    row = d.row
    with st.expander(_("Move or cancel the callback"), icon=":material/event:"):
        with st.form(f"{keys.CALLBACK_MOVE_FORM}.{row.id}.{row.version}", border=False):
            due = local(row.due_at).replace(second=0, microsecond=0)
            c1, c2 = st.columns(2)
            day = c1.date_input(_("New date"), value=max(due.date(), _shop_now().date()))
            at = c2.time_input(_("At (shop time)"), value=due.time())
            if st.form_submit_button(_("Move the call")):
                new_due = stored(datetime.combine(day, at))
                if run(callbacks.reschedule, row.id, new_due, row.version):
                    flash(N_("The call is now due {due}."), due=when(new_due))
                    st.rerun()
        with st.form(f"{keys.CALLBACK_CANCEL_FORM}.{row.id}.{row.version}", border=False):
            reason = st.text_input(_("Reason for cancelling"), max_chars=2000)
            if st.form_submit_button(_("Cancel the callback")):
                if run(callbacks.cancel_callback, row.id, reason, row.version):
                    flash(N_("Callback cancelled."))
                    st.rerun()
