"""One case in full: facts, SLA, timeline, outbox, and what the agent can do next."""
from __future__ import annotations

import streamlit as st

from core import cases, orders, products
from core.errors import DomainError
from core.i18n import N_
from core.labels import (CALLBACK_STATUS, CATEGORY, CHANNEL, EVENT, KIND, ORDER_STATE, OUTBOX,
                         OUTCOME, PRIORITY, PURPOSE, SLA, STATUS)
from core.permissions import Action, allowed
from ui import complaint_panel, pickers, runtime
from ui.actions import flash, run, show_flash
from ui.fmt import error_md, label, md, money, time_left, when

REPLY_KEY = "case.reply_body"


def _act(action, *args, success: str, **kwargs) -> bool:
    if not run(action, *args, **kwargs):
        return False
    flash(success)
    return True


def show(case_id: int) -> None:
    _ = runtime.gettext()
    actor = runtime.require_actor()
    try:
        view = cases.get_case(runtime.uow(), actor, case_id)
    except DomainError as e:
        st.error(error_md(e, _))
        return
    show_flash()

    st.subheader(f"#{view.id} · {md(view.subject)}")
    cols = st.columns(5)
    cols[0].metric(_("Status"), label(_, STATUS, view.status))
    cols[1].metric(_("Priority"), label(_, PRIORITY, view.priority))
    cols[2].metric(_("Channel"), label(_, CHANNEL, view.channel))
    for col, title, state, due, done in (
            (cols[3], _("First response"), view.first_response_state,
             view.first_response_due_at, view.first_response_at),
            (cols[4], _("Resolution"), view.resolution_state, view.resolution_due_at,
             view.resolved_at)):
        col.metric(title, label(_, SLA, state),
                   delta=None if done or due is None else time_left(_, due),
                   delta_color="off", help=_("Due {due}").format(due=when(due)))
    facts = {
        _("Customer"): f"{view.customer_name} (#{view.customer_id})",
        _("Kind"): label(_, KIND, view.kind), _("Category"): label(_, CATEGORY, view.category),
        _("Owner"): view.owner_name or _("Unassigned"),
        _("Order"): view.order_number or "—",
        _("Created"): when(view.created_at),
        _("Resolution due"): when(view.resolution_due_at),
        _("Escalated"): _("Yes") if view.escalated else _("No"),
        _("First-contact resolution"): _("Yes") if view.first_contact_resolution else _("No"),
    }
    if view.parent_case_id:
        facts[_("Continues case")] = f"#{view.parent_case_id}"
    if view.continued_in:
        facts[_("Continued in")] = ", ".join(f"#{i}" for i in view.continued_in)
    st.dataframe([{"": k, " ": v} for k, v in facts.items()], hide_index=True,
                 width="stretch")
    for title, text in ((_("What the customer asked"), view.question),
                        (_("What the customer expects"), view.customer_expectation),
                        (_("Next step"), view.next_step)):
        if text:
            st.caption(title)
            st.text(text)

    st.markdown("#### " + _("Timeline"))
    for entry in reversed(view.timeline):
        who = md(entry.author or _("Customer"))
        change = (f" · {md(entry.old_value or '—')} → {md(entry.new_value)}"
                  if entry.new_value else "")
        st.caption(f"{when(entry.at)} · {label(_, EVENT, entry.kind)} · {who}{change}")
        if entry.body:
            st.text(entry.body)

    if view.follow_ups:
        _follow_ups(view)
    if view.outbox:
        st.markdown("#### " + _("Messages to the customer"))
        st.dataframe([{_("Time"): when(m.at), _("Channel"): m.channel, _("To"): m.to_address,
                       _("Subject"): m.subject or "", _("Status"): label(_, OUTBOX, m.status)}
                      for m in view.outbox], hide_index=True, width="stretch")

    if allowed(actor.roles, Action.CASE_WORK):
        _actions(view)


