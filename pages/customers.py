"""Customers: find one in seconds, see everything about them, keep their record right."""
import streamlit as st

from core import care_plans, customers
from core.errors import DomainError
from core.i18n import N_
from core.labels import (AFTERSALES_KIND, AFTERSALES_STATUS, CALLBACK_STATUS, ORDER_STATE,
                         PURPOSE, STATUS, TIER)
from core.permissions import Action, allowed
from core.vocabulary import CustomerTier
from ui import pickers, runtime
from ui.actions import flash, run, show_flash
from ui.fmt import error_md, label, md, money, when

_ = runtime.gettext()
actor = runtime.require_actor()
st.title(_("Customers"))

selected = st.query_params.get("customer")
if not selected:
    hit = pickers.customer_search("customers.query", _("Open customer"))
    if hit:
        st.query_params["customer"] = str(hit.id)
        st.rerun()
    st.stop()

if st.button(_("Back to search"), icon=":material/arrow_back:"):
    del st.query_params["customer"]
    st.rerun()
try:
    profile = customers.customer_profile(runtime.uow(), actor, int(selected))
except (DomainError, ValueError) as e:
    st.error(error_md(e, _) if isinstance(e, DomainError) else _("No customer found."))
    st.stop()

show_flash()
st.subheader(f"#{profile.id}")
st.text(profile.name)
c1, c2, c3, c4 = st.columns(4)
c1.metric(_("Phone"), profile.phone or "—")
c2.metric(_("E-mail"), profile.email or "—")
c3.metric(_("Tier"), label(_, TIER, profile.tier))
c4.metric(_("Promotions"), _("Agreed") if profile.marketing_consent else _("Not agreed"))
if not profile.personal_data_visible:
    st.caption(_("Contact data is masked for your role."))
st.caption(_("Address"))
st.text(" ".join(x for x in (profile.address, profile.city) if x) or "—")

tab_history, tab_orders, tab_notes, tab_care, tab_edit = st.tabs(
    [_("History"), _("Orders ({n})").format(n=profile.orders_total), _("Notes"),
     _("Care plan ({n})").format(n=len(profile.care_plans)), _("Edit")])
with tab_history:
    kinds = {"case": _("Case"), "after_sales": _("After-sales"), "callback": _("Callback"),
             "survey": _("Satisfaction")}
    # the value tables that name each kind's detail and status, so nobody reads raw codes
    details = {"after_sales": AFTERSALES_KIND, "callback": PURPOSE}
    statuses = {"case": STATUS, "after_sales": AFTERSALES_STATUS, "callback": CALLBACK_STATUS}
    st.dataframe([{_("Time"): when(e.at), _("What"): kinds.get(e.kind, e.kind),
                   _("Number"): e.ref_id,
                   _("Detail"): label(_, details[e.kind], e.title) if e.kind in details
                   else e.title,
                   _("Status"): label(_, statuses[e.kind], e.status) if e.status else "",
                   _("Score"): e.satisfaction, _("Case"): e.case_id}
                  for e in profile.timeline], hide_index=True, width="stretch")
with tab_orders:
    for o in profile.orders:
        with st.expander(f"{md(o.order_number)} · {label(_, ORDER_STATE, o.state)} · "
                         f"{when(o.ordered_at)} · {money(o.total_cents)}"):
            st.dataframe([{_("Product"): line.product_name, _("Quantity"): line.quantity,
                           _("Paid"): money(line.paid_cents),
                           _("Refunded"): money(line.refunded_cents)} for line in o.lines],
                         hide_index=True, width="stretch")
with tab_notes:
    for note in profile.notes:
        st.caption(f"{when(note.created_at)} · {md(note.author)}")
        st.text(note.body)
    if allowed(actor.roles, Action.CUSTOMER_EDIT):
        with st.form("customers.note", clear_on_submit=True):
            body = st.text_area(_("New note"), max_chars=5000)
            if st.form_submit_button(_("Add note")):
                if run(customers.add_note, profile.id, body):
                    st.rerun()
with tab_care:
    st.caption(_("A VIP customer's periodic checks of what they bought. The VIP care call "
                 "covers them and is due no later than the earliest check."))
    for plan in profile.care_plans:
        product = plan.product_name(runtime.language()) or "—"
        c1, c2 = st.columns([5, 1])
        c1.text(f"{product} · {plan.description}")
        c1.caption(_("Every {days} days · next check {day}").format(
            days=plan.interval_days, day=plan.next_due_on or "—"))
        if allowed(actor.roles, Action.CUSTOMER_EDIT) and c2.button(
                _("End"), key=f"customers.plan_end.{plan.id}"):
            if run(care_plans.end_plan, plan.id, plan.version):
                st.rerun()
    if profile.tier == CustomerTier.VIP and allowed(actor.roles, Action.CUSTOMER_EDIT):
        with st.form("customers.plan_add", clear_on_submit=True):
            what = st.text_input(_("What is checked"), max_chars=2000)
            every = st.number_input(_("Every (days)"), min_value=care_plans.INTERVAL_DAYS[0],
                                    max_value=care_plans.INTERVAL_DAYS[1], value=90, step=1)
            first = st.date_input(_("First check"), value=None)
            if st.form_submit_button(_("Add to the care plan")):
                if run(care_plans.add_plan, profile.id, what, int(every), None, first):
                    st.rerun()
    elif profile.tier != CustomerTier.VIP:
        st.info(_("Care plans are for VIP customers."))
with tab_edit:
    if not (allowed(actor.roles, Action.CUSTOMER_EDIT) and profile.personal_data_visible):
        st.info(_("Your role cannot change customer records."))
    else:
        with st.form("customers.edit"):
            name = st.text_input(_("Name"), value=profile.name, max_chars=120)
            phone = st.text_input(_("Phone"), value=profile.phone or "", max_chars=40)
            email = st.text_input(_("E-mail"), value=profile.email or "", max_chars=254)
            address = st.text_input(_("Address"), value=profile.address or "", max_chars=300)
            city = st.text_input(_("City"), value=profile.city or "", max_chars=80)
            tier = st.selectbox(_("Tier"), list(CustomerTier),
                                index=list(CustomerTier).index(CustomerTier(profile.tier)),
                                format_func=lambda v: label(_, TIER, v))
            consent = st.checkbox(_("Agrees to receive promotions"),
                                  value=profile.marketing_consent)
            if st.form_submit_button(_("Save"), type="primary"):
                if run(customers.update_customer, profile.id, profile.version, name=name,
                       phone=phone or None, email=email or None, address=address or None,
                       city=city or None, tier=tier, marketing_consent=consent):
                    flash(N_("Saved."))
                    st.rerun()
        if allowed(actor.roles, Action.CUSTOMER_MERGE):
            with st.form("customers.merge"):
                st.caption(_("Merge a duplicate into this customer: all its history moves "
                             "here."))
                other = st.number_input(_("Duplicate customer number"), min_value=1,
                                        step=1, value=None)
                if st.form_submit_button(_("Merge")) and other:
                    if run(customers.merge_customers, profile.id, int(other)):
                        flash(N_("Merged."))
                        st.rerun()
