"""Intake: a contact on any channel, recorded while the customer is on the line."""
import streamlit as st

from core import cases, customers, orders
from core.errors import DomainError
from core.i18n import N_
from core.labels import CATEGORY, CHANNEL, KIND, ORDER_STATE, PRIORITY, SEVERITY
from core.vocabulary import CaseCategory, CaseKind, Channel, ComplaintSeverity, Priority
from ui import pickers, product_panel, runtime
from ui.fmt import error_md, label, when

_ = runtime.gettext()
actor = runtime.require_actor()
CUSTOMER = "intake.customer"          # (id, name) of the customer on the line
ANSWER = "intake.answer"
RECEIPT = "intake.receipt"

st.title(_("Intake"))

receipt = st.session_state.pop(RECEIPT, None)
if receipt:
    case_id, status, due = receipt
    if status == "resolved":
        st.success(_("Case {case_id} recorded and resolved on first contact.").format(
            case_id=case_id))
    else:
        st.success(_("Case {case_id} is open. Tell the customer they will hear from us by "
                     "{due}.").format(case_id=case_id, due=when(due)))

channel = st.segmented_control(_("Channel"), list(Channel), default=Channel.PHONE,
                               format_func=lambda v: label(_, CHANNEL, v),
                               key="intake.channel") or Channel.PHONE

# --- who is it? -----------------------------------------------------------------------------
st.markdown("##### " + _("Customer"))
chosen = st.session_state.get(CUSTOMER)
if chosen:
    c1, c2 = st.columns([4, 1])
    c1.text(f"#{chosen[0]} · {chosen[1]}")
    if c2.button(_("Change customer")):
        st.session_state.pop(CUSTOMER)
        st.rerun()
else:
    hit = pickers.customer_search("intake.query", _("Select"))
    if hit:
        st.session_state[CUSTOMER] = (hit.id, hit.name)
        st.rerun()
    with st.expander(_("New customer"), icon=":material/person_add:"):
        with st.form("intake.new_customer"):
            name = st.text_input(_("Name"), max_chars=120)
            phone = st.text_input(_("Phone"), max_chars=40)
            email = st.text_input(_("E-mail"), max_chars=254)
            consent = st.checkbox(_("Agrees to receive promotions"))
            language = st.selectbox(_("Customer's language"), ["zh_CN", "en"],
                                    format_func=lambda v: {"zh_CN": "简体中文",
                                                           "en": "English"}[v])
            create = st.form_submit_button(_("Create customer"))
        if create:
            twins = customers.likely_duplicates(runtime.uow(), actor, name, phone or None,
                                                email or None)
            if twins and not st.session_state.get("intake.dup_ok"):
                st.warning(_("These customers look the same. Select one of them above, or "
                             "press Create again to add a new customer anyway."))
                for t in twins:
                    st.text(f"#{t.id} · {t.name} · {t.phone or '—'} · {t.email or '—'}")
                st.session_state["intake.dup_ok"] = True
            else:
                try:
                    new_id = customers.create_customer(
                        runtime.uow(), actor, name=name, phone=phone or None,
                        email=email or None, marketing_consent=consent, language=language)
                except DomainError as e:
                    st.error(error_md(e, _))
                else:
                    st.session_state.pop("intake.dup_ok", None)
                    st.session_state[CUSTOMER] = (new_id, name.strip())
                    st.cache_data.clear()
                    st.rerun()

if not chosen:
    st.stop()
customer_id, customer_name = chosen

product_panel.show(customer_id)

# --- what do they want? ---------------------------------------------------------------------
st.markdown("##### " + _("The contact"))
pickers.canned_reply_picker(ANSWER, customer_name, _("Insert a canned reply into the answer"))

their_orders = orders.recent_orders(runtime.uow(), actor, customer_id)
with st.form("intake.case"):
    c1, c2, c3 = st.columns(3)
    kind = c1.selectbox(_("Kind"), list(CaseKind), format_func=lambda v: label(_, KIND, v))
    category = c2.selectbox(_("Category"), list(CaseCategory),
                            format_func=lambda v: label(_, CATEGORY, v))
    priority = c3.selectbox(_("Priority"), list(Priority), index=1,
                            format_func=lambda v: label(_, PRIORITY, v))
    severity = st.selectbox(_("Severity (complaints)"), list(ComplaintSeverity),
                            format_func=lambda v: label(_, SEVERITY, v))
    order_choices = {None: "—", **{oid: f"{number} · {label(_, ORDER_STATE, state)}"
                                   for oid, number, state in their_orders}}
    order_id = st.selectbox(_("Order"), list(order_choices),
                            format_func=lambda v: order_choices[v])
    subject = st.text_input(_("Subject"), max_chars=200)
    question = st.text_area(_("What the customer asked"), max_chars=10_000)
    expectation = st.text_input(_("What the customer expects"), max_chars=2000)
    answer = st.text_area(_("Answer given"), key=ANSWER, max_chars=10_000)
    resolved = st.checkbox(_("Resolved now (first-contact resolution)"))
    next_step = st.text_input(_("Next step the customer was told (if not resolved)"),
                              max_chars=2000)
    owners = {"me": N_("Me"), "auto": N_("Assign automatically"), "none": N_("Unassigned")}
    owner = st.radio(_("Owner"), list(owners), format_func=lambda v: _(owners[v]),
                     horizontal=True)
    notify = st.checkbox(_("Send the customer an acknowledgement"), value=True)
    submitted = st.form_submit_button(_("Record contact"), type="primary")

if submitted:
    try:
        result = cases.open_case(
            runtime.uow(), actor, customer_id=customer_id, channel=channel, kind=kind,
            category=category, subject=subject, question=question,
            customer_expectation=expectation, answer=answer, priority=priority,
            order_id=order_id, resolved_now=resolved, next_step=next_step, owner=owner,
            notify_customer=notify,
            severity=severity if kind == CaseKind.COMPLAINT else None)
    except DomainError as e:
        st.error(error_md(e, _))
    else:
        st.cache_data.clear()
        runtime.deliver_messages()
        st.session_state[RECEIPT] = (result.case_id, result.status.value,
                                     result.resolution_due_at)
        for key in (ANSWER, CUSTOMER, "intake.query"):
            st.session_state.pop(key, None)
        st.rerun()