def _follow_ups(view) -> None:
    """The follow-up calls about this case: each attempt and what the customer said."""
    _ = runtime.gettext()
    st.markdown("#### " + _("Follow-up calls"))
    for f in view.follow_ups:
        st.caption(" · ".join([f"#{f.callback_id}", label(_, PURPOSE, f.purpose),
                               label(_, CALLBACK_STATUS, f.status),
                               _("due {due}").format(due=when(f.due_at))]))
        for a in f.attempts:
            line = f"{when(a.at)} · {a.staff} · {label(_, OUTCOME, a.outcome)}"
            st.text(line + (f" — {a.note}" if a.note else ""))
        if f.survey:
            s = f.survey
            solved = {True: _("solved"), False: _("not solved"), None: "—"}[s.problem_solved]
            st.text(_("Satisfaction {score}/5 · problem {solved} · NPS {nps}").format(
                score=s.satisfaction, solved=solved, nps="—" if s.nps is None else s.nps))
            if s.comment:
                st.text(s.comment)


def _actions(view) -> None:
    _ = runtime.gettext()
    actor = runtime.require_actor()
    is_complaint = view.kind.value == "complaint" and allowed(actor.roles,
                                                              Action.COMPLAINT_HANDLE)
    tabs = st.tabs([_("Reply"), _("Note or call"), _("Status"), _("Owner"), _("Escalate"),
                    _("Orders")] + ([_("Complaint")] if is_complaint else []))
    if is_complaint:
        with tabs[6]:
            complaint_panel.show(view.id)
    with tabs[0]:
        pickers.canned_reply_picker(REPLY_KEY, view.customer_name,
                                    _("Insert a canned reply"))
        with st.form("case.reply", clear_on_submit=False):
            body = st.text_area(_("Reply to the customer"), key=REPLY_KEY, max_chars=10_000)
            send = st.checkbox(_("Send to the customer (outbox)"), value=True)
            if st.form_submit_button(_("Send reply"), type="primary"):
                if _act(cases.reply, view.id, body, view.version, send_to_customer=send,
                        success=N_("Reply recorded.")):
                    st.session_state.pop(REPLY_KEY, None)
                    st.rerun()
    with tabs[1]:
        with st.form("case.note", clear_on_submit=True):
            body = st.text_area(_("Note (not sent to the customer)"), max_chars=10_000)
            call = st.checkbox(_("This is the log of a call with the customer"))
            if st.form_submit_button(_("Add to timeline")):
                if _act(cases.add_note, view.id, body, call_log=call, success=N_("Note added.")):
                    st.rerun()
    with tabs[2]:
        with st.form("case.status"):
            target = st.selectbox(_("New status"), view.allowed_transitions,
                                  format_func=lambda v: label(_, STATUS, v))
            note = st.text_input(_("Why (optional; required to reopen)"), max_chars=2000)
            if st.form_submit_button(_("Change status")):
                if _act(cases.change_status, view.id, target, view.version, note,
                        success=N_("Status changed.")):
                    st.rerun()
    with tabs[3]:
        people = dict(cases.assignable_staff(runtime.uow(), actor))
        with st.form("case.assign"):
            owner = st.selectbox(_("Owner"), [None, *people],
                                 index=([None, *people].index(view.owner_id)
                                        if view.owner_id in people else 0),
                                 format_func=lambda v: _("Unassigned") if v is None
                                 else people[v])
            if st.form_submit_button(_("Assign")):
                if _act(cases.assign, view.id, owner, view.version, success=N_("Owner changed.")):
                    st.rerun()
    with tabs[4]:
        with st.form("case.escalate", clear_on_submit=True):
            reason = st.text_area(_("Why a supervisor should look at it"), max_chars=2000)
            if st.form_submit_button(_("Escalate to a supervisor"), disabled=view.escalated):
                if _act(cases.escalate, view.id, reason, view.version,
                        success=N_("Case escalated.")):
                    st.rerun()
    with tabs[5]:
        if allowed(actor.roles, Action.ORDER_MANAGE):
            _orders(view)


