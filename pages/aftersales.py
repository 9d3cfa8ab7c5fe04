"""After-sales: file a return, exchange, repair or refund for an order line, with the policy
check explaining itself, and follow the customer's requests."""
import streamlit as st

from core import aftersales
from core.errors import DomainError
from core.labels import AFTERSALES_KIND, AFTERSALES_STATUS, CONDITION
from core.vocabulary import AfterSalesKind, GoodsCondition
from ui import aftersales_view, pickers, runtime
from ui.fmt import error_md, label, md, money, when

_ = runtime.gettext()
actor = runtime.require_actor()
CUSTOMER = "aftersales.customer"
st.title(_("After-sales"))

selected = st.query_params.get("request")
if selected:
    if st.button(_("Back"), icon=":material/arrow_back:"):
        del st.query_params["request"]
        st.rerun()
    aftersales_view.show(selected)   # core reads the id (or says it is none)
    st.stop()

chosen = st.session_state.get(CUSTOMER)
if not chosen:
    hit = pickers.customer_search("aftersales.query", _("Select"))
    if hit:
        st.session_state[CUSTOMER] = (hit.id, hit.name)
        st.rerun()
    st.stop()

customer_id, customer_name = chosen
c1, c2 = st.columns([4, 1])
c1.text(f"#{customer_id} · {customer_name}")
if c2.button(_("Change customer")):
    st.session_state.pop(CUSTOMER)
    st.rerun()

existing = aftersales.requests_of_customer(runtime.uow(), actor, customer_id)
if existing:
    st.markdown("##### " + _("Requests of this customer"))
    for r in existing:
        a, b = st.columns([5, 1])
        a.text(f"#{r.id} · {label(_, AFTERSALES_KIND, r.kind)} · {r.order_number} · "
               f"{r.product} · {label(_, AFTERSALES_STATUS, r.status)}"
               + (f" · {money(r.refund_cents)}" if r.refund_cents else ""))
        if b.button(_("Open request"), key=f"aftersales.open.{r.id}"):
            st.query_params["request"] = str(r.id)
            st.rerun()

st.markdown("##### " + _("New request"))
lines = aftersales.lines_of_customer(runtime.uow(), actor, customer_id)
if not lines:
    st.info(_("This customer has no order lines to apply for."))
    st.stop()
by_id = {line.order_line_id: line for line in lines}


def describe(line_id: int) -> str:
    line = by_id[line_id]
    delivered = (_("delivered {date}").format(date=when(line.delivered_at))
                 if line.delivered_at else _("not delivered"))
    return (f"{line.order_number} · {line.product} × {line.quantity} · "
            f"{money(line.paid_cents)} · {delivered}")


line_id = st.selectbox(_("Order line"), list(by_id), key="aftersales.line",
                       format_func=describe)
kind = st.selectbox(_("Request type"), list(AfterSalesKind), key="aftersales.kind",
                    format_func=lambda v: label(_, AFTERSALES_KIND, v))
condition = st.selectbox(_("Condition of the goods"), list(GoodsCondition),
                         key="aftersales.condition",
                         format_func=lambda v: label(_, CONDITION, v))
proof = st.checkbox(_("Proof of purchase shown"), value=True, key="aftersales.proof")

try:
    verdict = aftersales.preview_policy(runtime.uow(), actor, line_id, kind, condition, proof)
except DomainError as e:
    st.error(error_md(e, _))
    st.stop()
box = st.success if verdict.eligible else st.warning
box("\n".join(["- " + md(reason) for reason in aftersales.explain(verdict, _)])
    or _("Inside policy."), icon=":material/policy:")
if not verdict.eligible:
    st.caption(_("Outside policy: the request will wait for a supervisor's approval."))

with st.form("aftersales.new"):
    reason = st.text_area(_("Reason"), max_chars=2000)
    notes = st.text_area(_("Notes (what was seen, photos taken)"), max_chars=5000)
    refund = None
    if kind in (AfterSalesKind.RETURN, AfterSalesKind.REFUND):
        refund = st.number_input(
            _("Refund amount (¥), at most {max}").format(
                max=money(by_id[line_id].refundable_cents)),
            min_value=0.0, step=1.0, format="%.2f")
    if st.form_submit_button(_("File request"), type="primary"):
        try:
            request_id = aftersales.open_request(
                runtime.uow(), actor, order_line_id=line_id, kind=kind, reason=reason,
                condition=condition, proof_of_purchase=proof, notes=notes or None,
                refund_cents=round(refund * 100) if refund else None)
        except DomainError as e:
            st.error(error_md(e, _))
        else:
            st.cache_data.clear()
            runtime.deliver_messages()
            st.query_params["request"] = str(request_id)
            st.rerun()