def _orders(view) -> None:
    _ = runtime.gettext()
    actor = runtime.require_actor()
    _new_order(view)
    summaries = orders.orders_of_case(runtime.uow(), actor, view.id)
    if not summaries:
        st.info(_("This customer has no orders yet."))
    for o in summaries:
        with st.expander(f"{md(o.order_number)} · {label(_, ORDER_STATE, o.state)} · "
                         f"{money(o.total_cents)}"):
            st.dataframe([{_("Product"): name, _("Quantity"): qty, _("Paid"): money(paid)}
                          for name, qty, paid in o.lines], hide_index=True)
            st.caption(_("Delivery address"))
            st.text(o.delivery_address or "—")
            if o.carrier:
                st.text(f"{o.carrier} {o.tracking_number}")
            if o.can_confirm and st.button(_("Confirm order"), key=f"confirm.{o.id}"):
                if _act(orders.confirm_order, view.id, o.id, o.version,
                        success=N_("Order confirmed; the customer is told.")):
                    st.rerun()
            if o.can_cancel:
                with st.form(f"cancel.{o.id}"):
                    reason = st.text_input(_("Reason for cancelling"), max_chars=500)
                    if st.form_submit_button(_("Cancel order")):
                        if _act(orders.cancel_order, view.id, o.id, o.version, reason,
                                success=N_("Order cancelled; the customer is told.")):
                            st.rerun()
            if o.can_ship:
                with st.form(f"ship.{o.id}"):
                    carrier = st.text_input(_("Carrier"), max_chars=60)
                    tracking = st.text_input(_("Tracking number"), max_chars=60)
                    if st.form_submit_button(_("Record shipment")):
                        if _act(orders.ship_order, view.id, o.id, o.version, carrier,
                                tracking, success=N_("Shipment recorded; the customer is told.")):
                            st.rerun()
            if o.can_modify:
                with st.form(f"address.{o.id}"):
                    address = st.text_input(_("New delivery address"),
                                            value=o.delivery_address or "", max_chars=300)
                    if st.form_submit_button(_("Change address")):
                        if _act(orders.modify_order, view.id, o.id, o.version,
                                delivery_address=address,
                                success=N_("Order changed; the customer is told.")):
                            st.rerun()
            if not (o.can_modify or o.can_cancel or o.can_ship or o.can_confirm):
                st.caption(_("Nothing more can be done with this order here."))


def _new_order(view) -> None:
    """A consultation that becomes an order: pick products, confirm, and the customer gets
    the confirmation with the order number and expected delivery."""
    _ = runtime.gettext()
    actor = runtime.require_actor()
    with st.expander(_("New order"), icon=":material/add_shopping_cart:"):
        query = st.text_input(_("Find a product (SKU, model or name)"), key="order.query",
                              max_chars=100)
        found = products.find_products(runtime.uow(), actor, query, limit=30) if query else []
        basket = st.session_state.setdefault("order.basket", {})
        if found:
            by_id = {p.id: p for p in found}
            pick = st.selectbox(_("Product"), list(by_id), key="order.pick",
                                format_func=lambda i: f"{by_id[i].sku} · {by_id[i].name} · "
                                f"{money(by_id[i].price_cents)}")
            qty = st.number_input(_("Quantity"), 1, orders.MAX_QUANTITY, 1, key="order.qty")
            if st.button(_("Add to order")):
                basket[pick] = (by_id[pick].name, basket.get(pick, ("", 0))[1] + int(qty))
        if basket:
            st.dataframe([{_("Product"): name, _("Quantity"): qty}
                          for name, qty in basket.values()], hide_index=True)
            with st.form("order.place"):
                address = st.text_input(_("Delivery address"), max_chars=300)
                if st.form_submit_button(_("Confirm order"), type="primary"):
                    lines = [orders.LineInput(pid, qty) for pid, (_n, qty) in basket.items()]
                    if _act(orders.place_order, view.id, lines, address,
                            success=N_("Order placed; the confirmation is in the outbox.")):
                        st.session_state.pop("order.basket", None)
                        st.rerun()
